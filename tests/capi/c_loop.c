/* c_loop.c — see c_loop.h. Plain C99: this file also proves <asyncload/asyncload.h> C-clean. */
#include "c_loop.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__EMSCRIPTEN__)
#include <emscripten.h>
#endif

static char* copy_bytes(const char* bytes, size_t length) {
  char* out = (char*)malloc(length + 1);
  if (!out) abort(); /* a test with no memory left cannot go on */
  if (length > 0) memcpy(out, bytes, length);
  out[length] = '\0';
  return out;
}

static char* copy_string(const char* text) { return text ? copy_bytes(text, strlen(text)) : NULL; }

static char* header_in_case(const asyncload_event* event, const char* name, int upper) {
  char buffer[256];
  size_t i;
  size_t length = strlen(name);
  if (length >= sizeof buffer) return NULL;
  for (i = 0; i <= length; ++i) {
    char c = name[i];
    if (upper && c >= 'a' && c <= 'z') c = (char)(c - 'a' + 'A');
    if (!upper && c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
    buffer[i] = c;
  }
  return copy_string(asyncload_event_header(event, buffer));
}

void capi_log_init(capi_log* log, asyncload_http* http) {
  memset(log, 0, sizeof *log);
  log->http = http;
}

void capi_log_free(capi_log* log) {
  size_t i;
  for (i = 0; i < log->count; ++i) {
    capi_event* e = &log->events[i];
    free(e->url);
    free(e->result);
    free(e->error);
    free(e->json);
    free(e->header_as_given);
    free(e->header_lower);
    free(e->header_upper);
  }
  free(log->events);
  log->events = NULL;
  log->count = log->capacity = 0;
}

void capi_record(const asyncload_event* event, void* user_data) {
  capi_log* log = (capi_log*)user_data;
  capi_event* e;
  const char* result;
  if (log->count == log->capacity) {
    size_t capacity = log->capacity ? log->capacity * 2 : 16;
    capi_event* grown = (capi_event*)realloc(log->events, capacity * sizeof *grown);
    if (!grown) abort();
    log->events = grown;
    log->capacity = capacity;
  }
  e = &log->events[log->count++];
  memset(e, 0, sizeof *e);
  e->id = asyncload_event_id(event);
  e->status = asyncload_event_status(event);
  e->http_status = asyncload_event_http_status(event);
  e->url = copy_string(asyncload_event_url(event));
  result = asyncload_event_result(event, &e->result_length);
  e->result = copy_bytes(result, e->result_length);
  e->result_bytes = asyncload_event_result_bytes(event);
  e->content_length = asyncload_event_content_length(event);
  e->size_downloaded = asyncload_event_size_downloaded(event);
  e->error = copy_string(asyncload_event_error(event));
  e->json = copy_string(asyncload_event_json(event));
  if (log->header_name) {
    e->header_as_given = copy_string(asyncload_event_header(event, log->header_name));
    e->header_lower = header_in_case(event, log->header_name, 0);
    e->header_upper = header_in_case(event, log->header_name, 1);
  }
  e->absent_header_is_null = asyncload_event_header(event, "X-Not-Sent-By-Anyone") == NULL;
  e->frame = log->frames;
  if (log->hook) log->hook(log, event);
}

void capi_between_frames(asyncload_http* http, int interval_ms) {
#if defined(__EMSCRIPTEN__)
  (void)http;
  emscripten_sleep((unsigned)interval_ms);
#else
  asyncload_wait(http, interval_ms);
#endif
}

size_t capi_frame(capi_log* log, size_t max_events) {
  size_t before = log->count;
  size_t returned = max_events == 0 ? asyncload_dispatch(log->http, capi_record, log)
                                    : asyncload_dispatch_limited(log->http, capi_record, log, max_events, 0);
  if (returned != log->count - before) ++log->dispatch_mismatch;
  ++log->frames;
  return returned;
}

const capi_event* capi_final(const capi_log* log, asyncload_request_id id) {
  size_t i;
  for (i = 0; i < log->count; ++i)
    if (log->events[i].id == id && log->events[i].status <= 0) return &log->events[i];
  return NULL;
}

size_t capi_count(const capi_log* log, asyncload_request_id id, int finals_only) {
  size_t i, n = 0;
  for (i = 0; i < log->count; ++i)
    if (log->events[i].id == id && (!finals_only || log->events[i].status <= 0)) ++n;
  return n;
}

int capi_run_until_final(capi_log* log, const asyncload_request_id* ids, size_t count, int timeout_s,
                         size_t max_events) {
  const time_t deadline = time(NULL) + timeout_s + 1; /* time() counts whole seconds */
  for (;;) {
    size_t i, missing = 0;
    capi_frame(log, max_events);
    for (i = 0; i < count; ++i)
      if (!capi_final(log, ids[i])) ++missing;
    if (missing == 0) return 1;
    if (time(NULL) > deadline) return 0;
    capi_between_frames(log->http, 16);
  }
}

void capi_run_for(capi_log* log, int duration_ms) {
  int frame;
  for (frame = 0; frame * 16 < duration_ms; ++frame) {
    capi_frame(log, 0);
    capi_between_frames(log->http, 16);
  }
  capi_frame(log, 0);
}

/* ---- scenarios ---------------------------------------------------------------------------- */

static char* join(const char* base, const char* path) {
  size_t a = strlen(base), b = strlen(path);
  char* out = (char*)malloc(a + b + 1);
  if (!out) abort();
  memcpy(out, base, a);
  memcpy(out + a, path, b + 1);
  return out;
}

const char* capi_scenario_hello(const char* base_url) {
  asyncload_options options;
  asyncload_request_options request;
  asyncload_http* http;
  capi_log log;
  const capi_event* e;
  char* url = join(base_url, "/bytes/1000");
  const char* failed = NULL;
  asyncload_request_id id;

  asyncload_options_init(&options);
  options.user_agent = "c-scenario/1";
  http = asyncload_create(&options);
  if (!http) {
    free(url);
    return "asyncload_create failed";
  }
  asyncload_request_options_init(&request);
  request.total_timeout_ms = 20000;
  id = asyncload_http_get(http, url, &request);
  capi_log_init(&log, http);
  log.header_name = "Content-Length";
  if (id < 0) failed = "asyncload_http_get refused a good URL";
  else if (asyncload_in_flight(http) != 1) failed = "asyncload_in_flight is not 1 after one call";
  else if (!capi_run_until_final(&log, &id, 1, 20, 0)) failed = "no final event within 20 s";
  else if (!(e = capi_final(&log, id))) failed = "no final event";
  else if (e->status != ASYNCLOAD_STATUS_COMPLETE) failed = "status is not ASYNCLOAD_STATUS_COMPLETE";
  else if (e->http_status != 200) failed = "http_status is not 200";
  else if (e->result_length != 1000) failed = "the result is not 1000 bytes";
  else if (strcmp(e->url, url) != 0) failed = "url is not the URL requested";
  else if (!e->header_as_given || strcmp(e->header_as_given, "1000") != 0) failed = "Content-Length is not 1000";
  else if (e->content_length != 1000 || e->size_downloaded != 1000) failed = "contentLength/sizeDownloaded are not 1000";
  else if (e->error[0] != '\0') failed = "error is set on a complete event";
  else if (asyncload_in_flight(http) != 0) failed = "asyncload_in_flight is not 0 after the final event";
  capi_log_free(&log);
  asyncload_destroy(http);
  free(url);
  return failed;
}

/* The hook: on the first final event, start the second request from inside the callback. */
struct chained {
  const char* second_url;
  asyncload_request_id second;
  int frame_started;
  size_t in_flight_after;
};

static void start_second(capi_log* log, const asyncload_event* event) {
  struct chained* c = (struct chained*)log->context;
  if (asyncload_event_status(event) > 0 || c->second >= 0) return;
  c->second = asyncload_http_get(log->http, c->second_url, NULL);
  c->frame_started = log->frames;
  c->in_flight_after = asyncload_in_flight(log->http);
}

const char* capi_scenario_request_from_callback(const char* base_url) {
  asyncload_http* http = asyncload_create(NULL);
  capi_log log;
  struct chained c;
  char* first_url = join(base_url, "/bytes/10");
  char* second_url = join(base_url, "/bytes/20");
  const char* failed = NULL;
  asyncload_request_id first;
  const capi_event* e;
  if (!http) return "asyncload_create(NULL) failed";
  c.second_url = second_url;
  c.second = -1;
  c.frame_started = -1;
  c.in_flight_after = 0;
  capi_log_init(&log, http);
  log.hook = start_second;
  log.context = &c;
  first = asyncload_http_get(http, first_url, NULL);
  if (first < 0) failed = "the first request was refused";
  else if (!capi_run_until_final(&log, &first, 1, 20, 0)) failed = "no final event for the first request";
  else if (c.second < 0) failed = "asyncload_http_get from inside the callback was refused";
  else if (c.second == first) failed = "the second request got the first one's id";
  else if (c.in_flight_after != 1) failed = "in_flight inside the callback is not 1 (the new one; the delivered one is forgotten)";
  else if (!capi_run_until_final(&log, &c.second, 1, 20, 0)) failed = "no final event for the request started in the callback";
  else if (!(e = capi_final(&log, c.second))) failed = "no final event";
  else if (e->status != 0 || e->result_length != 20) failed = "the second request did not complete with 20 bytes";
  else if (e->frame <= c.frame_started) failed = "the new request's event came in the same dispatch that started it";
  capi_log_free(&log);
  asyncload_destroy(http);
  free(first_url);
  free(second_url);
  return failed;
}
