// Conformance: cancel, handlers that start or cancel requests, and destroying the runtime with
// requests in flight (check 17).
#include "support/game_loop.hpp"

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

using namespace asyncload;
using namespace asyncload::test;

TEST_SUITE("conformance.lifecycle") {

TEST_CASE("17. destroying the Http with requests in flight: no crash, nothing leaks into a new one") {
  TempDir dir;
  int handler_calls_after = 0;
  {
    auto http = std::make_unique<Http>();
    std::vector<RequestId> ids;
    ids.push_back(http->http_get(url("/hang")));
    ids.push_back(http->http_get(url("/drip?bytes=100000&chunks=50&interval_ms=40")));
    ids.push_back(http->http_get(url("/bytes/30000000")));
    ids.push_back(http->http_post_string(url("/delay/300"), "a=1"));
    ids.push_back(http->http_request(url("/drip?bytes=100000&chunks=50&interval_ms=40"), "GET", {},
                                     Buffer::make_grow(1)));
    if (http->capabilities().file_download)
      ids.push_back(http->http_get_file(url("/drip?bytes=100000&chunks=50&interval_ms=40"),
                                        (dir / "partial.bin").string()));
    for (auto id : ids) REQUIRE(id >= 0);
    Frames frames;
    run_frames(*http, frames, 5, {.on_event = [&](const AsyncLoad&) {}});
    CHECK(http->in_flight() > 0);
    http.reset();  // ~Http cancels everything in flight
  }
  // No temporary or partial file is left behind.
  CHECK(list_tree(dir.path()).empty());

  // A new Http starts clean: nothing of the old one's requests shows up in it.
  Http fresh;
  Frames frames;
  run_for(fresh, frames, 300ms, {.on_event = [&](const AsyncLoad&) { ++handler_calls_after; }});
  CHECK(frames.events.empty());
  CHECK(handler_calls_after == 0);
  auto id = fresh.http_get(url("/bytes/10"));
  run_until_final(fresh, frames, {id});
  run_for(fresh, frames, 100ms);
  for (const auto& e : frames.events) CHECK(e.id() == id);
  CHECK(frames.final_count() == 1);
  CHECK(frames.final_event(id).status() == Status::complete);
}

TEST_CASE("17. destroying an Http right after starting requests, many times over") {
  for (int round = 0; round < 20; ++round) {
    Http http;
    for (int i = 0; i < 10; ++i) http.http_get(url(i % 2 ? "/hang" : "/bytes/100000"));
    if (round % 2) {
      Frames frames;
      run_frames(http, frames, 1);
    }
  }
  // Nothing more to check than "no crash, no hang"; the server still serves.
  Http http;
  auto id = http.http_get(url("/bytes/10"));
  Frames frames = run_until_final(http, {id});
  CHECK(frames.final_event(id).status() == Status::complete);
}

TEST_CASE("17. destroying the Http while its events wait undelivered") {
  auto http = std::make_unique<Http>();
  std::vector<RequestId> ids;
  for (int i = 0; i < 20; ++i) ids.push_back(http->http_get(url("/bytes/100")));
  // Let some become ready, deliver none of it, then destroy.
  between_frames(*http, 500ms);
  http.reset();
  CHECK(true);
}

TEST_CASE("http_cancel of a running request: one -3 final and nothing else") {
  Http http;
  const std::string requested = url("/hang");
  auto id = http.http_get(requested);
  REQUIRE(id >= 0);
  Frames frames;
  run_frames(http, frames, 3);
  CHECK(frames.of(id).empty());
  CHECK(http.http_cancel(id));
  CHECK_FALSE(http.http_cancel(id));  // already cancelled: its -3 is queued
  run_until_final(http, frames, {id});
  run_for(http, frames, 300ms);
  frames.check_lifecycle(id);
  const auto events = frames.of(id);
  REQUIRE(events.size() == 1);
  const auto& e = events.front();
  INFO(describe(e));
  CHECK(e.status() == Status::cancelled);
  CHECK(e.id() == id);
  CHECK(e.url() == requested);
  CHECK(e.http_status() == 0);
  CHECK(e.result() == "");
  CHECK(http.in_flight() == 0);
  CHECK_FALSE(http.http_cancel(id));  // delivered
}

TEST_CASE("http_cancel returns false for unknown ids and for delivered ones") {
  Http http;
  CHECK_FALSE(http.http_cancel(-1));
  CHECK_FALSE(http.http_cancel(0));
  CHECK_FALSE(http.http_cancel(123456789));
  auto id = http.http_get(url("/bytes/10"));
  Frames frames = run_until_final(http, {id});
  CHECK(frames.final_event(id).status() == Status::complete);
  CHECK_FALSE(http.http_cancel(id));
  run_for(http, frames, 100ms);
  frames.check_lifecycle(id);  // still exactly one final, nothing after it
}

TEST_CASE("http_cancel of a request whose progress was already delivered") {
  Http http;
  auto id = http.http_get(url("/drip?bytes=100000&chunks=40&interval_ms=50"));
  Frames frames;
  if (http.capabilities().progress_events)
    run_until(http, frames, [&](const Frames& f) { return !f.progress(id).empty(); });
  else
    run_frames(http, frames, 5);
  CHECK(http.http_cancel(id));
  run_until_final(http, frames, {id});
  run_for(http, frames, 300ms);
  frames.check_lifecycle(id);
  CHECK(frames.final_event(id).status() == Status::cancelled);
}

TEST_CASE("a handler that starts a new request") {
  Http http;
  auto first = http.http_get(url("/bytes/10"));
  RequestId second = -1;
  int first_frame = -1;
  LoopOptions loop;
  Frames frames;
  loop.on_event = [&](const AsyncLoad& e) {
    if (e.id() == first && e.is_final()) {
      first_frame = frames.frames;
      second = http.http_get(url("/bytes/20"));
      CHECK(second >= 0);
    }
  };
  run_until(http, frames, [&](const Frames& f) { return second >= 0 && f.has_final(second); }, loop);
  CHECK(frames.final_event(first).status() == Status::complete);
  const auto e = frames.final_event(second);
  CHECK(e.status() == Status::complete);
  CHECK(e.result() == expected_bytes(0, 20));
  CHECK(second != first);
  CHECK(frames.final_frame(second) > first_frame);  // caused during a dispatch: the next one
}

TEST_CASE("a handler that cancels another request: its -3 comes in a later frame") {
  Http http;
  auto hang = http.http_get(url("/hang"));
  auto quick = http.http_get(url("/bytes/10"));
  bool cancelled = false;
  int cancel_frame = -1;
  Frames frames;
  LoopOptions loop;
  loop.on_event = [&](const AsyncLoad& e) {
    if (e.id() == quick && e.is_final()) {
      cancelled = http.http_cancel(hang);
      cancel_frame = frames.frames;
    }
  };
  run_until_final(http, frames, {quick, hang}, loop);
  run_for(http, frames, 200ms, loop);
  CHECK(cancelled);
  frames.check_lifecycle(hang);
  CHECK(frames.final_event(hang).status() == Status::cancelled);
  CHECK(frames.final_frame(hang) > cancel_frame);
}

TEST_CASE("a handler that cancels its own request on the first progress event") {
  Http http;
  if (!http.capabilities().progress_events) return;
  auto id = http.http_get(url("/drip?bytes=100000&chunks=20&interval_ms=40"));
  bool cancelled = false;
  Frames frames;
  LoopOptions loop;
  loop.on_event = [&](const AsyncLoad& e) {
    if (e.id() == id && e.status() == Status::downloading && !cancelled) cancelled = http.http_cancel(id);
  };
  run_until_final(http, frames, {id}, loop);
  run_for(http, frames, 300ms, loop);
  CHECK(cancelled);
  frames.check_lifecycle(id);
  CHECK(frames.final_event(id).status() == Status::cancelled);
  CHECK(frames.progress(id).size() == 1);
}

TEST_CASE("a handler may start requests from every event of a chain") {
  Http http;
  int remaining = 10;
  std::vector<RequestId> started;
  started.push_back(http.http_get(url("/bytes/1")));
  Frames frames;
  LoopOptions loop;
  loop.on_event = [&](const AsyncLoad& e) {
    if (e.is_final() && --remaining > 0) started.push_back(http.http_get(url("/bytes/1")));
  };
  run_until(http, frames, [&](const Frames&) { return remaining == 0; }, loop);
  CHECK(started.size() == 10);
  for (auto id : started) CHECK(frames.final_event(id).status() == Status::complete);
}

}  // TEST_SUITE

// The transfer a cancel stopped would have gone on delivering data and completing: the frames
// run past that moment, so a backend whose callbacks still touched the freed request would be
// caught (the browser build of this suite runs under AddressSanitizer).
TEST_CASE("after http_cancel mid-body, nothing of the cancelled transfer runs any more") {
  Http http;
  auto cancelled = http.http_get(url("/drip?bytes=200000&chunks=20&interval_ms=25"));  // ~0.5 s
  auto witness = http.http_get(url("/delay/1200"));  // ends well after the drip would have
  Frames frames;
  run_until(http, frames, [&](const Frames& f) { return !f.progress(cancelled).empty(); });
  CHECK(http.http_cancel(cancelled));
  run_until_final(http, frames, {witness});
  frames.check_lifecycle(cancelled);
  CHECK(frames.final_event(cancelled).status() == Status::cancelled);
  CHECK(frames.final_event(witness).status() == Status::complete);
  CHECK(frames.final_frame(cancelled) < frames.final_frame(witness));
}
