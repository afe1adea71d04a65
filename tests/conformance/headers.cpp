// Conformance: response headers (check 9) and conditional requests (check 8).
#include "support/game_loop.hpp"

#include <doctest/doctest.h>

#include <cctype>
#include <string>

using namespace asyncload;
using namespace asyncload::test;

TEST_SUITE("conformance.headers") {

TEST_CASE("9. response header names are lower-case, values with ': ' are intact, repeats joined") {
  Http http;
  if (!http.capabilities().response_headers) {
    MESSAGE("backend " << http.capabilities().backend << " reports no response headers: skipped");
    return;
  }
  const std::string query = "/headers?X-Mixed-CASE-Name=Value%20Kept%20As%20Is"
                            "&X-Colon=" + url_encode("a: b: c") +
                            "&X-Repeated=one&X-Repeated=two&X-Repeated=three"
                            "&X-Url=" + url_encode("http://example.com:8080/x?y=z");
  auto id = http.http_get(url(query));
  REQUIRE(id >= 0);
  Frames frames = run_until_final(http, {id});
  const auto& e = frames.final_event(id);
  INFO(describe(e));
  REQUIRE(e.status() == Status::complete);
  CHECK(e.http_status() == 200);

  const auto& headers = e.response_headers();
  CHECK_FALSE(headers.empty());
  for (const auto& kv : headers) {
    const std::string name(kv.key());
    CAPTURE(name);
    bool lower = true;
    for (unsigned char c : name) lower = lower && !std::isupper(c);
    CHECK(lower);
    CHECK(kv.value().is_string());
  }
  CHECK(headers.contains("x-mixed-case-name"));
  CHECK_FALSE(headers.contains("X-Mixed-CASE-Name"));
  CHECK(e.header("x-mixed-case-name") == "Value Kept As Is");  // values keep their case
  CHECK(e.header("x-colon") == "a: b: c");
  CHECK(e.header("x-repeated") == "one, two, three");
  CHECK(e.header("x-url") == "http://example.com:8080/x?y=z");
  CHECK(e.header("content-type") != "");
  CHECK(e.header("x-not-sent") == "");
}

TEST_CASE("9. a large response header arrives whole") {
  Http http;
  if (!http.capabilities().response_headers) return;
  auto id = http.http_get(url("/large-header?bytes=16000"));
  REQUIRE(id >= 0);
  Frames frames = run_until_final(http, {id});
  const auto& e = frames.final_event(id);
  INFO(describe(e));
  CHECK(e.status() == Status::complete);
  CHECK(e.http_status() == 200);
  std::size_t longest = 0;
  for (const auto& kv : e.response_headers())
    if (kv.value().is_string()) longest = std::max(longest, kv.value().as_string().size());
  CHECK(longest >= 16000);
}

TEST_CASE("8. a conditional request answered 304: status 0, http_status 304, result empty") {
  Http http;
  // Unconditional first: 200 with the entity tag.
  auto first = http.http_get(url("/etag"));
  Frames frames = run_until_final(http, {first});
  const auto& e200 = frames.final_event(first);
  INFO(describe(e200));
  CHECK(e200.status() == Status::complete);
  CHECK(e200.http_status() == 200);
  CHECK_FALSE(e200.result().empty());
  if (http.capabilities().response_headers) CHECK(e200.header("etag") == "\"v1\"");

  auto second = http.http_request(url("/etag"), "GET", {{"If-None-Match", "\"v1\""}}, "");
  REQUIRE(second >= 0);
  run_until_final(http, frames, {second});
  const auto& e304 = frames.final_event(second);
  INFO(describe(e304));
  CHECK(e304.status() == Status::complete);
  CHECK(e304.http_status() == 304);
  CHECK(e304.result() == "");
  CHECK(e304.error().empty());
  if (http.capabilities().response_headers) CHECK(e304.header("etag") == "\"v1\"");

  // A tag that does not match gives the entity again.
  auto third = http.http_request(url("/etag"), "GET", {{"If-None-Match", "\"v0\""}}, "");
  run_until_final(http, frames, {third});
  CHECK(frames.final_event(third).http_status() == 200);
  CHECK(frames.final_event(third).result() == e200.result());
}

}  // TEST_SUITE

TEST_CASE("9. characters a browser percent-encodes in a URL are sent encoded, url stays as given") {
  Http http;
  const std::string requested = url("/echo/caf\xC3\xA9?json={\"a\":[1|2]}");
  auto id = http.http_get(requested);
  REQUIRE(id >= 0);
  Frames frames = run_until_final(http, {id});
  const auto e = frames.final_event(id);
  REQUIRE(e.status() == Status::complete);
  CHECK(e.url() == requested);
  CHECK(json_string(parse_object(e.result()), "path") ==
        "/echo/caf%C3%A9?json=%7B%22a%22:[1%7C2]%7D");
}

TEST_CASE("9. cookies set by a response are sent by later requests of the same Http") {
  Http http;
  auto set = http.http_get(url("/cookie/set?flavour=oat"));
  Frames frames = run_until_final(http, {set});
  REQUIRE(frames.final_event(set).status() == Status::complete);
  auto get = http.http_get(url("/cookie"));
  run_until_final(http, frames, {get});
  CHECK(frames.final_event(get).result() == "flavour=oat");

  if (http.capabilities().backend != "curl") return;  // a browser page has one jar for all
  Http other;  // natively, another Http has its own jar
  auto fresh = other.http_get(url("/cookie"));
  Frames other_frames = run_until_final(other, {fresh});
  CHECK(other_frames.final_event(fresh).result() == "");
}
