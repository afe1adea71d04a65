// web_demo.cpp — asyncload in the browser: a game loop on emscripten_set_main_loop (60 fps, no
// ASYNCIFY) fires a handful of requests at frame 0 against the page's own origin, calls
// http.dispatch() once per frame and draws every async_load event into the page
// (examples/web/demo.html) through the small EM_JS functions below: one row per request with a
// progress bar, and on its final event the async_load map itself.
//
// When every request has its final event it prints "demo: all requests done" and one summary
// line per request (stdout goes to Module.print, the page's log), then reports to the serving
// test server: /done?code=0 when each outcome was the expected one, code=1 otherwise. Served by
// `asyncload serve` (open <base>/static/examples/demo.html) and run headless by the `web_demo`
// test (web_runner, which also passes ?foreign=<a second origin> for the cross-origin rows).
#include <asyncload/asyncload.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <emscripten/emscripten.h>

#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

// ---- the page (examples/web/demo.html defines window.demo) ------------------------------------

// Rows are numbered 0.. in firing order; `id` is what the http_* call returned (-1: refused).
EM_JS(void, ui_add_row, (int row, int id, const char* method, const char* url, const char* expect), {
  window.demo.addRow(row, id, UTF8ToString(method), UTF8ToString(url), UTF8ToString(expect));
});
EM_JS(void, ui_progress, (int row, double loaded, double total), {
  window.demo.progress(row, loaded, total);
});
EM_JS(void, ui_final, (int row, int status, int http_status, double loaded, double total,
                       const char* map_json, const char* verdict, int ok), {
  window.demo.final(row, status, http_status, loaded, total, UTF8ToString(map_json),
                    UTF8ToString(verdict), ok != 0);
});
EM_JS(void, ui_frame, (int frame, int in_flight), { window.demo.frame(frame, in_flight); });
EM_JS(void, ui_done, (int ok, const char* headline), {
  window.demo.done(ok != 0, UTF8ToString(headline));
});
EM_JS(void, ui_caption, (const char* text), { window.demo.caption(UTF8ToString(text)); });

namespace {

using asyncload::AsyncLoad;
using asyncload::Http;
using asyncload::RequestId;
using asyncload::Status;

// One demo request and what it must end with.
struct DemoRequest {
  std::string method;   // GET or POST, as shown
  std::string url;      // relative to the page's origin, or absolute
  std::string expect;   // the legend, shown in the row
  std::function<RequestId(Http&)> fire;
  std::function<std::string(const AsyncLoad&)> check;  // "" when the final event is right
  bool want_progress = false;

  int row = -1;
  RequestId id = -1;
  int progress_events = 0;
  std::optional<AsyncLoad> final_event;
  std::string problem;
};

struct Demo {
  Http http;
  std::vector<DemoRequest> requests;
  int frame = 0;
  bool finished = false;
};

Demo* demo = nullptr;  // lives as long as the page

// ---- expectations --------------------------------------------------------------------------

std::string want(const AsyncLoad& e, Status status, long http_status) {
  if (e.status() == status && e.http_status() == http_status) return "";
  return "wanted status " + std::to_string(static_cast<int>(status)) + ", http " + std::to_string(http_status);
}

std::string want_ok(const AsyncLoad& e) { return want(e, Status::complete, 200); }

std::string want_failure(const AsyncLoad& e) {
  if (e.failed() && e.http_status() == 0) return "";
  return "wanted a failure: status < 0, http 0";
}

std::string echoed_body(std::string_view json_text) {
  boost::system::error_code ec;
  const auto value = boost::json::parse(json_text, ec);
  if (ec || !value.is_object()) return {};
  const auto* body = value.get_object().if_contains("body");
  return body && body->is_string() ? std::string(body->get_string()) : std::string();
}

// ---- showing an async_load map ---------------------------------------------------------------

bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (std::size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 2) return false;
    i += n;
  }
  return true;
}

