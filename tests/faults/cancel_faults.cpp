// Fault injection: http_cancel at every phase of a transfer, ~Http with 1,000 transfers in
// flight, and handlers that throw. Each asserts exactly one final event (-3 for a cancel), that
// the transfer really stopped (the server sees its connection close), that a file target is
// untouched, and that the same Http goes on working.
#include "faults/checks.hpp"
#include "faults/probes.hpp"
#include "faults/raw_server.hpp"
#include "support/game_loop.hpp"
#include "support/process_probes.hpp"

#include <doctest/doctest.h>

#include <testserver/test_server.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

using namespace asyncload;
using namespace asyncload::test;
using namespace asyncload::faults;
namespace fs = std::filesystem;

namespace {

// Checks that `frames` holds exactly one event for id, a -3.
void check_cancelled(const Frames& frames, RequestId id) {
  frames.check_lifecycle(id);
  const auto e = frames.final_event(id);
  INFO(brief(e));
  CHECK(e.status() == Status::cancelled);
  CHECK(e.result() == "");
  CHECK(e.http_status() == 0);
  CHECK_FALSE(e.error().empty());
}

// A script that counts request heads read, then holds the connection until the client leaves.
RawServer::Script counted_silence(std::atomic<int>& heads) {
  return [&heads](RawConnection& c) {
    if (c.read_head().empty()) return;
    ++heads;
    c.wait_for_close();
  };
}

}  // namespace

