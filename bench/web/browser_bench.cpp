// browser_bench.cpp — the asyncload side of the browser benchmark (bench/web/browser_bench.html
// holds the schedule, the plain-XHR peer and the report).
//
// A game loop on emscripten_set_main_loop at the browser's frame rate (requestAnimationFrame,
// no ASYNCIFY) calls http.dispatch() once per frame, all the time. The page starts one
// measurement at a time through the exported bench_* functions: the requests are issued at once
// from that call, and the measurement ends in the frame whose dispatch() delivers the last final
// event — the moment a game would see it. The result goes back to the page through
// bench_asyncload_done() (EM_JS, below).
//
// Every final event is checked (status 0, http 200, the body's exact length), so a broken run
// reports a failure instead of a fast figure.
#include <asyncload/asyncload.hpp>

#include <emscripten/emscripten.h>
#include <emscripten/heap.h>

#include <cstdint>
#include <cstdio>
#include <string>

EM_JS(void, bench_asyncload_done, (double ms, int ok, const char* problem, int frames,
                                   double dispatch_ms, double heap_bytes), {
  window.bench.asyncloadDone({ms: ms, ok: ok != 0, problem: UTF8ToString(problem), frames: frames,
                              dispatch_ms: dispatch_ms, wasm_heap_bytes: heap_bytes});
});

namespace {

// The measurement under way, if any.
struct Measurement {
  bool active = false;
  int expected = 0;           // final events to wait for
  int finals = 0;
  std::int64_t bytes = 0;     // each body's expected length
  double started_ms = 0;
  double dispatch_ms = 0;     // time spent inside dispatch() (the handler's checks included)
  int frames = 0;
  std::string problem;        // the first failed check
};

asyncload::Http* http = nullptr;  // lives as long as the page
Measurement m;

void check(const asyncload::AsyncLoad& e) {
  if (e.status() == asyncload::Status::downloading) return;  // progress
  ++m.finals;
  if (!m.problem.empty()) return;
  if (e.status() != asyncload::Status::complete || e.http_status() != 200) {
    m.problem = "request " + std::to_string(e.id()) + ": status " + std::to_string(static_cast<int>(e.status())) +
                ", http " + std::to_string(e.http_status()) + " " + std::string(e.error());
  } else if (static_cast<std::int64_t>(e.result().size()) != m.bytes) {
    m.problem = "request " + std::to_string(e.id()) + ": " + std::to_string(e.result().size()) +
                " bytes, not " + std::to_string(m.bytes);
  }
}

void frame() {
  const double before = emscripten_get_now();
  http->dispatch(check);
  if (!m.active) return;
  m.dispatch_ms += emscripten_get_now() - before;
  ++m.frames;
  if (m.finals < m.expected) return;
  m.active = false;
  const double ms = emscripten_get_now() - m.started_ms;
  bench_asyncload_done(ms, m.problem.empty(), m.problem.c_str(), m.frames, m.dispatch_ms,
                       static_cast<double>(emscripten_get_heap_size()));
}

// Issues `count` GETs of /bytes/<bytes>, each URL made unique by `run` and its index so that
// no response can come from the browser's cache (the XHR peer does the same).
void start(int count, std::int64_t bytes, int run) {
  m = Measurement{};
  m.active = true;
  m.expected = count;
  m.bytes = bytes;
  m.started_ms = emscripten_get_now();
  const std::string base = "/bytes/" + std::to_string(bytes) + "?r=a" + std::to_string(run) + "-";
  for (int i = 0; i < count; ++i) {
    if (http->http_get(base + std::to_string(i)) < 0) {
      m.problem = "http_get refused: " + http->last_error();
      m.expected = i;  // nothing more will arrive
      break;
    }
  }
}

}  // namespace

extern "C" {

// `count` concurrent GETs of `bytes` bytes each; the page gets bench_asyncload_done().
// `run` numbers the measurement (unique URLs).
EMSCRIPTEN_KEEPALIVE void bench_start(int count, double bytes, int run) {
  start(count, static_cast<std::int64_t>(bytes), run);
}

}  // extern "C"

int main() {
  http = new asyncload::Http;  // default Options, as a game would have them
  std::printf("browser_bench: backend %s, max_connections 64 (default)\n",
              http->capabilities().backend.c_str());
  emscripten_set_main_loop(frame, 0, 0);  // 0 fps: requestAnimationFrame
  return 0;
}
