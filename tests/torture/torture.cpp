// Torture mode (issue 10), as curl's own suite does it: each scenario runs once counting its
// fallible calls (every libcurl call that can fail, every file operation, every allocation on the
// I/O thread), then once per call N with exactly that call failing. Each run must end in exactly
// one final event with a negative status and a reason (or status 0 when the failed call is one the
// code recovers from: `recovers` below says which and why), leave a good file's bytes intact with
// no temporary beside it (but a failed resumable download's partial file and record, which it
// keeps by design), and leave the Http working for the next request. Leaks and crashes are
// the asan preset's (LeakSanitizer's) to find. Built against asyncload_lib_torture.
#include "support/game_loop.hpp"

#include <asyncload/detail/fault_injection.hpp>

#include <doctest/doctest.h>

#include <cstdlib>
#include <algorithm>
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
  // The cancel scenario: cancels the request at its first progress event.
  bool cancel = false;
  // Runs before the faults are armed (a resumable download's interrupted first part).
  std::function<void(const fs::path& dir)> prepare;
  // A failed run may leave the resumable download's partial file and record for the next call.
  bool resumable = false;
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
  // A stall timeout makes the backend watch the connection's socket (socket_activity.cpp);
  // a gzip body goes through the content decoder (content_decoding.cpp).
  list.push_back({"gzip body with a stall timeout",
                  [](Http& http, const fs::path&) { return http.http_get(url("/gzip"), {.stall_timeout = 10s}); },
                  [](const AsyncLoad& e, const fs::path&) { CHECK(e.result() == expected_gzip_text()); }});
  list.push_back({"cancel",
                  [](Http& http, const fs::path&) { return http.http_get(url("/drip?bytes=1000&chunks=10&interval_ms=30")); },
                  [](const AsyncLoad&, const fs::path&) { FAIL("a cancelled request completed"); }, true});
  // The partial file is appended to (a 206), then committed onto the good file.
  list.push_back({"resumed http_get_file over a good file",
                  [](Http& http, const fs::path& dir) {
                    return http.http_get_file(url("/resumable/torture"), (dir / "save.bin").string(), {.resume = true});
                  },
                  [](const AsyncLoad& e, const fs::path& dir) {
                    CHECK(e.http_status() == 200);
                    CHECK(read_file(dir / "save.bin") == expected_resumable_bytes(1, 0, 5000));
                  },
                  false,
                  [](const fs::path& dir) {
                    write_file(dir / "save.bin", good_bytes);
                    Http http;
                    const RequestId set = http.http_get(url("/resumable-set/torture?bytes=5000&cut=2000"));
                    Frames frames = run_until_final(http, {set});
                    const RequestId cut = http.http_get_file(url("/resumable/torture"), (dir / "save.bin").string(),
                                                             {.resume = true});
                    run_until_final(http, frames, {cut});
                    REQUIRE(frames.final_event(cut).status() == Status::network_error);
                    REQUIRE(list_tree(dir).size() == 3);  // the good file, the partial, its record
                  },
                  true});
  return list;
}

struct Run {
  bool fired = false;
  Call call = Call::easy_init;
  int status = 0;
};

bool timing_dependent(Call call) {  // how many of these a run makes depends on the scheduler
  return call == Call::multi_poll || call == Call::multi_perform || call == Call::multi_wakeup;
}

