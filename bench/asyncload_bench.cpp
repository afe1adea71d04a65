// asyncload_bench — asyncload's side of every native benchmark case, through the public API and
// a game loop that calls dispatch() once per frame.
//
//   asyncload_bench --case small   --url U --count 10000 --in-flight 64 [--fps 0|60] [--loop spin|wait]
//                                  [--issue all|topup] --expect-bytes 1024
//   asyncload_bench --case file    --url U --out PATH --expect-bytes N [--resume 1] [--cancel-at F]
//   asyncload_bench --case body    --url U --expect-bytes N
//   asyncload_bench --case latency --url U --count 1000 [--fps 1000] --expect-bytes 1
//   asyncload_bench --case stalls  --url U(big) --small-url U --small-count 1000 --small-per-frame 20
//                                  [--out PATH] [--fps 60] --expect-bytes N --small-bytes 1024
//                                  [--frames-out CSV]
//
// Under `valgrind --tool=callgrind --collect-atstart=no` the stalls case counts asyncload's own
// work in every frame exactly: the game thread's instructions inside http_* and dispatch() (the
// handler's left out), dumped once per frame (one callgrind file a frame). Natively the hooks
// are a few no-op instructions.
//
// Frames: --fps N > 0 runs a fixed-rate loop (dispatch, then sleep until the next tick);
// --fps 0 is unthrottled: --loop spin calls dispatch() back to back (a game with no frame cap),
// --loop wait blocks in Http::wait() between frames (a headless tool). The resume case (run.py):
// --resume 1 passes RequestOptions{.resume = true}; --cancel-at F (0 < F < 1) calls http_cancel
// at the first progress event past F of the body and succeeds on the -3 that follows (the
// partial stays for the next --resume 1 run); "cancelled" in the JSON line says whether it did. Exactly one JSON line on
// stdout; exit 0 only when every request came back 200 with the expected number of bytes.
#include "common.hpp"

#include <asyncload/asyncload.hpp>

#include <filesystem>
#include <fstream>
#include <random>
#include <thread>

#include <time.h>

#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#else
#define CALLGRIND_TOGGLE_COLLECT
#define CALLGRIND_DUMP_STATS
#endif

namespace {

using namespace asyncload;
using bench::Clock;

// This thread's CPU time in µs (summed over a whole run: per call it is too coarse in this VM).
double thread_cpu_us() {
  timespec t{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e6 + static_cast<double>(t.tv_nsec) / 1e3;
}

// This thread's context switches so far: voluntary (it blocked: a lock, I/O) and involuntary
// (the scheduler preempted it).
std::pair<long, long> thread_switches() {
  rusage usage{};
  ::getrusage(RUSAGE_THREAD, &usage);
  return {usage.ru_nvcsw, usage.ru_nivcsw};
}


// The frame pacing shared by every case.
class FrameClock {
public:
  FrameClock(double fps, std::string loop) : loop_(std::move(loop)) {
    if (fps > 0) period_ = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / fps));
    next_ = Clock::now() + period_;
  }
  // Between two frames.
  void wait(Http& http) {
    if (period_.count() > 0) {
      std::this_thread::sleep_until(next_);
      next_ += period_;
      const auto now = Clock::now();
      if (next_ < now) next_ = now;  // a late frame does not make the next ones rush
    } else if (loop_ == "wait") {
      http.wait(std::chrono::milliseconds(16));
    }  // "spin": straight into the next frame
  }
  Clock::duration period() const { return period_; }

private:
  std::string loop_;
  Clock::duration period_{0};
  Clock::time_point next_;
};

