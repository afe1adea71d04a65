// The C API (<asyncload/asyncload.h>) against the loopback test server, natively and in the
// browser (tests/web builds the same sources to wasm). The game loop and the event recorder are
// C (c_loop.c): every event is read through the C getters inside a C callback; these cases check
// what was recorded. The server's URL and reference bytes come from tests/support/game_loop.hpp.
#include "capi/c_loop.h"

#include "asyncload/detail/base64.hpp"
#include "support/game_loop.hpp"

#include <doctest/doctest.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

using asyncload::test::expected_bytes;
using asyncload::test::parse_object;
using asyncload::test::url;

namespace {

// An asyncload_http and a recording of its events, freed at scope end.
struct Client {
  explicit Client(const asyncload_options* options = nullptr) : http(asyncload_create(options)) {
    REQUIRE_MESSAGE(http != nullptr, "asyncload_create: " << asyncload_last_error(nullptr));
    capi_log_init(&log, http);
  }
  ~Client() {
    capi_log_free(&log);
    asyncload_destroy(http);
  }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Runs frames until every id has its final event (FAILs after 20 s) and returns the one of `id`.
  const capi_event& run(asyncload_request_id id) {
    REQUIRE_MESSAGE(id >= 0, "refused: " << asyncload_last_error(http));
    REQUIRE_MESSAGE(capi_run_until_final(&log, &id, 1, 20, 0) == 1, "no final event within 20 s for id " << id);
    REQUIRE(capi_count(&log, id, 1) == 1);
    return *capi_final(&log, id);
  }
  std::string error() const { return asyncload_last_error(http); }

  asyncload_http* http;
  capi_log log{};
};

std::string_view result(const capi_event& e) { return {e.result, e.result_length}; }

boost::json::object json_of(const capi_event& e) {
  REQUIRE(e.json != nullptr);
  return parse_object(e.json);
}

}  // namespace

