#include "async_load.hpp"

#include "validate.hpp"

#include <asyncload/asyncload.hpp>
#include <asyncload/detail/text.hpp>

#include <algorithm>

namespace asyncload::detail {

boost::json::object header_object(const Headers& headers) {
  boost::json::object object;
  object.reserve(headers.size());  // one table, not a rehash per growth step
  for (const auto& [name, value] : headers) {
    auto [slot, inserted] = object.emplace(to_lower(name), value);
    if (!inserted) {
      boost::json::string& joined = slot->value().as_string();
      joined.append(", ");
      joined.append(value);
    }
  }
  return object;
}

boost::json::object progress_map(RequestId id, std::string_view url, std::int64_t size_downloaded,
                                 std::int64_t content_length) {
  boost::json::object map;
  map.reserve(5);
  map.emplace("id", id);
  map.emplace("status", static_cast<int>(Status::downloading));
  map.emplace("url", url);
  map.emplace("contentLength", content_length);
  map.emplace("sizeDownloaded", size_downloaded);
  return map;
}

boost::json::object final_map(const Outcome& outcome, boost::json::string url, boost::json::value result,
                              boost::json::object response_headers) {
  boost::json::object map;
  map.reserve(9);
  map.emplace("id", outcome.id);
  map.emplace("status", static_cast<int>(outcome.status));  // GameMaker's integer
  map.emplace("url", std::move(url));
  map.emplace("http_status", outcome.http_status);
  map.emplace("result", std::move(result));
  map.emplace("response_headers", std::move(response_headers));
  map.emplace("contentLength", outcome.content_length);
  map.emplace("sizeDownloaded", outcome.size_downloaded);
  // Reasons carry server text (a reason phrase, a certificate's name, a redirect's scheme) and
  // file paths: escaped like last_error(), so any reason prints safely as one line. 4 KiB keeps
  // a whole PATH_MAX path.
  if (static_cast<int>(outcome.status) < 0) map.emplace("error", quote(outcome.error, 4096));
  return map;
}

}  // namespace asyncload::detail

// ---- AsyncLoad accessors --------------------------------------------------------------------

namespace asyncload {
namespace {

std::int64_t integer_or(const boost::json::object& map, std::string_view key, std::int64_t fallback) {
  const boost::json::value* value = map.if_contains(key);
  return value && value->is_int64() ? value->get_int64() : fallback;
}

std::string_view string_or_empty(const boost::json::object& map, std::string_view key) {
  const boost::json::value* value = map.if_contains(key);
  return value && value->is_string() ? std::string_view(value->get_string()) : std::string_view();
}

}  // namespace

RequestId AsyncLoad::id() const { return integer_or(map_, "id", -1); }
Status AsyncLoad::status() const {
  return static_cast<Status>(integer_or(map_, "status", static_cast<int>(Status::network_error)));
}
long AsyncLoad::http_status() const { return static_cast<long>(integer_or(map_, "http_status", 0)); }
std::string_view AsyncLoad::url() const { return string_or_empty(map_, "url"); }
std::string_view AsyncLoad::result() const { return string_or_empty(map_, "result"); }
std::int64_t AsyncLoad::result_bytes() const { return integer_or(map_, "result", -1); }
std::int64_t AsyncLoad::content_length() const { return integer_or(map_, "contentLength", -1); }
std::int64_t AsyncLoad::size_downloaded() const { return integer_or(map_, "sizeDownloaded", 0); }
std::string_view AsyncLoad::error() const { return string_or_empty(map_, "error"); }

const boost::json::object& AsyncLoad::response_headers() const {
  static const boost::json::object none;
  const boost::json::value* value = map_.if_contains("response_headers");
  return value && value->is_object() ? value->get_object() : none;
}

std::string_view AsyncLoad::header(std::string_view name) const {
  // The map's keys are lower case; HTTP names are not case-sensitive, so neither is this.
  const bool lower = std::none_of(name.begin(), name.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
  return string_or_empty(response_headers(), lower ? name : std::string_view(detail::to_lower(name)));
}

}  // namespace asyncload