// The map as JSON, its result shortened to what fits a table cell.
std::string shown_map(const AsyncLoad& e) {
  boost::json::object map = e.map();
  if (auto* result = map.if_contains("result"); result && result->is_string()) {
    const std::string_view text = result->get_string();
    constexpr std::size_t keep = 96;
    if (!valid_utf8(text)) {
      *result = "<" + std::to_string(text.size()) + " bytes of binary>";
    } else if (text.size() > keep) {
      std::size_t cut = keep;
      while (cut > 0 && (static_cast<unsigned char>(text[cut]) >> 6) == 2) --cut;  // whole chars
      *result = std::string(text.substr(0, cut)) + "… (" + std::to_string(text.size()) + " bytes)";
    }
  }
  return boost::json::serialize(map);
}

// ---- the requests ----------------------------------------------------------------------------

std::string page_parameter(const char* name) {
  const std::string script =
      std::string("new URLSearchParams(location.search).get('") + name + "') || ''";
  const char* value = emscripten_run_script_string(script.c_str());
  return value ? value : "";
}

constexpr std::string_view kPosted = "name=demo&score=42";
constexpr std::string_view kLarge = "/drip?bytes=3000000&chunks=60&interval_ms=30";

void add_requests(Demo& d) {
  auto get = [](std::string url) {
    return [url](Http& http) { return http.http_get(url); };
  };
  auto add = [&](std::string method, std::string url, std::string expect,
                 std::function<RequestId(Http&)> fire,
                 std::function<std::string(const AsyncLoad&)> check) -> DemoRequest& {
    DemoRequest& r = d.requests.emplace_back();
    r.method = std::move(method);
    r.url = std::move(url);
    r.expect = std::move(expect);
    r.fire = std::move(fire);
    r.check = std::move(check);
    return r;
  };

  add("GET", "/bytes/1024", "1 KiB of binary: status 0, http 200, 1024 bytes", get("/bytes/1024"),
      [](const AsyncLoad& e) {
        if (auto p = want_ok(e); !p.empty()) return p;
        return e.result().size() == 1024 ? std::string() : "wanted 1024 bytes";
      });
  add("GET", "/delay/300", "answers after 300 ms (some 18 frames later): status 0, http 200",
      get("/delay/300"), [](const AsyncLoad& e) {
        if (auto p = want_ok(e); !p.empty()) return p;
        return e.result() == "delayed" ? std::string() : "wanted the body \"delayed\"";
      });
  add("GET", "/echo", "the request echoed as JSON: status 0, http 200", get("/echo"),
      [](const AsyncLoad& e) {
        if (auto p = want_ok(e); !p.empty()) return p;
        return e.header("content-type") == "application/json" ? std::string()
                                                              : "wanted a JSON response";
      });
  add("GET", std::string(kLarge),
      "3 MB dripped in 60 pieces over ~2 s: progress events (status 1), then status 0",
      get(std::string(kLarge)), [](const AsyncLoad& e) {
        if (auto p = want_ok(e); !p.empty()) return p;
        return e.result().size() == 3000000 ? std::string() : "wanted 3000000 bytes";
      })
      .want_progress = true;
  add("POST", "/echo",
      "http_post_string(\"" + std::string(kPosted) + "\"): status 0, the echo shows the body",
      [](Http& http) { return http.http_post_string("/echo", kPosted); },
      [](const AsyncLoad& e) {
        if (auto p = want_ok(e); !p.empty()) return p;
        return echoed_body(e.result()) == kPosted ? std::string() : "the echo lacks the body";
      });
  add("GET", "/status/404", "not found, still a completed exchange: status 0, http 404",
      get("/status/404"), [](const AsyncLoad& e) { return want(e, Status::complete, 404); });

  const std::string foreign = page_parameter("foreign");
  if (!foreign.empty()) {
    add("GET", foreign + "/status/200",
        "another origin that sends no CORS headers: the browser blocks it, status -1, http 0",
        get(foreign + "/status/200"), want_failure);
    add("GET", foreign + "/cors/echo",
        "another origin that allows CORS (/cors/...): status 0, http 200",
        get(foreign + "/cors/echo"), want_ok);
  }
  add("GET", "http://127.0.0.1:1/", "nothing listens on port 1 (and browsers refuse it): status -1",
      get("http://127.0.0.1:1/"), want_failure);
}

