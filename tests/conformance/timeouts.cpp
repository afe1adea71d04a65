// Conformance: timeouts (check 6). The connect timeout is only checked through its getter and
// setter here (no traffic may leave loopback); the faults suite tests its expiry.
#include "support/game_loop.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <string>

using namespace asyncload;
using namespace asyncload::test;

namespace {
using Clock = std::chrono::steady_clock;
long long ms_since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}
}  // namespace

TEST_SUITE("conformance.timeouts") {

TEST_CASE("6. http_set_connect_timeout / http_get_connect_timeout") {
  Http http;
  CHECK(http.http_get_connect_timeout() == 60000ms);  // GameMaker's default
  http.http_set_connect_timeout(1234ms);
  CHECK(http.http_get_connect_timeout() == 1234ms);
  // A request made after the change still works.
  auto id = http.http_get(url("/bytes/10"));
  REQUIRE(id >= 0);
  Frames frames = run_until_final(http, {id});
  CHECK(frames.final_event(id).status() == Status::complete);
  http.http_set_connect_timeout(60000ms);
  CHECK(http.http_get_connect_timeout() == 60000ms);

  Options options;
  options.connect_timeout = 2500ms;
  Http configured(options);
  CHECK(configured.http_get_connect_timeout() == 2500ms);
}

TEST_CASE("6. stall timeout: a response that stops sending fails with -2 after about the limit") {
  Options options;
  options.stall_timeout = 500ms;
  Http http(options);
  if (!http.capabilities().stall_timeout) {
    MESSAGE("backend " << http.capabilities().backend << " has no stall timeout: skipped");
    return;
  }
  const auto start = Clock::now();
  auto id = http.http_get(url("/hang"));
  REQUIRE(id >= 0);
  Frames frames = run_until_final(http, {id}, {.timeout = 15s});
  const auto elapsed = ms_since(start);
  frames.check_lifecycle(id);
  const auto& e = frames.final_event(id);
  INFO(describe(e) << " after " << elapsed << " ms");
  CHECK(e.status() == Status::timeout);
  CHECK_FALSE(e.error().empty());
  CHECK(e.result() == "");
  CHECK(elapsed >= 400);
  CHECK(elapsed < 5000);
}

TEST_CASE("6. stall timeout: a body that stops in the middle fails with -2") {
  Options options;
  options.stall_timeout = 500ms;
  Http http(options);
  if (!http.capabilities().stall_timeout) return;
  // The first half right after the headers, the second half 4 s later.
  auto id = http.http_get(url("/drip?bytes=1000&chunks=2&interval_ms=4000"));
  REQUIRE(id >= 0);
  const auto start = Clock::now();
  Frames frames = run_until_final(http, {id}, {.timeout = 15s});
  const auto elapsed = ms_since(start);
  frames.check_lifecycle(id);
  const auto e = frames.final_event(id);
  INFO(describe(e) << " after " << elapsed << " ms");
  CHECK(e.status() == Status::timeout);
  CHECK(e.result() == "");
  CHECK(elapsed < 3500);
}

TEST_CASE("6. stall timeout: a slow response that keeps sending does not trip it") {
  Options options;
  options.stall_timeout = 700ms;
  Http http(options);
  if (!http.capabilities().stall_timeout) {
    MESSAGE("backend " << http.capabilities().backend << " has no stall timeout: skipped");
    return;
  }
  // 12 pieces, one every 150 ms: ~1.8 s in all, far over the stall limit, never 700 ms silent.
  auto id = http.http_get(url("/drip?bytes=1200&chunks=12&interval_ms=150"));
  REQUIRE(id >= 0);
  Frames frames = run_until_final(http, {id}, {.timeout = 20s});
  frames.check_lifecycle(id);
  const auto& e = frames.final_event(id);
  INFO(describe(e));
  CHECK(e.status() == Status::complete);
  CHECK(e.http_status() == 200);
  CHECK(e.result().size() == 1200);
}

TEST_CASE("6. total timeout: a response slower than the limit fails with -2") {
  Options options;
  options.total_timeout = 500ms;
  Http http(options);
  if (!http.capabilities().total_timeout) {
    MESSAGE("backend " << http.capabilities().backend << " has no total timeout: skipped");
    return;
  }
  const auto start = Clock::now();
  auto slow = http.http_get(url("/delay/4000"));
  auto fast = http.http_get(url("/bytes/100"));
  REQUIRE(slow >= 0);
  Frames frames = run_until_final(http, {slow, fast}, {.timeout = 15s});
  const auto elapsed = ms_since(start);
  const auto& e = frames.final_event(slow);
  INFO(describe(e) << " after " << elapsed << " ms");
  CHECK(e.status() == Status::timeout);
  CHECK(e.http_status() == 0);
  CHECK_FALSE(e.error().empty());
  CHECK(elapsed >= 400);
  CHECK(elapsed < 3500);
  CHECK(frames.final_event(fast).status() == Status::complete);
}

TEST_CASE("6. total timeout also ends a response that keeps sending") {
  Options options;
  options.total_timeout = 600ms;
  Http http(options);
  if (!http.capabilities().total_timeout) {
    MESSAGE("backend " << http.capabilities().backend << " has no total timeout: skipped");
    return;
  }
  auto id = http.http_get(url("/drip?bytes=2000&chunks=20&interval_ms=150"));  // ~3 s
  REQUIRE(id >= 0);
  Frames frames = run_until_final(http, {id}, {.timeout = 15s});
  frames.check_lifecycle(id);
  const auto& e = frames.final_event(id);
  INFO(describe(e));
  CHECK(e.status() == Status::timeout);
}

TEST_CASE("6. RequestOptions: one request's total timeout and body limit, the Http's for the others") {
  Http http;  // no total timeout, no body limit
  if (!http.capabilities().total_timeout) {
    MESSAGE("backend " << http.capabilities().backend << " has no total timeout: skipped");
    return;
  }
  const auto start = Clock::now();
  auto slow = http.http_get(url("/delay/4000"), {.total_timeout = 500ms});
  auto capped = http.http_get(url("/bytes/2000"), {.max_body_bytes = 1000});
  auto plain = http.http_get(url("/bytes/2000"));
  REQUIRE(slow >= 0);
  REQUIRE(capped >= 0);
  REQUIRE(plain >= 0);
  Frames frames = run_until_final(http, {slow, capped, plain}, {.timeout = 15s});
  const auto elapsed = ms_since(start);
  const auto& e = frames.final_event(slow);
  INFO(describe(e) << " after " << elapsed << " ms");
  CHECK(e.status() == Status::timeout);
  CHECK(elapsed >= 400);
  CHECK(elapsed < 3500);
  CHECK(frames.final_event(capped).status() == Status::too_large);
  CHECK(frames.final_event(plain).status() == Status::complete);
  CHECK(frames.final_event(plain).result().size() == 2000);
}

}  // TEST_SUITE
