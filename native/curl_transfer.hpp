// native/curl_transfer.hpp — one transfer on a libcurl easy handle: the options it sets, curl's
// callbacks into it, the final response's headers and what its CURLcode means for the game.
// The scheduler around it (native/curl_backend.cpp) owns the multi, the handles and the queue.
//
// States of a transfer in the native backend (CurlTransfer::State). Callbacks run on the I/O
// thread, inside curl_multi_perform(). The game thread touches a CurlTransfer only in
// ~CurlBackend, after joining the I/O thread.
//
//   state           owner        easy handle    meaning
//   (queued)        game thread  none           a Transfer appended to the command queue (under
//                                               its mutex); no CurlTransfer yet
//   waiting         I/O thread   none           accepted, in the FIFO behind max_connections
//   in_flight       I/O thread   in the multi   no byte of the final response's body yet
//                                               (connecting, sending, reading headers)
//   receiving_body  I/O thread   in the multi   sink->begin() was called for this response
//   leaving         I/O thread   being removed  callbacks report nothing
//
//   transition                       made by
//   (queued) -> waiting              the scheduler, taking the command queue
//   waiting -> in_flight             the scheduler, when a slot is free
//   waiting -> gone                  the scheduler: cancelled, or the launch failed (reported)
//   in_flight -> receiving_body      the body callback at the first body byte; outcome_of() for
//                                    a response without a body
//   receiving_body -> in_flight      the header callback at a new status line (redirect, 1xx)
//   in_flight, receiving_body        the scheduler: done or stalled (reported once, after it
//     -> leaving -> gone             left), cancelled or ~CurlBackend (not reported)
#pragma once

#include <asyncload/backend.hpp>

#include "content_decoding.hpp"

#include <curl/curl.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace asyncload::native {

using Clock = std::chrono::steady_clock;

// The request headers a transfer sends unless its caller gave one of that name: User-Agent and
// Accept-Encoding, as lines of the request's header list. Through CURLOPT_USERAGENT and
// CURLOPT_ACCEPT_ENCODING libcurl 7.88 formats both anew for every request, which cost ~15,000
// instructions a request against ~6,000 for the two lines (bench/findings.md). A plain GET (no
// header of the caller's, no body, any coding) sends `plain_get()`, built once per backend.
class DefaultRequestHeaders {
public:
  using List = std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)>;
  // Appends `line` to `list`; false when curl could not (out of memory), the list unchanged.
  static bool append(List& list, const std::string& line);

  explicit DefaultRequestHeaders(const std::string& user_agent);  // throws std::bad_alloc

  const std::string& user_agent_line() const { return user_agent_line_; }
  // What the decoder knows, or only identity for a resumable download (byte ranges count the
  // bytes of one coding).
  const std::string& accept_encoding_line(bool identity) const {
    return identity ? identity_line_ : accept_encoding_line_;
  }
  curl_slist* plain_get() const { return plain_get_.get(); }
  // CURLOPT_PROXYHEADER: a proxy's CONNECT request gets the User-Agent too, as it did from
  // CURLOPT_USERAGENT (the request's own list goes to the server only).
  curl_slist* proxy() const { return proxy_.get(); }

private:
  std::string user_agent_line_;
  std::string accept_encoding_line_;
  std::string identity_line_ = "Accept-Encoding: identity";
  List plain_get_{nullptr, &curl_slist_free_all};
  List proxy_{nullptr, &curl_slist_free_all};
};

class CurlTransfer {
public:
  enum class State { waiting, in_flight, receiving_body, leaving };

  CurlTransfer(Transfer transfer, Events& events);
  ~CurlTransfer();  // frees the request header list: the handle must be detached by then
  CurlTransfer(const CurlTransfer&) = delete;
  CurlTransfer& operator=(const CurlTransfer&) = delete;

  RequestId id() const { return transfer_.id; }
  State state() const { return state_; }
  CURL* handle() const { return easy_; }

  // A new easy handle: sets the options every transfer of the backend shares, once. A handle
  // reused for a later transfer keeps them (and its TLS session cache), which is cheaper than
  // curl_easy_reset and setting them all again for every small request.
  static CURLcode prepare_handle(CURL* easy, CURLSH* cookies, const BackendSettings& settings,
                                 const DefaultRequestHeaders& defaults);
  // waiting: sets this transfer's options on `easy` (prepared; maybe used before), which the
  // transfer holds from now on. `defaults` outlives the transfer.
  CURLcode configure(CURL* easy, const DefaultRequestHeaders& defaults);
  // waiting -> in_flight, once the handle is in the multi: the stall and timeout clocks start.
  void entered_multi();
  // -> leaving, before the handle leaves the multi (removing it can run a callback once more).
  void leave();
  // Hands the handle back once it is out of the multi, pointing at nothing of this transfer's;
  // nullptr when the transfer had none.
  CURL* detach_handle();

  // Curl has not yet counted every byte of the request body as sent.
  bool sending_body() const {
    return state_ == State::in_flight && upload_seen_ < static_cast<curl_off_t>(transfer_.body.size());
  }
  bool watches_stall() const { return transfer_.stall_timeout.count() > 0; }
  Clock::time_point stall_deadline() const { return last_activity_ + transfer_.stall_timeout; }
  Clock::time_point last_activity() const { return last_activity_; }
  // Bytes arrived that no callback has seen yet (the scheduler found them on the socket).
  void saw_activity(Clock::time_point when) { last_activity_ = when; }

  // The final outcome, read while the handle is still attached: when curl reported `result`,
  // or when the transfer stalled.
  Outcome outcome_of(CURLcode result);
  Outcome stalled_outcome();
  // The final outcome of a transfer that never ran.
  static Outcome refused_outcome(RequestId id, std::string error);

private:
  static size_t on_body(char* data, size_t size, size_t count, void* self);
  static size_t on_header(char* data, size_t size, size_t count, void* self);
  size_t take_header_line(std::string_view line);  // on_header's work, which may throw
  static int on_progress(void* self, curl_off_t download_total, curl_off_t download_now,
                         curl_off_t upload_total, curl_off_t upload_now);

  void begin_body();
  bool write_body(std::string_view decoded);
  size_t stop(Status status, std::string reason);
  void report_progress(curl_off_t size_downloaded, curl_off_t content_length);
  void touch();
  Outcome outcome(Status status, std::string error);
  long response_code() const;
  std::string curl_error_text(CURLcode result) const;

  Transfer transfer_;
  Events& events_;
  State state_ = State::waiting;
  CURL* easy_ = nullptr;                   // from configure() to detach_handle()
  curl_slist* request_headers_ = nullptr;  // this transfer's own list, or null for plain_get()
  Headers response_headers_;               // of the latest response (cleared at each status line)
  bool header_section_ended_ = false;      // its blank line came: later lines are trailers
  std::int64_t framed_length_ = -1;        // its Content-Length, once one was read
  std::unique_ptr<ContentDecoder> decoder_;  // the final response's Content-Encoding; null: none
  Clock::time_point started_;              // when it entered the multi
  Clock::time_point last_activity_;        // last byte received (or sent): the stall clock
  std::int64_t progress_reported_ = 0;
  curl_off_t upload_seen_ = 0;
  // Set once the transfer ended itself (curl then reports CURLE_WRITE_ERROR): the sink refused
  // or threw, the body does not decode, or the response broke HTTP's framing rules.
  Status stopped_status_ = Status::complete;
  std::string stopped_reason_;
  bool custom_method_ = false;             // sent with CURLOPT_CUSTOMREQUEST
  char error_buffer_[CURL_ERROR_SIZE] = {};
};

}  // namespace asyncload::native
