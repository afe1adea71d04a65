#include "curl_transfer.hpp"

#include "ascii_host.hpp"
#include "easy_options.hpp"

#include <asyncload/detail/raw_headers.hpp>
#include <asyncload/detail/text.hpp>

#include <algorithm>
#include <cassert>
#include <charconv>
#include <climits>
#include <memory>
#include <new>
#include <string_view>
#include <utility>

namespace asyncload::native {
namespace {

// A larger receive buffer than curl's 16 KiB default measured faster for file downloads.
constexpr long receive_buffer_bytes = 100 * 1024;
// curl reads CONNECTTIMEOUT 0 as "its 300 s default", not as "off". INT_MAX ms (~24.8 days,
// which still fits a 32-bit long) is off for any practical purpose; the OS gives up sooner.
constexpr long connect_timeout_off_ms = INT_MAX;

bool has_header(const Headers& headers, std::string_view name) {
  return std::any_of(headers.begin(), headers.end(),
                     [&](const auto& header) { return detail::iequals(header.first, name); });
}

// The code of "HTTP/1.1 303 See Other" or "HTTP/2 303"; 0 when there is none.
int status_code(std::string_view status_line) {
  const auto space = status_line.find(' ');
  if (space == std::string_view::npos) return 0;
  const std::string_view digits = status_line.substr(space + 1, 3);
  int code = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), code);
  return error == std::errc() && end == digits.data() + 3 ? code : 0;
}

// RFC 9112 6.3: a response whose Content-Length values differ has no trustworthy length and must
// be treated as an error (Chromium: ERR_RESPONSE_HEADERS_MULTIPLE_CONTENT_LENGTH). The same value
// repeated, in one header or several, is one length: RFC 9110 8.6 lets a recipient take it, and
// Chromium does. Returns why header `line` conflicts with the length read so far (`length`, -1
// for none; updated), or "". A value that is not a number is left to libcurl to judge.
std::string conflicting_length(std::string_view line, std::int64_t& length) {
  const auto colon = line.find(':');
  if (colon == std::string_view::npos) return {};
  if (!detail::iequals(detail::trim(line.substr(0, colon)), "Content-Length")) return {};
  std::string_view values = line.substr(colon + 1);
  for (;;) {
    const auto comma = values.find(',');
    const std::string_view text = detail::trim(values.substr(0, comma));
    std::int64_t value = -1;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error == std::errc() && end == text.data() + text.size() && value >= 0) {
      if (length >= 0 && value != length)
        return "conflicting Content-Length values " + std::to_string(length) + " and " +
               std::to_string(value) + " (RFC 9112 6.3)";
      length = value;
    }
    if (comma == std::string_view::npos) return {};
    values.remove_prefix(comma + 1);
  }
}

// The response's codings, several headers joined as response_headers joins them.
std::string content_encoding(const Headers& headers) {
  std::string codings;
  for (const auto& [name, value] : headers) {
    if (!detail::iequals(name, "Content-Encoding")) continue;
    if (!codings.empty()) codings += ", ";
    codings += value;
  }
  return codings;
}

// The request headers as curl should send them: the caller's, in order, then the defaults the
// caller did not replace, then what suppresses a curl default the caller did not ask for.
// The list is freed if a line cannot be made: std::bad_alloc from a string (found by torture
// mode) or a failed append.
curl_slist* build_request_headers(const Transfer& transfer, bool sends_body, const DefaultRequestHeaders& defaults) {
  DefaultRequestHeaders::List list(nullptr, &curl_slist_free_all);
  bool appended = true;
  auto append = [&](const std::string& line) { appended = appended && DefaultRequestHeaders::append(list, line); };
  std::string line;
  for (const auto& [name, value] : transfer.headers) {
    line.assign(name);
    // To curl "Name:" means "remove this header"; "Name;" is how it sends an empty value.
    if (value.empty()) {
      line += ';';
    } else {
      line += ": ";
      line += value;
    }
    append(line);
  }
  if (!has_header(transfer.headers, "User-Agent")) append(defaults.user_agent_line());
  if (!has_header(transfer.headers, "Accept-Encoding")) append(defaults.accept_encoding_line(transfer.identity_encoding));
  // curl would send "Expect: 100-continue" before a large body and wait up to a second for
  // the interim answer: a round trip nobody asked for.
  if (sends_body && !has_header(transfer.headers, "Expect")) append("Expect:");
  // With POSTFIELDS curl would invent "application/x-www-form-urlencoded". Send the body as
  // given instead, like a browser sending bytes (the core adds the type for http_post_string).
  if (sends_body && !has_header(transfer.headers, "Content-Type")) append("Content-Type:");
  return appended ? list.release() : nullptr;
}

}  // namespace

