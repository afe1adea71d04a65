// Conformance: progress events (check 14), where the backend reports them.
#include "support/game_loop.hpp"

#include <doctest/doctest.h>

#include <map>
#include <string>

using namespace asyncload;
using namespace asyncload::test;

namespace {

bool has_progress(Http& http) {
  if (http.capabilities().progress_events) return true;
  MESSAGE("backend " << http.capabilities().backend << " reports no progress: skipped");
  return false;
}

// Everything check 14 says about one request's events.
void check_progress_of(const Frames& frames, RequestId id, std::int64_t content_length,
                       std::int64_t total) {
  INFO("request " << id);
  frames.check_lifecycle(id);  // one final, nothing after, <= 1 progress per frame, non-decreasing
  std::int64_t last = 0;
  for (const auto& p : frames.progress(id)) {
    INFO(describe(p));
    CHECK(p.status() == Status::downloading);
    CHECK(p.id() == id);
    CHECK(p.map().contains("contentLength"));
    CHECK(p.map().contains("sizeDownloaded"));
    CHECK(p.map().contains("url"));
    CHECK(p.content_length() == content_length);
    CHECK(p.size_downloaded() > last);  // only when bytes advanced
    CHECK(p.size_downloaded() <= total);
    last = p.size_downloaded();
  }
}

}  // namespace

