// Conformance: request bodies and headers (check 10), methods and refused calls (check 11).
#include "support/game_loop.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace asyncload;
using namespace asyncload::test;

namespace {

boost::json::object echo_headers(const boost::json::object& echo) {
  auto it = echo.find("headers");
  REQUIRE_MESSAGE((it != echo.end() && it->value().is_object()), "echo has no headers object");
  return it->value().as_object();
}

// Runs one request to completion and returns /echo's answer.
boost::json::object echo_of(Http& http, RequestId id) {
  REQUIRE(id >= 0);
  Frames frames = run_until_final(http, {id});
  const auto e = frames.final_event(id);
  INFO(describe(e));
  REQUIRE(e.status() == Status::complete);
  REQUIRE(e.http_status() == 200);
  return parse_object(e.result());
}

// A refused call: -1, a reason, and no event at all afterwards.
void check_refused(Http& http, RequestId id, const std::string& what) {
  INFO(what);
  CHECK(id == -1);
  CHECK_FALSE(http.last_error().empty());
}

void check_no_events(Http& http) {
  Frames frames;
  run_for(http, frames, 150ms);
  CHECK_MESSAGE(frames.events.empty(),
                "a refused call produced an event: " << describe(frames.events.front()));
  CHECK(http.in_flight() == 0);
}

}  // namespace

