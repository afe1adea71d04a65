// event_output.hpp — how the `asyncload` tool turns an async_load map into one NDJSON line.
#pragma once

#include <boost/json/object.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace asyncload::cli {

enum class ResultStyle {
  exact,      // get, get-file, post, request: the full result ("result" or "result_base64")
  shortened,  // demo: a result over short_result_limit bytes becomes result_bytes + result_head
};

inline constexpr std::size_t short_result_limit = 200;
inline constexpr std::size_t result_head_bytes = 64;

// The map's keys in the map's order, serialized with boost::json, without a newline. A string
// "result" that is not valid UTF-8 becomes "result_base64" (standard base64, padded) in place.
std::string event_json(const boost::json::object& map, ResultStyle style);

// At most max_bytes of `bytes`, cut at a character boundary, invalid sequences as U+FFFD.
std::string printable_head(std::string_view bytes, std::size_t max_bytes);

}  // namespace asyncload::cli