int many_small(const bench::Args& args) {
  const std::string url = bench::resolve_url(args.required("url"));
  const auto count = args.number("count", 10000);
  const auto in_flight = args.number("in-flight", 64);
  const auto expect = static_cast<std::size_t>(args.number("expect-bytes", 1024));
  const double fps = args.real("fps", 0);
  const std::string loop = args.text("loop", "spin");

  // "all": every request at frame 0, the library keeps `in_flight` running and queues the rest.
  // "topup": the game keeps `in_flight` outstanding, issuing more at the start of each frame.
  const std::string issue = args.text("issue", "all");

  Options options;
  options.max_connections = static_cast<std::size_t>(in_flight);
  const auto start = Clock::now();
  Http http(options);
  std::int64_t issued = 0;
  double issue_cpu_us = 0, dispatch_cpu_us = 0;  // this thread's CPU time in http_get, in dispatch()
  auto issue_up_to = [&](std::int64_t outstanding) {
    const double c0 = thread_cpu_us();
    while (issued < count && static_cast<std::int64_t>(http.in_flight()) < outstanding) {
      if (http.http_get(url) < 0) return false;
      ++issued;
    }
    issue_cpu_us += thread_cpu_us() - c0;
    return true;
  };

  std::int64_t good = 0, bad = 0, progress = 0, frames = 0;
  std::string problem;
  FrameClock clock(fps, loop);
  while (good + bad < count) {
    if (!issue_up_to(issue == "all" ? count : in_flight)) return bench::emit({{"case", "small"}}, false, http.last_error());
    const double c0 = thread_cpu_us();
    http.dispatch([&](const AsyncLoad& e) {
      if (e.status() == Status::downloading) {
        ++progress;
      } else if (e.status() == Status::complete && e.http_status() == 200 && e.result().size() == expect) {
        ++good;
      } else {
        ++bad;
        if (problem.empty()) problem = "status " + std::to_string(static_cast<int>(e.status())) + " http " + std::to_string(e.http_status()) +
                                       " size " + std::to_string(e.result().size()) + " " + std::string(e.error());
      }
    });
    dispatch_cpu_us += thread_cpu_us() - c0;
    ++frames;
    if (good + bad < count) clock.wait(http);
  }
  const double seconds = bench::seconds_between(start, Clock::now());
  return bench::emit({{"case", "small"}, {"tool", "asyncload"}, {"requests", count}, {"seconds", seconds},
                      {"req_per_s", static_cast<double>(count) / seconds}, {"frames", frames},
                      {"progress_events", progress}, {"fps", fps}, {"loop", loop}, {"issue", issue},
                      {"http_get_cpu_us", issue_cpu_us / static_cast<double>(count)},
                      {"dispatch_cpu_us_per_event", dispatch_cpu_us / static_cast<double>(count + progress)}},
                     bad == 0, problem);
}

// One big download, as a file (http_get_file) or into memory (http_get).
int one_big(const bench::Args& args, bool to_file) {
  const std::string url = bench::resolve_url(args.required("url"));
  const auto expect = args.number("expect-bytes", -1);
  const std::string out = to_file ? args.required("out") : std::string();
  const double fps = args.real("fps", 0);
  const char* name = to_file ? "file" : "body";
  RequestOptions request;
  request.resume = args.number("resume", 0) != 0;
  const double cancel_at = args.real("cancel-at", 0);  // 0 = run to the end

  // The 1 GiB body case is over the default max_body_bytes (256 MiB) on purpose: no limit here.
  Options options;
  options.max_body_bytes = 0;
  const auto start = Clock::now();
  Http http(options);
  const RequestId id = to_file ? http.http_get_file(url, out, request) : http.http_get(url);
  if (id < 0) return bench::emit({{"case", name}}, false, http.last_error());
  bool done = false, ok = false, cancelled = false;
  std::int64_t bytes = -1, progress = 0;
  std::int64_t first_seen = -1, last_seen = -1;  // sizeDownloaded at the first and last progress
  std::string problem;
  FrameClock clock(fps, "wait");
  while (!done) {
    http.dispatch([&](const AsyncLoad& e) {
      if (e.status() == Status::downloading) {
        ++progress;
        if (first_seen < 0) first_seen = e.size_downloaded();
        last_seen = e.size_downloaded();
        if (cancel_at > 0 && !cancelled && e.content_length() > 0 &&
            static_cast<double>(e.size_downloaded()) > cancel_at * static_cast<double>(e.content_length()))
          cancelled = http.http_cancel(id);
        return;
      }
      done = true;
      if (cancel_at > 0 && cancelled) {  // the first half of the resume case: a -3, the partial kept
        ok = e.status() == Status::cancelled;
        if (!ok) problem = "cancelled, yet status " + std::to_string(static_cast<int>(e.status()));
        return;
      }  // not cancelled (a small body may end before a progress event shows half): checked as usual
      bytes = to_file ? static_cast<std::int64_t>(std::filesystem::file_size(e.result()))
                      : static_cast<std::int64_t>(e.result().size());
      ok = e.status() == Status::complete && e.http_status() == 200 && (expect < 0 || bytes == expect);
      if (!ok) problem = "status " + std::to_string(static_cast<int>(e.status())) + " http " + std::to_string(e.http_status()) +
                         " bytes " + std::to_string(bytes) + " " + std::string(e.error());
    });
    if (!done) clock.wait(http);
  }
  const double seconds = bench::seconds_between(start, Clock::now());
  return bench::emit({{"case", name}, {"tool", "asyncload"}, {"bytes", bytes}, {"seconds", seconds},
                      {"mb_per_s", static_cast<double>(bytes) / seconds / 1e6}, {"progress_events", progress},
                      {"first_progress_bytes", first_seen}, {"last_progress_bytes", last_seen},
                      {"resume", request.resume}, {"cancelled", cancelled}},
                     ok, problem);
}

