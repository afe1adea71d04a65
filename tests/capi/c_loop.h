/* c_loop.h — the C side of the C API suite: a game loop and an event recorder written in C (C99,
 * compiled with -Wall -Wextra -Wpedantic -Werror), and whole scenarios written in C. The doctest
 * cases (capi_tests.cpp) call these and check what they recorded. Natively the loop waits with
 * asyncload_wait between frames; in the browser with emscripten_sleep (the suite runs under
 * ASYNCIFY there), so the same source runs in both. */
#ifndef ASYNCLOAD_TESTS_CAPI_C_LOOP_H
#define ASYNCLOAD_TESTS_CAPI_C_LOOP_H

#include <asyncload/asyncload.h>

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One event, copied out of the callback with every getter (strings malloc'd, owned by the log). */
typedef struct capi_event {
  asyncload_request_id id;
  int status;
  long http_status;
  char* url;
  char* result; /* result_length bytes, NUL-terminated as well */
  size_t result_length;
  int64_t result_bytes;
  int64_t content_length;
  int64_t size_downloaded;
  char* error;
  char* json;            /* asyncload_event_json */
  char* header_as_given; /* asyncload_event_header(e, log->header_name); NULL when absent */
  char* header_lower;    /* ... with the name in lower case */
  char* header_upper;    /* ... in upper case */
  int absent_header_is_null; /* asyncload_event_header(e, "X-Not-Sent-By-Anyone") == NULL */
  int frame;             /* the dispatch call (from 0) that delivered it */
} capi_event;

struct capi_log;
/* Called from inside the callback after the event was recorded (may call the API on log->http). */
typedef void (*capi_hook)(struct capi_log* log, const asyncload_event* event);

typedef struct capi_log {
  asyncload_http* http;
  capi_event* events;
  size_t count;
  size_t capacity;
  int frames;              /* dispatch calls so far */
  size_t dispatch_mismatch; /* frames where asyncload_dispatch's return differed from the callbacks made */
  const char* header_name; /* the header each event is asked for (NULL: none) */
  capi_hook hook;
  void* context;           /* for the hook */
} capi_log;

void capi_log_init(capi_log* log, asyncload_http* http);
void capi_log_free(capi_log* log);
/* An asyncload_event_callback: user_data is the capi_log. */
void capi_record(const asyncload_event* event, void* user_data);
/* Between two frames: asyncload_wait natively, emscripten_sleep in the browser. */
void capi_between_frames(asyncload_http* http, int interval_ms);
/* One frame: asyncload_dispatch (max_events 0) or asyncload_dispatch_limited. Returns its result. */
size_t capi_frame(capi_log* log, size_t max_events);
/* Frames until every id has a final event: 1, or 0 after timeout_s seconds. */
int capi_run_until_final(capi_log* log, const asyncload_request_id* ids, size_t count, int timeout_s,
                         size_t max_events);
/* Frames for about duration_ms (to see that nothing more arrives). */
void capi_run_for(capi_log* log, int duration_ms);
/* Events of id: all of them, or only finals (status <= 0). */
size_t capi_count(const capi_log* log, asyncload_request_id id, int finals_only);
/* The first final event of id, NULL if none. */
const capi_event* capi_final(const capi_log* log, asyncload_request_id id);

/* Whole scenarios in C against base_url (the test server). NULL when everything held, else what
 * did not (a static string). */
const char* capi_scenario_hello(const char* base_url);
const char* capi_scenario_request_from_callback(const char* base_url);

#ifdef __cplusplus
}
#endif

#endif
