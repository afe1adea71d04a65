/// @file
/// asyncload — GameMaker's asynchronous HTTP model for C++20 games, natively and in browsers.
/// This comment is the manual: states, threads, ownership, statuses and the async_load keys.
///
/// @code
///   asyncload::Http http;                                    // one per game, on the game thread
///   auto id = http.http_get("https://example.com/scores");   // an id at once; never blocks
///   while (running) {                                        // the game loop
///     http.dispatch([&](const asyncload::AsyncLoad& e) {     // every ready event, in order
///       if (e.id() == id && e.status() == asyncload::Status::complete) show(e.result());
///     });
///     draw_frame();
///   }
/// @endcode
///
/// Calls. http_get / http_get_file / http_post_string / http_request return a request id (>= 0),
/// or -1 when refused (bad URL, scheme other than http/https, header injection, a file target
/// outside file_root, a method or header the browser forbids, ...): no event is queued and
/// last_error() says why. A trailing RequestOptions overrides the Http's Options for one request.
///
/// A request's life (the states of core/src/http.cpp):
/// @code{.unparsed}
///   running    the backend transfers it on its own thread (native: one I/O thread running
///              libcurl; web: the browser's main thread between frames), writes the body into
///              the request's sink (memory; http_get_file's temporary file; for a buffer at
///              seek 0, memory copied into the Buffer at delivery) and reports progress.
///   ended      the transfer is over and the backend is done with the sink; the final event
///              waits for dispatch(), behind any progress of the request.
///   delivered  dispatch() handed the final event (status <= 0) to the handler: the request is
///              forgotten (in_flight() drops).
///   cancelled  http_cancel(id) while running or ended: one -3 final event follows in a later
///              dispatch() and nothing else for that id; http_get_file's target is not touched.
/// @endcode
/// Every accepted request gets exactly one final event, unless the Http is destroyed first
/// (~Http stops every transfer and calls no handler).
///
/// Threads and ownership. An Http belongs to the thread that calls it (the game thread);
/// handlers run there, inside dispatch(), and so does every touch of a Buffer (asyncload holds a
/// weak reference: the game may drop a buffer at any time). An AsyncLoad and its map live until
/// the handler returns: copy what you keep. The backend then frees the body and the headers
/// (natively on its I/O thread, so a big body never costs a frame). http_get_file streams to a
/// hidden temporary file beside the target and renames it onto the target when the game gets
/// the final event of a complete 2xx response; any other outcome leaves the old file alone.
/// With RequestOptions::resume an interrupted download keeps its partial file beside the target
/// and the next such call continues it with a Range request (README, "Resumable downloads").
///
/// Events. dispatch() delivers what became ready before the call, in that order; what a handler
/// causes (requests, cancels) waits for the next one. Progress is coalesced: at most one event
/// per request per dispatch(), only when bytes advanced, never after the final event, and only
/// when capabilities().progress_events and Options::progress_events. A handler that throws loses
/// only the event it was given. DispatchLimits caps one frame's events or time (the rest wait);
/// wait() blocks a headless loop until an event is ready (not in browsers). capabilities() says
/// what the backend honours; a false there is the documented answer for that platform, never a
/// silent no-op.
///
/// Deterministic headless runs: Options::record_har writes every exchange of an Http to a HAR
/// 1.2 file when it is destroyed (secret headers "REDACTED"); make_replay_backend(ReplayOptions)
/// in `<asyncload/replay.hpp>` serves such a file with no network, its time counted in dispatch()
/// calls, on the capabilities of the native or the browser backend (README, "Deterministic
/// headless runs").
///
/// async_load keys (AsyncLoad::map(); the accessors read it):
/// @code{.unparsed}
///   id                the id the call returned
///   status            the Status below, as GameMaker's integer
///   url               the URL as requested (also after redirects)
///   http_status       the final response's HTTP status; 0 when none arrived
///   result            status 0: the body (binary-safe); http_get_file: the path written, "" for a
///                     non-2xx response; buffer mode: the response length (a number). "" otherwise
///   response_headers  object, names lower-case, repeated headers joined with ", "; {} when none
///   contentLength     the expected body size, -1 when the server did not say
///   sizeDownloaded    body bytes received so far, counted like contentLength (as sent)
///   error             only when status < 0: a one-line reason
/// @endcode
/// A progress event has only id, status, url, contentLength and sizeDownloaded.
///
/// Status:
/// @code{.unparsed}
///    1 downloading    a progress event
///    0 complete       the HTTP exchange completed, whatever its code (404, 500, 304...)
///   -1 network_error  refused, DNS, reset, TLS, protocol, too many redirects, non-http(s) redirect
///   -2 timeout        connect, stall (no byte for stall_timeout) or total
///   -3 cancelled      http_cancel
///   -4 file_error     the local file could not be written
///   -5 too_large      the body is over max_body_bytes (memory and buffer bodies, not files)
/// @endcode
#pragma once

#include <asyncload/buffer.hpp>
#include <asyncload/types.hpp>

#include <boost/json/object.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace asyncload {

class Backend;  // <asyncload/backend.hpp>: only for a game that brings its own backend

/// What one dispatch() may hand out at most (the rest waits for the next frame).
struct DispatchLimits {
  std::size_t max_events = SIZE_MAX;        ///< events handed out in one dispatch() at most
  std::chrono::microseconds time_budget{0};  ///< 0 = none; else stop once this much time passed
};

