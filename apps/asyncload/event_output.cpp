// event_output.cpp — NDJSON lines for async_load maps.
#include "event_output.hpp"
#include "printable.hpp"

#include <asyncload/detail/base64.hpp>

#include <boost/json/serialize.hpp>

#include <cstdint>

namespace asyncload::cli {
namespace {

// Any other string (a header value in Latin-1, say) must still make valid JSON: invalid bytes
// become U+FFFD. Values that are valid already are copied as they are.
boost::json::value sanitized(const boost::json::value& value);

}  // namespace

std::string printable_head(std::string_view bytes, std::size_t max_bytes) {
  std::string out;
  for (std::size_t i = 0; i < bytes.size() && i < max_bytes;) {
    const std::size_t n = utf8_sequence_length(bytes, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD
      ++i;
    } else {
      if (i + n > max_bytes) break;  // do not split a character
      out.append(bytes.substr(i, n));
      i += n;
    }
  }
  return out;
}

namespace {

boost::json::value sanitized(const boost::json::value& value) {
  if (const auto* s = value.if_string()) {
    const std::string_view bytes(s->data(), s->size());
    if (detail::is_utf8(bytes)) return value;
    return boost::json::value(printable_head(bytes, bytes.size()));
  }
  if (const auto* obj = value.if_object()) {
    boost::json::object copy;
    for (const auto& entry : *obj)
      copy.emplace(printable_head(entry.key(), entry.key().size()), sanitized(entry.value()));
    return copy;
  }
  if (const auto* arr = value.if_array()) {
    boost::json::array copy;
    for (const auto& element : *arr) copy.push_back(sanitized(element));
    return copy;
  }
  return value;
}

}  // namespace

std::string event_json(const boost::json::object& map, ResultStyle style) {
  boost::json::object out(map.storage());
  out.reserve(map.size() + 1);
  for (const auto& entry : map) {
    if (entry.key() != "result" || !entry.value().is_string()) {
      out.emplace(entry.key(), sanitized(entry.value()));
      continue;
    }
    const boost::json::string& result = entry.value().get_string();
    const std::string_view bytes(result.data(), result.size());
    if (style == ResultStyle::shortened && bytes.size() > short_result_limit) {
      out.emplace("result_bytes", static_cast<std::int64_t>(bytes.size()));
      out.emplace("result_head", printable_head(bytes, result_head_bytes));
    } else if (detail::is_utf8(bytes)) {
      out.emplace(entry.key(), entry.value());
    } else {
      out.emplace("result_base64", detail::base64_encode(bytes));
    }
  }
  return boost::json::serialize(out);
}

}  // namespace asyncload::cli
