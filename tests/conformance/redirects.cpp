// Conformance: redirects (check 7).
#include "support/game_loop.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace asyncload;
using namespace asyncload::test;

namespace {
std::string redirect_to(std::string_view target, int code) {
  return url("/redirect-to?url=" + url_encode(target) + "&code=" + std::to_string(code));
}
}  // namespace

TEST_SUITE("conformance.redirects") {

TEST_CASE("7. 301/302/303/307/308 are followed, url stays the requested one") {
  Http http;
  for (int code : {301, 302, 303, 307, 308}) {
    CAPTURE(code);
    const std::string chain = url("/redirect/3?code=" + std::to_string(code));
    const std::string single = redirect_to("/bytes/64", code);
    auto a = http.http_get(chain);
    auto b = http.http_get(single);
    REQUIRE(a >= 0);
    REQUIRE(b >= 0);
    Frames frames = run_until_final(http, {a, b});
    const auto& ea = frames.final_event(a);
    INFO(describe(ea));
    CHECK(ea.status() == Status::complete);
    CHECK(ea.http_status() == 200);
    CHECK(ea.url() == chain);
    const auto& eb = frames.final_event(b);
    INFO(describe(eb));
    CHECK(eb.status() == Status::complete);
    CHECK(eb.http_status() == 200);
    CHECK(eb.url() == single);
    CHECK(eb.result() == expected_bytes(0, 64));
    frames.check_lifecycle(a);
    frames.check_lifecycle(b);
  }
}

TEST_CASE("7. the response headers are those of the final response") {
  Http http;
  if (!http.capabilities().response_headers) return;
  auto id = http.http_get(redirect_to("/headers?X-Final=yes", 302));
  Frames frames = run_until_final(http, {id});
  const auto& e = frames.final_event(id);
  INFO(describe(e));
  CHECK(e.http_status() == 200);
  CHECK(e.header("x-final") == "yes");
  CHECK(e.header("location") == "");
}

TEST_CASE("7. POST through 307 and 308 keeps the method and the body") {
  Http http;
  for (int code : {307, 308}) {
    CAPTURE(code);
    auto id = http.http_post_string(redirect_to("/echo", code), "name=ann&score=42");
    REQUIRE(id >= 0);
    Frames frames = run_until_final(http, {id});
    const auto& e = frames.final_event(id);
    INFO(describe(e));
    REQUIRE(e.status() == Status::complete);
    CHECK(e.http_status() == 200);
    auto echo = parse_object(e.result());
    CHECK(json_string(echo, "method") == "POST");
    CHECK(json_string(echo, "path") == "/echo");
    CHECK(json_string(echo, "body") == "name=ann&score=42");
  }
}

TEST_CASE("7. PUT, PATCH and DELETE through 307 and 308 keep the method and the body") {
  Http http;
  for (const char* method : {"PUT", "PATCH", "DELETE"}) {
    for (int code : {307, 308}) {
      CAPTURE(method);
      CAPTURE(code);
      auto id = http.http_request(redirect_to("/echo", code), method, {{"Content-Type", "text/plain"}},
                                  "payload");
      Frames frames = run_until_final(http, {id});
      const auto e = frames.final_event(id);
      INFO(describe(e));
      REQUIRE(e.status() == Status::complete);
      auto echo = parse_object(e.result());
      CHECK(json_string(echo, "method") == method);
      CHECK(json_string(echo, "body") == "payload");
    }
  }
}

TEST_CASE("7. any method but HEAD through 303 becomes a GET without a body (RFC 9110 15.4.4)") {
  Http http;
  for (const char* method : {"PUT", "PATCH", "DELETE"}) {
    CAPTURE(method);
    auto id = http.http_request(redirect_to("/echo", 303), method, {{"Content-Type", "text/plain"}},
                                "payload");
    Frames frames = run_until_final(http, {id});
    const auto e = frames.final_event(id);
    INFO(describe(e));
    REQUIRE(e.status() == Status::complete);
    auto echo = parse_object(e.result());
    CHECK(json_string(echo, "method") == "GET");
    CHECK(json_string(echo, "body") == "");
  }
}

TEST_CASE("7. PUT and DELETE through 301 and 302 keep their method (only POST becomes GET)") {
  Http http;
  for (const char* method : {"PUT", "DELETE"}) {
    for (int code : {301, 302}) {
      CAPTURE(method);
      CAPTURE(code);
      auto id = http.http_request(redirect_to("/echo", code), method, {}, "");
      Frames frames = run_until_final(http, {id});
      const auto e = frames.final_event(id);
      INFO(describe(e));
      REQUIRE(e.status() == Status::complete);
      CHECK(json_string(parse_object(e.result()), "method") == method);
    }
  }
}

TEST_CASE("7. POST through 301 and 302 becomes a GET (as browsers do)") {
  Http http;
  for (int code : {301, 302}) {
    CAPTURE(code);
    auto id = http.http_post_string(redirect_to("/echo", code), "a=1");
    Frames frames = run_until_final(http, {id});
    const auto e = frames.final_event(id);
    REQUIRE(e.status() == Status::complete);
    auto echo = parse_object(e.result());
    CHECK(json_string(echo, "method") == "GET");
    CHECK(json_string(echo, "body") == "");
  }
}

TEST_CASE("7. POST through 303 becomes a GET without a body") {
  Http http;
  auto id = http.http_post_string(redirect_to("/echo", 303), "name=ann");
  REQUIRE(id >= 0);
  Frames frames = run_until_final(http, {id});
  const auto& e = frames.final_event(id);
  INFO(describe(e));
  REQUIRE(e.status() == Status::complete);
  auto echo = parse_object(e.result());
  CHECK(json_string(echo, "method") == "GET");
  CHECK(json_string(echo, "body") == "");
}

TEST_CASE("7. a redirect to a non-http scheme is refused with status -1") {
  Http http;
  for (const char* target : {"file:///etc/passwd", "ftp://127.0.0.1/x", "gopher://127.0.0.1/",
                             "dict://127.0.0.1:1/x"}) {
    CAPTURE(target);
    auto id = http.http_get(redirect_to(target, 302));
    REQUIRE(id >= 0);
    Frames frames = run_until_final(http, {id});
    run_for(http, frames, 50ms);
    frames.check_lifecycle(id);
    const auto& e = frames.final_event(id);
    INFO(describe(e));
    CHECK(e.status() == Status::network_error);
    CHECK_FALSE(e.error().empty());
    CHECK(e.result().find("root:") == std::string_view::npos);
    CHECK(e.result() == "");
  }
}

TEST_CASE("7. a redirect loop ends with -1 after max_redirects") {
  Http http;
  auto id = http.http_get(url("/redirect-loop"));
  REQUIRE(id >= 0);
  Frames frames = run_until_final(http, {id});
  frames.check_lifecycle(id);
  const auto& e = frames.final_event(id);
  INFO(describe(e));
  CHECK(e.status() == Status::network_error);
  CHECK_FALSE(e.error().empty());
}

TEST_CASE("7. Options::max_redirects is the limit") {
  Options options;
  options.max_redirects = 2;
  Http http(options);
  auto within = http.http_get(url("/redirect/2"));
  auto over = http.http_get(url("/redirect/3"));
  Frames frames = run_until_final(http, {within, over});
  const auto& ok = frames.final_event(within);
  INFO(describe(ok));
  CHECK(ok.status() == Status::complete);
  CHECK(ok.http_status() == 200);
  const auto& bad = frames.final_event(over);
  INFO(describe(bad));
  if (http.capabilities().redirect_limit) {
    CHECK(bad.status() == Status::network_error);
  } else {  // the browser follows up to its own limit (20), whatever the option says
    CHECK(bad.status() == Status::complete);
    CHECK(bad.http_status() == 200);
  }
}

}  // TEST_SUITE