void fire_all(Demo& d) {
  const auto caps = d.http.capabilities();
  std::printf("demo: backend %s, progress events %s, %zu requests fired at frame 0\n",
              caps.backend.c_str(), caps.progress_events ? "yes" : "no", d.requests.size());
  const char* origin = emscripten_run_script_string("location.origin");
  ui_caption(("backend " + caps.backend + " · progress events " +
              (caps.progress_events ? "yes" : "no") + " · page origin " + (origin ? origin : "") +
              " · 60 fps, one dispatch() per frame")
                 .c_str());
  for (std::size_t row = 0; row < d.requests.size(); ++row) {
    DemoRequest& r = d.requests[row];
    r.row = static_cast<int>(row);
    r.id = r.fire(d.http);
    ui_add_row(r.row, static_cast<int>(r.id), r.method.c_str(), r.url.c_str(), r.expect.c_str());
    if (r.id < 0) {
      r.problem = "refused: " + d.http.last_error();
      std::printf("demo: %s %s refused: %s\n", r.method.c_str(), r.url.c_str(),
                  d.http.last_error().c_str());
      ui_final(r.row, -1, 0, 0, -1, "{}", ("refused: " + d.http.last_error()).c_str(), 0);
    }
  }
}

DemoRequest* find(Demo& d, RequestId id) {
  for (auto& r : d.requests)
    if (r.id >= 0 && r.id == id) return &r;
  return nullptr;
}

void on_event(Demo& d, const AsyncLoad& e) {
  DemoRequest* r = find(d, e.id());
  if (!r) return;
  const auto loaded = static_cast<double>(e.size_downloaded());
  const auto total = static_cast<double>(e.content_length());
  if (e.status() == Status::downloading) {
    ++r->progress_events;
    ui_progress(r->row, loaded, total);
    return;
  }
  if (r->final_event) return;  // never happens: one final event per request
  r->final_event = e;
  r->problem = r->check(e);
  if (r->problem.empty() && r->want_progress && r->progress_events == 0)
    r->problem = "wanted progress events";
  std::string verdict = "status " + std::to_string(static_cast<int>(e.status())) + ", http " +
                        std::to_string(e.http_status());
  if (r->progress_events > 0)
    verdict += ", " + std::to_string(r->progress_events) + " progress event" +
               (r->progress_events == 1 ? "" : "s");
  verdict += r->problem.empty() ? " — as expected" : " — UNEXPECTED: " + r->problem;
  ui_final(r->row, static_cast<int>(e.status()), static_cast<int>(e.http_status()), loaded, total,
           shown_map(e).c_str(), verdict.c_str(), r->problem.empty());
}

void finish(Demo& d) {
  d.finished = true;
  emscripten_cancel_main_loop();
  bool all_ok = true;
  std::printf("demo: all requests done after %d frames\n", d.frame);
  for (const auto& r : d.requests) {
    std::string line = "demo: #" + std::to_string(r.id) + " " + r.method + " " + r.url + " -> ";
    if (r.final_event) {
      line += "status " + std::to_string(static_cast<int>(r.final_event->status())) + ", http " +
              std::to_string(r.final_event->http_status()) + ", " +
              std::to_string(r.final_event->size_downloaded()) + " bytes";
      if (r.progress_events > 0) line += ", " + std::to_string(r.progress_events) + " progress";
      if (r.final_event->failed()) line += " (" + std::string(r.final_event->error()) + ")";
    } else {
      line += "no final event";
    }
    line += r.problem.empty() ? "  ok" : "  UNEXPECTED: " + r.problem;
    all_ok = all_ok && r.problem.empty();
    std::printf("%s\n", line.c_str());
  }
  std::printf("%s\n", all_ok ? "demo: every outcome as expected"
                             : "demo: some outcomes were NOT as expected");
  std::fflush(stdout);
  ui_done(all_ok, all_ok ? "All requests done — every outcome as expected."
                         : "All requests done — some outcomes were NOT as expected.");
}

// One frame of the game loop.
void frame() {
  Demo& d = *demo;
  if (d.finished) return;
  if (d.frame == 0) fire_all(d);
  d.http.dispatch([&d](const AsyncLoad& e) { on_event(d, e); });
  ui_frame(d.frame, static_cast<int>(d.http.in_flight()));
  ++d.frame;
  if (d.http.in_flight() == 0) finish(d);
}

}  // namespace

int main() {
  demo = new Demo;  // never freed: the page owns the program until it is closed
  add_requests(*demo);
  emscripten_set_main_loop(frame, 60, 0);
  return 0;
}