// Sequential 1-byte GETs on a warm keep-alive connection: from the call to the handler running.
// The game issues each request at a random point of its frame (its update() runs first), so
// responses land at random phases of the frame, as a real server's would.
int latency(const bench::Args& args) {
  const std::string url = bench::resolve_url(args.required("url"));
  const auto count = args.number("count", 1000);
  const auto expect = static_cast<std::size_t>(args.number("expect-bytes", 1));
  const double fps = args.real("fps", 1000);

  Http http;
  std::mt19937 random(12345);
  std::vector<double> samples;
  std::int64_t bad = 0;
  std::string problem;
  bool waiting = false;
  Clock::time_point issued;
  FrameClock clock(fps, "wait");
  for (std::int64_t i = -1; i < count || waiting;) {  // i == -1: the warm-up request (connect)
    http.dispatch([&](const AsyncLoad& e) {
      if (e.status() == Status::downloading) return;
      const auto now = Clock::now();
      waiting = false;
      if (e.status() != Status::complete || e.http_status() != 200 || e.result().size() != expect) {
        ++bad;
        problem = "status " + std::to_string(static_cast<int>(e.status())) + " " + std::string(e.error());
      } else if (i > 0) {
        samples.push_back(bench::micros_between(issued, now));
      }
    });
    if (!waiting && i < count) {
      if (clock.period().count() > 0) {  // the frame's update() before it calls http_get
        std::uniform_int_distribution<long> phase(0, std::chrono::duration_cast<std::chrono::microseconds>(clock.period()).count() - 1);
        std::this_thread::sleep_for(std::chrono::microseconds(phase(random)));
      }
      issued = Clock::now();
      if (http.http_get(url) < 0) return bench::emit({{"case", "latency"}}, false, http.last_error());
      waiting = true;
      ++i;
    }
    clock.wait(http);
  }
  return bench::emit({{"case", "latency"}, {"tool", "asyncload"}, {"requests", samples.size()}, {"fps", fps},
                      {"median_us", bench::percentile(samples, 50)}, {"p90_us", bench::percentile(samples, 90)},
                      {"p99_us", bench::percentile(samples, 99)}, {"max_us", bench::percentile(samples, 100)}},
                     bad == 0 && !samples.empty(), problem);
}

