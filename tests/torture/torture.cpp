// Torture mode (issue 10), as curl's own suite does it: each scenario runs once counting its
// fallible calls (every libcurl call that can fail, every file operation, every allocation on the
// I/O thread), then once per call N with exactly that call failing. Each run must end in exactly
// one final event with a negative status and a reason (or status 0 when the failed call is one the
// code recovers from: `recovers` below says which and why), leave a good file's bytes intact with
// no temporary beside it, and leave the Http working for the next request. Leaks and crashes are
// the asan preset's (LeakSanitizer's) to find. Built against asyncload_lib_torture.
#include "support/game_loop.hpp"

#include <asyncload/detail/fault_injection.hpp>

#include <doctest/doctest.h>

#include <cstdlib>
#include <functional>
#include <map>
#include <new>
#include <string>
#include <vector>

// Allocations count as fallible calls only on the I/O path (the backend's I/O thread marks
// itself with fault::IoPath): the game thread's allocations are the game's business.
void* operator new(std::size_t size) {
  using namespace asyncload::fault;
  if (on_io_path() && fail_point(Call::allocation)) throw std::bad_alloc();
  if (void* p = std::malloc(size ? size : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

using namespace asyncload;
using namespace asyncload::test;
namespace fs = std::filesystem;
using fault::Call;

namespace {

// Failed calls the code recovers from, so that status 0 is right:
//   multi_poll     the loop goes round once more (it polls again)
//   multi_perform  the next round performs (curl keeps its state)
//   multi_wakeup   the I/O thread polls briefly until it takes the commands (CurlBackend)
//   multi_remove   the transfer was done already: curl's result stands, the handle is cleaned up
//   file_remove    only ever called on a path that already failed, or on clean-up
bool recovers(Call call) {
  return call == Call::multi_poll || call == Call::multi_perform || call == Call::multi_wakeup ||
         call == Call::multi_remove || call == Call::file_remove;
}

const std::string good_bytes = "the player's good save, which no failed download may touch";

struct Scenario {
  std::string name;
  // Starts the request in `dir`; the harness runs frames until it has a final event.
  std::function<RequestId(Http&, const fs::path& dir)> start;
  // Checks a status-0 outcome (clean or recovered).
  std::function<void(const AsyncLoad&, const fs::path& dir)> check_complete;
  // Cancels the request after the first frame (the cancel scenario).
  bool cancel = false;
};

std::vector<Scenario> scenarios() {
  std::vector<Scenario> list;
  list.push_back({"GET", [](Http& http, const fs::path&) { return http.http_get(url("/bytes/3000")); },
                  [](const AsyncLoad& e, const fs::path&) { CHECK(e.result() == expected_bytes(0, 3000)); }});
  list.push_back({"POST with a body",
                  [](Http& http, const fs::path&) { return http.http_post_string(url("/echo/raw"), "a body"); },
                  [](const AsyncLoad& e, const fs::path&) { CHECK(e.result() == "a body"); }});
  list.push_back({"redirect", [](Http& http, const fs::path&) { return http.http_get(url("/redirect/2")); },
                  [](const AsyncLoad& e, const fs::path&) { CHECK(e.http_status() == 200); }});
  list.push_back({"http_get_file over a good file",
                  [](Http& http, const fs::path& dir) {
                    write_file(dir / "save.bin", good_bytes);
                    return http.http_get_file(url("/bytes/5000"), (dir / "save.bin").string());
                  },
                  [](const AsyncLoad&, const fs::path& dir) {
                    CHECK(read_file(dir / "save.bin") == expected_bytes(0, 5000));
                  }});
  list.push_back({"buffer mode",
                  [](Http& http, const fs::path&) {
                    return http.http_request(url("/bytes/2000"), "GET", {}, Buffer::make_grow(16));
                  },
                  [](const AsyncLoad& e, const fs::path&) { CHECK(e.result_bytes() == 2000); }});
  list.push_back({"cancel", [](Http& http, const fs::path&) { return http.http_get(url("/hang")); },
                  [](const AsyncLoad&, const fs::path&) { FAIL("a cancelled request completed"); }, true});
  return list;
}

struct Run {
  bool fired = false;
  Call call = Call::easy_init;
  int status = 0;
};

// One run of `scenario` with the `nth` fallible call failing (0: none), on a fresh Http.
Run run_once(const Scenario& scenario, std::uint64_t nth, std::uint64_t* counted = nullptr) {
  TempDir dir;
  Http http;
  fault::arm(nth);
  const RequestId id = scenario.start(http, dir.path());
  REQUIRE(id >= 0);
  Frames frames;
  if (scenario.cancel) {
    run_frames(http, frames, 1);
    http.http_cancel(id);
  }
  run_until_final(http, frames, {id}, {.timeout = 10s});
  fault::disarm();
  Run run{fault::fired(), fault::fired_call(), 0};
  if (counted) *counted = fault::calls();

  INFO(scenario.name << ", call " << nth << (run.fired ? std::string(" (") + fault::name(run.call) + ")" : ""));
  frames.check_lifecycle(id);
  const AsyncLoad e = frames.final_event(id);
  INFO(describe(e));
  run.status = static_cast<int>(e.status());
  if (e.status() < 0) {
    CHECK_FALSE(e.error().empty());
    if (scenario.cancel && !run.fired) CHECK(e.status() == -3);
  } else {
    CHECK(e.status() == 0);
    CHECK_MESSAGE((!run.fired || recovers(run.call)), "the failed call was not reported");
    scenario.check_complete(e, dir.path());
  }
  // A good file is either replaced by the complete download or left as it was; no temporary.
  if (fs::exists(dir / "save.bin")) {
    if (e.status() != 0) CHECK(read_file(dir / "save.bin") == good_bytes);
    if (!(run.fired && run.call == Call::file_remove)) CHECK(list_tree(dir.path()) == std::vector<std::string>{"save.bin"});
  }
  // The same Http still works.
  const RequestId next = http.http_get(url("/bytes/100"));
  REQUIRE(next >= 0);
  run_until_final(http, frames, {next}, {.timeout = 10s});
  CHECK(frames.final_event(next).status() == 0);
  return run;
}

// Runs `scenario` once counting, then once per counted call with that call failing.
void torture(const Scenario& scenario) {
  std::uint64_t count = 0;
  const Run clean = run_once(scenario, 0, &count);
  CHECK_FALSE(clean.fired);
  REQUIRE_MESSAGE(count > 0, scenario.name << " made no fallible call");
  std::map<std::string, int> failed_by_kind;
  std::uint64_t recovered = 0;
  for (std::uint64_t n = 1; n <= count; ++n) {
    // Poll and perform rounds depend on timing, so a run may make fewer calls than the
    // counting one: run call n again until it is reached (it always is within a few tries).
    Run run;
    for (int attempt = 0; attempt < 5 && !run.fired; ++attempt) run = run_once(scenario, n);
    CHECK_MESSAGE(run.fired, scenario.name << ": call " << n << " of " << count << " was never reached");
    if (!run.fired) continue;
    ++failed_by_kind[fault::name(run.call)];
    if (run.status == 0) ++recovered;
  }
  std::string kinds;
  for (const auto& [kind, times] : failed_by_kind) kinds += " " + kind + "=" + std::to_string(times);
  MESSAGE(scenario.name << ": " << count << " fallible calls, each failed in turn (" << recovered
                        << " recovered with status 0):" << kinds);
}

}  // namespace

TEST_SUITE("torture") {

TEST_CASE("torture: GET") { torture(scenarios()[0]); }
TEST_CASE("torture: POST with a body") { torture(scenarios()[1]); }
TEST_CASE("torture: redirect") { torture(scenarios()[2]); }
TEST_CASE("torture: http_get_file over a good file") { torture(scenarios()[3]); }
TEST_CASE("torture: buffer mode") { torture(scenarios()[4]); }
TEST_CASE("torture: cancel") { torture(scenarios()[5]); }

}  // TEST_SUITE
