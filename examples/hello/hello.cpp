// hello.cpp — the smallest asyncload program: one GET, a game loop that dispatches once per
// frame, the answer printed. The same source builds natively and for the web (README.md here).
//   native:  ./hello http://127.0.0.1:8080/echo       (any http(s) URL; `asyncload serve` is one)
//   web:     hello.html asks for the page's own /echo (a relative URL: the browser resolves it)
#include <asyncload/asyncload.hpp>

#include <cstdio>
#include <string>

#ifdef __EMSCRIPTEN__
#include <emscripten/emscripten.h>
#else
#include <chrono>
#include <thread>
#endif

namespace {

asyncload::Http* http = nullptr;  // one per game, made and used on the game thread
asyncload::RequestId request = -1;
int exit_code = -1;  // set by the final event

// One frame of the game: hand every ready event to the handler, then update and draw.
void frame() {
  http->dispatch([](const asyncload::AsyncLoad& e) {
    if (e.id() != request || !e.is_final()) return;  // progress events: a bar could use them
    if (e.failed()) {
      std::printf("hello: failed (%d): %s\n", static_cast<int>(e.status()), std::string(e.error()).c_str());
      exit_code = 1;
    } else {
      std::printf("hello: HTTP %ld, %zu bytes: %s\n", e.http_status(), e.result().size(), std::string(e.result()).c_str());
      exit_code = e.http_status() == 200 ? 0 : 1;
    }
  });
  // ... update() and draw() go here ...
}

}  // namespace

int main(int argc, char** argv) {
  static asyncload::Http game_http;  // static: on the web it outlives main()
  http = &game_http;
#ifndef __EMSCRIPTEN__
  if (argc < 2) {  // natively there is no page to resolve a relative URL against
    std::printf("usage: hello URL   (for example http://127.0.0.1:8080/echo)\n");
    return 2;
  }
#endif
  const std::string url = argc > 1 ? argv[1] : "/echo";
  request = http->http_get(url);  // an id at once; the network never blocks a frame
  if (request < 0) {
    std::printf("hello: refused: %s\n", http->last_error().c_str());
    return 1;
  }
#ifdef __EMSCRIPTEN__
  // The browser owns the loop: it calls frame() before each repaint, main() returns at once.
  emscripten_set_main_loop([] {
    frame();
    if (exit_code >= 0) emscripten_force_exit(exit_code);  // calls the page's Module.onExit
  }, 0, false);
#else
  while (exit_code < 0) {  // 60 frames a second
    frame();
    std::this_thread::sleep_for(std::chrono::milliseconds(16));
  }
  return exit_code;
#endif
}
