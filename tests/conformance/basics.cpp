// Conformance: the basic event contract (checks 1-4 of gamemaker-http.md), gzip.
// Platform-neutral: runs natively and in the browser through tests/support/game_loop.hpp.
#include "support/game_loop.hpp"

#include <doctest/doctest.h>

#include <set>
#include <string>
#include <vector>

using namespace asyncload;
using namespace asyncload::test;

TEST_SUITE("conformance.basics") {

TEST_CASE("1. ids are non-negative and distinct, each request gets exactly one final event") {
  Http http;
  std::vector<RequestId> ids;
  std::vector<std::string> urls;
  for (int i = 0; i < 20; ++i) {
    urls.push_back(url("/bytes/" + std::to_string(100 + i)));
    ids.push_back(http.http_get(urls.back()));
  }
  std::set<RequestId> distinct;
  for (auto id : ids) {
    CHECK(id >= 0);
    distinct.insert(id);
  }
  CHECK(distinct.size() == ids.size());
  CHECK(http.in_flight() == ids.size());

  Frames frames = run_until_final(http, ids);
  run_for(http, frames, 200ms);  // nothing may follow the finals
  for (std::size_t i = 0; i < ids.size(); ++i) {
    frames.check_lifecycle(ids[i]);
    const auto& e = frames.final_event(ids[i]);
    CHECK(e.id() == ids[i]);
    CHECK(e.url() == urls[i]);
    CHECK(e.status() == Status::complete);
  }
  // No event for an id nobody asked for.
  for (const auto& e : frames.events) CHECK(distinct.count(e.id()) == 1);
  CHECK(frames.final_count() == ids.size());
  CHECK(http.in_flight() == 0);
}

TEST_CASE("1. ids stay distinct over the lifetime of one Http") {
  Http http;
  std::set<RequestId> seen;
  for (int round = 0; round < 3; ++round) {
    std::vector<RequestId> ids;
    for (int i = 0; i < 5; ++i) ids.push_back(http.http_get(url("/bytes/10")));
    for (auto id : ids) {
      CHECK(id >= 0);
      CHECK(seen.insert(id).second);
    }
    run_until_final(http, ids);
  }
}

TEST_CASE("2. a 200 with a body: status 0, http_status 200, result = body, url = requested") {
  Http http;
  const std::string requested = url("/bytes/5000");
  auto id = http.http_get(requested);
  REQUIRE(id >= 0);
  Frames frames = run_until_final(http, {id});
  const auto& e = frames.final_event(id);
  INFO(describe(e));
  CHECK(e.status() == Status::complete);
  CHECK(e.http_status() == 200);
  CHECK(e.url() == requested);
  CHECK(e.result().size() == 5000);
  CHECK(e.result() == expected_bytes(0, 5000));
  CHECK(e.error().empty());
  // The GameMaker keys are all there.
  const auto& map = e.map();
  for (const char* key : {"id", "status", "url", "http_status", "result", "response_headers"})
    CHECK_MESSAGE(map.contains(key), "missing async_load key " << key);
  CHECK(map.at("id").is_int64());
  CHECK(map.at("status").is_int64());
  CHECK(map.at("response_headers").is_object());
  if (http.capabilities().response_headers) CHECK(e.header("content-length") == "5000");
  frames.check_lifecycle(id);
}

TEST_CASE("2. a text body is delivered as sent, including multi-byte UTF-8 and NUL bytes") {
  Http http;
  const std::string body = std::string("caf\xc3\xa9 \xe2\x82\xac\n", 9) + std::string(1, '\0') + "tail";
  auto id = http.http_request(url("/echo/raw"), "POST", {}, body);
  REQUIRE(id >= 0);
  Frames frames = run_until_final(http, {id});
  const auto& e = frames.final_event(id);
  INFO(describe(e));
  CHECK(e.status() == Status::complete);
  CHECK(e.http_status() == 200);
  CHECK(e.result() == body);
}

TEST_CASE("2. the url is reported exactly as requested (query string kept)") {
  Http http;
  const std::string requested = url("/echo?b=2&a=1&x=%20y");
  auto id = http.http_get(requested);
  REQUIRE(id >= 0);
  Frames frames = run_until_final(http, {id});
  const auto& e = frames.final_event(id);
  CHECK(e.url() == requested);
  CHECK(e.status() == Status::complete);
  CHECK(e.http_status() == 200);
}

TEST_CASE("3. 204 No Content: status 0, http_status 204, result empty") {
  Http http;
  auto id = http.http_get(url("/status/204"));
  REQUIRE(id >= 0);
  Frames frames = run_until_final(http, {id});
  const auto& e = frames.final_event(id);
  INFO(describe(e));
  CHECK(e.status() == Status::complete);
  CHECK(e.http_status() == 204);
  CHECK(e.result() == "");
  CHECK(e.error().empty());
}

TEST_CASE("3. an empty 200: status 0 (not an error), result empty") {
  Http http;
  auto id = http.http_get(url("/bytes/0"));
  REQUIRE(id >= 0);
  Frames frames = run_until_final(http, {id});
  const auto& e = frames.final_event(id);
  INFO(describe(e));
  CHECK(e.status() == Status::complete);
  CHECK(e.http_status() == 200);
  CHECK(e.result() == "");
  CHECK(e.map().at("result").is_string());
}

TEST_CASE("4. 404 and 500 with a body: status 0, http_status set, result = body") {
  Http http;
  // /status/N answers N with the text body "status N".
  for (int code : {404, 500, 418, 503}) {
    CAPTURE(code);
    auto id = http.http_get(url("/status/" + std::to_string(code)));
    REQUIRE(id >= 0);
    Frames frames = run_until_final(http, {id});
    const auto& e = frames.final_event(id);
    INFO(describe(e));
    CHECK(e.status() == Status::complete);
    CHECK(e.http_status() == code);
    CHECK(e.error().empty());
    CHECK(e.result() == "status " + std::to_string(code));
    if (http.capabilities().response_headers && !e.header("content-length").empty())
      CHECK(e.header("content-length") == std::to_string(e.result().size()));
  }
}

TEST_CASE("4. a 404 for a missing path keeps the body") {
  Http http;
  auto id = http.http_get(url("/no/such/endpoint"));
  REQUIRE(id >= 0);
  Frames frames = run_until_final(http, {id});
  const auto& e = frames.final_event(id);
  INFO(describe(e));
  CHECK(e.status() == Status::complete);
  CHECK(e.http_status() == 404);
  CHECK(e.result() == "not found");
}

TEST_CASE("gzip-compressed responses are decoded transparently") {
  Http http;
  auto id = http.http_get(url("/gzip"));
  REQUIRE(id >= 0);
  Frames frames = run_until_final(http, {id});
  const auto& e = frames.final_event(id);
  INFO(describe(e));
  CHECK(e.status() == Status::complete);
  CHECK(e.http_status() == 200);
  const std::string text = expected_gzip_text();
  CHECK(e.result().size() == text.size());
  CHECK(e.result() == text);
  // The server compresses only when asked (Accept-Encoding): the decoding path was exercised.
  if (http.capabilities().response_headers) CHECK(e.header("content-encoding") == "gzip");
}

TEST_CASE("gzip: contentLength and sizeDownloaded count bytes as sent, so progress reaches 100%") {
  Http http;
  auto id = http.http_get(url("/gzip"));
  REQUIRE(id >= 0);
  Frames frames = run_until_final(http, {id});
  const auto e = frames.final_event(id);
  INFO(describe(e));
  REQUIRE(e.status() == Status::complete);
  const std::string text = expected_gzip_text();
  std::int64_t sent = -1;  // the compressed length the server announced
  if (http.capabilities().response_headers && !e.header("content-length").empty())
    sent = std::stoll(std::string(e.header("content-length")));
  CHECK(sent > 0);
  CHECK(sent < static_cast<std::int64_t>(text.size()));
  if (e.map().contains("contentLength")) CHECK(e.content_length() == sent);
  if (e.map().contains("sizeDownloaded")) CHECK(e.size_downloaded() == sent);
  for (const auto& p : frames.progress(id)) {
    INFO(describe(p));
    if (http.capabilities().backend == "emscripten_fetch") {
      // XHR reports a compressed body's progress in decoded bytes, with no total.
      CHECK(p.content_length() == -1);
      CHECK(p.size_downloaded() <= static_cast<std::int64_t>(text.size()));
    } else {
      CHECK(p.content_length() == sent);
      CHECK(p.size_downloaded() <= sent);
    }
  }
}

TEST_CASE("the final event of a download says how much arrived") {
  Http http;
  auto known = http.http_get(url("/bytes/4321"));
  auto chunked = http.http_get(url("/chunked/4321"));
  Frames frames = run_until_final(http, {known, chunked});
  const auto k = frames.final_event(known);
  INFO(describe(k));
  if (k.map().contains("contentLength")) CHECK(k.content_length() == 4321);
  if (k.map().contains("sizeDownloaded")) CHECK(k.size_downloaded() == 4321);
  const auto c = frames.final_event(chunked);
  INFO(describe(c));
  CHECK(c.result() == expected_bytes(0, 4321));
  if (c.map().contains("contentLength")) CHECK(c.content_length() == -1);
  if (c.map().contains("sizeDownloaded")) CHECK(c.size_downloaded() == 4321);
}

TEST_CASE("a URL fragment is not sent, and the url is still reported as requested") {
  Http http;
  const std::string requested = url("/echo?q=1#section-2");
  auto id = http.http_get(requested);
  REQUIRE(id >= 0);
  Frames frames = run_until_final(http, {id});
  const auto e = frames.final_event(id);
  INFO(describe(e));
  REQUIRE(e.status() == Status::complete);
  CHECK(e.url() == requested);
  CHECK(json_string(parse_object(e.result()), "path") == "/echo?q=1");
}

TEST_CASE("http_set_request_crossorigin / http_get_request_crossorigin") {
  Http http;
  CHECK(http.http_get_request_crossorigin() == "anonymous");
  http.http_set_request_crossorigin("use-credentials");
  CHECK(http.http_get_request_crossorigin() == "use-credentials");
  http.http_set_request_crossorigin("anonymous");
  CHECK(http.http_get_request_crossorigin() == "anonymous");
  auto id = http.http_get(url("/bytes/1"));
  Frames frames = run_until_final(http, {id});
  CHECK(frames.final_event(id).status() == Status::complete);
}

TEST_CASE("the binary response of a POST with a body is kept whole") {
  Http http;
  auto id = http.http_request(url("/bytes/3000"), "POST", {{"Content-Type", "text/plain"}}, "some body");
  REQUIRE(id >= 0);
  Frames frames = run_until_final(http, {id});
  const auto e = frames.final_event(id);
  CHECK(e.status() == Status::complete);
  CHECK(e.result() == expected_bytes(0, 3000));
}

TEST_CASE("an upper-case scheme and a URL without a path are accepted") {
  Http http;
  std::string upper = server_url();
  upper.replace(0, 4, "HTTP");
  auto a = http.http_get(upper + "/bytes/7");
  auto b = http.http_get(server_url());
  REQUIRE(a >= 0);
  REQUIRE(b >= 0);
  Frames frames = run_until_final(http, {a, b});
  CHECK(frames.final_event(a).status() == Status::complete);
  CHECK(frames.final_event(a).result() == expected_bytes(0, 7));
  CHECK(frames.final_event(a).url() == upper + "/bytes/7");
  CHECK(frames.final_event(b).status() == Status::complete);
  CHECK(frames.final_event(b).http_status() == 200);
}

TEST_CASE("in_flight() counts accepted requests until their final event is delivered") {
  Http http;
  CHECK(http.in_flight() == 0);
  auto a = http.http_get(url("/bytes/10"));
  auto b = http.http_get(url("/delay/100"));
  CHECK(http.in_flight() == 2);
  Frames frames = run_until_final(http, {a, b});
  CHECK(http.in_flight() == 0);
}

}  // TEST_SUITE
