// Conformance: network failures (check 5) and the limits that end a transfer with an error.
#include "support/game_loop.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

using namespace asyncload;
using namespace asyncload::test;

TEST_SUITE("conformance.errors") {

TEST_CASE("5. a refused connection: one event, status < 0, http_status 0, error set, no hang") {
  Http http;
  const std::string requested = "http://127.0.0.1:1/";  // nothing listens on port 1 on loopback
  auto id = http.http_get(requested);
  REQUIRE(id >= 0);
  Frames frames = run_until_final(http, {id}, {.timeout = 20s});
  run_for(http, frames, 200ms);
  frames.check_lifecycle(id);
  const auto& e = frames.final_event(id);
  INFO(describe(e));
  CHECK(e.status() == Status::network_error);
  CHECK(e.http_status() == 0);
  CHECK(e.result() == "");
  CHECK_FALSE(e.error().empty());
  CHECK(e.url() == requested);
  CHECK(frames.of(id).size() == 1);
  CHECK(e.map().contains("response_headers"));
  CHECK(e.response_headers().empty());
}

TEST_CASE("5. an unknown host: one event, status < 0, http_status 0, error set, no hang") {
  Http http;
  const std::string requested = "http://no-such-host.invalid/";
  auto id = http.http_get(requested);
  REQUIRE(id >= 0);
  Frames frames = run_until_final(http, {id}, {.timeout = 60s});
  run_for(http, frames, 100ms);
  frames.check_lifecycle(id);
  const auto& e = frames.final_event(id);
  INFO(describe(e));
  CHECK(e.failed());
  CHECK(e.status() != Status::cancelled);
  CHECK(e.http_status() == 0);
  CHECK(e.result() == "");
  CHECK_FALSE(e.error().empty());
  CHECK(e.url() == requested);
}

TEST_CASE("5. a connection closed in the middle of the body: status -1, error set") {
  Http http;
  auto id = http.http_get(url("/close-mid-body?bytes=100000"));
  REQUIRE(id >= 0);
  Frames frames = run_until_final(http, {id});
  frames.check_lifecycle(id);
  const auto& e = frames.final_event(id);
  INFO(describe(e));
  CHECK(e.status() == Status::network_error);
  CHECK_FALSE(e.error().empty());
  CHECK(e.result() == "");  // a truncated body is not handed out as if it were the answer
}

TEST_CASE("a failed request among good ones fails alone") {
  Http http;
  auto good1 = http.http_get(url("/bytes/100"));
  auto bad = http.http_get("http://127.0.0.1:1/");
  auto good2 = http.http_get(url("/bytes/200"));
  Frames frames = run_until_final(http, {good1, bad, good2});
  CHECK(frames.final_event(good1).status() == Status::complete);
  CHECK(frames.final_event(good1).result() == expected_bytes(0, 100));
  CHECK(frames.final_event(bad).failed());
  CHECK(frames.final_event(good2).status() == Status::complete);
  CHECK(frames.final_event(good2).result() == expected_bytes(0, 200));
}

TEST_CASE("Options::max_body_bytes: a larger body ends with -5, a body within it completes") {
  Options options;
  options.max_body_bytes = 1000;
  Http http(options);
  auto over = http.http_get(url("/bytes/100000"));
  auto over_chunked = http.http_get(url("/chunked/100000"));
  auto exact = http.http_get(url("/bytes/1000"));
  REQUIRE(over >= 0);
  Frames frames = run_until_final(http, {over, over_chunked, exact});
  for (auto id : {over, over_chunked}) {
    const auto& e = frames.final_event(id);
    INFO(describe(e));
    CHECK(e.status() == Status::too_large);
    CHECK(e.result() == "");
    CHECK_FALSE(e.error().empty());
    frames.check_lifecycle(id);
  }
  const auto& ok = frames.final_event(exact);
  INFO(describe(ok));
  CHECK(ok.status() == Status::complete);
  CHECK(ok.result() == expected_bytes(0, 1000));
}

TEST_CASE("Options::max_body_bytes ends a larger body at once, not when the server is done sending it") {
  Options options;
  options.max_body_bytes = 1000;
  Http http(options);
  // 200,000 bytes over a minute. A backend that held the body until its end (the browser's XHR)
  // would fill memory with it and end only then; the loop below gives up after 20 s.
  auto id = http.http_get(url("/drip?bytes=200000&chunks=60&interval_ms=1000"));
  REQUIRE(id >= 0);
  Frames frames = run_until_final(http, {id}, {.timeout = 20s});
  frames.check_lifecycle(id);
  const auto e = frames.final_event(id);
  INFO(describe(e));
  CHECK(e.status() == Status::too_large);
  CHECK(e.result() == "");
  CHECK(e.error().find("max_body_bytes") != std::string::npos);
}

TEST_CASE("Options::max_body_bytes applies to buffer bodies too") {
  Options options;
  options.max_body_bytes = 1000;
  Http http(options);
  auto buffer = Buffer::make_grow(16);
  auto id = http.http_request(url("/bytes/100000"), "GET", {}, buffer);
  REQUIRE(id >= 0);
  Frames frames = run_until_final(http, {id});
  const auto e = frames.final_event(id);
  INFO(describe(e));
  CHECK(e.status() == Status::too_large);
  CHECK(buffer->tell() <= 1000);
}

TEST_CASE("-4: a file target that cannot be written") {
  Http http;
  if (!http.capabilities().file_download) return;
  TempDir dir;
  write_file(dir / "plain.txt", "a file, not a directory");
  // The parent "directory" is a regular file: the download cannot be written.
  auto id = http.http_get_file(url("/bytes/100"), (dir / "plain.txt/x.bin").string());
  if (id == -1) {
    CHECK_FALSE(http.last_error().empty());  // refusing at call time is fine too
    return;
  }
  Frames frames = run_until_final(http, {id});
  run_for(http, frames, 50ms);
  frames.check_lifecycle(id);
  const auto e = frames.final_event(id);
  INFO(describe(e));
  CHECK(e.status() == Status::file_error);
  CHECK_FALSE(e.error().empty());
  CHECK(e.result() == "");
  CHECK(read_file(dir / "plain.txt") == "a file, not a directory");
  CHECK(list_tree(dir.path()) == std::vector<std::string>{"plain.txt"});
}

TEST_CASE("a handler that throws: that event counts as delivered, the rest come next frame") {
  Options options;
  options.progress_events = false;
  Http http(options);
  std::vector<RequestId> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(http.http_get(url("/bytes/10")));
  Frames frames;
  int thrown = 0;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (frames.final_count() < ids.size()) {
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    try {
      http.dispatch([&](const AsyncLoad& e) {
        frames.events.push_back(e);
        frames.frame_of.push_back(frames.frames);
        if (thrown < 2) {
          ++thrown;
          throw std::runtime_error("game code failed");
        }
      });
    } catch (const std::runtime_error&) {
    }
    ++frames.frames;
    between_frames(http, 16ms);
  }
  run_for(http, frames, 100ms);
  CHECK(thrown == 2);
  for (auto id : ids) frames.check_lifecycle(id);
  CHECK(frames.final_count() == ids.size());
}

}  // TEST_SUITE
