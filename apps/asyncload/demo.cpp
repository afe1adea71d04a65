// demo.cpp — `asyncload demo`: an in-process loopback TestServer and one headless game loop that
// shows every kind of async_load event without touching the network: concurrent GETs (binary,
// JSON, delayed, gzip), a file download with progress events, a POST, a 404 (still status 0) and
// a refused connection (status -1). Legend first (stderr), NDJSON events (stdout, long results
// shortened), then one summary line per request (stderr). Exit 0 when every request ended as
// the legend says it would.
#include "commands.hpp"
#include "event_output.hpp"
#include "game_loop.hpp"
#include "printable.hpp"
#include "progress_bar.hpp"

#include "testserver/test_server.hpp"

#include <asyncload/asyncload.hpp>
#include <asyncload/detail/base64.hpp>

#include <boost/json/parse.hpp>

#if defined(_WIN32)
#include <io.h>
#define isatty _isatty
#define STDERR_FILENO 2

#include <random>
#else
#include <unistd.h>
#endif

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

namespace asyncload::cli {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view posted_form = "name=asyncload&score=42";
constexpr std::string_view drip_query = "/drip?bytes=2000000&chunks=40&interval_ms=25";
constexpr std::size_t drip_bytes = 2000000;
constexpr std::string_view refused_url = "http://127.0.0.1:1/";  // nothing listens on port 1

struct DemoRequest {
  std::string verb;    // as shown: GET, FILE, POST
  std::string target;  // path on the demo server, or a full URL
  std::string what;    // the legend's explanation
  Status want_status = Status::complete;
  long want_http = 200;
  bool want_progress = false;
  // Extra check of the final event; returns "" when fine, else what is wrong.
  std::function<std::string(const AsyncLoad&)> check;

