// persistence.cpp — Options::persistent_root in a real browser, across a page reload
// (tests/web/persistence.html runs it twice in one Chromium profile; ctest: web_persistence).
//
//   phase 1  a fresh profile: the root is empty once files_ready(). Downloads a 3 MB file in
//            1 MiB Range pieces to /saves/pack.bin and a small one outside the root to
//            /tmp/scratch.bin. In the handler of the pack's final event — nothing awaited after
//            it — the page checks that IndexedDB holds the file, then reloads itself.
//   phase 2  a new Http with the same root: once files_ready(), /saves/pack.bin is back with the
//            server's bytes (fetched again to compare) and /tmp/scratch.bin is gone.
// The page's verdict goes to /done (code 0 = pass), as for every page of the web build.
#include <asyncload/asyncload.hpp>

#include <emscripten/emscripten.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>

namespace {

EM_JS(void, page_line, (const char* text), { line(UTF8ToString(text)); });
EM_JS(void, page_report, (int code), { report(code); });
// Phase 1's last step: IndexedDB must hold `path` with `size` bytes now, then the page reloads.
EM_JS(void, page_check_stored_then_reload, (const char* path, double size), { persistence.checkStoredThenReload(UTF8ToString(path), size); });

constexpr std::size_t file_bytes = 3000000;
const std::string root = "/saves";
const std::string pack = root + "/pack.bin";
const std::string scratch = "/tmp/scratch.bin";

std::unique_ptr<asyncload::Http> http;
int phase = 1;
int step = 0;
bool finished = false;

void say(const std::string& text) { page_line(("persistence: phase " + std::to_string(phase) + ": " + text).c_str()); }

void fail(const std::string& why) {
  if (finished) return;
  finished = true;
  say("FAILED: " + why);
  page_report(1);
}

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Checks a final event: status 0 and HTTP 200.
bool completed(const asyncload::AsyncLoad& load, const char* what) {
  if (load.status() == asyncload::Status::complete && load.http_status() == 200) return true;
  fail(std::string(what) + ": status " + std::to_string(static_cast<int>(load.status())) + ", HTTP " +
       std::to_string(load.http_status()) + ", error '" + std::string(load.error()) + "'");
  return false;
}

void phase_one(const asyncload::AsyncLoad& load) {
  if (step == 0) {
    if (!completed(load, "/resumable-set")) return;
    step = 1;
    if (http->http_get_file("/resumable/persist", pack) < 0 || http->http_get_file("/bytes/1000", scratch) < 0)
      fail("a download was refused: " + http->last_error());
    return;
  }
  if (load.url() == "/bytes/1000") {
    if (completed(load, "the scratch file")) ++step;
  } else if (completed(load, "the pack")) {
    if (load.result() != pack) return fail("result is '" + std::string(load.result()) + "'");
    if (std::filesystem::file_size(pack) != file_bytes) return fail("the pack has the wrong size");
    ++step;
  }
  if (step == 3) {
    say("both files downloaded; checking IndexedDB, then reloading");
    finished = true;
      page_check_stored_then_reload(pack.c_str(), static_cast<double>(file_bytes));
  }
}

void phase_two(const asyncload::AsyncLoad& load) {
  if (!completed(load, "fetching the pack again")) return;
  const std::string kept = read_all(pack);
  if (kept.size() != file_bytes) return fail("after the reload the pack holds " + std::to_string(kept.size()) + " bytes");
  if (kept != load.result()) return fail("after the reload the pack's bytes differ from the server's");
  if (std::filesystem::exists(scratch)) return fail(scratch + " (outside the root) survived the reload");
  say("the pack survived the reload byte for byte; the file outside the root did not");
  finished = true;
  page_report(0);
}

void frame() {
  if (finished) return;
  if (step == -1) {  // waiting for the root to be read back
    if (!http->files_ready()) return;
    step = 0;
    const bool had_pack = std::filesystem::exists(pack);
    if (phase == 1) {
      if (had_pack) return fail("the profile is not fresh: " + pack + " is there before any download");
      if (http->http_get("/resumable-set/persist?bytes=" + std::to_string(file_bytes)) < 0) return fail(http->last_error());
    } else {
      if (!had_pack) return fail(pack + " is gone after the reload");
      if (http->http_get("/resumable/persist") < 0) return fail(http->last_error());
    }
  }
  http->dispatch([](const asyncload::AsyncLoad& load) {
    if (finished || !load.is_final()) return;
    phase == 1 ? phase_one(load) : phase_two(load);
  });
}

}  // namespace

int main(int argc, char** argv) {
  phase = argc > 1 ? std::atoi(argv[1]) : 1;
  http = std::make_unique<asyncload::Http>(asyncload::Options{.web_piece_bytes = 1u << 20, .persistent_root = root});
  if (!http->capabilities().persistent_files) {
    say("capabilities().persistent_files is false with a persistent_root");
    page_report(1);
    return 0;
  }
  say(http->files_ready() ? "files_ready() at once (it should wait for IndexedDB)" : "reading the root back");
  step = -1;
  emscripten_set_main_loop(frame, 0, 0);
  return 0;
}