TEST_SUITE("conformance.progress") {

TEST_CASE("14. a slow download: status 1 events, growing sizeDownloaded, contentLength = N, then one final") {
  Http http;
  if (!has_progress(http)) return;
  const std::string requested = url("/drip?bytes=100000&chunks=10&interval_ms=50");
  auto id = http.http_get(requested);
  REQUIRE(id >= 0);
  Frames frames = run_until_final(http, {id});
  run_for(http, frames, 100ms);
  check_progress_of(frames, id, 100000, 100000);
  const auto progress = frames.progress(id);
  CHECK(progress.size() >= 3);  // ten pieces 50 ms apart, frames every <= 16 ms
  for (const auto& p : progress) CHECK(p.url() == requested);
  const auto e = frames.final_event(id);
  CHECK(e.status() == Status::complete);
  CHECK(e.result() == expected_bytes(0, 100000));
}

TEST_CASE("14. a large download: progress reports contentLength = N, never over N") {
  Http http;
  if (!has_progress(http)) return;
  auto id = http.http_get(url("/bytes/20000000"));
  REQUIRE(id >= 0);
  Frames frames = run_until_final(http, {id}, {.timeout = 60s});
  run_for(http, frames, 50ms);
  check_progress_of(frames, id, 20000000, 20000000);
  CHECK(frames.final_event(id).result().size() == 20000000);
}

TEST_CASE("14. a chunked response: contentLength -1 on progress events") {
  Http http;
  if (!has_progress(http)) return;
  auto id = http.http_get(url("/chunked/30000000"));
  REQUIRE(id >= 0);
  Frames frames = run_until_final(http, {id}, {.timeout = 60s});
  run_for(http, frames, 50ms);
  check_progress_of(frames, id, -1, 30000000);
  CHECK_FALSE(frames.progress(id).empty());
  const auto e = frames.final_event(id);
  CHECK(e.status() == Status::complete);
  CHECK(e.result().size() == 30000000);
}

TEST_CASE("14. several downloads at once: at most one progress event per request per frame") {
  Http http;
  if (!has_progress(http)) return;
  std::vector<RequestId> ids;
  for (int i = 0; i < 4; ++i) ids.push_back(http.http_get(url("/drip?bytes=40000&chunks=8&interval_ms=40")));
  ids.push_back(http.http_get(url("/bytes/8000000")));
  ids.push_back(http.http_get_file(url("/bytes/10"), ""));  // refused: no events, no effect
  CHECK(ids.back() == -1);
  ids.pop_back();
  Frames frames = run_until_final(http, ids, {.timeout = 60s});
  run_for(http, frames, 100ms);
  for (std::size_t i = 0; i < 4; ++i) check_progress_of(frames, ids[i], 40000, 40000);
  check_progress_of(frames, ids[4], 8000000, 8000000);
  // The frames interleave the requests' progress.
  std::map<int, int> per_frame;
  for (std::size_t i = 0; i < frames.events.size(); ++i)
    if (frames.events[i].status() == Status::downloading) ++per_frame[frames.frame_of[i]];
  CHECK(per_frame.size() >= 2);
}

TEST_CASE("14. progress after redirects describes the final response only") {
  Http http;
  if (!has_progress(http)) return;
  std::vector<RequestId> ids;
  for (int code : {301, 302, 303, 307, 308}) {
    ids.push_back(http.http_get(url("/redirect-to?url=" +
                                    url_encode("/drip?bytes=50000&chunks=5&interval_ms=40") +
                                    "&code=" + std::to_string(code))));
  }
  ids.push_back(http.http_get(url("/redirect-to?url=" + url_encode("/bytes/5000000") + "&code=302")));
  Frames frames = run_until_final(http, ids, {.timeout = 30s});
  run_for(http, frames, 100ms);
  for (std::size_t i = 0; i + 1 < ids.size(); ++i) {
    check_progress_of(frames, ids[i], 50000, 50000);
    CHECK_FALSE(frames.progress(ids[i]).empty());
    CHECK(frames.final_event(ids[i]).result() == expected_bytes(0, 50000));
  }
  check_progress_of(frames, ids.back(), 5000000, 5000000);
  CHECK(frames.final_event(ids.back()).result().size() == 5000000);
}

TEST_CASE("14. the progress a frame shows is the newest, not a stale one") {
  Http http;
  if (!has_progress(http)) return;
  // Half of the body right after the headers, the other half 2.5 s later: in between, the
  // newest progress the game saw must say that half arrived (a bar must not sit at 3%).
  auto id = http.http_get(url("/drip?bytes=4000000&chunks=2&interval_ms=2500"));
  REQUIRE(id >= 0);
  Frames frames;
  run_until(http, frames, [&](const Frames& f) { return !f.progress(id).empty(); });
  run_for(http, frames, 1000ms);
  REQUIRE_FALSE(frames.has_final(id));
  const auto progress = frames.progress(id);
  REQUIRE_FALSE(progress.empty());
  INFO(progress.size() << " progress events, last " << describe(progress.back()));
  CHECK(progress.back().size_downloaded() == 2000000);
  run_until_final(http, frames, {id}, {.timeout = 15s});
  check_progress_of(frames, id, 4000000, 4000000);
  CHECK(frames.final_event(id).result() == expected_bytes(0, 4000000));
}

TEST_CASE("14. a file download reports progress too") {
  Http http;
  if (!has_progress(http) || !http.capabilities().file_download) return;
  TempDir dir;
  auto id = http.http_get_file(url("/drip?bytes=60000&chunks=6&interval_ms=50"), (dir / "f.bin").string());
  Frames frames = run_until_final(http, {id});
  check_progress_of(frames, id, 60000, 60000);
  CHECK_FALSE(frames.progress(id).empty());
  CHECK(frames.final_event(id).status() == Status::complete);
}

TEST_CASE("14. Options::progress_events = false: no status 1 at all") {
  Options options;
  options.progress_events = false;
  Http http(options);
  auto slow = http.http_get(url("/drip?bytes=50000&chunks=5&interval_ms=50"));
  auto big = http.http_get(url("/bytes/10000000"));
  Frames frames = run_until_final(http, {slow, big}, {.timeout = 60s});
  run_for(http, frames, 50ms);
  for (const auto& e : frames.events) CHECK_MESSAGE(e.status() != Status::downloading, describe(e));
  CHECK(frames.events.size() == 2);
  CHECK(frames.final_event(slow).status() == Status::complete);
  CHECK(frames.final_event(big).status() == Status::complete);
}

TEST_CASE("14. a cancelled download gets no progress after its -3") {
  Http http;
  auto id = http.http_get(url("/drip?bytes=100000&chunks=20&interval_ms=50"));
  Frames frames;
  run_frames(http, frames, 5);
  CHECK(http.http_cancel(id));
  run_until_final(http, frames, {id});
  run_for(http, frames, 300ms);
  frames.check_lifecycle(id);
  CHECK(frames.final_event(id).status() == Status::cancelled);
}

}  // TEST_SUITE