TEST_SUITE("conformance.methods") {

TEST_CASE("10. http_post_string sends the body verbatim with the form content type") {
  Http http;
  const std::string body = "name=J%C3%BCrgen&score=42&note=a+b%26c&raw=caf\xc3\xa9 x=y";
  auto echo = echo_of(http, http.http_post_string(url("/echo"), body));
  CHECK(json_string(echo, "method") == "POST");
  CHECK(json_string(echo, "body") == body);
  CHECK(echo.at("body_length").to_number<std::int64_t>() == static_cast<std::int64_t>(body.size()));
  auto headers = echo_headers(echo);
  CHECK(json_string(headers, "content-type") == "application/x-www-form-urlencoded");
  CHECK(json_string(headers, "content-length") == std::to_string(body.size()));
}

TEST_CASE("10. http_post_string with an empty body still POSTs") {
  Http http;
  auto echo = echo_of(http, http.http_post_string(url("/echo"), ""));
  CHECK(json_string(echo, "method") == "POST");
  CHECK(json_string(echo, "body") == "");
}

TEST_CASE("10. http_request sends every header given, a given Content-Type wins") {
  Http http;
  Headers headers = {{"X-Game", "asyncload"},
                     {"X-Empty-Ish", "a b  c"},
                     {"Authorization", "Bearer abc.def"},
                     {"Content-Type", "application/json"},
                     {"X-Colon", "k: v"}};
  const std::string body = R"({"score":42})";
  auto echo = echo_of(http, http.http_request(url("/echo"), "POST", headers, body));
  CHECK(json_string(echo, "method") == "POST");
  CHECK(json_string(echo, "body") == body);
  auto got = echo_headers(echo);
  CHECK(json_string(got, "x-game") == "asyncload");
  CHECK(json_string(got, "x-empty-ish") == "a b  c");
  CHECK(json_string(got, "authorization") == "Bearer abc.def");
  CHECK(json_string(got, "content-type") == "application/json");
  CHECK(json_string(got, "x-colon") == "k: v");
}

TEST_CASE("10. a Content-Type given to a form post through http_request wins too") {
  Http http;
  auto echo = echo_of(http, http.http_request(url("/echo"), "PUT", {{"content-type", "text/plain"}},
                                              "plain"));
  CHECK(json_string(echo_headers(echo), "content-type") == "text/plain");
  CHECK(json_string(echo, "method") == "PUT");
}

TEST_CASE("10. a header given twice is sent twice") {
  Http http;
  auto echo = echo_of(http, http.http_request(url("/echo"), "GET",
                                              {{"X-Twice", "one"}, {"X-Twice", "two"}}, ""));
  CHECK(json_string(echo_headers(echo), "x-twice") == "one, two");
}

TEST_CASE("10. a header with an empty value is sent (not dropped)") {
  Http http;
  auto echo = echo_of(http, http.http_request(url("/echo"), "GET", {{"X-Empty", ""}, {"X-After", "1"}}, ""));
  auto got = echo_headers(echo);
  CHECK(got.contains("x-empty"));
  CHECK(json_string(got, "x-empty") == "");
  CHECK(json_string(got, "x-after") == "1");
}

TEST_CASE("10. a given Accept replaces the default one") {
  Http http;
  auto echo = echo_of(http, http.http_request(url("/echo"), "GET", {{"Accept", "application/json"}}, ""));
  CHECK(json_string(echo_headers(echo), "accept") == "application/json");
}

TEST_CASE("10. the default User-Agent is asyncload/<version>, Options::user_agent replaces it") {
  Http probe;
  if (probe.capabilities().backend != "curl") return;  // browsers send their own
  auto echo = echo_of(probe, probe.http_get(url("/echo")));
  CHECK(json_string(echo_headers(echo), "user-agent") == "asyncload/" + std::string(asyncload::version));
  Options options;
  options.user_agent = "mygame/2.1";
  Http http(options);
  echo = echo_of(http, http.http_get(url("/echo")));
  CHECK(json_string(echo_headers(echo), "user-agent") == "mygame/2.1");
}

// The defaults travel in the request's header list (native/curl_transfer.hpp): a caller's own
// header of that name is sent instead, once, never beside the default.
TEST_CASE("10. a given User-Agent or Accept-Encoding replaces the default one") {
  Http http;
  if (http.capabilities().backend != "curl") return;  // browsers forbid both
  const std::string agent = "asyncload/" + std::string(asyncload::version);
  auto echo = echo_of(http, http.http_get(url("/echo")));
  const std::string codings = json_string(echo_headers(echo), "accept-encoding");
  CHECK(codings.starts_with("gzip, deflate"));  // and br, zstd where this build decodes them
  echo = echo_of(http, http.http_request(url("/echo"), "GET", {{"User-Agent", "mygame/3"}}, ""));
  CHECK(json_string(echo_headers(echo), "user-agent") == "mygame/3");
  echo = echo_of(http, http.http_request(url("/echo"), "GET", {{"Accept-Encoding", "gzip"}}, ""));
  CHECK(json_string(echo_headers(echo), "accept-encoding") == "gzip");
  CHECK(json_string(echo_headers(echo), "user-agent") == agent);
  // A POST builds a list of its own: the defaults are in it, once.
  echo = echo_of(http, http.http_post_string(url("/echo"), "a=1"));
  CHECK(json_string(echo_headers(echo), "user-agent") == agent);
  CHECK(json_string(echo_headers(echo), "accept-encoding") == codings);
}

TEST_CASE("10. a large body (8 MB) arrives intact") {
  Http http;
  std::string body;
  body.reserve(8'000'000);
  for (int i = 0; body.size() < 8'000'000; ++i) body += "field" + std::to_string(i) + "=value&";
  auto id = http.http_request(url("/echo/raw"), "POST", {{"Content-Type", "text/plain"}}, body);
  REQUIRE(id >= 0);
  Frames frames = run_until_final(http, {id}, {.timeout = 60s});
  const auto e = frames.final_event(id);
  CHECK(e.status() == Status::complete);
  CHECK(e.http_status() == 200);
  CHECK(e.result().size() == body.size());
  CHECK(e.result() == body);
}

// Under Wine curl's wait for a full socket to drain never woke (README "Windows"): this upload
// hung for good once the server paused.
TEST_CASE("10. a large upload goes on after the server stopped reading for a while") {
  Http http;
  const std::string body = expected_bytes(0, 4'000'000);
  // 4 MB is far more than the sockets' buffers hold: the client must wait for its socket to drain.
  auto id = http.http_request(url("/echo/raw?read_pause_ms=1500"), "POST", {}, body);
  REQUIRE(id >= 0);
  Frames frames = run_until_final(http, {id}, {.timeout = 30s});
  const auto e = frames.final_event(id);
  INFO(describe(e));
  CHECK(e.status() == Status::complete);
  CHECK(e.result().size() == body.size());
  CHECK(e.result() == body);
}

TEST_CASE("11. a custom token method is sent as given") {
  Http http;
  auto echo = echo_of(http, http.http_request(url("/echo"), "PROPFIND", {{"Depth", "1"}}, "<x/>"));
  CHECK(json_string(echo, "method") == "PROPFIND");
  CHECK(json_string(echo, "body") == "<x/>");
}

TEST_CASE("11. GET, POST, PUT, PATCH, DELETE, OPTIONS reach the server as given") {
  Http http;
  for (const char* method : {"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}) {
    CAPTURE(method);
    const std::string body = std::string(method) == "GET" ? "" : std::string("body of ") + method;
    auto echo = echo_of(http, http.http_request(url("/echo"), method, {}, body));
    CHECK(json_string(echo, "method") == method);
    CHECK(json_string(echo, "path") == "/echo");
    CHECK(json_string(echo, "body") == body);
  }
}

TEST_CASE("11. HEAD: status 0, http_status 200, no body, headers kept") {
  Http http;
  auto id = http.http_request(url("/bytes/1234"), "HEAD", {}, "");
  REQUIRE(id >= 0);
  Frames frames = run_until_final(http, {id}, {.timeout = 10s});
  const auto e = frames.final_event(id);
  INFO(describe(e));
  CHECK(e.status() == Status::complete);
  CHECK(e.http_status() == 200);
  CHECK(e.result() == "");
  if (http.capabilities().response_headers) CHECK(e.header("content-length") == "1234");
}

TEST_CASE("11. an invalid method is refused with -1, a reason, and no event") {
  Http http;
  const std::vector<std::string> methods = {"GE T", "", "G\r\nX", "GET\n", "G(E)T", "G:T",
                                            std::string("G\0T", 3)};
  for (const auto& method : methods) {
    check_refused(http, http.http_request(url("/echo"), method, {}, ""), "method '" + method + "'");
  }
  check_no_events(http);
}

TEST_CASE("11. an invalid URL is refused with -1, a reason, and no event") {
  Http http;
  const std::vector<std::string> urls = {"",
                                         "not a url",
                                         "ftp://x/",
                                         "javascript:alert(1)",
                                         "http://exa mple.com/",
                                         "file:///etc/passwd",
                                         "data:text/plain,hello",
                                         "http://",
                                         "http://127.0.0.1/\r\nX-Injected: 1",
                                         "http://" + std::string(70 * 1024, 'a') + ".com/"};
  for (const auto& u : urls) {
    const std::string shown = u.substr(0, 60);
    check_refused(http, http.http_get(u), "http_get '" + shown + "'");
    check_refused(http, http.http_post_string(u, "a=1"), "http_post_string '" + shown + "'");
    check_refused(http, http.http_request(u, "GET", {}, ""), "http_request '" + shown + "'");
  }
  check_no_events(http);
}

TEST_CASE("11. a URL over 64 KiB is refused, a long one under it is accepted") {
  Http http;
  check_refused(http, http.http_get(url("/echo?pad=" + std::string(65 * 1024, 'x'))), "long URL");
  check_no_events(http);
  auto id = http.http_get(url("/echo?pad=" + std::string(4000, 'x')));
  CHECK(id >= 0);
  Frames frames = run_until_final(http, {id});
  CHECK(frames.final_event(id).status() == Status::complete);
}

TEST_CASE("11. header names that are not tokens and values with CR/LF/NUL are refused") {
  Http http;
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"Bad Name", "v"},       {"Bad:Name", "v"},          {"", "v"},
      {"X\r\nY", "v"},         {"X-Ok", "a\r\nX-Injected: 1"}, {"X-Ok", "a\nb"},
      {"X-Ok", "a\rb"},        {"X-Ok", std::string("a\0b", 3)}, {"X(y)", "v"},
      {"X\"y", "v"},           {"X-Ok\x7f", "v"},          {"X\xc3\xa9", "v"}};
  for (const auto& [name, value] : bad) {
    check_refused(http, http.http_request(url("/echo"), "GET", {{"X-Good", "1"}, {name, value}}, ""),
                  "header '" + name + "': '" + value + "'");
  }
  check_no_events(http);
}

