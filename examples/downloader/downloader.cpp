// downloader.cpp — http_get_file with a progress bar: a text bar natively, a <progress> bar on
// the page in the browser. One source for both (README.md here).
//   native:  ./downloader URL [FILE]    e.g. ./downloader http://127.0.0.1:8080/bytes/5000000 big.bin
//   web:     downloader.html downloads the page's own /drip?... into Emscripten's file system
// The file appears at FILE only once complete (the download goes to a hidden temporary file
// beside it); the game then reads it with ordinary file calls, in the browser too.
#include <asyncload/asyncload.hpp>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>

#ifdef __EMSCRIPTEN__
#include <emscripten/emscripten.h>
// The page's bar: made on first use, so any page (../shell.html among them) can show it.
EM_JS(void, show_bar, (double done, double total), {
  var bar = document.getElementById('download');
  if (!bar) {
    bar = document.createElement('progress');
    bar.id = 'download';
    bar.style.width = '640px';
    document.body.insertBefore(bar, document.getElementById('output'));
  }
  if (total > 0) { bar.max = total; bar.value = done; } else { bar.removeAttribute('value'); }
});
#else
#include <chrono>
#include <thread>
#endif

namespace {

asyncload::Http* http = nullptr;
asyncload::RequestId download = -1;
std::string target;
int progress_events = 0;
int exit_code = -1;

void show_progress(std::int64_t done, std::int64_t total) {
#ifdef __EMSCRIPTEN__
  show_bar(static_cast<double>(done), static_cast<double>(total));
#else
  constexpr int width = 40;
  const int filled = total > 0 ? static_cast<int>(width * done / total) : 0;
  std::printf("\r[%s%s] %lld", std::string(filled, '#').c_str(), std::string(width - filled, ' ').c_str(),
              static_cast<long long>(done));
  if (total > 0) std::printf(" of %lld bytes", static_cast<long long>(total));
  std::fflush(stdout);
#endif
}

void frame() {
  http->dispatch([](const asyncload::AsyncLoad& e) {
    if (e.id() != download) return;
    if (e.status() == asyncload::Status::downloading) {  // about every frame while bytes arrive
      ++progress_events;
      show_progress(e.size_downloaded(), e.content_length());
      return;
    }
#ifndef __EMSCRIPTEN__
    std::printf("\n");
#endif
    if (e.failed()) {
      std::printf("downloader: failed (%d): %s\n", static_cast<int>(e.status()), std::string(e.error()).c_str());
      exit_code = 1;
    } else if (e.http_status() / 100 != 2) {
      std::printf("downloader: HTTP %ld, nothing saved\n", e.http_status());  // the old file is kept
      exit_code = 1;
    } else {
      show_progress(e.size_downloaded(), e.size_downloaded());
      std::error_code ec;
      const auto size = std::filesystem::file_size(std::string(e.result()), ec);  // the path written
      std::printf("downloader: saved %llu bytes to %s after %d progress events\n",
                  ec ? 0ULL : static_cast<unsigned long long>(size), std::string(e.result()).c_str(), progress_events);
      exit_code = 0;
    }
  });
}

}  // namespace

int main(int argc, char** argv) {
  static asyncload::Http game_http;
  http = &game_http;
  const std::string url = argc > 1 ? argv[1] : "/drip?bytes=2000000&chunks=20&interval_ms=50";
  target = argc > 2 ? argv[2] : "downloads/file.bin";  // missing folders are created
  download = http->http_get_file(url, target);
  if (download < 0) {
    std::printf("downloader: refused: %s\n", http->last_error().c_str());
    return 1;
  }
  std::printf("downloader: %s -> %s\n", url.c_str(), target.c_str());
#ifdef __EMSCRIPTEN__
  emscripten_set_main_loop([] {
    frame();
    if (exit_code >= 0) emscripten_force_exit(exit_code);
  }, 0, false);
#else
  while (exit_code < 0) {
    frame();
    std::this_thread::sleep_for(std::chrono::milliseconds(16));
  }
  return exit_code;
#endif
}
