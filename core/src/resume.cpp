#include "resume.hpp"

#include "sinks.hpp"  // random_temporary_name

#include <asyncload/detail/files.hpp>
#include <asyncload/detail/text.hpp>

#include <boost/json.hpp>

#include <algorithm>
#include <charconv>

namespace asyncload::detail {
namespace {

// A URL is at most 64 KiB (validate.cpp), a file name and a validator far less.
constexpr std::size_t max_record_bytes = 256u << 10;

// FNV-1a, 64 bits: stable across runs, builds and platforms, as a name on disk must be.
std::string name_hash(std::string_view name) {
  std::uint64_t hash = 14695981039346656037ull;
  for (const unsigned char c : name) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  std::string hex;
  append_hex(hex, static_cast<std::uint32_t>(hash >> 32), 8);
  append_hex(hex, static_cast<std::uint32_t>(hash), 8);
  return hex;
}

std::string header(const Headers& headers, std::string_view name) {
  for (const auto& [key, value] : headers)
    if (iequals(key, name)) return std::string(trim(value));
  return {};
}

}  // namespace

ResumePlan plan_resume(const std::filesystem::path& target, std::string_view url) {
  ResumePlan plan;
  const std::string stem = ".asyncload-" + name_hash(files::utf8(target.filename()));
  plan.partial = target.parent_path() / (stem + ".partial");
  plan.record = target.parent_path() / (stem + ".resume");
  plan.url = std::string(url);
  plan.target_name = files::utf8(target.filename());

  std::string text;
  if (!files::read_small(plan.record, max_record_bytes, text).empty()) return plan;
  boost::system::error_code ec;
  const boost::json::value parsed = boost::json::parse(text, ec);
  const boost::json::object* record = ec ? nullptr : parsed.if_object();
  if (!record) return plan;
  auto field = [&](std::string_view key) -> std::string_view {
    const boost::json::value* value = record->if_contains(key);
    return value && value->is_string() ? std::string_view(value->get_string()) : std::string_view();
  };
  const std::string_view validator = field("validator");
  const bool sendable = !validator.empty() && std::none_of(validator.begin(), validator.end(), [](unsigned char c) {
    return c < 0x20 || c == 0x7f;  // a damaged record must not turn into a refused call
  });
  if (field("url") != plan.url || field("target") != plan.target_name || !sendable) return plan;
  std::error_code size_error;
  const std::uintmax_t size = std::filesystem::file_size(plan.partial, size_error);
  if (size_error || size == 0) return plan;
  plan.have = size;
  plan.validator = std::string(validator);
  return plan;
}

std::string write_record(const ResumePlan& plan, std::string_view validator) {
  const std::string text = boost::json::serialize(boost::json::object{
      {"url", plan.url}, {"target", plan.target_name}, {"validator", validator}});
  // Written beside it, then renamed onto it: a record is whole or absent, never half-written.
  files::File file;
  std::filesystem::path temporary;
  for (int attempt = 0; attempt < 16 && !file.is_open(); ++attempt) {
    temporary = plan.record.parent_path() / random_temporary_name();
    bool taken = false;
    if (auto why = files::create_new(temporary, file, taken); !why.empty() && !taken) return why;
  }
  if (!file.is_open()) return "no free temporary name";
  std::string why = files::write(file, text);
  if (auto closed = files::close(file); why.empty()) why = closed;
  files::File replaced;
  if (why.empty()) why = files::replace(temporary, plan.record, replaced);
  if (!why.empty()) (void)files::remove(temporary);
  return why;
}

std::string validator_of(const Headers& headers) {
  if (const std::string coding = header(headers, "Content-Encoding"); !coding.empty() && !iequals(coding, "identity"))
    return {};
  const std::string etag = header(headers, "ETag");
  if (!etag.empty()) return etag.starts_with("\"") ? etag : std::string();  // a weak one is no validator here
  return header(headers, "Last-Modified");
}

std::optional<std::uint64_t> content_range_start(const Headers& headers) {
  const std::string value = header(headers, "Content-Range");
  std::string_view text = value;
  if (!istarts_with(text, "bytes ")) return std::nullopt;
  text = trim(text.substr(6));
  std::uint64_t start = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), start);
  if (error != std::errc() || end == text.data() + text.size() || *end != '-') return std::nullopt;
  return start;
}

}  // namespace asyncload::detail
