// Building GameMaker's async_load maps (the keys of DESIGN.md, in that order).
#pragma once

#include <asyncload/backend.hpp>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

namespace asyncload::detail {

// Response headers as the game sees them: names lower-case, repeats joined with ", ".
boost::json::object header_object(const Headers& headers);

boost::json::object progress_map(RequestId id, std::string_view url, std::int64_t size_downloaded,
                                 std::int64_t content_length);

// `result` is the body, the file path, the buffer byte count or ""; `response_headers` is
// header_object(outcome.response_headers), built beforehand (see ReadyEvent).
boost::json::object final_map(const Outcome& outcome, boost::json::string url, boost::json::value result,
                              boost::json::object response_headers);

}  // namespace asyncload::detail
