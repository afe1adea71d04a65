/* hello_c — one GET through asyncload's C API, from a game loop: natively the loop waits with
 * asyncload_wait between frames; in a browser emscripten_set_main_loop runs the same frame
 * function once per animation frame. Prints the final event's status, HTTP status and body size.
 *
 *   native:  hello_c URL          (e.g. the URL `asyncload serve` prints + "/bytes/1000")
 *   web:     hello_c.html?url=U   (default "/bytes/1000", relative to the page)
 *
 * Exit status (native): 0 when the request completed (status 0, whatever the HTTP code), 1 when
 * it failed or was refused, 2 usage error. */
#include <asyncload/asyncload.h>

#include <stdio.h>
#include <stdlib.h>

#if defined(__EMSCRIPTEN__)
#include <emscripten.h>
#endif

static asyncload_http* http;
static asyncload_request_id request = -1;
static int finished;   /* the final event arrived */
static int exit_code;  /* 0 complete, 1 failed */

/* The event callback: runs inside asyncload_dispatch, on this thread. What it reads from the
 * event is valid only until it returns. */
static void on_event(const asyncload_event* event, void* user_data) {
  size_t length = 0;
  (void)user_data;
  if (asyncload_event_id(event) != request) return;
  if (asyncload_event_status(event) == ASYNCLOAD_STATUS_DOWNLOADING) {
    printf("progress: %lld of %lld bytes\n", (long long)asyncload_event_size_downloaded(event),
           (long long)asyncload_event_content_length(event));
    return;
  }
  asyncload_event_result(event, &length); /* binary-safe: the length, not strlen */
  printf("status %d, http_status %ld, body %lu bytes\n", asyncload_event_status(event),
         asyncload_event_http_status(event), (unsigned long)length);
  if (asyncload_event_status(event) < 0) printf("error: %s\n", asyncload_event_error(event));
  exit_code = asyncload_event_status(event) == ASYNCLOAD_STATUS_COMPLETE ? 0 : 1;
  finished = 1;
}

/* One frame of the game: deliver what is ready; the rest of a game's frame would follow. */
static void frame(void) {
  asyncload_dispatch(http, on_event, NULL);
  if (!finished) return;
  asyncload_destroy(http);
  http = NULL;
  printf("hello_c: done\n");
  fflush(stdout);
#if defined(__EMSCRIPTEN__)
  emscripten_cancel_main_loop();
  emscripten_force_exit(exit_code); /* the page's Module.onExit gets the code */
#endif
}

int main(int argc, char** argv) {
  const char* url;
#if defined(__EMSCRIPTEN__)
  (void)argc;
  (void)argv;
  url = emscripten_run_script_string("new URLSearchParams(location.search).get('url') || '/bytes/1000'");
#else
  if (argc != 2) {
    fprintf(stderr, "usage: hello_c URL\n");
    return 2;
  }
  url = argv[1];
#endif

  http = asyncload_create(NULL); /* the defaults */
  if (!http) {
    fprintf(stderr, "hello_c: %s\n", asyncload_last_error(NULL));
    return 1;
  }
  printf("hello_c: GET %s (backend %s)\n", url, asyncload_backend_name(http));
  request = asyncload_http_get(http, url, NULL);
  if (request < 0) {
    fprintf(stderr, "hello_c: refused: %s\n", asyncload_last_error(http));
    asyncload_destroy(http);
    return 1;
  }

#if defined(__EMSCRIPTEN__)
  emscripten_set_main_loop(frame, 0, 0); /* the browser calls frame(); main returns at once */
  return 0;
#else
  while (!finished) {
    frame();
    if (!finished) asyncload_wait(http, 16); /* until an event is ready, at most one frame */
  }
  return exit_code;
#endif
}