// A 60 fps loop while one big download and many small requests run: the wall time each frame
// spends in http_* calls and dispatch(), the handler's own time subtracted. Each frame also notes
// whether the game thread was switched out meanwhile (the scheduler preempted it, or it blocked),
// so that a slow frame can be told apart from slow work: "clean" frames had no switch at all.
int frame_stalls(const bench::Args& args) {
  const std::string big_url = bench::resolve_url(args.required("url"));
  const std::string small_url = bench::resolve_url(args.required("small-url"));
  const std::string out = args.text("out");  // "" = the big one into memory
  const auto expect = args.number("expect-bytes", -1);
  const auto small_expect = static_cast<std::size_t>(args.number("small-bytes", 1024));
  const auto small_count = args.number("small-count", 1000);
  const auto small_per_frame = args.number("small-per-frame", 20);
  const double fps = args.real("fps", 60);

  Options options;
  options.max_body_bytes = 0;  // the big body may be 1 GiB, over the default limit
  Http http(options);
  FrameClock clock(fps, "wait");
  struct Frame {
    double work_us;
    std::int64_t events;
    long blocked, preempted;  // the game thread's voluntary / involuntary switches in the frame
  };
  std::vector<Frame> frames;
  std::int64_t small_issued = 0, small_good = 0, bad = 0;
  bool big_done = false;
  std::string problem;
  auto fail = [&](const AsyncLoad& e) {
    ++bad;
    problem = "id " + std::to_string(e.id()) + " status " + std::to_string(static_cast<int>(e.status())) + " " + std::string(e.error());
  };
  RequestId big = -1;
  const auto start = Clock::now();
  while (!big_done || small_good + bad < small_count) {
    Frame frame{0, 0, 0, 0};
    const auto [voluntary0, involuntary0] = thread_switches();
    const auto t0 = Clock::now();
    CALLGRIND_TOGGLE_COLLECT;  // on: asyncload's work begins (see the header comment)
    if (big < 0) big = out.empty() ? http.http_get(big_url) : http.http_get_file(big_url, out);
    for (std::int64_t k = 0; k < small_per_frame && small_issued < small_count; ++k, ++small_issued)
      if (http.http_get(small_url) < 0) return bench::emit({{"case", "stalls"}}, false, http.last_error());
    double handler_us = 0;
    http.dispatch([&](const AsyncLoad& e) {
      CALLGRIND_TOGGLE_COLLECT;  // off: the handler is the game's work
      const auto h0 = Clock::now();
      ++frame.events;
      if (e.status() != Status::downloading) {
        if (e.id() == big) {
          big_done = true;
          const auto bytes = out.empty() ? static_cast<std::int64_t>(e.result().size())
                                         : static_cast<std::int64_t>(std::filesystem::file_size(e.result()));
          if (e.status() != Status::complete || e.http_status() != 200 || (expect >= 0 && bytes != expect)) fail(e);
        } else if (e.status() == Status::complete && e.http_status() == 200 && e.result().size() == small_expect) {
          ++small_good;
        } else {
          fail(e);
        }
      }
      handler_us += bench::micros_between(h0, Clock::now());
      CALLGRIND_TOGGLE_COLLECT;  // on again
    });
    CALLGRIND_TOGGLE_COLLECT;  // off
    CALLGRIND_DUMP_STATS;      // this frame's count, in a file of its own
    frame.work_us = bench::micros_between(t0, Clock::now()) - handler_us;
    const auto [voluntary1, involuntary1] = thread_switches();
    frame.blocked = voluntary1 - voluntary0;
    frame.preempted = involuntary1 - involuntary0;
    frames.push_back(frame);
    clock.wait(http);
  }
  const double seconds = bench::seconds_between(start, Clock::now());

  if (const std::string path = args.text("frames-out"); !path.empty()) {  // one line per frame
    std::ofstream csv(path);
    csv << "frame,events,work_us,blocked,preempted\n";
    for (std::size_t f = 0; f < frames.size(); ++f)
      csv << f << ',' << frames[f].events << ',' << frames[f].work_us << ',' << frames[f].blocked << ','
          << frames[f].preempted << '\n';
  }
  std::vector<double> all, clean;  // clean: frames the thread ran through without a switch
  std::size_t slowest = 0, over_1ms = 0, over_1ms_switched = 0;
  double after_frame0 = 0;
  for (std::size_t f = 0; f < frames.size(); ++f) {
    const Frame& frame = frames[f];
    const bool switched = frame.blocked + frame.preempted > 0;
    all.push_back(frame.work_us);
    if (!switched) clean.push_back(frame.work_us);
    if (frame.work_us > 1000) {
      ++over_1ms;
      over_1ms_switched += switched;
    }
    if (frame.work_us > frames[slowest].work_us) slowest = f;
    if (f > 0) after_frame0 = std::max(after_frame0, frame.work_us);
  }
  const Frame& worst = frames[slowest];
  return bench::emit({{"case", "stalls"}, {"tool", "asyncload"}, {"frames", frames.size()}, {"seconds", seconds},
                      {"p50_us", bench::percentile(all, 50)}, {"p99_us", bench::percentile(all, 99)},
                      {"max_us", bench::percentile(all, 100)}, {"max_after_frame0_us", after_frame0},
                      {"frame0_us", frames.front().work_us}, {"clean_max_us", bench::percentile(clean, 100)},
                      {"clean_frames", clean.size()}, {"frames_over_1ms", over_1ms},
                      {"frames_over_1ms_switched", over_1ms_switched}, {"slowest_frame", slowest},
                      {"slowest_events", worst.events}, {"slowest_blocked", worst.blocked},
                      {"slowest_preempted", worst.preempted}, {"big", out.empty() ? "memory" : "file"}},
                     bad == 0, problem);
}

}  // namespace

int main(int argc, char** argv) try {
  const bench::Args args(argc, argv);
  const std::string which = args.required("case");
  if (which == "small") return many_small(args);
  if (which == "file") return one_big(args, true);
  if (which == "body") return one_big(args, false);
  if (which == "latency") return latency(args);
  if (which == "stalls") return frame_stalls(args);
  std::cerr << "unknown --case " << which << "\n";
  return 2;
} catch (const std::exception& e) {
  std::cerr << "asyncload_bench: " << e.what() << "\n";
  return 2;
}
