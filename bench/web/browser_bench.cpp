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
// Every final event is checked (status 0, http 200, the body's exact length; a file's size), so
// a broken run reports a failure instead of a fast figure.
//
// Memory (bench_start_big): while one big request runs, the wasm heap (emscripten_get_heap_size)
// and Chrome's JS heap (performance.memory.usedJSHeapSize) are sampled at every progress event
// and every frame, and their peaks go back with the result (information: the wasm heap's size
// never shrinks, and the JS heap counts garbage not yet collected). bench/run.py's figure is the
// renderer process's peak RSS, taken from outside (see browser_bench.html, "ack"), which also
// counts what Chromium holds of a response before the page sees it.
#include <asyncload/asyncload.hpp>

#include <emscripten/emscripten.h>
#include <emscripten/heap.h>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>

EM_JS(void, bench_asyncload_done, (double ms, int ok, const char* problem, int frames,
                                   double dispatch_ms, double heap_bytes, double peak_wasm, double peak_js), {
  window.bench.asyncloadDone({ms: ms, ok: ok != 0, problem: UTF8ToString(problem), frames: frames,
                              dispatch_ms: dispatch_ms, wasm_heap_bytes: heap_bytes,
                              peak_wasm_heap_bytes: peak_wasm, peak_js_heap_bytes: peak_js});
});

// Chrome's JS heap in use (0 where performance.memory is missing).
EM_JS(double, bench_js_heap_bytes, (), {
  return performance.memory ? performance.memory.usedJSHeapSize : 0;
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
  bool sample = false;        // sample the heaps (one big request)
  std::string file;           // http_get_file's target ("" = into memory)
  double peak_wasm = 0, peak_js = 0;
};

asyncload::Http* http = nullptr;  // lives as long as the page
Measurement m;

void sample_heaps() {
  if (!m.sample) return;
  m.peak_wasm = std::max(m.peak_wasm, static_cast<double>(emscripten_get_heap_size()));
  m.peak_js = std::max(m.peak_js, bench_js_heap_bytes());
}

void check(const asyncload::AsyncLoad& e) {
  if (e.status() == asyncload::Status::downloading) {  // progress
    sample_heaps();
    return;
  }
  sample_heaps();
  ++m.finals;
  if (!m.problem.empty()) return;
  if (e.status() != asyncload::Status::complete || e.http_status() != 200) {
    m.problem = "request " + std::to_string(e.id()) + ": status " + std::to_string(static_cast<int>(e.status())) +
                ", http " + std::to_string(e.http_status()) + " " + std::string(e.error());
  } else if (!m.file.empty()) {
    struct stat st{};
    const bool found = ::stat(m.file.c_str(), &st) == 0;
    if (!found || st.st_size != m.bytes)
      m.problem = "file " + m.file + ": " + (found ? std::to_string(st.st_size) : std::string("missing")) +
                  " bytes, not " + std::to_string(m.bytes);
    ::unlink(m.file.c_str());  // MEMFS: the next repetition starts without it
  } else if (static_cast<std::int64_t>(e.result().size()) != m.bytes) {
    m.problem = "request " + std::to_string(e.id()) + ": " + std::to_string(e.result().size()) +
                " bytes, not " + std::to_string(m.bytes);
  }
}

void frame() {
  const double before = emscripten_get_now();
  sample_heaps();
  http->dispatch(check);
  if (!m.active) return;
  m.dispatch_ms += emscripten_get_now() - before;
  ++m.frames;
  if (m.finals < m.expected) return;
  m.active = false;
  const double ms = emscripten_get_now() - m.started_ms;
  bench_asyncload_done(ms, m.problem.empty(), m.problem.c_str(), m.frames, m.dispatch_ms,
                       static_cast<double>(emscripten_get_heap_size()), m.peak_wasm, m.peak_js);
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

// One GET of /resumable/big<name> (`bytes` long, defined by the page through /resumable-set:
// it answers ranges) into memory (to_file 0) or to a file in MEMFS (to_file 1), the heaps
// sampled meanwhile. Its max_body_bytes is raised for this request alone: the default (256 MiB)
// is the body's size, and a game that wants such a body says so.
EMSCRIPTEN_KEEPALIVE void bench_start_big(double bytes, int to_file, int name) {
  const std::string url = "/resumable/big" + std::to_string(name);
  m = Measurement{};
  m.active = true;
  m.expected = 1;
  m.bytes = static_cast<std::int64_t>(bytes);
  m.sample = true;
  m.file = to_file ? "/bench-big.bin" : "";
  m.started_ms = emscripten_get_now();
  sample_heaps();
  asyncload::RequestOptions options;
  options.max_body_bytes = static_cast<std::size_t>(m.bytes) * 2;
  const auto id = to_file ? http->http_get_file(url, m.file, options) : http->http_get(url, options);
  if (id < 0) {
    m.problem = "request refused: " + http->last_error();
    m.expected = 0;
  }
}

}  // extern "C"

int main() {
  http = new asyncload::Http;  // default Options, as a game would have them
  std::printf("browser_bench: backend %s, max_connections 64 (default)\n",
              http->capabilities().backend.c_str());
  emscripten_set_main_loop(frame, 0, 0);  // 0 fps: requestAnimationFrame
  return 0;
}