  RequestId id = -1;
  std::optional<AsyncLoad> final_event;
  std::uint64_t final_frame = 0;
  int progress_events = 0;
};

// A fresh private directory for the downloaded file, removed at scope end.
class ScratchDir {
 public:
  ScratchDir() {
#if defined(_WIN32)
    // No mkdtemp: a random name, created only if nothing has it yet.
    std::random_device random;
    for (int attempt = 0; path_.empty(); ++attempt) {
      fs::path candidate = fs::temp_directory_path() / ("asyncload-demo-" + std::to_string(random()));
      if (fs::create_directory(candidate)) path_ = candidate;
      else if (attempt == 16) throw std::runtime_error("cannot create a scratch directory in the temp directory");
    }
#else
    std::string pattern = (fs::temp_directory_path() / "asyncload-demo-XXXXXX").string();
    if (!::mkdtemp(pattern.data()))
      throw std::system_error(errno, std::generic_category(), "mkdtemp");
    path_ = pattern;
#endif
  }
  ~ScratchDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

std::string preview(std::string_view result) {
  if (result.empty()) return "";
  if (!detail::is_utf8(result)) return "  <binary>";
  std::string head = printable_head(result, 40);
  for (char& c : head)  // line breaks as spaces; any other control is escaped when printed
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  return "  \"" + head + (head.size() < result.size() ? "…\"" : "\"");
}

}  // namespace

int run_demo(const Command& command) {
  install_stop_handlers();
  testserver::TestServer server;
  const std::string base = server.base_url();
  ScratchDir scratch;
  const std::string download_path = (scratch.path() / "drip.bin").string();

  Http http(make_options(command));
  const bool progress_possible = command.progress_events && http.capabilities().progress_events;

  // The expected outcome: status 0 and http 200 unless said otherwise, plus `check`.
  using Check = std::function<std::string(const AsyncLoad&)>;
  std::vector<DemoRequest> requests;
  auto add = [&](std::string verb, std::string target, std::string what, Check check = {},
                 Status want_status = Status::complete, long want_http = 200) {
    DemoRequest& r = requests.emplace_back();
    r.verb = std::move(verb);
    r.target = std::move(target);
    r.what = std::move(what);
    r.check = std::move(check);
    r.want_status = want_status;
    r.want_http = want_http;
  };

  add("GET", "/bytes/32", "32 bytes of binary: status 0, http 200, printed as result_base64",
      [](const AsyncLoad& e) -> std::string {
        return e.result() == testserver::pattern_bytes(0, 32) ? "" : "not the 32 pattern bytes";
      });
  add("GET", "/echo", "the request echoed back as JSON: status 0, http 200");
  add("GET", "/delay/300", "answers after 300 ms: its event comes some 18 frames later");
  add("GET", "/gzip", "gzip on the wire, decoded transparently: status 0, http 200",
      [](const AsyncLoad& e) -> std::string {
        return e.result() == testserver::gzip_text() ? "" : "result is not the decoded text";
      });
  add("FILE", std::string(drip_query),
      "2 MB dripped in 40 pieces over 1 s into a temp file: " +
          std::string(progress_possible ? "progress events (status 1), then " : "") +
          "status 0, result = the file's path",
      [download_path](const AsyncLoad& e) -> std::string {
        if (e.result() != download_path) return "result is not the target path";
        std::error_code ec;
        if (fs::file_size(download_path, ec) != drip_bytes || ec)
          return "the file does not hold the 2000000 bytes";
        return "";
      });
  requests.back().want_progress = progress_possible;
  add("POST", "/echo",
      "http_post_string of '" + std::string(posted_form) + "': status 0, the echo shows the body",
      [](const AsyncLoad& e) -> std::string {
        boost::system::error_code ec;
        const auto echoed = boost::json::parse(e.result(), ec);
        const auto* body =
            ec || !echoed.is_object() ? nullptr : echoed.get_object().if_contains("body");
        const bool ok = body && body->is_string() && body->get_string() == posted_form;
        return ok ? "" : "the echo lacks the body";
      });
  add("GET", "/status/404", "not found, yet a completed exchange: status 0, http 404", {},
      Status::complete, 404);
  add("GET", std::string(refused_url), "nothing listens there: status -1, http 0, an error", {},
      Status::network_error, 0);

  auto url_of = [&](const DemoRequest& r) {
    return r.target.starts_with("http") ? r.target : base + r.target;
  };

  ProgressBar bar(isatty(STDERR_FILENO) == 1 && command.progress_events);
  bool stdout_ok = true;
  bool refused_any = false;
  std::uint64_t current_frame = 0;

  auto fire_all = [&] {
    for (auto& r : requests) {
      const std::string url = url_of(r);
      if (r.verb == "FILE")
        r.id = http.http_get_file(url, download_path);
      else if (r.verb == "POST")
        r.id = http.http_post_string(url, posted_form);
      else
        r.id = http.http_get(url);
      if (r.id < 0) {
        print_line(stderr, "asyncload demo: %s refused: %s", url.c_str(),
                   http.last_error().c_str());
        refused_any = true;
      } else {
        bar.add(r.id, r.verb + " " + r.target);
      }
    }
    print_line(stderr, "asyncload demo: loopback test server at %s, backend %s, game loop at %d fps.",
               base.c_str(), http.capabilities().backend.c_str(), command.fps);
    print_line(stderr,
               "%zu requests fire at frame 0; each async_load event is one JSON line on stdout",
               requests.size());
    print_line(stderr, "(results over %zu bytes shortened to result_bytes + result_head). Expect:",
               short_result_limit);
    for (const auto& r : requests)
      print_line(stderr, "  #%lld %-4s %-44s %s", static_cast<long long>(r.id), r.verb.c_str(),
                 r.target.c_str(), r.what.c_str());
  };

  auto find = [&](RequestId id) -> DemoRequest* {
    for (auto& r : requests)
      if (r.id == id) return &r;
    return nullptr;
  };
  auto handler = [&](const AsyncLoad& event) {
    bar.before_output();
    if (stdout_ok) stdout_ok = write_line(event_json(event.map(), ResultStyle::shortened));
    DemoRequest* r = find(event.id());
    if (event.status() == Status::downloading) {
      bar.progress(event.id(), event.size_downloaded(), event.content_length());
      if (r) ++r->progress_events;
      return;
    }
    bar.done(event.id());
    if (r && !r->final_event) {
      r->final_event = event;
      r->final_frame = current_frame;
    }
  };

  const bool finished = run_game_loop(command.fps, [&](std::uint64_t frame) {
    current_frame = frame;
    if (frame == 0) fire_all();
    http.dispatch(handler);
    bar.frame();
    return stdout_ok && http.in_flight() > 0;
  });
  bar.clear();
  if (!finished) {
    print_line(stderr, "asyncload demo: interrupted");
    return exit_interrupted;
  }

  bool all_as_expected = !refused_any && stdout_ok;
  print_line(stderr, "summary:");
  for (const auto& r : requests) {
    if (r.id < 0) continue;
    std::string line = "  #" + std::to_string(r.id) + " " + r.verb + " " + r.target + " → ";
    std::string problem;
    if (!r.final_event) {
      line += "no final event";
      problem = "missing";
    } else {
      const AsyncLoad& e = *r.final_event;
      line += "status " + std::to_string(static_cast<int>(e.status())) + ", http " + std::to_string(e.http_status()) +
              ", " + human_bytes(e.size_downloaded()) + ", frame " + std::to_string(r.final_frame);
      if (r.progress_events > 0)
        line += ", " + std::to_string(r.progress_events) +
                (r.progress_events == 1 ? " progress event" : " progress events");
      if (e.failed())
        line += "  (" + std::string(e.error()) + ")";
      else if (r.verb != "FILE")
        line += preview(e.result());
      if (e.status() != r.want_status || e.http_status() != r.want_http)
        problem = "wanted status " + std::to_string(static_cast<int>(r.want_status)) + ", http " +
                  std::to_string(r.want_http);
      else if (r.want_progress && r.progress_events == 0)
        problem = "wanted progress events";
      else if (r.check)
        problem = r.check(e);
    }
    line += problem.empty() ? "  ok" : "  UNEXPECTED: " + problem;
    all_as_expected = all_as_expected && problem.empty();
    print_line(stderr, "%s", line.c_str());  // e.error() and the preview come from the server
  }
  print_line(stderr, "%s",
             all_as_expected ? "every event arrived as expected." : "some events were not as expected.");
  return all_as_expected ? exit_ok : exit_failed;
}

}  // namespace asyncload::cli
