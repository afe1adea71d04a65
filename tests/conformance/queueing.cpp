// Conformance: requests that wait for a connection. Timeouts count from when a request is really
// sent, not from the call: a request waiting behind Options::max_connections, or in the browser
// behind its per-origin connection limit (Capabilities::connections_per_host), has no timer
// running. Natively there is no per-origin limit: the 12 downloads run at once, and the scenarios
// about the queue itself wait behind Options::max_connections instead.
#include "support/game_loop.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

using namespace asyncload;
using namespace asyncload::test;

namespace {

// Twice the browsers' 6 connections per origin: two waves.
constexpr int steady_downloads = 12;

// The backend's own limit of requests at once to one origin (0: none).
std::size_t connections_per_host() { return Http().capabilities().connections_per_host; }

// `options` under which requests to one origin wait once `slots` of them run: the backend's
// per-origin limit where it has one (the browser's 6), else max_connections = 6.
struct Queueing {
  Options options;
  std::size_t slots = 0;
};
Queueing queueing(Options options = {}) {
  const std::size_t per_host = connections_per_host();
  if (per_host == 0) options.max_connections = 6;
  return {options, per_host > 0 ? std::min(per_host, options.max_connections) : options.max_connections};
}

// Distinct URLs: a browser's HTTP cache lets only one request for a URL wait for its response
// headers at a time, which would queue identical requests out of sight a second way.
std::string distinct(const std::string& path, int n) { return path + std::to_string(n); }

// Each of `ids` had one final event: complete, with `body`.
void check_all_complete(const Frames& frames, const std::vector<RequestId>& ids, const std::string& body) {
  for (auto id : ids) {
    frames.check_lifecycle(id);
    const auto e = frames.final_event(id);
    INFO(describe(e));
    CHECK(e.status() == Status::complete);
    CHECK(e.result() == body);
  }
}

}  // namespace

TEST_SUITE("conformance.queueing") {

TEST_CASE("6. stall timeout: 12 steady downloads to one origin all complete (the stall clock starts when each is sent)") {
  Options options;
  options.stall_timeout = 1500ms;
  Http http(options);
  if (!http.capabilities().stall_timeout) return;
  // 1200 bytes in 12 pieces 200 ms apart: ~2.2 s each, never 1.5 s silent once sent. A request
  // whose stall clock started at the call would fail while the first wave still runs.
  std::vector<RequestId> ids;
  for (int i = 0; i < steady_downloads; ++i)
    ids.push_back(http.http_get(url(distinct("/drip?bytes=1200&chunks=12&interval_ms=200&n=", i))));
  for (auto id : ids) REQUIRE(id >= 0);
  Frames frames = run_until_final(http, ids, {.timeout = 30s});
  check_all_complete(frames, ids, expected_bytes(0, 1200));
}

TEST_CASE("6. total timeout: 12 downloads to one origin all complete (the total clock starts when each is sent)") {
  Options options;
  options.total_timeout = 1500ms;
  Http http(options);
  if (!http.capabilities().total_timeout) return;
  std::vector<RequestId> ids;
  for (int i = 0; i < steady_downloads; ++i) ids.push_back(http.http_get(url(distinct("/delay/1000?n=", i))));
  Frames frames = run_until_final(http, ids, {.timeout = 30s});
  check_all_complete(frames, ids, "delayed");
}

TEST_CASE("6. stall and total clocks of requests waiting behind max_connections start when each is sent") {
  Options options;
  options.max_connections = 2;
  options.stall_timeout = 900ms;
  options.total_timeout = 1500ms;
  Http http(options);
  // 600 bytes in 6 pieces 200 ms apart, ~1 s each: the second pair waits 1 s for a connection.
  std::vector<RequestId> ids;
  for (int i = 0; i < 4; ++i)
    ids.push_back(http.http_get(url(distinct("/drip?bytes=600&chunks=6&interval_ms=200&n=", i))));
  Frames frames = run_until_final(http, ids, {.timeout = 30s});
  check_all_complete(frames, ids, expected_bytes(0, 600));
}

TEST_CASE("a request waiting for a connection can be cancelled: it leaves the queue and never starts") {
  const auto [options, slots] = queueing();
  Http http(options);
  std::vector<RequestId> hangs;
  for (std::size_t i = 0; i < slots; ++i) hangs.push_back(http.http_get(url("/hang")));
  // Both wait for a slot. Were the cancelled one left in the queue, it would take the slot the
  // cancelled hang frees below and hang there, and `queued` would never run.
  const RequestId cancelled_in_queue = http.http_get(url("/hang"));
  const RequestId queued = http.http_get(url("/bytes/20"));
  Frames frames;
  run_frames(http, frames, 3);
  CHECK_FALSE(frames.has_final(queued));
  CHECK(http.http_cancel(cancelled_in_queue));
  CHECK(http.http_cancel(hangs[0]));
  run_until_final(http, frames, {cancelled_in_queue, hangs[0], queued});
  CHECK(frames.final_event(cancelled_in_queue).status() == Status::cancelled);
  CHECK(frames.final_event(hangs[0]).status() == Status::cancelled);
  const auto e = frames.final_event(queued);
  INFO(describe(e));
  CHECK(e.status() == Status::complete);
  CHECK(e.result() == expected_bytes(0, 20));
  for (std::size_t i = 1; i < hangs.size(); ++i) CHECK(http.http_cancel(hangs[i]));
  run_until_final(http, frames, hangs);
  for (auto id : hangs) frames.check_lifecycle(id);
  for (auto id : {cancelled_in_queue, queued}) frames.check_lifecycle(id);
}

TEST_CASE("a busy origin does not hold back requests to another origin") {
  Http http;  // natively nothing waits here: no per-origin limit, max_connections 64
  const std::size_t per_host = connections_per_host();
  std::vector<RequestId> hangs;
  for (std::size_t i = 0; i < (per_host > 0 ? per_host : 6); ++i) hangs.push_back(http.http_get(url("/hang")));
  const RequestId waiting = http.http_get(url("/bytes/10"));  // behind the hangs in the browser
  const RequestId other = http.http_get(foreign_url() + "/cors/bytes/10");
  Frames frames = run_until_final(http, {other});
  const auto e = frames.final_event(other);
  INFO(describe(e));
  CHECK(e.status() == Status::complete);
  CHECK(e.result() == expected_bytes(0, 10));
  for (auto id : hangs) CHECK(http.http_cancel(id));
  run_until_final(http, frames, {waiting});
  CHECK(frames.final_event(waiting).status() == Status::complete);
}

TEST_CASE("destroying the Http with requests still waiting for a connection is clean") {
  const auto [options, slots] = queueing();
  {
    Http http(options);
    for (std::size_t i = 0; i < slots + 4; ++i) REQUIRE(http.http_get(url("/hang")) >= 0);
    Frames frames;
    run_frames(http, frames, 3);
    CHECK(frames.final_count() == 0);
    CHECK(http.in_flight() == slots + 4);
  }  // running and waiting requests alike go without an event (ASan: without touching freed memory)
  Http next;
  const RequestId id = next.http_get(url("/bytes/5"));
  Frames frames = run_until_final(next, {id});
  CHECK(frames.final_event(id).status() == Status::complete);
}

}  // TEST_SUITE
