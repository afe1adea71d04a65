/**
 * @file asyncload.h
 * @brief The C API of asyncload: GameMaker's asynchronous HTTP model for C engines and
 *        foreign-function interfaces (C99; `extern "C"` under C++).
 *
 * This comment is the manual of the C API; `<asyncload/asyncload.hpp>` is the manual of the
 * library underneath (states of a request, statuses, the `async_load` keys), and everything it
 * says holds here too. Every name is prefixed `asyncload_` or `ASYNCLOAD_`.
 *
 * @par A C game loop
 * @code
 * #include <asyncload/asyncload.h>
 *
 * static void on_event(const asyncload_event* e, void* user_data) {
 *   if (asyncload_event_status(e) == ASYNCLOAD_STATUS_COMPLETE) {
 *     size_t length;
 *     const char* body = asyncload_event_result(e, &length);   // valid until on_event returns
 *     keep_scores(user_data, body, length);                     // copy what you keep
 *   }
 * }
 *
 * asyncload_options options;
 * asyncload_options_init(&options);                 // the defaults; then change what you need
 * options.total_timeout_ms = 10000;
 * asyncload_http* http = asyncload_create(&options);
 * if (!http) fail(asyncload_last_error(NULL));
 * asyncload_request_id id = asyncload_http_get(http, "https://example.com/scores", NULL);
 * if (id < 0) fail(asyncload_last_error(http));   // refused: no event will come for it
 * while (running) {                                // one frame
 *   asyncload_dispatch(http, on_event, &game);     // every ready event, in order, on this thread
 *   update(); draw();
 * }
 * asyncload_destroy(http);                         // stops what is in flight; no callback after it
 * @endcode
 * A headless loop (a tool, a bot, a test) calls asyncload_wait() between frames instead of
 * drawing: it blocks until an event is ready (natively; in a browser it returns at once, so a
 * web build runs its frames from `emscripten_set_main_loop` and never blocks).
 *
 * @par Calls and refusals
 * asyncload_http_get(), asyncload_http_get_file(), asyncload_http_post_string(),
 * asyncload_http_request() and asyncload_http_request_buffer() return a request id (>= 0) at
 * once and never block. Every accepted id gets exactly one final event (status <= 0), unless the
 * `asyncload_http` is destroyed first. A call that is refused returns -1, queues no event, and
 * asyncload_last_error() says why: a bad argument (a NULL `http`, `url`, `method` or target, a
 * `header_count` with NULL `headers`, a header with a NULL name or value, a body length with a
 * NULL body), a URL that does not parse or whose scheme is not http/https, a header name or
 * value with CR, LF or NUL (header injection), a file target outside `file_root`, a method or
 * header the browser forbids.
 *
 * @par Threads
 * An `asyncload_http` belongs to the thread that created it (the game thread): call every
 * function on it from that thread only. Callbacks run on that thread, inside asyncload_dispatch(),
 * and may call back into the API on the same `http` (start or cancel requests: what they cause
 * waits for the next dispatch), but must not destroy it. Different `asyncload_http` objects may
 * live on different threads. asyncload_buffer objects are touched only on the game thread.
 *
 * @par Ownership and lifetime of strings
 * Strings passed in are UTF-8 and NUL-terminated unless a length is passed with them; asyncload
 * copies what it keeps, so they may be freed when the call returns. Strings handed out are owned
 * by asyncload and must not be freed:
 * - everything read from an `asyncload_event` (url, result, error, a header, the JSON) is valid
 *   until the callback returns: copy what you keep;
 * - asyncload_last_error() and asyncload_http_get_request_crossorigin() are valid until the next
 *   call on the same `http` (for `NULL`, until the next call on this thread without an http);
 * - asyncload_backend_name() is valid as long as the `http`.
 *
 * @par Errors and exceptions
 * No C++ exception crosses this API. An allocation failure inside a call, or a C++ callback that
 * throws, becomes the function's failure value (-1, NULL or 0, as each function says) with a
 * reason in asyncload_last_error().
 *
 * @par Statuses
 * `ASYNCLOAD_STATUS_DOWNLOADING` (1) is a progress event; `ASYNCLOAD_STATUS_COMPLETE` (0) means the
 * HTTP exchange completed whatever its code (404 and 500 too: read
 * asyncload_event_http_status()); a negative status is a failure, with a one-line reason in
 * asyncload_event_error().
 */
