// har.hpp — the HAR 1.2 model the recording and replay backends share: one Entry per exchange,
// written and read with Boost.JSON. Not installed, not public API.
//
// What an entry holds (http://www.softwareishard.com/blog/har-12-spec/, custom fields start
// with "_"):
//   startedDateTime, time            when the call was sent (UTC, ms) and how long it took (ms)
//   request   method, url (as sent: percent-encoded), httpVersion "" (a backend does not say),
//             headers (those asyncload sends; the platform adds its own, say User-Agent),
//             queryString (from the URL), postData {mimeType, text} when there is a body,
//             headersSize -1, bodySize
//   response  status, statusText "", httpVersion "", headers, content {size (decoded bytes),
//             mimeType, text, encoding "base64" when the body is not UTF-8}, redirectURL (the
//             Location of a 3xx that ended the exchange), headersSize -1, bodySize (bytes as
//             sent), _asyncload_content_length (contentLength as reported, -1 = unknown)
//   timings   send 0, wait (call to response head), receive (head to end), -1 when not reached
//   _asyncload_status, _asyncload_error   on failures only: the final event's status and error
//   _asyncload_body_omitted               the body was over the recording's limit: not written
// A request body or header value that is not UTF-8 is written base64 with "_encoding": "base64"
// beside it (JSON strings are UTF-8). Redacted headers are written with the value "REDACTED".
#pragma once

#include <asyncload/types.hpp>

#include <boost/json/object.hpp>

#include <chrono>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace asyncload::har {

struct Entry {
  std::string started;  // startedDateTime, ISO 8601 UTC
  double time_ms = 0;
  double wait_ms = -1;     // timings.wait; -1 = no response head arrived
  double receive_ms = -1;  // timings.receive
  // request
  std::string method;
  std::string url;
  Headers request_headers;
  std::string request_body;
  // response
  long http_status = 0;  // 0 = no response
  Headers response_headers;
  std::string body;            // decoded, as the sink received it
  bool body_omitted = false;   // over the recording limit: `body` is empty
  std::int64_t content_length = -1;
  std::int64_t body_size = 0;  // bytes as sent (Outcome::size_downloaded)
  // outcome
  Status status = Status::complete;
  std::string error;
};

struct Log {
  std::vector<Entry> entries;
};

boost::json::object to_json(const Log& log);
// "" when `json` is a HAR log asyncload can serve; else why not (with the entry's index).
std::string from_json(std::string_view json, Log& log);

// The whole file, written beside `path` and renamed onto it (never half a file); "" or why not.
std::string write_file(const std::filesystem::path& path, const Log& log);
std::string read_file(const std::filesystem::path& path, Log& log);

// `url` with the userinfo of its authority (user:password@) written as "REDACTED@": what a
// recording stores and what a replay compares.
std::string redact_url(std::string_view url);

// The ISO 8601 UTC form of a system clock time, with milliseconds ("2026-12-02T04:31:07.123Z").
std::string iso8601(std::chrono::system_clock::time_point when);

}  // namespace asyncload::har
