#include "support/game_loop.hpp"

#include <doctest/doctest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <system_error>

#if defined(__EMSCRIPTEN__)
#include <emscripten.h>
#else
#include <testserver/test_server.hpp>
#endif

namespace asyncload::test {

namespace {
using Clock = std::chrono::steady_clock;

#if !defined(__EMSCRIPTEN__)
// A test server started outside this process, named by its base URL in `variable`: the Windows
// stage (scripts/windows.sh) runs the suites under Wine against the native build's
// `asyncload serve`, as the issue asks (Wine programs share the loopback). Unset or empty: none.
std::optional<std::string> server_from_environment(const char* variable) {
  const char* value = std::getenv(variable);
  if (!value || !*value) return std::nullopt;
  std::string base = value;
  while (base.ends_with('/')) base.pop_back();  // url() appends a path that starts with '/'
  return base;
}
#endif
}  // namespace

// --- where the server is ---------------------------------------------------------------------

std::string server_url() {
#if defined(__EMSCRIPTEN__)
  // The web build runs in a page served by the same test server: requests go to its origin.
  static const std::string origin = [] {
    char* text = emscripten_run_script_string("location.origin");
    return std::string(text ? text : "");
  }();
  return origin;
#else
  static const std::string base = [] {
    if (auto outside = server_from_environment("ASYNCLOAD_TEST_SERVER")) return *outside;
    static testserver::TestServer server([] {
      testserver::ServerOptions options;
      options.threads = 2;
      return options;
    }());
    return server.base_url();
  }();
  return base;
#endif
}

std::string foreign_url() {
#if defined(__EMSCRIPTEN__)
  // web_runner starts a second server and names it in the page URL's ?foreign= parameter.
  static const std::string origin = [] {
    char* text = emscripten_run_script_string("new URLSearchParams(location.search).get('foreign') || ''");
    return std::string(text ? text : "");
  }();
  return origin;
#else
  static const std::string base = [] {
    if (auto outside = server_from_environment("ASYNCLOAD_TEST_FOREIGN")) return *outside;
    static testserver::TestServer server;
    return server.base_url();
  }();
  return base;
#endif
}

std::string url(std::string_view path_and_query) {
  return server_url() + std::string(path_and_query);
}

std::string url_encode(std::string_view text) {
  return boost::urls::encode(text, boost::urls::unreserved_chars);
}

// --- what the server's endpoints produce -----------------------------------------------------

std::string expected_bytes(std::uint64_t offset, std::size_t n) {
#if defined(__EMSCRIPTEN__)
  // The web build has no test server library: the same formula as testserver::pattern_bytes.
  std::string out(n, '\0');
  for (std::size_t k = 0; k < n; ++k)
    out[k] = static_cast<char>(static_cast<unsigned char>(((offset + k) * 2654435761ull) >> 13));
  return out;
#else
  return testserver::pattern_bytes(offset, n);
#endif
}

std::string expected_resumable_bytes(unsigned version, std::uint64_t offset, std::size_t n) {
#if defined(__EMSCRIPTEN__)
  const std::uint64_t first = std::uint64_t{version} * 1000;  // as testserver::resumable_bytes_offset
#else
  const std::uint64_t first = testserver::resumable_bytes_offset(version);
#endif
  return expected_bytes(first + offset, n);
}

std::string expected_gzip_text() {
#if defined(__EMSCRIPTEN__)
  std::string text;  // the same text as testserver::gzip_text
  for (int i = 1; i <= 2000; ++i) text += "asyncload gzip line " + std::to_string(i) + "\n";
  return text;
#else
  return testserver::gzip_text();
#endif
}

// --- Frames ----------------------------------------------------------------------------------

std::vector<AsyncLoad> Frames::of(RequestId id) const {
  std::vector<AsyncLoad> out;
  for (const auto& e : events)
    if (e.id() == id) out.push_back(e);
  return out;
}

std::vector<AsyncLoad> Frames::finals(RequestId id) const {
  std::vector<AsyncLoad> out;
  for (const auto& e : events)
    if (e.id() == id && e.is_final()) out.push_back(e);
  return out;
}

std::vector<AsyncLoad> Frames::progress(RequestId id) const {
  std::vector<AsyncLoad> out;
  for (const auto& e : events)
    if (e.id() == id && e.status() == Status::downloading) out.push_back(e);
  return out;
}

bool Frames::has_final(RequestId id) const {
  return std::any_of(events.begin(), events.end(),
                     [&](const AsyncLoad& e) { return e.id() == id && e.is_final(); });
}

std::size_t Frames::final_count() const {
  return static_cast<std::size_t>(
      std::count_if(events.begin(), events.end(), [](const AsyncLoad& e) { return e.is_final(); }));
}

AsyncLoad Frames::final_event(RequestId id) const {
  const AsyncLoad* found = nullptr;
  int count = 0;
  for (const auto& e : events) {
    if (e.id() == id && e.is_final()) {
      if (!found) found = &e;
      ++count;
    }
  }
  INFO("request id " << id);
  REQUIRE_MESSAGE(count == 1, "expected exactly one final event for id " << id << ", got " << count);
  return *found;
}

int Frames::final_frame(RequestId id) const {
  for (std::size_t i = 0; i < events.size(); ++i)
    if (events[i].id() == id && events[i].is_final()) return frame_of[i];
  return -1;
}

void Frames::check_lifecycle(RequestId id) const {
  INFO("request id " << id);
  int finals_seen = 0;
  int events_after_final = 0;
  std::int64_t last_size = -1;
  int last_progress_frame = -1;
  int progress_twice_in_a_frame = 0;
  bool size_went_down = false;
  bool bad_status = false;
  for (std::size_t i = 0; i < events.size(); ++i) {
    const auto& e = events[i];
    if (e.id() != id) continue;
    if (finals_seen > 0) ++events_after_final;
    if (e.is_final()) {
      ++finals_seen;
    } else if (e.status() == Status::downloading) {
      if (e.size_downloaded() < last_size) size_went_down = true;
      last_size = e.size_downloaded();
      if (frame_of[i] == last_progress_frame) ++progress_twice_in_a_frame;
      last_progress_frame = frame_of[i];
    } else {
      bad_status = true;
    }
  }
  CHECK_MESSAGE(finals_seen == 1, "final events: " << finals_seen);
  CHECK_MESSAGE(events_after_final == 0, "events after the final one: " << events_after_final);
  CHECK_MESSAGE(!size_went_down, "sizeDownloaded went down between progress events");
  CHECK_MESSAGE(progress_twice_in_a_frame == 0,
                "more than one progress event in one frame: " << progress_twice_in_a_frame);
  CHECK_MESSAGE(!bad_status, "a status that is neither 1 nor <= 0");
}

// --- the game loop ---------------------------------------------------------------------------

void between_frames(Http& http, std::chrono::milliseconds interval) {
#if defined(__EMSCRIPTEN__)
  (void)http;
  emscripten_sleep(static_cast<unsigned>(interval.count()));
#else
  http.wait(interval);
#endif
}

namespace {

void one_frame(Http& http, Frames& frames, const LoopOptions& options) {
  const int frame = frames.frames;
  std::size_t handled = 0;
  const std::size_t returned = http.dispatch(
      [&](const AsyncLoad& e) {
        ++handled;
        frames.events.push_back(e);
        frames.frame_of.push_back(frame);
        if (options.on_event) options.on_event(e);
      },
      options.limits);
  CHECK_MESSAGE(returned == handled,
                "dispatch() returned " << returned << " but called the handler " << handled << " times");
  frames.per_frame.push_back(handled);
  ++frames.frames;
}

std::string pending_summary(const Frames& frames) {
  std::ostringstream out;
  out << frames.events.size() << " events in " << frames.frames << " frames";
  return out.str();
}

}  // namespace

void run_until(Http& http, Frames& frames, const std::function<bool(const Frames&)>& done,
               const LoopOptions& options) {
  const auto deadline = Clock::now() + options.timeout;
  for (;;) {
    one_frame(http, frames, options);
    if (done(frames)) return;
    if (Clock::now() >= deadline) {
      FAIL("game loop timed out after " << options.timeout.count() << " ms ("
                                        << pending_summary(frames) << ", in_flight() = "
                                        << http.in_flight() << ")");
    }
    between_frames(http, options.frame_interval);
  }
}

Frames run_until(Http& http, const std::function<bool(const Frames&)>& done,
                 const LoopOptions& options) {
  Frames frames;
  run_until(http, frames, done, options);
  return frames;
}

void run_until_final(Http& http, Frames& frames, const std::vector<RequestId>& ids,
                     const LoopOptions& options) {
  std::set<RequestId> waiting(ids.begin(), ids.end());
  std::size_t scanned = 0;
  const auto deadline = Clock::now() + options.timeout;
  auto absorb = [&] {
    for (; scanned < frames.events.size(); ++scanned) {
      const auto& e = frames.events[scanned];
      if (e.is_final()) waiting.erase(e.id());
    }
  };
  absorb();
  while (!waiting.empty()) {
    one_frame(http, frames, options);
    absorb();
    if (waiting.empty()) return;
    if (Clock::now() >= deadline) {
      std::ostringstream missing;
      int shown = 0;
      for (auto id : waiting) {
        if (shown++ == 10) {
          missing << " ...";
          break;
        }
        missing << ' ' << id;
      }
      FAIL("game loop timed out after " << options.timeout.count() << " ms: " << waiting.size()
                                        << " request(s) without a final event:" << missing.str()
                                        << " (" << pending_summary(frames)
                                        << ", in_flight() = " << http.in_flight() << ")");
    }
    between_frames(http, options.frame_interval);
  }
}

Frames run_until_final(Http& http, const std::vector<RequestId>& ids, const LoopOptions& options) {
  Frames frames;
  run_until_final(http, frames, ids, options);
  return frames;
}

void run_for(Http& http, Frames& frames, std::chrono::milliseconds duration,
             const LoopOptions& options) {
  const auto end = Clock::now() + duration;
  for (;;) {
    one_frame(http, frames, options);
    const auto now = Clock::now();
    if (now >= end) return;
    between_frames(http, std::min(options.frame_interval,
                                  std::chrono::duration_cast<std::chrono::milliseconds>(end - now) + 1ms));
  }
}

void run_frames(Http& http, Frames& frames, int n, const LoopOptions& options) {
  for (int i = 0; i < n; ++i) {
    if (i > 0) between_frames(http, options.frame_interval);
    one_frame(http, frames, options);
  }
}

// --- misc ------------------------------------------------------------------------------------

boost::json::object parse_object(std::string_view json) {
  boost::json::error_code ec;
  boost::json::value value = boost::json::parse(json, ec);
  REQUIRE_MESSAGE(!ec, "not JSON (" << ec.message() << "): " << json.substr(0, 300));
  REQUIRE_MESSAGE(value.is_object(), "not a JSON object: " << json.substr(0, 300));
  return std::move(value.as_object());
}

std::string json_string(const boost::json::object& obj, std::string_view key) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->value().is_string()) return {};
  return std::string(it->value().as_string());
}

std::string describe(const AsyncLoad& event) {
  boost::json::object copy = event.map();
  auto it = copy.find("result");
  if (it != copy.end() && it->value().is_string() && it->value().as_string().size() > 200) {
    std::string head(std::string_view(it->value().as_string()).substr(0, 200));
    it->value() = head + "...(" + std::to_string(event.result().size()) + " bytes)";
  }
  return boost::json::serialize(copy);
}

}  // namespace asyncload::test
