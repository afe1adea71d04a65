// asyncload — GameMaker's asynchronous HTTP model for C++20 games, natively and in browsers.
//
// The game thread calls http_get / http_get_file / http_post_string / http_request and gets a
// request id at once (>= 0), or -1 with last_error() when the call is refused (bad URL, scheme
// other than http/https, header injection, file target outside file_root, ...). Nothing blocks
// on the network. Once per frame the game calls dispatch(), which hands every ready event to its
// handler as an AsyncLoad (GameMaker's async_load map), in the order the events became ready:
//
//   asyncload::Http http;
//   auto id = http.http_get("https://example.com/scores");
//   while (running) {                                  // the game loop
//     http.dispatch([&](const asyncload::AsyncLoad& e) {
//       if (e.id() == id && e.status() == asyncload::Status::complete) show(e.result());
//     });
//     draw_frame();
//   }
//
// Every accepted request produces exactly one final event (status <= 0), unless the Http is
// destroyed first. Progress events (status 1) are coalesced: at most one per request per
// dispatch(), only when bytes advanced, never after the final event, and only when the backend
// can report progress (capabilities().progress_events) and Options::progress_events is true.
// A completed HTTP exchange is status 0 whatever its code: read http_status().
//
// Threads: an Http belongs to the thread that calls it (the game thread). Handlers run on that
// thread inside dispatch(). Buffers are only touched there. The native backend does its network
// work on one internal I/O thread; the web backend on the browser's main thread between frames.
// An async_load map lives until its handler returns (copy what you keep); the native backend then
// frees its body and headers on its I/O thread, so a big body never costs a frame to free.
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

struct DispatchLimits {
  std::size_t max_events = SIZE_MAX;        // events handed out in one dispatch() at most
  std::chrono::microseconds time_budget{0};  // 0 = none; else stop once this much time passed
};

// One async_load map. map() is exactly GameMaker's async_load; the accessors read it.
class AsyncLoad {
public:
  explicit AsyncLoad(boost::json::object map) : map_(std::move(map)) {}

  const boost::json::object& map() const { return map_; }
  RequestId id() const;
  Status status() const;
  bool is_final() const { return static_cast<int>(status()) <= 0; }  // the request's one final event
  bool failed() const { return static_cast<int>(status()) < 0; }     // a final event with status < 0
  long http_status() const;                // 0 on progress events and when no response arrived
  std::string_view url() const;
  std::string_view result() const;          // "" when result is not a string (buffer mode)
  std::int64_t result_bytes() const;        // buffer mode: response length; else -1
  std::int64_t content_length() const;      // -1 when unknown
  std::int64_t size_downloaded() const;
  const boost::json::object& response_headers() const;  // {} on progress events
  std::string_view header(std::string_view lower_case_name) const;  // "" when absent
  std::string_view error() const;           // "" unless status < 0

private:
  friend class Http;  // takes the body back once the handler returned, to free it off the frame
  boost::json::object map_;
};

class Http {
public:
  explicit Http(Options options = {});                        // the platform backend
  Http(std::unique_ptr<Backend> backend, Options options = {});  // any backend
  ~Http();  // cancels what is in flight; no handler runs afterwards
  Http(const Http&) = delete;
  Http& operator=(const Http&) = delete;

  // GameMaker's calls. The trailing RequestOptions (extension) sets one request's timeouts and
  // body limit; what it leaves unset comes from the Http (Options, http_set_connect_timeout).
  RequestId http_get(std::string_view url, const RequestOptions& options = {});
  RequestId http_get_file(std::string_view url, std::string_view local_target, const RequestOptions& options = {});
  RequestId http_post_string(std::string_view url, std::string_view body, const RequestOptions& options = {});
  RequestId http_request(std::string_view url, std::string_view method, const Headers& headers,
                         std::string_view body, const RequestOptions& options = {});
  RequestId http_request(std::string_view url, std::string_view method, const Headers& headers,
                         std::shared_ptr<Buffer> buffer, const RequestOptions& options = {});

  void http_set_request_crossorigin(std::string_view type);  // "anonymous" | "use-credentials"
  std::string http_get_request_crossorigin() const;
  void http_set_connect_timeout(std::chrono::milliseconds timeout);  // applies to later requests
  std::chrono::milliseconds http_get_connect_timeout() const;

  // Extension (GameMaker has none): stops a request. Its final event is status -3, delivered by
  // a later dispatch(); nothing else is delivered for it. False if the id is unknown or its
  // final event was already delivered or queued as cancelled.
  bool http_cancel(RequestId id);

  // Once per frame: hands every ready event to `handler` in order, on this thread, and returns
  // how many. Events that become ready during the call wait for the next one. If the handler
  // throws, the event it was given counts as delivered and the exception propagates; the rest
  // wait for the next dispatch().
  std::size_t dispatch(const std::function<void(const AsyncLoad&)>& handler,
                       DispatchLimits limits = {});

  // Extension for headless loops (tools, bots, tests): blocks until an event is ready or
  // `timeout` passed; true if one is ready. Where the platform cannot block (the browser) it
  // returns at once.
  bool wait(std::chrono::milliseconds timeout);

  Capabilities capabilities() const;
  std::size_t in_flight() const;  // accepted requests whose final event was not yet delivered
  const std::string& last_error() const;  // why the last refused call returned -1

private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace asyncload
