// game_loop.hpp — the small harness every conformance scenario runs through.
//
// Scenario bodies are platform-neutral: the same sources are built natively (against an
// in-process loopback TestServer, or one outside the process: server_url) and for the browser
// (against the page's origin, in headless Chromium). Everything that differs between the two lives behind this header:
//   - where the server is (server_url / url),
//   - how the game loop waits between frames (Http::wait natively, emscripten_sleep on the web),
//   - the reference bytes the server's endpoints produce (expected_bytes, expected_gzip_text).
// Scenarios never open sockets, sleep, or talk to the TestServer directly.
#pragma once

#include "support/files.hpp"  // TempDir, read_file, write_file, list_tree: scenarios use them too

#include <asyncload/asyncload.hpp>

#include <boost/json/object.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace asyncload::test {

using namespace std::chrono_literals;

// --- where the server is ---------------------------------------------------------------------
// Natively: base URL of an in-process TestServer, started once on first use ("http://127.0.0.1:N"),
// or of a server started outside the process when $ASYNCLOAD_TEST_SERVER names its base URL (the
// Windows stage: the suites under Wine, `asyncload serve` native). Web: the page origin.
// A server outside the process (and the web page's) is shared by every case running at the same
// time: state it keeps (/resumable-set/<name>) goes under a name no other case uses.
std::string server_url();
// Another origin, for cross-origin checks: natively a second in-process TestServer, or the one
// $ASYNCLOAD_TEST_FOREIGN names; on the web the second server web_runner names in the page URL
// (?foreign=).
std::string foreign_url();
// server_url() + path_and_query (which starts with '/').
std::string url(std::string_view path_and_query);
// Percent-encodes everything but RFC 3986 unreserved characters (for query values).
std::string url_encode(std::string_view text);

// --- what the server's endpoints produce -----------------------------------------------------
// The bytes /bytes/N, /chunked/N and /drip send: the server's deterministic pattern.
std::string expected_bytes(std::uint64_t offset, std::size_t n);
// Bytes [offset, offset + n) of /resumable/<name> at `version` (/resumable-set).
std::string expected_resumable_bytes(unsigned version, std::uint64_t offset, std::size_t n);
// The decoded text /gzip serves.
std::string expected_gzip_text();

// --- the game loop ---------------------------------------------------------------------------
struct Frames {
  std::vector<AsyncLoad> events;      // every event, in delivery order
  std::vector<int> frame_of;          // frame_of[i]: the frame (dispatch call, from 0) of events[i]
  std::vector<std::size_t> per_frame; // per_frame[f]: what dispatch() returned in frame f
  int frames = 0;                     // dispatch() calls so far

  std::vector<AsyncLoad> of(RequestId id) const;        // all events for id, in order
  std::vector<AsyncLoad> finals(RequestId id) const;    // status <= 0
  std::vector<AsyncLoad> progress(RequestId id) const;  // status 1
  bool has_final(RequestId id) const;
  std::size_t final_count() const;                      // finals over all ids
  // The one final event of id (a copy); REQUIREs that there is exactly one.
  AsyncLoad final_event(RequestId id) const;
  int final_frame(RequestId id) const;                  // frame of its first final, -1 if none
  // CHECKs the per-request contract: exactly one final, nothing after it, progress events are
  // status 1 with non-decreasing sizeDownloaded and at most one per frame.
  void check_lifecycle(RequestId id) const;
};

struct LoopOptions {
  std::chrono::milliseconds frame_interval{16};  // the most a frame waits for an event
  std::chrono::milliseconds timeout{20000};      // FAIL after this long
  DispatchLimits limits{};
  // Called from inside the dispatch handler, after the event was recorded (may start or cancel
  // requests on the same Http).
  std::function<void(const AsyncLoad&)> on_event;
};

// Runs frames (dispatch, then wait up to frame_interval) until done(frames) holds, checked after
// every frame. FAILs the test on timeout, never hangs.
void run_until(Http& http, Frames& frames, const std::function<bool(const Frames&)>& done,
               const LoopOptions& options = {});
Frames run_until(Http& http, const std::function<bool(const Frames&)>& done,
                 const LoopOptions& options = {});
// Runs until every id in ids has a final event.
void run_until_final(Http& http, Frames& frames, const std::vector<RequestId>& ids,
                     const LoopOptions& options = {});
Frames run_until_final(Http& http, const std::vector<RequestId>& ids,
                       const LoopOptions& options = {});
// Keeps the loop running for `duration` (to observe that nothing more arrives).
void run_for(Http& http, Frames& frames, std::chrono::milliseconds duration,
             const LoopOptions& options = {});
// Runs exactly n frames.
void run_frames(Http& http, Frames& frames, int n, const LoopOptions& options = {});
// Between two frames: blocks until an event may be ready or `interval` passed.
void between_frames(Http& http, std::chrono::milliseconds interval);

// --- misc ------------------------------------------------------------------------------------
// Parses a JSON object (REQUIREs success), e.g. the body /echo returns.
boost::json::object parse_object(std::string_view json);
// The string value of obj[key], "" when absent or not a string.
std::string json_string(const boost::json::object& obj, std::string_view key);
// A short description of an event for failure messages.
std::string describe(const AsyncLoad& event);

}  // namespace asyncload::test