bool DefaultRequestHeaders::append(List& list, const std::string& line) {
  curl_slist* longer = curl_slist_append(list.get(), line.c_str());
  if (!longer) return false;
  (void)list.release();  // the same list, one line longer (or the first line of a new one)
  list.reset(longer);
  return true;
}

DefaultRequestHeaders::DefaultRequestHeaders(const std::string& user_agent)
    : user_agent_line_("User-Agent: " + user_agent),
      accept_encoding_line_(std::string("Accept-Encoding: ") + accepted_encodings) {
  if (!append(plain_get_, user_agent_line_) || !append(plain_get_, accept_encoding_line_) ||
      !append(proxy_, user_agent_line_))
    throw std::bad_alloc();
}

CurlTransfer::CurlTransfer(Transfer transfer, Events& events)
    : transfer_(std::move(transfer)), events_(events) {}

CurlTransfer::~CurlTransfer() {
  assert(!easy_);
  curl_slist_free_all(request_headers_);
}

// --- the scheduler's transitions ------------------------------------------------------------

CURLcode CurlTransfer::prepare_handle(CURL* easy, CURLSH* cookies, const BackendSettings& settings,
                                      const DefaultRequestHeaders& defaults) {
  EasyOptions options(easy);
  auto set = [&](CURLoption option, auto value) { options.set(option, value); };
  // Only http and https are ever fetched, also after a redirect.
  set(CURLOPT_PROTOCOLS_STR, "http,https");
  set(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  // No signals: without this curl would swap the process's SIGPIPE handler around each call,
  // from the I/O thread, under the game's feet. Nothing else is needed for SIGPIPE: curl's
  // socket writes raise none (TLS too: libcurl 7.88 feeds OpenSSL through its own socket code),
  // as it sends with MSG_NOSIGNAL (Linux) or sets SO_NOSIGPIPE (macOS); Windows has no SIGPIPE.
  set(CURLOPT_NOSIGNAL, 1L);
  set(CURLOPT_SHARE, cookies);
  set(CURLOPT_COOKIEFILE, "");  // the cookie engine on, starting empty
  // Lets curl_easy_cleanup/remove_handle detach a resolver thread stuck in getaddrinfo()
  // instead of joining it, so cancel and ~CurlBackend stay prompt while DNS hangs.
  set(CURLOPT_QUICK_EXIT, 1L);
  // HTTP/2 over TLS where this libcurl has it: a libcurl without (the Windows build: Debian
  // has no nghttp2 for MinGW) refuses the option with "Unsupported protocol", and speaks 1.1.
  static const bool has_http2 = (curl_version_info(CURLVERSION_NOW)->features & CURL_VERSION_HTTP2) != 0;
  if (has_http2) set(CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
  set(CURLOPT_BUFFERSIZE, receive_buffer_bytes);
  // The body is decoded here (content_decoding.hpp), not by libcurl, which never checks that a
  // compressed stream ended.
  set(CURLOPT_HTTP_CONTENT_DECODING, 0L);
  // A proxy's CONNECT gets the User-Agent from here; the server gets it from the request's
  // header list (configure()).
  set(CURLOPT_PROXYHEADER, defaults.proxy());
  // TLS verification stays at curl's defaults (on). CAINFO replaces curl's default bundle
  // file, but not its default CA directory: on builds that have one (Debian and Ubuntu:
  // /etc/ssl/certs, with OpenSSL) the system roots stay trusted and ca_file adds to them.
  // On builds with a bundle file only, ca_file becomes the whole trust store.
  if (!settings.ca_file.empty()) set(CURLOPT_CAINFO, settings.ca_file.c_str());
  set(CURLOPT_WRITEFUNCTION, &on_body);
  set(CURLOPT_HEADERFUNCTION, &on_header);
  set(CURLOPT_XFERINFOFUNCTION, &on_progress);
  return options.result();
}

CURLcode CurlTransfer::configure(CURL* easy, const DefaultRequestHeaders& defaults) {
  assert(state_ == State::waiting && !easy_);
  easy_ = easy;
  EasyOptions options(easy);
  auto set = [&](CURLoption option, auto value) { options.set(option, value); };

  // Every option a transfer may set is set here, each time, to this transfer's value: a reused
  // handle keeps the previous transfer's (prepare_handle() set the ones all transfers share).
  set(CURLOPT_PRIVATE, static_cast<void*>(this));
  set(CURLOPT_URL, with_ascii_host(transfer_.url).c_str());  // curl copies the string
  set(CURLOPT_ERRORBUFFER, error_buffer_);
  // Over TLS, wait for a connection still handshaking to say whether it multiplexes rather
  // than opening one connection per request of a burst. (Cleartext stays HTTP/1.1.)
  set(CURLOPT_PIPEWAIT, detail::istarts_with(transfer_.url, "https:") ? 1L : 0L);

  // max_redirects 0 means "follow none": the 3xx itself is the final response (status 0).
  set(CURLOPT_FOLLOWLOCATION, transfer_.max_redirects > 0 ? 1L : 0L);
  set(CURLOPT_MAXREDIRS, static_cast<long>(transfer_.max_redirects));
  const std::int64_t connect_ms = transfer_.connect_timeout.count();
  set(CURLOPT_CONNECTTIMEOUT_MS,
      connect_ms > 0 ? static_cast<long>(std::min<std::int64_t>(connect_ms, connect_timeout_off_ms))
                     : connect_timeout_off_ms);
  set(CURLOPT_TIMEOUT_MS,  // 0 is curl's "no limit" too; long is 32 bits on Windows
      static_cast<long>(std::min<std::int64_t>(transfer_.total_timeout.count(), LONG_MAX)));

  set(CURLOPT_WRITEDATA, static_cast<void*>(this));
  set(CURLOPT_HEADERDATA, static_cast<void*>(this));
  set(CURLOPT_XFERINFODATA, static_cast<void*>(this));
  set(CURLOPT_NOPROGRESS, transfer_.report_progress || watches_stall() ? 0L : 1L);

  // The method: a plain GET first (no body, no upload, not HEAD), then what differs from it.
  const std::string& method = transfer_.method;
  const bool sends_body = method != "HEAD" &&
      (!transfer_.body.empty() || method == "POST" || method == "PUT" || method == "PATCH");
  set(CURLOPT_HTTPGET, 1L);
  set(CURLOPT_CUSTOMREQUEST, static_cast<char*>(nullptr));
  if (method == "HEAD") {
    set(CURLOPT_NOBODY, 1L);
  } else if (method != "GET" || sends_body) {
    // Not for POST: CUSTOMREQUEST would survive a 301/302/303 redirect, which turns a POST
    // into a GET (as browsers do) only while curl believes it is doing a plain POST.
    if (method != "POST") {
      set(CURLOPT_CUSTOMREQUEST, method.c_str());
      custom_method_ = true;
    }
    if (sends_body) {  // also when empty, so that POST/PUT/PATCH send "Content-Length: 0"
      set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(transfer_.body.size()));
      set(CURLOPT_POSTFIELDS, transfer_.body.data());
    }
  }
  if (options.result() != CURLE_OK) return options.result();

  // User-Agent and Accept-Encoding are request headers here (DefaultRequestHeaders).
  if (transfer_.headers.empty() && !sends_body && !transfer_.identity_encoding) {
    set(CURLOPT_HTTPHEADER, defaults.plain_get());
  } else {
    request_headers_ = build_request_headers(transfer_, sends_body, defaults);
    // Never empty otherwise: it holds the User-Agent, the caller's or ours, at least.
    if (!request_headers_) return CURLE_OUT_OF_MEMORY;
    set(CURLOPT_HTTPHEADER, request_headers_);
  }
  return options.result();
}

CURL* CurlTransfer::detach_handle() {
  // The handle may outlive this transfer on the free list: let it point at nothing of ours.
  if (easy_) {
    curl_easy_setopt(easy_, CURLOPT_HTTPHEADER, static_cast<curl_slist*>(nullptr));
    curl_easy_setopt(easy_, CURLOPT_ERRORBUFFER, static_cast<char*>(nullptr));
    curl_easy_setopt(easy_, CURLOPT_POSTFIELDS, static_cast<char*>(nullptr));
  }
  return std::exchange(easy_, nullptr);
}

void CurlTransfer::entered_multi() {
  assert(state_ == State::waiting && easy_);
  state_ = State::in_flight;
  started_ = last_activity_ = Clock::now();  // the stall clock starts in the multi
}

void CurlTransfer::leave() {
  assert(state_ == State::in_flight || state_ == State::receiving_body);
  state_ = State::leaving;
}

// --- curl's callbacks (I/O thread, inside curl_multi_perform) --------------------------------

// CURLOPT_WRITEFUNCTION: body bytes of the final response as sent, decoded on their way to the
// sink one piece at a time, so a body over max_body_bytes stops decoding at once however well
// it compresses.
size_t CurlTransfer::on_body(char* data, size_t size, size_t count, void* self) {
  CurlTransfer& job = *static_cast<CurlTransfer*>(self);
  const size_t length = size * count;
  if (job.state_ == State::leaving) return length;
  job.touch();
  if (!job.transfer_.sink) return length;
  try {
    if (job.state_ == State::in_flight) job.begin_body();
    const std::string_view bytes(data, length);
    if (job.decoder_) {
      if (!job.decoder_->decode(bytes, [&](std::string_view piece) { return job.write_body(piece); }))
        return job.stop(Status::network_error, job.decoder_->failure());
    } else if (!job.write_body(bytes)) {
      return 0;
    }
    // Progress from here rather than only from curl's progress callback: on a fast link
    // curl reads up to 100 buffers before it calls that once, so a bar would jump.
    if (job.transfer_.report_progress) {
      curl_off_t size_downloaded = 0;
      curl_off_t content_length = -1;
      curl_easy_getinfo(job.easy_, CURLINFO_SIZE_DOWNLOAD_T, &size_downloaded);
      curl_easy_getinfo(job.easy_, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &content_length);
      job.report_progress(size_downloaded, content_length);
    }
    return length;
  } catch (const std::exception& e) {  // never let an exception unwind through libcurl
    return job.stop(Status::network_error, e.what());
  } catch (...) {
    return job.stop(Status::network_error, "the body sink threw");
  }
}

// Decoded bytes to the sink; false (and the transfer stops) when it refused them.
bool CurlTransfer::write_body(std::string_view decoded) {
  const Status result = transfer_.sink->write(decoded);
  if (result != Status::complete) stop(result, transfer_.sink->failure());
  return result == Status::complete;
}

// The transfer ends itself; the first reason counts. Returns what a write or header callback
// gives curl to make it stop with CURLE_WRITE_ERROR (anything but the length it passed).
size_t CurlTransfer::stop(Status status, std::string reason) {
  if (stopped_status_ == Status::complete) {
    stopped_status_ = status;
    stopped_reason_ = std::move(reason);
  }
  return 0;
}

// CURLOPT_HEADERFUNCTION: one raw header line at a time, status lines included.
size_t CurlTransfer::on_header(char* data, size_t size, size_t count, void* self) {
  CurlTransfer& job = *static_cast<CurlTransfer*>(self);
  const size_t length = size * count;
  if (job.state_ == State::leaving) return length;
  job.touch();
  try {
    return job.take_header_line(std::string_view(data, length));
  } catch (const std::bad_alloc&) {  // never let an exception unwind through libcurl
    return job.stop(Status::network_error, "out of memory");
  }
}

// One header line: its length, or stop()'s 0.
size_t CurlTransfer::take_header_line(std::string_view line) {
  const size_t length = line.size();
  if (!line.starts_with("HTTP/")) {
    // RFC 9110 6.5.1: trailer fields (after a chunked body) are never merged into the header
    // section; browsers do not show them at all.
    if (header_section_ended_) return length;
    if (line == "\r\n" || line == "\n") {
      header_section_ended_ = true;
      return length;
    }
    if (std::string conflict = conflicting_length(line, framed_length_); !conflict.empty())
      return stop(Status::network_error, std::move(conflict));
    // One allocation for a usual response's headers rather than one per doubling.
    if (response_headers_.capacity() == 0) response_headers_.reserve(16);
    detail::add_header_line(response_headers_, line);  // folded lines too
    return length;
  }
  // A new response begins (after a redirect, a 1xx or a proxy CONNECT): only the final
  // response's headers count, and its body needs a fresh sink->begin().
  response_headers_.clear();
  header_section_ended_ = false;
  framed_length_ = -1;
  state_ = State::in_flight;
  progress_reported_ = 0;
  const int code = status_code(line);
  // asyncload never asks for an upgrade. After a 101 the connection speaks another protocol,
  // which libcurl would hand over as the body of a complete exchange.
  if (code == 101)
    return stop(Status::network_error,
                "unsolicited 101 Switching Protocols (asyncload never asks for an upgrade)");
  // RFC 9110 15.4.4: a 303 is followed with GET. curl drops the body but would keep a custom
  // method (PUT, PATCH, DELETE, ...) on the wire; clearing it before curl builds the
  // follow-up request makes it the GET that browsers send.
  if (code == 303 && custom_method_) curl_easy_setopt(easy_, CURLOPT_CUSTOMREQUEST, nullptr);
  return length;
}

// CURLOPT_XFERINFOFUNCTION: upload progress for the stall clock, download progress for the
// core when curl advanced its counter outside a body write (headers, a redirect's body).
int CurlTransfer::on_progress(void* self, curl_off_t download_total, curl_off_t download_now,
                              curl_off_t, curl_off_t upload_now) {
  CurlTransfer& job = *static_cast<CurlTransfer*>(self);
  if (job.state_ == State::leaving) return 0;
  if (upload_now != job.upload_seen_) {  // a long upload is activity too, not a stall
    job.upload_seen_ = upload_now;
    job.touch();
  }
  // Before the final response's body begins, curl's counter may hold a redirect's body.
  if (job.state_ == State::receiving_body)
    job.report_progress(download_now, download_total > 0 ? download_total : -1);
  return 0;
}

// in_flight -> receiving_body: the sink learns the final response's status and length, and the
// body's decoder is made. Throws std::invalid_argument for a coding asyncload cannot decode.
void CurlTransfer::begin_body() {
  decoder_ = make_content_decoder(content_encoding(response_headers_));
  long http_status = 0;
  curl_off_t content_length = -1;
  curl_easy_getinfo(easy_, CURLINFO_RESPONSE_CODE, &http_status);
  curl_easy_getinfo(easy_, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &content_length);
  state_ = State::receiving_body;
  if (transfer_.sink) transfer_.sink->begin(http_status, content_length, response_headers_);
}

// Tells the core how far the download got (bytes as sent, so before decoding) when that grew.
// Not once the body is complete by its Content-Length: the final event follows at once with the
// same figures, and a progress event just before it would double the events of every small
// response (measured: bench/findings.md).
void CurlTransfer::report_progress(curl_off_t size_downloaded, curl_off_t content_length) {
  if (!transfer_.report_progress || size_downloaded <= progress_reported_) return;
  if (content_length >= 0 && size_downloaded >= content_length) return;
  progress_reported_ = size_downloaded;
  try {
    events_.progress(transfer_.id, size_downloaded, content_length);
  } catch (...) {  // a lost progress event is harmless; unwinding through libcurl is not
  }
}

void CurlTransfer::touch() {
  if (watches_stall()) last_activity_ = Clock::now();
}

// --- outcomes: what the CURLcode means for the game ------------------------------------------

Outcome CurlTransfer::outcome_of(CURLcode result) {
  switch (result) {
    case CURLE_OK:
      // An empty body (HEAD, 204, 304, Content-Length: 0) never reached the write callback;
      // the sink still learns the final status before the core looks at it.
      if (state_ == State::in_flight) {
        try {
          begin_body();
        } catch (...) {  // an unknown coding on an empty body: there is nothing to decode
        }
      }
      // A compressed body is complete only if its stream ended, whatever Content-Length said.
      if (decoder_)
        if (std::string truncated = decoder_->truncation(); !truncated.empty())
          return outcome(Status::network_error, std::move(truncated));
      return outcome(Status::complete, {});
    case CURLE_WRITE_ERROR:
      if (stopped_status_ != Status::complete) return outcome(stopped_status_, std::move(stopped_reason_));
      return outcome(Status::network_error, curl_error_text(result));
    case CURLE_OPERATION_TIMEDOUT: {
      // curl gives one code for both limits: tell them apart by the time spent. The multi
      // started its clock just after ours, so a total timeout always shows here.
      const auto elapsed = Clock::now() - started_;
      const auto total_limit = transfer_.total_timeout;
      const bool total = total_limit.count() > 0 && elapsed >= total_limit;
      const char* which = total ? "total timeout: " : "connect timeout: ";
      return outcome(Status::timeout, which + curl_error_text(result));
    }
    case CURLE_FILESIZE_EXCEEDED:
      return outcome(Status::too_large, curl_error_text(result));
    case CURLE_OUT_OF_MEMORY:
      // libcurl 7.88 refuses a response header line over CURL_MAX_HTTP_HEADER (100 KiB) with
      // CURLE_OUT_OF_MEMORY and no message; a status line in and no body yet tells it apart.
      if (!error_buffer_[0] && state_ == State::in_flight && response_code() > 0)
        return outcome(Status::network_error,
                       "response header line too large (over libcurl's 100 KiB limit)");
      return outcome(Status::network_error, curl_error_text(result));
    default:
      return outcome(Status::network_error, curl_error_text(result));
  }
}

Outcome CurlTransfer::stalled_outcome() {
  const auto limit = std::to_string(transfer_.stall_timeout.count());
  return outcome(Status::timeout, "stalled: no data for " + limit + " ms");
}

Outcome CurlTransfer::refused_outcome(RequestId id, std::string error) {
  Outcome refused;
  refused.id = id;
  refused.status = Status::network_error;
  refused.error = std::move(error);
  return refused;
}

Outcome CurlTransfer::outcome(Status status, std::string error) {
  Outcome outcome;
  outcome.id = transfer_.id;
  outcome.status = status;
  outcome.error = std::move(error);
  long http_status = 0;
  curl_off_t content_length = -1;
  curl_off_t size_downloaded = 0;
  curl_easy_getinfo(easy_, CURLINFO_RESPONSE_CODE, &http_status);
  curl_easy_getinfo(easy_, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &content_length);
  curl_easy_getinfo(easy_, CURLINFO_SIZE_DOWNLOAD_T, &size_downloaded);
  outcome.http_status = http_status;
  outcome.content_length = content_length;
  outcome.size_downloaded = size_downloaded;
  outcome.response_headers = std::move(response_headers_);
  return outcome;
}

long CurlTransfer::response_code() const {
  long http_status = 0;
  curl_easy_getinfo(easy_, CURLINFO_RESPONSE_CODE, &http_status);
  return http_status;
}

std::string CurlTransfer::curl_error_text(CURLcode result) const {
  std::string text = error_buffer_[0] ? error_buffer_ : curl_easy_strerror(result);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

}  // namespace asyncload::native