// One run of `scenario` with the `nth` call of kind `call` failing (0: none), on a fresh Http.
// A counting run also returns how many calls of each kind it made.
Run run_once(const Scenario& scenario, Call call, std::uint64_t nth, std::vector<std::uint64_t>* counted = nullptr) {
  TempDir dir;
  if (scenario.prepare) scenario.prepare(dir.path());
  Http http;
  fault::arm(call, nth);
  const RequestId id = scenario.start(http, dir.path());
  REQUIRE(id >= 0);
  Frames frames;
  LoopOptions options{.timeout = 10s};
  if (scenario.cancel) {
    options.on_event = [&](const AsyncLoad& e) {
      if (e.id() == id && e.status() == Status::downloading) http.http_cancel(id);  // once: later ones return false
    };
  }
  run_until_final(http, frames, {id}, options);
  // The core reports a cancel at once; the I/O thread's part (leaving the multi) follows. Not
  // synchronisation: a window in which those calls are counted (a run that is slower to get
  // there makes fewer calls, which torture() allows for timing-dependent calls only).
  if (scenario.cancel) run_for(http, frames, 200ms);
  fault::disarm();
  Run run{fault::fired(), call, 0};
  if (counted) {
    counted->clear();
    for (int kind = 0; kind < fault::kinds; ++kind) counted->push_back(fault::calls(static_cast<Call>(kind)));
  }

  INFO(scenario.name << ", call " << nth << (nth ? std::string(" of ") + fault::name(call) : std::string()));
  frames.check_lifecycle(id);
  const AsyncLoad e = frames.final_event(id);
  INFO(describe(e));
  run.status = static_cast<int>(e.status());
  if (e.failed()) {
    CHECK_FALSE(e.error().empty());
    if (scenario.cancel && !run.fired) CHECK(e.status() == Status::cancelled);
    if (!scenario.cancel) CHECK(run.fired);  // nothing else fails these scenarios
  } else {
    CHECK(e.status() == Status::complete);
    CHECK_MESSAGE((!run.fired || recovers(run.call)), "the failed call was not reported");
    scenario.check_complete(e, dir.path());
  }
  // A good file is either replaced by the complete download or left as it was; no temporary.
  if (fs::exists(dir / "save.bin")) {
    if (e.status() != Status::complete) CHECK(read_file(dir / "save.bin") == good_bytes);
    std::vector<std::string> names = list_tree(dir.path());
    if (scenario.resumable && e.status() != Status::complete)
      std::erase_if(names, [](const std::string& name) { return name.ends_with(".partial") || name.ends_with(".resume"); });
    if (!(run.fired && run.call == Call::file_remove)) CHECK(names == std::vector<std::string>{"save.bin"});
  }
  // The same Http still works.
  const RequestId next = http.http_get(url("/bytes/100"));
  REQUIRE(next >= 0);
  run_until_final(http, frames, {next}, {.timeout = 10s});
  INFO("next request: " << describe(frames.final_event(next)));
  CHECK(frames.final_event(next).status() == Status::complete);
  return run;
}

// Runs `scenario` once counting, then once per counted call with that call failing.
void torture(const Scenario& scenario) {
  // A first run warms up what a process initialises once (curl's globals, the temporary-name
  // generator): those calls belong to no scenario. The second one counts.
  run_once(scenario, Call::easy_init, 0);
  std::vector<std::uint64_t> counts;
  const Run clean = run_once(scenario, Call::easy_init, 0, &counts);
  CHECK_FALSE(clean.fired);
  std::uint64_t total = 0;
  std::uint64_t failed = 0;
  std::uint64_t recovered = 0;
  std::uint64_t rounds_not_made = 0;
  std::string kinds;
  for (int kind = 0; kind < fault::kinds; ++kind) {
    const Call call = static_cast<Call>(kind);
    const std::uint64_t count = counts[kind];
    if (count == 0) continue;
    total += count;
    kinds += std::string(" ") + fault::name(call) + "=" + std::to_string(count);
    for (std::uint64_t n = 1; n <= count; ++n) {
      // How many poll, perform and wakeup rounds a run makes depends on timing, so a later run
      // may make fewer than the counting one: call n is tried a few times, and only such a
      // round may stay unreached.
      Run run;
      for (int attempt = 0; attempt < 5 && !run.fired; ++attempt) run = run_once(scenario, call, n);
      if (!run.fired) {
        CHECK_MESSAGE(timing_dependent(call), scenario.name << ": " << std::string(fault::name(call)) << " " << n << " of "
                                                            << count << " was never reached");
        ++rounds_not_made;
        continue;
      }
      ++failed;
      if (run.status == 0) ++recovered;
    }
  }
  REQUIRE_MESSAGE(total > 0, scenario.name << " made no fallible call");
  MESSAGE(scenario.name << ": " << total << " fallible calls (" << kinds << " ); " << failed
                        << " failed in turn (" << recovered << " recovered with status 0); " << rounds_not_made
                        << " poll/perform/wakeup rounds that later runs did not make");
}

}  // namespace

TEST_SUITE("torture") {

TEST_CASE("torture: GET") { torture(scenarios()[0]); }
TEST_CASE("torture: POST with a body") { torture(scenarios()[1]); }
TEST_CASE("torture: redirect") { torture(scenarios()[2]); }
TEST_CASE("torture: http_get_file over a good file") { torture(scenarios()[3]); }
TEST_CASE("torture: buffer mode") { torture(scenarios()[4]); }
TEST_CASE("torture: gzip body with a stall timeout") { torture(scenarios()[5]); }
TEST_CASE("torture: cancel") { torture(scenarios()[6]); }
TEST_CASE("torture: resumed http_get_file over a good file") { torture(scenarios()[7]); }

}  // TEST_SUITE
