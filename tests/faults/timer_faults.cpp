// Timeouts mean what the README says: a stall is "no byte for stall_timeout", header bytes
// included, and the stall and total clocks start when a transfer is really sent, not while it
// waits for a free connection (Options::max_connections).
#include "faults/checks.hpp"
#include "faults/probes.hpp"
#include "faults/raw_server.hpp"
#include "faults/tls.hpp"
#include "support/game_loop.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

using namespace asyncload;
using namespace asyncload::test;
using namespace asyncload::faults;

namespace {

long long ms_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(to - from).count();
}

// Writes `bytes` one at a time, `gap` apart (the slow server is the scenario, not a wait for
// something); false when the client went away. `last_byte` is when the last one was sent.
bool drip(RawConnection& c, std::string_view bytes, std::chrono::milliseconds gap,
          std::atomic<Clock::time_point>& last_byte) {
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i > 0) std::this_thread::sleep_for(gap);
    if (!c.write(bytes.substr(i, 1))) return false;
    last_byte = Clock::now();
  }
  return true;
}

}  // namespace

TEST_SUITE("faults.timers") {

TEST_CASE("a response head arriving one byte every 100 ms never trips a 1 s stall timeout") {
  // 19 bytes of head, 1.8 s in all: no complete header line for up to 1.6 s, never a silent
  // 100 ms. Over TLS each byte is a record of its own, so the bytes on the wire are not the
  // bytes libcurl sees either.
  TempDir dir;
  for (const bool tls : {false, true}) {
    CAPTURE(tls);
    if (tls && !tls_server_built) {  // the Windows build has no TLS test server (tls.hpp)
      MESSAGE("SKIPPED the TLS half: no TLS test server in this build (README \"Windows\")");
      continue;
    }
    const auto identity = tls ? TlsIdentity::self_signed(dir / "slow-head.pem") : nullptr;
    const std::string head = "HTTP/1.1 200 OK\r\n\r\n";
    std::atomic<Clock::time_point> last_byte{};
    RawServer server(
        [&](RawConnection& c) {
          if (c.read_head().empty()) return;
          if (drip(c, head, 100ms, last_byte)) c.write("ok");  // the body ends with the connection
        },
        identity);
    Options options;
    options.stall_timeout = 1000ms;
    if (identity) options.ca_file = identity->certificate_file().string();
    Http http(options);
    const auto start = Clock::now();
    const auto e = only_final(http, http.http_get(server.url("/slow-head")));
    INFO(brief(e) << " after " << ms_between(start, Clock::now()) << " ms");
    CHECK(e.status() == Status::complete);
    CHECK(e.http_status() == 200);
    CHECK(e.result() == "ok");
    CHECK(ms_between(start, last_byte.load()) >= 1800);
  }
}

TEST_CASE("a server that goes silent in the middle of the head: -2 about 1 s after its last byte") {
  struct Case {
    std::string what;
    std::string sent;                // then silence, until the client leaves
    std::chrono::milliseconds gap;   // between the bytes of `sent`
  };
  const std::vector<Case> cases = {
      {"all at once", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Part", 0ms},
      // 1.5 s of a header line that never completes, then nothing.
      {"a byte every 100 ms", "HTTP/1.1 200 OK\r\nX-Partial: abcd", 100ms},
  };
  for (const auto& c : cases) {
    CAPTURE(c.what);
    std::atomic<Clock::time_point> last_byte{};
    RawServer server([&](RawConnection& conn) {
      if (conn.read_head().empty()) return;
      if (drip(conn, c.sent, c.gap, last_byte)) conn.wait_for_close();
    });
    Options options;
    options.stall_timeout = 1000ms;
    Http http(options);
    const auto start = Clock::now();
    const auto e = only_final(http, http.http_get(server.url("/silent-head")));
    const auto end = Clock::now();
    const auto after_last_byte = ms_between(last_byte.load(), end);
    INFO(brief(e) << " after " << ms_between(start, end) << " ms, " << after_last_byte << " ms after the last byte");
    CHECK(e.status() == Status::timeout);
    CHECK(contains(e.error(), "stalled"));
    CHECK(e.result() == "");
    CHECK(after_last_byte >= 1000);
    CHECK(after_last_byte < 1000 + 1500);
  }
}

TEST_CASE("timers start when a transfer is sent, not while it waits for a connection (max_connections 1)") {
  // Three requests of about 0.8 s each, one at a time: the third waits about 1.6 s before it is
  // sent, longer than either limit, and must still complete.
  Options options;
  options.max_connections = 1;
  options.total_timeout = 1500ms;
  options.stall_timeout = 600ms;
  Http http(options);
  const auto start = Clock::now();
  std::vector<RequestId> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(http.http_get(url("/drip?bytes=500&chunks=5&interval_ms=200")));
  for (auto id : ids) REQUIRE_MESSAGE(id >= 0, http.last_error());
  Frames frames = run_until_final(http, ids, {.timeout = 30s});
  const auto elapsed = ms_between(start, Clock::now());
  MESSAGE("three queued 0.8 s requests took " << elapsed << " ms");
  for (auto id : ids) {
    frames.check_lifecycle(id);
    const auto e = frames.final_event(id);
    INFO(brief(e));
    CHECK(e.status() == Status::complete);
    CHECK(e.result() == expected_bytes(0, 500));
  }
  CHECK(elapsed >= 3 * 800);  // they really ran one after another
}

}  // TEST_SUITE