#ifndef ASYNCLOAD_ASYNCLOAD_H
#define ASYNCLOAD_ASYNCLOAD_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** @name Event statuses (`async_load[? "status"]`, asyncload_event_status())
 * @{ */
/** A progress event: the request is still running (`contentLength`, `sizeDownloaded` tell how far). */
#define ASYNCLOAD_STATUS_DOWNLOADING 1
/** The HTTP exchange completed, whatever its code (404, 500, 304, ...): read the HTTP status. */
#define ASYNCLOAD_STATUS_COMPLETE 0
/** Network or protocol failure: refused, DNS, reset, TLS, too many redirects, a bad redirect. */
#define ASYNCLOAD_STATUS_NETWORK_ERROR (-1)
/** A connect, stall or total timeout. */
#define ASYNCLOAD_STATUS_TIMEOUT (-2)
/** Cancelled by asyncload_http_cancel(). */
#define ASYNCLOAD_STATUS_CANCELLED (-3)
/** The local file of asyncload_http_get_file() could not be written. */
#define ASYNCLOAD_STATUS_FILE_ERROR (-4)
/** The body is over `max_body_bytes` (memory and buffer bodies; not files). */
#define ASYNCLOAD_STATUS_TOO_LARGE (-5)
/** @} */

/** One game's HTTP client (an `asyncload::Http`). Made by asyncload_create(), used from one
 *  thread, freed by asyncload_destroy(). */
typedef struct asyncload_http asyncload_http;

/** One event (GameMaker's `async_load` map), handed to the callback of asyncload_dispatch().
 *  Valid only while the callback runs; read it with the `asyncload_event_*` getters. */
typedef struct asyncload_event asyncload_event;

/** A request id: >= 0 when the call was accepted, -1 when it was refused. */
typedef int64_t asyncload_request_id;

/** The settings of one `asyncload_http`. Call asyncload_options_init() first: it fills in the
 *  defaults, and a field then means what the same field of `asyncload::Options` means (a 0 or a
 *  NULL is that field's own meaning, for example "off", not "the default"). */
typedef struct asyncload_options {
  /** Connect timeout in ms; 0 = off. Default 60000. Negative: asyncload_create() refuses. */
  int64_t connect_timeout_ms;
  /** Fail with -2 after this many ms without a byte; 0 = off (the default). Negative: refused. */
  int64_t stall_timeout_ms;
  /** Fail with -2 after this many ms in all; 0 = off (the default). Negative: refused. */
  int64_t total_timeout_ms;
  /** Redirects followed at most; 0 = none (the 3xx is the final response). Default 10.
   *  Negative: refused. */
  int max_redirects;
  /** A memory or buffer body over this many bytes ends with -5; 0 = unlimited. Default 256 MiB. */
  size_t max_body_bytes;
  /** Transfers at once (0 counts as 1); the rest wait in call order. Default 64. */
  size_t max_connections;
  /** Nonzero: progress events (status 1) where the backend can. Default 1. */
  int progress_events;
  /** NULL or "": file targets as given; else every target must lie under this folder. */
  const char* file_root;
  /** An extra trusted CA bundle (PEM file); NULL or "": the system's. */
  const char* ca_file;
  /** The User-Agent sent; NULL or "": "asyncload/<version>". */
  const char* user_agent;
  /** Browser only: a folder kept in IndexedDB so downloads under it survive a reload; NULL: off. */
  const char* persistent_root;
  /** NULL or "": off; else every exchange is written to this HAR 1.2 file when the http is destroyed. */
  const char* record_har;
  /** Browser only: asyncload_http_get_file() fetches in Range pieces of this many bytes; 0 = one
   *  request. Default 8 MiB. */
  size_t web_piece_bytes;
} asyncload_options;

/** Fills `options` with the library's defaults (those of `asyncload::Options`). Call it before
 *  setting fields, so that a field added in a later version gets its default. NULL is ignored.
 *  @param options the struct to fill in */
void asyncload_options_init(asyncload_options* options);

/** One request's settings (the last argument of every call; NULL = all unset). A negative field is
 *  unset: the `asyncload_http`'s value applies. Call asyncload_request_options_init() first. */
typedef struct asyncload_request_options {
  /** Connect timeout in ms for this request (0 = off); < 0: the http's. */
  int64_t connect_timeout_ms;
  /** Stall timeout in ms for this request (0 = off); < 0: the http's. */
  int64_t stall_timeout_ms;
  /** Total timeout in ms for this request (0 = off); reaching it ends the request with -2; < 0: the http's. */
  int64_t total_timeout_ms;
  /** Body limit in bytes for this request (0 = unlimited); < 0: the http's. */
  int64_t max_body_bytes;
  /** asyncload_http_get_file() only: nonzero keeps an interrupted download's partial file and
   *  continues it on the next such call (README, "Resumable downloads"). 0 (the default): off. */
  int resume;
} asyncload_request_options;

/** Sets every field of `options` to "unset" (-1; `resume` 0). NULL is ignored.
 *  @param options the struct to fill in */
void asyncload_request_options_init(asyncload_request_options* options);

/** One request header: both strings UTF-8, NUL-terminated, neither NULL. A name or value with CR,
 *  LF or NUL is refused (the call returns -1). */
typedef struct asyncload_header {
  const char* name;  /**< the header name, e.g. "Content-Type" */
  const char* value; /**< its value, e.g. "application/json" */
} asyncload_header;

/** Makes an `asyncload_http` over the platform's backend (libcurl natively, emscripten_fetch in
 *  a browser).
 *  @param options the settings (copied; the strings too), or NULL for the defaults
 *  @return the new http, or NULL when the options are bad or memory ran out:
 *          asyncload_last_error(NULL) says why */
asyncload_http* asyncload_create(const asyncload_options* options);

/** Destroys an `asyncload_http`: stops every request in flight and calls no callback for them
 *  afterwards (partial files are removed, except resumable ones). Not from inside a callback.
 *  @param http the http to destroy; NULL does nothing */
void asyncload_destroy(asyncload_http* http);

/** GameMaker's `http_get`: GET `url`; the body comes as the final event's result.
 *  @param http the client
 *  @param url an absolute http or https URL (relative URLs only in a browser)
 *  @param options this request's settings, or NULL
 *  @return the request id, or -1 when refused (asyncload_last_error() says why) */
asyncload_request_id asyncload_http_get(asyncload_http* http, const char* url,
                                        const asyncload_request_options* options);

/** GameMaker's `http_get_file`: GET `url` into the file `local_target`, put in place (replacing
 *  the old file) only when the response is a complete 2xx; any other outcome leaves the old
 *  file alone. The final event's result is the path written ("" for a non-2xx response).
 *  @param http the client
 *  @param url an http or https URL
 *  @param local_target the file to write (folders are created); under `file_root` when it is set
 *  @param options this request's settings (`resume` applies here), or NULL
 *  @return the request id, or -1 when refused */
asyncload_request_id asyncload_http_get_file(asyncload_http* http, const char* url, const char* local_target,
                                             const asyncload_request_options* options);

/** GameMaker's `http_post_string`: POST `body` as `application/x-www-form-urlencoded`.
 *  @param http the client
 *  @param url an http or https URL
 *  @param body the bytes to send (need not be NUL-terminated; may be NULL when `body_length` is 0)
 *  @param body_length how many bytes of `body` to send
 *  @param options this request's settings, or NULL
 *  @return the request id, or -1 when refused */
asyncload_request_id asyncload_http_post_string(asyncload_http* http, const char* url, const char* body,
                                                size_t body_length, const asyncload_request_options* options);

/** GameMaker's `http_request` with a string body: any method, any headers.
 *  @param http the client
 *  @param url an http or https URL
 *  @param method "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", ... (a token)
 *  @param headers `header_count` headers, sent in this order (NULL when `header_count` is 0)
 *  @param header_count how many headers
 *  @param body the bytes to send (may be NULL when `body_length` is 0; binary-safe)
 *  @param body_length how many bytes of `body` to send
 *  @param options this request's settings, or NULL
 *  @return the request id, or -1 when refused */
asyncload_request_id asyncload_http_request(asyncload_http* http, const char* url, const char* method,
                                            const asyncload_header* headers, size_t header_count,
                                            const char* body, size_t body_length,
                                            const asyncload_request_options* options);

/** A GameMaker-style byte buffer for asyncload_http_request_buffer(): a block of bytes with a
 *  seek position, owned by the game (asyncload keeps only a weak reference: the game may destroy
 *  it at any time, also while a request uses it). */
typedef struct asyncload_buffer asyncload_buffer;

/** Makes a grow buffer (`buffer_grow`): a response written into it makes it as large as needed.
 *  @param initial_size its size in bytes at first (zero-filled)
 *  @return the buffer, or NULL when memory ran out */
asyncload_buffer* asyncload_buffer_create_grow(size_t initial_size);

/** Makes a fixed buffer (`buffer_fixed`): a response written into it keeps only what fits.
 *  @param size its size in bytes (zero-filled)
 *  @return the buffer, or NULL when memory ran out */
asyncload_buffer* asyncload_buffer_create_fixed(size_t size);

/** Frees a buffer. A request using it goes on; its response is then dropped.
 *  @param buffer the buffer; NULL does nothing */
void asyncload_buffer_destroy(asyncload_buffer* buffer);

/** @param buffer the buffer (NULL: 0)
 *  @return its size in bytes */
size_t asyncload_buffer_size(const asyncload_buffer* buffer);

/** @param buffer the buffer (NULL: 0)
 *  @return its seek position: where the next write goes; after a response was written into it,
 *          the number of bytes written */
size_t asyncload_buffer_tell(const asyncload_buffer* buffer);

/** Moves the seek position (clamped to the size).
 *  @param buffer the buffer (NULL does nothing)
 *  @param position the new position */
void asyncload_buffer_seek(asyncload_buffer* buffer, size_t position);

/** @param buffer the buffer (NULL: NULL)
 *  @return its bytes, asyncload_buffer_size() of them; valid until the buffer is written to,
 *          grows or is destroyed (a response written into it may move them) */
unsigned char* asyncload_buffer_data(asyncload_buffer* buffer);

/** Writes bytes at the seek position and advances it. A grow buffer grows to fit; a fixed buffer
 *  writes what fits.
 *  @param buffer the buffer (NULL: writes nothing)
 *  @param bytes the bytes (may be NULL when `length` is 0)
 *  @param length how many
 *  @return how many bytes were written */
size_t asyncload_buffer_write(asyncload_buffer* buffer, const void* bytes, size_t length);

/** GameMaker's `http_request` in buffer mode. The buffer's seek position decides, when the call
 *  is made: at 0, the response body is written into the buffer at offset 0 (grow: grows to fit;
 *  fixed: keeps what fits), the seek position is left at the number of bytes written and the
 *  final event's result is that length (asyncload_event_result_bytes()); above 0, bytes
 *  [0, tell) are sent as the request body and the response comes back as the event's result.
 *  @param http the client
 *  @param url an http or https URL
 *  @param method the method
 *  @param headers `header_count` headers (NULL when `header_count` is 0)
 *  @param header_count how many headers
 *  @param buffer the game's buffer (not NULL)
 *  @param options this request's settings, or NULL
 *  @return the request id, or -1 when refused */
asyncload_request_id asyncload_http_request_buffer(asyncload_http* http, const char* url, const char* method,
                                                   const asyncload_header* headers, size_t header_count,
                                                   asyncload_buffer* buffer,
                                                   const asyncload_request_options* options);

/** GameMaker's `http_set_request_crossorigin`: "anonymous" (the default) or "use-credentials"
 *  (the browser sends cookies cross-origin). Anything else leaves it unchanged and sets
 *  asyncload_last_error(). Natively it has no effect (no CORS): see asyncload_has_capability().
 *  @param http the client
 *  @param type "anonymous" or "use-credentials" */
void asyncload_http_set_request_crossorigin(asyncload_http* http, const char* type);

/** GameMaker's `http_get_request_crossorigin`.
 *  @param http the client
 *  @return "anonymous" or "use-credentials" (valid until the next call on `http`); NULL for a
 *          NULL http */
const char* asyncload_http_get_request_crossorigin(const asyncload_http* http);

/** GameMaker's `http_set_connect_timeout`: the connect timeout of later requests, in ms (0 =
 *  off). A negative value leaves it unchanged and sets asyncload_last_error().
 *  @param http the client
 *  @param milliseconds the timeout */
void asyncload_http_set_connect_timeout(asyncload_http* http, int64_t milliseconds);

/** GameMaker's `http_get_connect_timeout`.
 *  @param http the client
 *  @return the connect timeout in ms (0 = off); -1 for a NULL http */
int64_t asyncload_http_get_connect_timeout(const asyncload_http* http);

/** Stops a request. Its final event, status -3, comes with a later asyncload_dispatch(); nothing
 *  else comes for it.
 *  @param http the client
 *  @param id the request
 *  @return 1 cancelled; 0 when the id is unknown, its final event was already delivered or it is
 *          already cancelled; -1 for a NULL http */
int asyncload_http_cancel(asyncload_http* http, asyncload_request_id id);

/** The callback asyncload_dispatch() calls once per event, on the game thread.
 *  @param event the event; valid only until the callback returns
 *  @param user_data what was given to asyncload_dispatch() */
typedef void (*asyncload_event_callback)(const asyncload_event* event, void* user_data);

/** Once per frame: hands every event that was ready before the call to `callback`, in order.
 *  What the callback causes (new requests, cancels) waits for the next call.
 *  @param http the client
 *  @param callback called once per event (not NULL: then nothing is delivered and
 *         asyncload_last_error() says so)
 *  @param user_data passed to `callback`
 *  @return how many events were delivered */
size_t asyncload_dispatch(asyncload_http* http, asyncload_event_callback callback, void* user_data);

/** asyncload_dispatch() with a cap on one frame's work; what is left waits for the next call.
 *  @param http the client
 *  @param callback called once per event
 *  @param user_data passed to `callback`
 *  @param max_events at most this many events (0 = no cap)
 *  @param time_budget_us stop once this many microseconds passed (0 = no budget; at least one
 *         event is delivered when one is ready)
 *  @return how many events were delivered */
size_t asyncload_dispatch_limited(asyncload_http* http, asyncload_event_callback callback, void* user_data,
                                  size_t max_events, int64_t time_budget_us);

/** For headless loops: blocks until an event is ready or `timeout_ms` passed. In a browser it
 *  never blocks (asyncload_has_capability(http, "blocking_wait") is 0).
 *  @param http the client
 *  @param timeout_ms the longest wait
 *  @return 1 when an event is ready, 0 when not, -1 for a NULL http */
int asyncload_wait(asyncload_http* http, int64_t timeout_ms);

/** @param http the client
 *  @return the accepted requests whose final event was not yet delivered (0 for a NULL http) */
size_t asyncload_in_flight(const asyncload_http* http);

/** @param http the client
 *  @return 0 while a browser reads `persistent_root` back from IndexedDB (a few frames after
 *          asyncload_create()), else 1; -1 for a NULL http */
int asyncload_files_ready(const asyncload_http* http);

/** Why the last refused call failed.
 *  @param http the client, or NULL: why the last call on this thread without an http (a failed
 *         asyncload_create(), a call with a NULL http) failed
 *  @return a one-line reason, safe to print ("" when nothing failed yet); valid until the next
 *          call on `http` (for NULL, on this thread) */
const char* asyncload_last_error(const asyncload_http* http);

/** Whether the running backend honours a feature (README, "Capabilities").
 *  @param http the client
 *  @param name "progress_events", "response_headers", "cancel", "connect_timeout",
 *         "stall_timeout", "total_timeout", "file_download", "crossorigin", "redirect_limit",
 *         "relative_urls", "blocking_wait", "resume_downloads", "ranged_downloads",
 *         "persistent_files"
 *  @return 1 yes, 0 no, -1 for an unknown name or a NULL argument */
int asyncload_has_capability(const asyncload_http* http, const char* name);

/** @param http the client
 *  @return the backend's name: "curl" natively, "emscripten_fetch" in a browser (valid as long
 *          as `http`); NULL for a NULL http */
const char* asyncload_backend_name(const asyncload_http* http);

/** @param event the event
 *  @return the id the call returned (-1 for a NULL event) */
asyncload_request_id asyncload_event_id(const asyncload_event* event);

/** @param event the event
 *  @return the status: `ASYNCLOAD_STATUS_DOWNLOADING` (1), `ASYNCLOAD_STATUS_COMPLETE` (0) or a
 *          failure (-1 .. -5); -1 for a NULL event */
int asyncload_event_status(const asyncload_event* event);

/** @param event the event
 *  @return the final response's HTTP status; 0 on progress events and when none arrived */
long asyncload_event_http_status(const asyncload_event* event);

/** @param event the event
 *  @return the URL as requested (also after redirects); "" for a NULL event */
const char* asyncload_event_url(const asyncload_event* event);

/** The `result` of a final event: status 0: the body; asyncload_http_get_file(): the path
 *  written ("" for a non-2xx response); "" otherwise and in buffer mode.
 *  @param event the event
 *  @param length when not NULL, receives the result's length in bytes: the body is binary-safe
 *         (it may hold NULs); it is always followed by a NUL as well
 *  @return the result (never NULL; "" for a NULL event), valid until the callback returns */
const char* asyncload_event_result(const asyncload_event* event, size_t* length);

/** @param event the event
 *  @return buffer mode: the response length (bytes written into the buffer, or that would have
 *          been for a fixed buffer: as GameMaker); -1 otherwise */
int64_t asyncload_event_result_bytes(const asyncload_event* event);

/** @param event the event
 *  @return the expected body size (`contentLength`), -1 when the server did not say */
int64_t asyncload_event_content_length(const asyncload_event* event);

/** @param event the event
 *  @return the body bytes received so far (`sizeDownloaded`) */
int64_t asyncload_event_size_downloaded(const asyncload_event* event);

/** @param event the event
 *  @return a one-line reason, safe to print, when the status is < 0; "" otherwise */
const char* asyncload_event_error(const asyncload_event* event);

/** One response header of a final event.
 *  @param event the event
 *  @param name the header name, in any case ("Content-Type", "content-type")
 *  @return its value (repeated headers joined with ", "), or NULL when absent (and on progress
 *          events); valid until the callback returns */
const char* asyncload_event_header(const asyncload_event* event, const char* name);

/** The whole event (the `async_load` map) as one JSON object: `id`, `status`, `url`,
 *  `http_status`, `result`, `response_headers` (an object, names lower-case), `contentLength`,
 *  `sizeDownloaded`, and `error` when the status is < 0 (a progress event has only `id`,
 *  `status`, `url`, `contentLength`, `sizeDownloaded`). The text is always valid UTF-8 JSON:
 *  a `result` that is not valid UTF-8 (a binary body) is written as `result_base64` (the
 *  body in base64, RFC 4648, with padding) in place of `result`, as the `asyncload` tool
 *  does; any other string that is not valid UTF-8 (a header value with obs-text) has each
 *  byte that breaks UTF-8 replaced by U+FFFD.
 *  @param event the event
 *  @return the JSON, valid until the callback returns; NULL for a NULL event or when memory ran
 *          out */
const char* asyncload_event_json(const asyncload_event* event);

#ifdef __cplusplus
}  /* extern "C" */
#endif

#endif  /* ASYNCLOAD_ASYNCLOAD_H */