TEST_CASE("11. framing and hop-by-hop headers are refused on every backend") {
  // The library frames the request itself: a caller's Content-Length that disagrees with the
  // body would leave the rest of it on the connection as the start of another request.
  // Browsers forbid these headers too, so both backends refuse them alike.
  Http http;
  const std::vector<std::string> names = {"Content-Length", "transfer-encoding", "HOST", "Connection",
                                          "upgrade",        "TE",                "Trailer", "keep-alive"};
  for (const std::string& name : names) {
    check_refused(http, http.http_request(url("/echo"), "POST", {{"X-Good", "1"}, {name, "3"}}, "abcdef"),
                  "header '" + name + "'");
    CHECK(http.last_error().find(name) != std::string::npos);
  }
  check_no_events(http);
}

TEST_CASE("11. a refused call does not disturb the requests around it") {
  Http http;
  auto before = http.http_get(url("/bytes/10"));
  CHECK(http.http_get("not a url") == -1);
  auto after = http.http_get(url("/bytes/20"));
  CHECK(before >= 0);
  CHECK(after >= 0);
  CHECK(before != after);
  Frames frames = run_until_final(http, {before, after});
  run_for(http, frames, 100ms);
  CHECK(frames.final_count() == 2);
  for (const auto& e : frames.events) CHECK((e.id() == before || e.id() == after));
  CHECK(frames.final_event(before).result() == expected_bytes(0, 10));
  CHECK(frames.final_event(after).result() == expected_bytes(0, 20));
}

}  // TEST_SUITE