TEST_SUITE("capi") {

TEST_CASE("http_get - status 0, http_status 200, the body, url, sizes, and the same in event_json") {
  Client c;
  const std::string requested = url("/bytes/3000");
  const capi_event& e = c.run(asyncload_http_get(c.http, requested.c_str(), nullptr));
  CHECK(e.status == ASYNCLOAD_STATUS_COMPLETE);
  CHECK(e.http_status == 200);
  CHECK(std::string(e.url) == requested);
  CHECK(result(e) == expected_bytes(0, 3000));
  CHECK(e.result_bytes == -1);  // not buffer mode
  CHECK(e.content_length == 3000);
  CHECK(e.size_downloaded == 3000);
  CHECK(std::string(e.error).empty());
  CHECK(c.log.dispatch_mismatch == 0);
  CHECK(asyncload_in_flight(c.http) == 0);

  const auto map = json_of(e);
  CHECK(map.at("id").as_int64() == e.id);
  CHECK(map.at("status").as_int64() == 0);
  CHECK(map.at("http_status").as_int64() == 200);
  CHECK(map.at("url").as_string() == requested);
  CHECK(map.at("contentLength").as_int64() == 3000);
  CHECK(map.at("sizeDownloaded").as_int64() == 3000);
  CHECK(map.at("response_headers").as_object().at("content-length").as_string() == "3000");
  CHECK_FALSE(map.contains("error"));
}

TEST_CASE("a binary body with NULs comes whole through the result length and as result_base64 in JSON") {
  Client c;
  const std::string body = expected_bytes(0, 5000);
  REQUIRE(body.find('\0') != std::string::npos);  // the pattern holds NULs: strlen would stop early
  const capi_event& e = c.run(asyncload_http_get(c.http, url("/bytes/5000").c_str(), nullptr));
  REQUIRE(e.status == 0);
  CHECK(e.result_length == 5000);
  CHECK(std::strlen(e.result) < 5000);
  CHECK(result(e) == body);
  const auto map = json_of(e);  // valid JSON although the body is not UTF-8
  CHECK_FALSE(map.contains("result"));
  REQUIRE(map.contains("result_base64"));
  CHECK(asyncload::detail::base64_decode(map.at("result_base64").as_string()) == body);
}

TEST_CASE("a UTF-8 body is the JSON's result as it is") {
  Client c;
  const std::string text = "caf\xC3\xA9 \xE2\x82\xAC";  // café €
  const capi_event& e =
      c.run(asyncload_http_post_string(c.http, url("/echo/raw").c_str(), text.data(), text.size(), nullptr));
  REQUIRE(e.status == 0);
  CHECK(result(e) == text);
  const auto map = json_of(e);
  CHECK(map.at("result").as_string() == text);
  CHECK_FALSE(map.contains("result_base64"));
}

TEST_CASE("event_header finds a header in any case, joins repeats, NULL when absent") {
  Client c;
  c.log.header_name = "X-Test";
  const capi_event& e = c.run(asyncload_http_get(c.http, url("/headers?X-Test=a&X-Test=b&Other=c%3A%20d").c_str(), nullptr));
  REQUIRE(e.status == 0);
  REQUIRE(e.header_as_given != nullptr);
  CHECK(std::string(e.header_as_given) == "a, b");
  REQUIRE(e.header_lower != nullptr);
  CHECK(std::string(e.header_lower) == "a, b");
  REQUIRE(e.header_upper != nullptr);
  CHECK(std::string(e.header_upper) == "a, b");
  CHECK(e.absent_header_is_null == 1);
  const auto headers = json_of(e).at("response_headers").as_object();
  CHECK(headers.at("x-test").as_string() == "a, b");
  CHECK(headers.at("other").as_string() == "c: d");
}

TEST_CASE("event_json stays valid UTF-8 when a header value is not") {
  Client c;
  c.log.header_name = "X-Bin";
  const capi_event& e = c.run(asyncload_http_get(c.http, url("/headers?X-Bin=a%FFb").c_str(), nullptr));
  REQUIRE(e.status == 0);
  REQUIRE(e.header_as_given != nullptr);
  const auto headers = json_of(e).at("response_headers").as_object();  // parses: valid JSON
#if defined(__EMSCRIPTEN__)
  CHECK(headers.at("x-bin").as_string() == e.header_as_given);  // the browser hands over text already
#else
  CHECK(std::string(e.header_as_given) == "a\xFF" "b");             // the getter: the byte as sent
  CHECK(headers.at("x-bin").as_string() == "a\xEF\xBF\xBD" "b");  // the JSON: U+FFFD in its place
#endif
}

TEST_CASE("progress events carry sizes and no headers") {
  Client c;
  c.log.header_name = "Content-Length";
  const auto id = asyncload_http_get(c.http, url("/drip?bytes=3000&chunks=3&interval_ms=150").c_str(), nullptr);
  const capi_event& final_event = c.run(id);
  REQUIRE(final_event.status == 0);
  CHECK(result(final_event) == expected_bytes(0, 3000));
  int progress = 0;
  for (std::size_t i = 0; i < c.log.count; ++i) {
    const capi_event& e = c.log.events[i];
    if (e.status != ASYNCLOAD_STATUS_DOWNLOADING) continue;
    ++progress;
    CHECK(e.id == id);
    CHECK(e.size_downloaded > 0);
    CHECK(e.size_downloaded <= 3000);
    CHECK(e.header_as_given == nullptr);  // a progress event has no response_headers
    CHECK(e.result_length == 0);
    const auto map = json_of(e);
    CHECK(map.size() == 5);  // id, status, url, contentLength, sizeDownloaded
    CHECK(map.at("status").as_int64() == 1);
    CHECK(map.at("sizeDownloaded").as_int64() == e.size_downloaded);
  }
  CHECK(progress >= 1);
}

TEST_CASE("http_get_file writes the file and its result is the path") {
  asyncload::test::TempDir dir;
  const std::string target = (dir / "saves" / "slot1.sav").string();
  Client c;
  const capi_event& e = c.run(asyncload_http_get_file(c.http, url("/bytes/20000").c_str(), target.c_str(), nullptr));
  REQUIRE(e.status == 0);
  CHECK(e.http_status == 200);
  CHECK(result(e) == target);
  CHECK(asyncload::test::read_file(target) == expected_bytes(0, 20000));
}

TEST_CASE("http_post_string sends the form type and exactly body_length bytes") {
  Client c;
  const std::string body = "a=1&b=2-and-more";
  const capi_event& e = c.run(asyncload_http_post_string(c.http, url("/echo").c_str(), body.data(), 7, nullptr));
  REQUIRE(e.status == 0);
  const auto echo = parse_object(result(e));
  CHECK(echo.at("method").as_string() == "POST");
  CHECK(echo.at("body").as_string() == "a=1&b=2");
  CHECK(echo.at("headers").as_object().at("content-type").as_string() == "application/x-www-form-urlencoded");
}

TEST_CASE("http_request sends the method, the headers in order and a binary body") {
  Client c;
  const asyncload_header headers[] = {{"X-One", "first"}, {"X-Two", "second value"}, {"Content-Type", "application/octet-stream"}};
  const std::string body("bin\0ary", 7);
  const capi_event& e = c.run(asyncload_http_request(c.http, url("/echo/thing").c_str(), "PUT", headers, 3,
                                                     body.data(), body.size(), nullptr));
  REQUIRE(e.status == 0);
  const auto echo = parse_object(result(e));
  CHECK(echo.at("method").as_string() == "PUT");
  CHECK(echo.at("path").as_string() == "/echo/thing");
  CHECK(echo.at("body_length").as_int64() == 7);
  const auto& sent = echo.at("headers").as_object();
  CHECK(sent.at("x-one").as_string() == "first");
  CHECK(sent.at("x-two").as_string() == "second value");
  const capi_event& raw = c.run(asyncload_http_request(c.http, url("/echo/raw").c_str(), "POST", headers, 3,
                                                       body.data(), body.size(), nullptr));
  CHECK(result(raw) == body);
  // No headers and no body: NULL pointers with counts of 0 are fine.
  const capi_event& plain = c.run(asyncload_http_request(c.http, url("/status/404").c_str(), "GET", nullptr, 0, nullptr, 0, nullptr));
  CHECK(plain.status == ASYNCLOAD_STATUS_COMPLETE);  // a 404 is a completed exchange
  CHECK(plain.http_status == 404);
  CHECK(result(plain) == "status 404");
}

TEST_CASE("buffer mode receives into a grow buffer and keeps what fits in a fixed one") {
  Client c;
  std::unique_ptr<asyncload_buffer, void (*)(asyncload_buffer*)> grow(asyncload_buffer_create_grow(0), asyncload_buffer_destroy);
  std::unique_ptr<asyncload_buffer, void (*)(asyncload_buffer*)> fixed(asyncload_buffer_create_fixed(100), asyncload_buffer_destroy);
  REQUIRE(grow);
  REQUIRE(fixed);
  const auto g = asyncload_http_request_buffer(c.http, url("/bytes/3000").c_str(), "GET", nullptr, 0, grow.get(), nullptr);
  const auto f = asyncload_http_request_buffer(c.http, url("/bytes/3000").c_str(), "GET", nullptr, 0, fixed.get(), nullptr);
  const capi_event& into_grow = c.run(g);
  const capi_event& into_fixed = c.run(f);
  REQUIRE(into_grow.status == 0);
  CHECK(into_grow.result_bytes == 3000);
  CHECK(into_grow.result_length == 0);  // the result is a number in buffer mode
  CHECK(json_of(into_grow).at("result").as_int64() == 3000);
  CHECK(asyncload_buffer_size(grow.get()) >= 3000);
  CHECK(asyncload_buffer_tell(grow.get()) == 3000);
  CHECK(std::string_view(reinterpret_cast<const char*>(asyncload_buffer_data(grow.get())), 3000) == expected_bytes(0, 3000));
  REQUIRE(into_fixed.status == 0);
  CHECK(into_fixed.result_bytes == 3000);  // the response length, as in GameMaker
  CHECK(asyncload_buffer_size(fixed.get()) == 100);
  CHECK(asyncload_buffer_tell(fixed.get()) == 100);
  CHECK(std::string_view(reinterpret_cast<const char*>(asyncload_buffer_data(fixed.get())), 100) == expected_bytes(0, 100));
}

TEST_CASE("buffer mode sends the bytes before the seek position as the body") {
  Client c;
  std::unique_ptr<asyncload_buffer, void (*)(asyncload_buffer*)> buffer(asyncload_buffer_create_grow(4), asyncload_buffer_destroy);
  REQUIRE(buffer);
  const char bytes[] = "hello\0world, and not this";
  CHECK(asyncload_buffer_write(buffer.get(), bytes, 11) == 11);
  CHECK(asyncload_buffer_tell(buffer.get()) == 11);
  CHECK(asyncload_buffer_size(buffer.get()) >= 11);
  const capi_event& e = c.run(asyncload_http_request_buffer(c.http, url("/echo/raw").c_str(), "POST", nullptr, 0,
                                                            buffer.get(), nullptr));
  REQUIRE(e.status == 0);
  CHECK(result(e) == std::string_view(bytes, 11));
  CHECK(e.result_bytes == -1);  // the response came back as a string
  // A fixed buffer writes what fits; seek moves the position, clamped to the size.
  std::unique_ptr<asyncload_buffer, void (*)(asyncload_buffer*)> small(asyncload_buffer_create_fixed(4), asyncload_buffer_destroy);
  CHECK(asyncload_buffer_write(small.get(), bytes, 11) == 4);
  asyncload_buffer_seek(small.get(), 2);
  CHECK(asyncload_buffer_tell(small.get()) == 2);
  asyncload_buffer_seek(small.get(), 99);
  CHECK(asyncload_buffer_tell(small.get()) == 4);
}

TEST_CASE("a buffer destroyed while its request runs drops the response") {
  Client c;
  asyncload_buffer* buffer = asyncload_buffer_create_grow(0);
  const auto id = asyncload_http_request_buffer(c.http, url("/drip?bytes=2000&chunks=2&interval_ms=100").c_str(), "GET",
                                                nullptr, 0, buffer, nullptr);
  asyncload_buffer_destroy(buffer);
  const capi_event& e = c.run(id);
  CHECK(e.status == 0);  // the exchange completed; there was nowhere to put the body
}

TEST_CASE("cancel gives one -3 event and nothing else, a second cancel gives 0") {
  Client c;
  const auto id = asyncload_http_get(c.http, url("/hang").c_str(), nullptr);
  REQUIRE(id >= 0);
  capi_frame(&c.log, 0);
  CHECK(asyncload_http_cancel(c.http, id) == 1);
  CHECK(asyncload_http_cancel(c.http, id) == 0);
  CHECK(asyncload_http_cancel(c.http, id + 1000) == 0);  // an id nobody got
  CHECK(asyncload_http_cancel(nullptr, id) == -1);
  const capi_event& e = c.run(id);
  CHECK(e.status == ASYNCLOAD_STATUS_CANCELLED);
  CHECK(e.http_status == 0);
  CHECK_FALSE(std::string(e.error).empty());
  CHECK(json_of(e).at("error").as_string() == e.error);
  capi_run_for(&c.log, 200);
  CHECK(capi_count(&c.log, id, 0) == 1);
  CHECK(asyncload_http_cancel(c.http, id) == 0);  // delivered: gone
  CHECK(asyncload_in_flight(c.http) == 0);
}

TEST_CASE("connect timeout and crossorigin set and get") {
  Client c;
  CHECK(asyncload_http_get_connect_timeout(c.http) == 60000);
  asyncload_http_set_connect_timeout(c.http, 1234);
  CHECK(asyncload_http_get_connect_timeout(c.http) == 1234);
  asyncload_http_set_connect_timeout(c.http, 0);
  CHECK(asyncload_http_get_connect_timeout(c.http) == 0);
  asyncload_http_set_connect_timeout(c.http, -5);
  CHECK(asyncload_http_get_connect_timeout(c.http) == 0);  // unchanged
  CHECK(c.error().find("negative") != std::string::npos);
  CHECK(asyncload_http_get_connect_timeout(nullptr) == -1);

  CHECK(std::string(asyncload_http_get_request_crossorigin(c.http)) == "anonymous");
  asyncload_http_set_request_crossorigin(c.http, "use-credentials");
  CHECK(std::string(asyncload_http_get_request_crossorigin(c.http)) == "use-credentials");
  asyncload_http_set_request_crossorigin(c.http, "everyone");
  CHECK(std::string(asyncload_http_get_request_crossorigin(c.http)) == "use-credentials");  // unchanged
  CHECK(c.error().find("everyone") != std::string::npos);
  asyncload_http_set_request_crossorigin(c.http, nullptr);
  CHECK(c.error().find("NULL") != std::string::npos);
  CHECK(asyncload_http_get_request_crossorigin(nullptr) == nullptr);
  // Requests still go with the new settings.
  const capi_event& e = c.run(asyncload_http_get(c.http, url("/bytes/10").c_str(), nullptr));
  CHECK(e.status == 0);
}

TEST_CASE("per-request options - a total timeout ends with -2, a body limit with -5, unset keeps the http's") {
  Client c;
  asyncload_request_options options;
  asyncload_request_options_init(&options);
  CHECK(options.connect_timeout_ms < 0);
  CHECK(options.stall_timeout_ms < 0);
  CHECK(options.total_timeout_ms < 0);
  CHECK(options.max_body_bytes < 0);
  CHECK(options.resume == 0);

  options.total_timeout_ms = 300;
  const capi_event& timed_out = c.run(asyncload_http_get(c.http, url("/hang").c_str(), &options));
  CHECK(timed_out.status == ASYNCLOAD_STATUS_TIMEOUT);
  CHECK_FALSE(std::string(timed_out.error).empty());

  asyncload_request_options_init(&options);
  options.max_body_bytes = 100;
  const capi_event& too_large = c.run(asyncload_http_get(c.http, url("/bytes/1000").c_str(), &options));
  CHECK(too_large.status == ASYNCLOAD_STATUS_TOO_LARGE);

  // All unset: the http's settings (no total timeout) let a 400 ms answer through.
  asyncload_request_options_init(&options);
  const capi_event& delayed = c.run(asyncload_http_get(c.http, url("/delay/400").c_str(), &options));
  CHECK(delayed.status == 0);
  CHECK(result(delayed) == "delayed");
}

TEST_CASE("per-request resume continues an interrupted http_get_file with a Range") {
  asyncload_options options;
  asyncload_options_init(&options);
  options.web_piece_bytes = 4096;  // the browser fetches in pieces: the cut falls in the third
  Client c(&options);
  REQUIRE(asyncload_has_capability(c.http, "resume_downloads") == 1);
  asyncload::test::TempDir dir;
  const std::string target = (dir / "pack.bin").string();
  REQUIRE(c.run(asyncload_http_get(c.http, url("/resumable-set/capi-pack?bytes=20000&cut=10000").c_str(), nullptr)).status == 0);
  const std::string file = url("/resumable/capi-pack");
  asyncload_request_options resume;
  asyncload_request_options_init(&resume);
  resume.resume = 1;
  const capi_event& cut = c.run(asyncload_http_get_file(c.http, file.c_str(), target.c_str(), &resume));
  CHECK(cut.status == ASYNCLOAD_STATUS_NETWORK_ERROR);  // the server closed at byte 10000
  const capi_event& rest = c.run(asyncload_http_get_file(c.http, file.c_str(), target.c_str(), &resume));
  REQUIRE(rest.status == 0);
  CHECK(asyncload::test::read_file(target) == asyncload::test::expected_resumable_bytes(1, 0, 20000));
  const capi_event& log = c.run(asyncload_http_get(c.http, url("/resumable-log/capi-pack").c_str(), nullptr));
  const boost::json::value requests = boost::json::parse(result(log));
  REQUIRE(requests.as_array().size() >= 2);
  // Only the first download started at byte 0: the second went on from what the first kept.
  int from_zero = 0;
  for (const auto& request : requests.as_array()) {
    const std::string range(request.as_object().at("range").as_string());
    if (range.empty() || range.rfind("bytes=0-", 0) == 0) ++from_zero;
  }
  CHECK(from_zero == 1);
#if !defined(__EMSCRIPTEN__)
  CHECK(requests.as_array().size() == 2);
  CHECK(requests.as_array().back().as_object().at("range").as_string() == "bytes=10000-");  // where the cut left it
#endif
}

TEST_CASE("the http's own options apply - total timeout, body limit, user agent") {
  asyncload_options options;
  asyncload_options_init(&options);
  CHECK(options.connect_timeout_ms == 60000);
  CHECK(options.max_redirects == 10);
  CHECK(options.max_body_bytes == 256u << 20);
  CHECK(options.progress_events == 1);
  CHECK(options.file_root == nullptr);
  options.total_timeout_ms = 300;
  options.max_body_bytes = 500;
  options.user_agent = "capi-test/2";
  Client c(&options);
  const capi_event& timed_out = c.run(asyncload_http_get(c.http, url("/hang").c_str(), nullptr));
  CHECK(timed_out.status == ASYNCLOAD_STATUS_TIMEOUT);
  const capi_event& too_large = c.run(asyncload_http_get(c.http, url("/bytes/1000").c_str(), nullptr));
  CHECK(too_large.status == ASYNCLOAD_STATUS_TOO_LARGE);
  asyncload_request_options unlimited;  // the echo is over 500 bytes (a browser sends many headers)
  asyncload_request_options_init(&unlimited);
  unlimited.max_body_bytes = 0;  // this request's own limit beats the http's
  const capi_event& echo = c.run(asyncload_http_get(c.http, url("/echo").c_str(), &unlimited));
  REQUIRE(echo.status == 0);
  if (asyncload_has_capability(c.http, "relative_urls") == 0)  // natively: the browser sets its own
    CHECK(parse_object(result(echo)).at("headers").as_object().at("user-agent").as_string() == "capi-test/2");
}

TEST_CASE("refusals return -1 with a reason and queue no event") {
  Client c;
  const std::string good = url("/bytes/10");
  auto refused = [&](asyncload_request_id id, std::string_view words) {
    CHECK(id == -1);
    INFO("last_error: " << c.error());
    CHECK(c.error().find(words) != std::string::npos);
  };
  refused(asyncload_http_get(c.http, "ftp://example.com/file", nullptr), "ftp");
  const asyncload_header injected[] = {{"X-Ok", "fine"}, {"X-Bad", "a\r\nX-Injected: yes"}};
  refused(asyncload_http_request(c.http, good.c_str(), "GET", injected, 2, nullptr, 0, nullptr), "X-Bad");
  const asyncload_header newline_name[] = {{"X-Bad\nName", "v"}};
  refused(asyncload_http_request(c.http, good.c_str(), "GET", newline_name, 1, nullptr, 0, nullptr), "header");
  refused(asyncload_http_get(c.http, nullptr, nullptr), "url is NULL");
  refused(asyncload_http_get_file(c.http, good.c_str(), nullptr, nullptr), "local_target is NULL");
  refused(asyncload_http_post_string(c.http, good.c_str(), nullptr, 5, nullptr), "body is NULL");
  refused(asyncload_http_request(c.http, good.c_str(), nullptr, nullptr, 0, nullptr, 0, nullptr), "method is NULL");
  refused(asyncload_http_request(c.http, good.c_str(), "GET", nullptr, 2, nullptr, 0, nullptr), "headers is NULL");
  const asyncload_header null_value[] = {{"X-A", "a"}, {"X-B", nullptr}};
  refused(asyncload_http_request(c.http, good.c_str(), "GET", null_value, 2, nullptr, 0, nullptr), "headers[1] has a NULL value");
  refused(asyncload_http_request(c.http, good.c_str(), "BAD METHOD", nullptr, 0, nullptr, 0, nullptr), "method");
  refused(asyncload_http_request_buffer(c.http, good.c_str(), "GET", nullptr, 0, nullptr, nullptr), "buffer is NULL");
  CHECK(asyncload_in_flight(c.http) == 0);

  // Without an http the reason goes to asyncload_last_error(NULL).
  CHECK(asyncload_http_get(nullptr, good.c_str(), nullptr) == -1);
  CHECK(std::string(asyncload_last_error(nullptr)).find("asyncload_http_get: http is NULL") != std::string::npos);
  CHECK(asyncload_http_request(nullptr, good.c_str(), "GET", nullptr, 0, nullptr, 0, nullptr) == -1);
  CHECK(asyncload_dispatch(nullptr, capi_record, &c.log) == 0);
  CHECK(asyncload_wait(nullptr, 0) == -1);
  CHECK(asyncload_in_flight(nullptr) == 0);
  // A NULL callback delivers nothing and says so.
  CHECK(asyncload_dispatch(c.http, nullptr, nullptr) == 0);
  CHECK(c.error().find("callback is NULL") != std::string::npos);

  capi_run_for(&c.log, 200);
  CHECK(c.log.count == 0);  // no event for any refused call
  // The http still works, and a good call leaves the last reason alone.
  const capi_event& e = c.run(asyncload_http_get(c.http, good.c_str(), nullptr));
  CHECK(e.status == 0);
  CHECK(c.error().find("callback is NULL") != std::string::npos);
}

TEST_CASE("create refuses bad options with a reason and takes NULL for the defaults") {
  asyncload_options options;
  asyncload_options_init(&options);
  options.stall_timeout_ms = -1;
  CHECK(asyncload_create(&options) == nullptr);
  CHECK(std::string(asyncload_last_error(nullptr)).find("stall_timeout_ms") != std::string::npos);
  asyncload_options_init(&options);
  options.connect_timeout_ms = -100;
  CHECK(asyncload_create(&options) == nullptr);
  CHECK(std::string(asyncload_last_error(nullptr)).find("connect_timeout_ms is -100") != std::string::npos);
  asyncload_options_init(&options);
  options.max_redirects = -3;
  CHECK(asyncload_create(&options) == nullptr);
  CHECK(std::string(asyncload_last_error(nullptr)).find("max_redirects") != std::string::npos);
  asyncload_destroy(nullptr);  // fine

  asyncload_http* http = asyncload_create(nullptr);
  REQUIRE(http != nullptr);
  CHECK(asyncload_http_get_connect_timeout(http) == 60000);
  CHECK(std::string(asyncload_last_error(http)).empty());
  CHECK(asyncload_files_ready(http) == 1);  // no persistent_root
  asyncload_destroy(http);
}

TEST_CASE("capabilities and the backend's name") {
  Client c;
#if defined(__EMSCRIPTEN__)
  CHECK(std::string(asyncload_backend_name(c.http)) == "emscripten_fetch");
  CHECK(asyncload_has_capability(c.http, "connect_timeout") == 0);
  CHECK(asyncload_has_capability(c.http, "blocking_wait") == 0);
  CHECK(asyncload_has_capability(c.http, "relative_urls") == 1);
#else
  CHECK(std::string(asyncload_backend_name(c.http)) == "curl");
  CHECK(asyncload_has_capability(c.http, "connect_timeout") == 1);
  CHECK(asyncload_has_capability(c.http, "blocking_wait") == 1);
  CHECK(asyncload_has_capability(c.http, "relative_urls") == 0);
#endif
  for (const char* always : {"progress_events", "response_headers", "cancel", "total_timeout", "file_download"})
    CHECK_MESSAGE(asyncload_has_capability(c.http, always) == 1, always);
  CHECK(asyncload_has_capability(c.http, "teleportation") == -1);
  CHECK(asyncload_has_capability(c.http, nullptr) == -1);
  CHECK(asyncload_has_capability(nullptr, "cancel") == -1);
  CHECK(asyncload_backend_name(nullptr) == nullptr);
}

TEST_CASE("destroy with requests in flight - no callback afterwards, no file left behind") {
  asyncload::test::TempDir dir;
  const std::string target = (dir / "big.bin").string();
  {
    Client c;
    const auto file = asyncload_http_get_file(c.http, url("/drip?bytes=100000&chunks=50&interval_ms=50").c_str(),
                                              target.c_str(), nullptr);
    const auto hang = asyncload_http_get(c.http, url("/hang").c_str(), nullptr);
    const auto done = asyncload_http_get(c.http, url("/bytes/10").c_str(), nullptr);
    REQUIRE(file >= 0);
    REQUIRE(hang >= 0);
    REQUIRE(done >= 0);
    // Frames until the file download is under way; /bytes/10's final may or may not be out yet.
    for (int frame = 0; frame < 2000 && capi_count(&c.log, file, 0) == 0; ++frame) {
      capi_frame(&c.log, 0);
      capi_between_frames(c.http, 16);
    }
    REQUIRE(capi_count(&c.log, file, 0) >= 1);  // progress of the file: it is running
    const std::size_t recorded = c.log.count;
    asyncload_destroy(c.http);  // with events possibly ready and not dispatched
    c.http = nullptr;           // ~Client destroys NULL: fine
    CHECK(c.log.count == recorded);
    CHECK(capi_count(&c.log, file, 1) == 0);
    CHECK(capi_count(&c.log, hang, 1) == 0);
  }
  CHECK(asyncload::test::list_tree(dir.path()).empty());  // no target, no temporary file
}

TEST_CASE("a callback that starts a request from inside the callback (C)") {
  const char* failed = capi_scenario_request_from_callback(asyncload::test::server_url().c_str());
  CHECK_MESSAGE(failed == nullptr, (failed ? failed : ""));
}

TEST_CASE("one GET from a C game loop (C)") {
  const char* failed = capi_scenario_hello(asyncload::test::server_url().c_str());
  CHECK_MESSAGE(failed == nullptr, (failed ? failed : ""));
}

TEST_CASE("dispatch_limited delivers at most max_events per frame, the rest later") {
  Client c;
  asyncload_request_id ids[3];
  for (auto& id : ids) {
    id = asyncload_http_get(c.http, url("/hang").c_str(), nullptr);
    REQUIRE(id >= 0);
  }
  // Three cancels: three final events ready at once, before any dispatch.
  for (auto id : ids) CHECK(asyncload_http_cancel(c.http, id) == 1);
  CHECK(asyncload_wait(c.http, 0) == 1);
  CHECK(asyncload_dispatch_limited(c.http, capi_record, &c.log, 1, 0) == 1);
  CHECK(asyncload_dispatch_limited(c.http, capi_record, &c.log, 1, 0) == 1);
  CHECK(asyncload_dispatch_limited(c.http, capi_record, &c.log, 5, 0) == 1);
  CHECK(asyncload_dispatch_limited(c.http, capi_record, &c.log, 5, 0) == 0);
  REQUIRE(c.log.count == 3);
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(c.log.events[i].id == ids[i]);  // in call order
    CHECK(c.log.events[i].status == ASYNCLOAD_STATUS_CANCELLED);
  }
  CHECK(asyncload_in_flight(c.http) == 0);
}

TEST_CASE("a C++ callback that throws does not cross the boundary") {
  Client c;
  asyncload_request_id ids[2];
  for (auto& id : ids) {
    id = asyncload_http_get(c.http, url("/hang").c_str(), nullptr);
    REQUIRE(id >= 0);
    CHECK(asyncload_http_cancel(c.http, id) == 1);  // two final events, ready now
  }
  asyncload_request_id thrown_on = -1;
  auto throwing = [](const asyncload_event* event, void* user_data) {
    *static_cast<asyncload_request_id*>(user_data) = asyncload_event_id(event);
    throw std::runtime_error("the game's handler failed");
  };
  CHECK(asyncload_dispatch(c.http, throwing, &thrown_on) == 1);  // that event counts as delivered
  CHECK(thrown_on == ids[0]);
  CHECK(c.error().find("the callback threw") != std::string::npos);
  CHECK(c.error().find("the game's handler failed") != std::string::npos);
  // The other one waited for the next dispatch.
  CHECK(asyncload_dispatch(c.http, capi_record, &c.log) == 1);
  REQUIRE(c.log.count == 1);
  CHECK(c.log.events[0].id == ids[1]);
  CHECK(asyncload_in_flight(c.http) == 0);
}

}  // TEST_SUITE