/// One async_load map. map() is exactly GameMaker's async_load; the accessors read it.
class AsyncLoad {
public:
  /// Wraps an async_load map (the core makes them; a test may too).
  explicit AsyncLoad(boost::json::object map) : map_(std::move(map)) {}

  const boost::json::object& map() const { return map_; }  ///< the async_load map itself
  RequestId id() const;                     ///< "id": the id the call returned
  Status status() const;                    ///< "status" as a Status
  bool is_final() const { return static_cast<int>(status()) <= 0; }  ///< the request's one final event
  bool failed() const { return static_cast<int>(status()) < 0; }     ///< a final event with status < 0
  long http_status() const;                ///< 0 on progress events and when no response arrived
  std::string_view url() const;             ///< "url": the URL as requested
  std::string_view result() const;          ///< "" when result is not a string (buffer mode)
  std::int64_t result_bytes() const;        ///< buffer mode: response length; else -1
  std::int64_t content_length() const;      ///< -1 when unknown
  std::int64_t size_downloaded() const;     ///< "sizeDownloaded": body bytes received so far
  const boost::json::object& response_headers() const;  ///< {} on progress events
  std::string_view header(std::string_view name) const;  ///< any case ("Content-Type"); "" when absent
  std::string_view error() const;           ///< "" unless status < 0

private:
  friend class Http;  // takes the body back once the handler returned, to free it off the frame
  boost::json::object map_;
};

/// One per game, used from one thread (the game thread): GameMaker's http_* calls and the
/// per-frame dispatch() of their async_load events.
class Http {
public:
  explicit Http(Options options = {});                        ///< the platform backend
  Http(std::unique_ptr<Backend> backend, Options options = {});  ///< any backend
  ~Http();  ///< cancels what is in flight; no handler runs afterwards
  Http(const Http&) = delete;             ///< not copyable: it owns the requests
  Http& operator=(const Http&) = delete;  ///< not copyable: it owns the requests

  /// @name GameMaker's calls
  /// GameMaker's calls. The trailing RequestOptions (extension) sets one request's timeouts and
  /// body limit; what it leaves unset comes from the Http (Options, http_set_connect_timeout).
  /// Each returns a request id (>= 0), or -1 when refused (no event; last_error() says why).
  /// @{
  RequestId http_get(std::string_view url, const RequestOptions& options = {});  ///< GET into memory
  /// GET streamed to a file; `result` is the path written.
  RequestId http_get_file(std::string_view url, std::string_view local_target, const RequestOptions& options = {});
  /// POST with `Content-Type: application/x-www-form-urlencoded`.
  RequestId http_post_string(std::string_view url, std::string_view body, const RequestOptions& options = {});
  /// Any method; headers sent as given; `body` "" = none.
  RequestId http_request(std::string_view url, std::string_view method, const Headers& headers,
                         std::string_view body, const RequestOptions& options = {});
  /// Buffer mode (`<asyncload/buffer.hpp>`): at seek 0 the response goes into `buffer`, else
  /// bytes [0, tell()) are sent.
  RequestId http_request(std::string_view url, std::string_view method, const Headers& headers,
                         std::shared_ptr<Buffer> buffer, const RequestOptions& options = {});

  void http_set_request_crossorigin(std::string_view type);  ///< "anonymous" | "use-credentials"
  std::string http_get_request_crossorigin() const;           ///< "anonymous" unless set
  void http_set_connect_timeout(std::chrono::milliseconds timeout);  ///< applies to later requests
  std::chrono::milliseconds http_get_connect_timeout() const;        ///< 60000 ms unless set
  /// @}

  /// Extension (GameMaker has none): stops a request. Its final event is status -3, delivered by
  /// a later dispatch(); nothing else is delivered for it. False if the id is unknown, its final
  /// event was already delivered or queued as cancelled, or its file is already in place (being
  /// stored under Options::persistent_root).
  bool http_cancel(RequestId id);

  /// Once per frame: hands every ready event to `handler` in order, on this thread, and returns
  /// how many. Events that become ready during the call wait for the next one. If the handler
  /// throws, the event it was given counts as delivered and the exception propagates; the rest
  /// wait for the next dispatch().
  std::size_t dispatch(const std::function<void(const AsyncLoad&)>& handler,
                       DispatchLimits limits = {});

  /// Extension for headless loops (tools, bots, tests): blocks until an event is ready or
  /// `timeout` passed; true if one is ready. Where the platform cannot block (the browser) it
  /// returns at once, and so it does over a replay backend (`<asyncload/replay.hpp>`), whose time
  /// passes only in dispatch() calls.
  bool wait(std::chrono::milliseconds timeout);

  Capabilities capabilities() const;  ///< what the backend honours (docs/capabilities.md)
  /// Extension: false while the browser reads Options::persistent_root back from IndexedDB
  /// (a few frames after the Http is made); until then files kept there from an earlier run are
  /// not yet visible and a resumable download is refused. Downloads called meanwhile wait.
  /// Always true elsewhere.
  bool files_ready() const;
  std::size_t in_flight() const;  ///< accepted requests whose final event was not yet delivered
  const std::string& last_error() const;  ///< why the last refused call returned -1

private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace asyncload