TEST_SUITE("faults.cancel") {

TEST_CASE("cancel while queued: -3, the transfer never reaches the network") {
  std::atomic<int> heads{0};
  RawServer server(counted_silence(heads));
  Options options;
  options.max_connections = 1;
  Http http(options);
  const auto running = http.http_get(server.url("/first"));
  const auto queued = http.http_get(server.url("/second"));
  REQUIRE(queued >= 0);
  Frames frames;
  run_until(http, frames, [&](const Frames&) { return heads.load() == 1; });  // /first is running
  CHECK(http.http_cancel(queued));
  CHECK_FALSE(http.http_cancel(queued));  // once only
  run_until_final(http, frames, {queued});
  check_cancelled(frames, queued);
  CHECK_FALSE(frames.has_final(running));

  CHECK(http.http_cancel(running));
  run_until_final(http, frames, {running});
  check_cancelled(frames, running);
  run_until(http, frames, [&](const Frames&) { return server.finished() == 1; });  // its socket closed
  CHECK(server.accepted() == 1);  // the queued one never connected
  CHECK(heads.load() == 1);
  CHECK(http.in_flight() == 0);
  check_still_usable(http);
}

// Skipped where no UnansweredListener can be made (Windows, README "Windows").
TEST_CASE("cancel while connecting: -3, the Http goes on" * doctest::skip(!unanswered_listener_built)) {
  UnansweredListener listener;
  REQUIRE(listener.ready());
  Http http;
  const auto id = http.http_get("http://127.0.0.1:" + std::to_string(listener.port()) + "/");
  REQUIRE(id >= 0);
  Frames frames;
  run_frames(http, frames, 5);  // the I/O thread has started the connect; it cannot complete
  REQUIRE(frames.events.empty());
  CHECK(http.http_cancel(id));
  run_until_final(http, frames, {id});
  run_frames(http, frames, 3);
  check_cancelled(frames, id);
  check_still_usable(http);
}

TEST_CASE("cancel while waiting for the response headers: -3, the connection is closed") {
  std::atomic<int> heads{0};
  RawServer server(counted_silence(heads));
  Http http;
  const auto id = http.http_get(server.url("/wait"));
  Frames frames;
  run_until(http, frames, [&](const Frames&) { return heads.load() == 1; });
  CHECK(http.http_cancel(id));
  run_until_final(http, frames, {id});
  run_until(http, frames, [&](const Frames&) { return server.finished() == 1; });
  check_cancelled(frames, id);
  check_still_usable(http);
}

TEST_CASE("cancel in the middle of the body: -3, nothing after it, the file untouched") {
  RawServer server([](RawConnection& c) {
    if (c.read_head().empty()) return;
    c.write("HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n");
    c.write(expected_bytes(0, 10'000));
    c.wait_for_close();  // the rest never comes
  });
  TempDir dir;
  write_file(dir / "save.bin", "previous");
  Http http;
  const auto memory = http.http_get(server.url("/body"));
  const auto file = http.http_get_file(server.url("/body"), (dir / "save.bin").string());
  Frames frames;
  run_until(http, frames, [&](const Frames& f) { return !f.progress(memory).empty() && !f.progress(file).empty(); });
  CHECK(http.http_cancel(memory));
  CHECK(http.http_cancel(file));
  CHECK(list_tree(dir.path()) == std::vector<std::string>{"save.bin"});  // the temporary file is gone at once
  run_until_final(http, frames, {memory, file});
  run_until(http, frames, [&](const Frames&) { return server.finished() == 2; });
  for (auto id : {memory, file}) {
    check_cancelled(frames, id);
    const auto e = frames.final_event(id);
    CHECK(e.size_downloaded() == frames.progress(id).back().size_downloaded());
  }
  CHECK(read_file(dir / "save.bin") == "previous");
  CHECK(list_tree(dir.path()) == std::vector<std::string>{"save.bin"});
  check_still_usable(http);
}

TEST_CASE("cancel after completion but before dispatch: -3 only, the file never written") {
  Options options;
  options.progress_events = false;  // the only event a request can queue is its final one
  Http http(options);
  TempDir dir;
  write_file(dir / "save.bin", "previous");
  struct Case {
    std::string what;
    std::function<RequestId()> start;
  };
  const std::vector<Case> cases = {
      {"http_get", [&] { return http.http_get(url("/bytes/100")); }},
      {"http_get_file onto an existing file",
       [&] { return http.http_get_file(url("/bytes/100"), (dir / "save.bin").string()); }},
      {"http_get_file onto a new file", [&] { return http.http_get_file(url("/bytes/100"), (dir / "new.bin").string()); }},
  };
  for (const auto& c : cases) {
    CAPTURE(c.what);
    const auto id = c.start();
    REQUIRE(id >= 0);
    // Block (no dispatch) until the transfer has completed and its final event waits in the queue.
    const auto deadline = Clock::now() + 20s;
    while (!http.wait(100ms)) REQUIRE(Clock::now() < deadline);
    CHECK(http.http_cancel(id));
    Frames frames = run_until_final(http, {id});
    run_frames(http, frames, 3);
    check_cancelled(frames, id);
    CHECK(frames.events.size() == 1);
    CHECK(read_file(dir / "save.bin") == "previous");
    CHECK(list_tree(dir.path()) == std::vector<std::string>{"save.bin"});
    CHECK_FALSE(http.http_cancel(id));  // delivered
  }
  const auto done = http.http_get(url("/bytes/1"));
  Frames frames = run_until_final(http, {done});
  CHECK(frames.final_event(done).status() == Status::complete);
  CHECK_FALSE(http.http_cancel(done));    // delivered as completed
  CHECK_FALSE(http.http_cancel(123456));  // never issued
  CHECK_FALSE(http.http_cancel(-1));
  check_still_usable(http);
}

TEST_CASE("~Http with 1,000 transfers in flight: prompt, no temporary file, descriptors back") {
  TempDir dir;
  {  // warm-up on a server of its own: libcurl's global state, lazily built tables
    testserver::TestServer warm_server;
    Http warm;
    run_until_final(warm, {warm.http_get(warm_server.base_url() + "/bytes/10")});
  }
  const int fds_before = open_fds();
  testserver::TestServer server;
  const std::string drip = server.base_url() + "/drip?bytes=100000&chunks=100&interval_ms=1000";  // ~100 s
  Options options;
  options.max_connections = 200;  // 200 running, 800 waiting their turn
  std::optional<Http> http(std::in_place, options);
  std::vector<RequestId> ids;
  for (int i = 0; i < 1000; ++i) {
    ids.push_back(i % 2 ? http->http_get(drip)
                        : http->http_get_file(drip, (dir / ("f" + std::to_string(i) + ".bin")).string()));
    REQUIRE(ids.back() >= 0);
  }
  // Until the running file downloads have begun writing their temporary files.
  Frames frames;
  run_until(*http, frames, [&](const Frames& f) {
    int files_started = 0;
    for (std::size_t i = 0; i < ids.size(); i += 2) files_started += !f.progress(ids[i]).empty();
    return files_started >= 50;
  }, {.timeout = 60s});
  CHECK_FALSE(list_tree(dir.path()).empty());
  CHECK(frames.final_count() == 0);
  CHECK(http->in_flight() == 1000);
  const auto start = Clock::now();
  http.reset();  // ~Http
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  MESSAGE("~Http with 1000 transfers in flight (200 running) took " << took.count() << " ms");
  CHECK(list_tree(dir.path()).empty());  // every temporary file removed, nothing renamed into place
  server.stop();  // closes the server's ends of the connections
  CHECK(open_fds() == fds_before);
}

}  // TEST_SUITE

TEST_SUITE("faults.handlers") {

TEST_CASE("a handler that throws: that event counts as delivered, the queue stays consistent") {
  Http http;
  TempDir dir;
  const auto file = http.http_get_file(url("/bytes/300000"), (dir / "f.bin").string());
  const auto memory = http.http_get(url("/drip?bytes=1000&chunks=4&interval_ms=50"));
  const auto failing = http.http_get(url("/status/500"));
  const std::vector<RequestId> ids = {file, memory, failing};
  Frames frames;
  int thrown = 0, frames_with_throw = 0;
  const auto deadline = Clock::now() + 20s;
  while (frames.final_count() < ids.size()) {
    REQUIRE(Clock::now() < deadline);
    std::size_t handled = 0;
    try {
      // Every other event throws, of every kind: progress and final, std and non-std.
      http.dispatch([&](const AsyncLoad& e) {
        ++handled;
        frames.events.push_back(e);
        frames.frame_of.push_back(frames.frames);
        if (frames.events.size() % 2 == 1) {
          ++thrown;
          if (thrown % 2) throw std::runtime_error("game code failed");
          throw 42;
        }
      });
    } catch (const std::runtime_error& error) {
      CHECK(std::string(error.what()) == "game code failed");
      ++frames_with_throw;
      CHECK(handled >= 1);
    } catch (int value) {
      CHECK(value == 42);
      ++frames_with_throw;
    }
    ++frames.frames;
    between_frames(http, 16ms);
  }
  run_for(http, frames, 200ms);
  MESSAGE(thrown << " handler calls threw over " << frames.frames << " frames");
  CHECK(thrown >= 2);
  CHECK(frames_with_throw == thrown);  // one throw per dispatch at most: it ends that dispatch
  for (auto id : ids) frames.check_lifecycle(id);
  CHECK(frames.final_event(file).status() == Status::complete);
  CHECK(read_file(dir / "f.bin") == expected_bytes(0, 300000));  // committed before its handler ran
  CHECK(list_tree(dir.path()) == std::vector<std::string>{"f.bin"});
  CHECK(frames.final_event(memory).result() == expected_bytes(0, 1000));
  CHECK(frames.final_event(failing).http_status() == 500);
  CHECK(http.in_flight() == 0);
  check_still_usable(http);
}

}  // TEST_SUITE
