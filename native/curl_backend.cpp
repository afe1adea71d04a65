// native/curl_backend.cpp — the native Backend: one libcurl multi handle on one I/O thread.
//
// Thread ownership
//   Game thread: the constructor, bind(), start(), cancel(), release(), capabilities() and the
//   destructor. start(), cancel() and release() only append to the command queue
//   (pending_starts_, pending_cancels_, pending_releases_)
//   under queue_mutex_ and call curl_multi_wakeup(), the one multi call libcurl allows from
//   another thread. The destructor touches the I/O thread's state only after joining it.
//   I/O thread (run()): everything else. It owns the multi, every easy handle, every Job, the
//   waiting FIFO and the idle-handle free list, and it makes every Events call: progress() from
//   curl's write and progress callbacks, report_final() after curl_multi_info_read() or a stall.
//
// Lifecycle of a transfer
//   queued     start() appended the Transfer to pending_starts_ (game thread);
//   waiting    the I/O thread wrapped it in a Job and put its id at the back of waiting_;
//   running    fewer than max_connections were running: the Job got an easy handle (reused from
//              the free list when one is idle) and was added to the multi;
//   finished   curl reported it done, or it stalled: the handle goes back to the free list and
//              Events::report_final() is called exactly once;
//   cancelled  cancel() drops it while waiting or running, silently (the core reports -3).
//   On destruction every running handle is removed and freed without any Events call.
//
// The loop never sleeps: it blocks in curl_multi_poll() until a socket is ready, curl's own
// timer fires, the earliest stall deadline passes, or start()/cancel()/~CurlBackend() wake it.
#include "native/curl_backend.hpp"

#include <curl/curl.h>
#include <idn2.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

namespace asyncload {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// A larger receive buffer than curl's 16 KiB default measured faster for file downloads.
constexpr long receive_buffer_bytes = 100 * 1024;
// curl reads CONNECTTIMEOUT 0 as "its 300 s default", not as "off". INT_MAX ms (~24.8 days,
// which still fits a 32-bit long) is off for any practical purpose; the OS gives up sooner.
constexpr long connect_timeout_off_ms = INT_MAX;
// Only an upper bound for an idle wait: wakeups, socket activity and curl's timers come first.
constexpr int idle_poll_ms = 60 * 60 * 1000;

void init_curl_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
      throw std::runtime_error("curl_global_init failed");
  });
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    return lower(x) == lower(y);
  });
}

bool has_header(const Headers& headers, std::string_view name) {
  return std::any_of(headers.begin(), headers.end(),
                     [&](const auto& header) { return equals_ignoring_case(header.first, name); });
}

std::string_view trim(std::string_view text) {
  constexpr std::string_view space = " \t\r\n";
  const auto first = text.find_first_not_of(space);
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(space) - first + 1);
}

// libcurl 7.88 turns an IDN host into punycode with idn2_lookup_ul(), which reads the host in
// the process's locale: under the C locale (any program that never called setlocale) a UTF-8
// host such as münchen.example fails with "URL using bad/illegal format". The core hands over
// UTF-8, so convert the host here, locale-independently. A host that is ASCII, an IPv6 literal
// or not convertible is left as it is (curl then says what is wrong with it).
std::string with_ascii_host(const std::string& url) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return url;
  const std::size_t begin = scheme_end + 3;
  const std::size_t end = std::min(url.find_first_of("/?#", begin), url.size());
  const std::size_t at = url.rfind('@', end);
  const std::size_t host_begin = at != std::string::npos && at >= begin ? at + 1 : begin;
  if (host_begin < end && url[host_begin] == '[') return url;
  const std::size_t host_end = std::min(url.find(':', host_begin), end);
  const std::string host = url.substr(host_begin, host_end - host_begin);
  if (std::all_of(host.begin(), host.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; }))
    return url;
  uint8_t* ascii = nullptr;
  const auto* utf8 = reinterpret_cast<const uint8_t*>(host.c_str());
  int rc = idn2_lookup_u8(utf8, &ascii, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
  if (rc == IDN2_DISALLOWED) rc = idn2_lookup_u8(utf8, &ascii, IDN2_NFC_INPUT | IDN2_TRANSITIONAL);
  if (rc != IDN2_OK) return url;
  std::string converted = url.substr(0, host_begin) + reinterpret_cast<const char*>(ascii) + url.substr(host_end);
  idn2_free(ascii);
  return converted;
}

// One transfer as the I/O thread knows it. Callbacks get a Job* as their user pointer.
struct Job {
  Transfer transfer;
  Events* events = nullptr;
  CURL* easy = nullptr;                   // set while running
  curl_slist* request_headers = nullptr;  // freed only after the handle left the multi
  Headers response_headers;               // of the latest response (cleared at each status line)
  Clock::time_point started;              // when it entered the multi
  Clock::time_point last_activity;        // last byte received (or sent): the stall clock
  std::int64_t progress_reported = 0;
  curl_off_t upload_seen = 0;
  std::size_t running_index = 0;          // position in CurlBackend::running_
  Status sink_status = Status::complete;  // the failure once the sink refused a write
  std::string sink_exception;             // what() of a sink that threw instead of refusing
  bool body_begun = false;                // sink->begin() called for the current response
  bool silenced = false;                  // being removed: callbacks must report nothing
  bool custom_method = false;             // sent with CURLOPT_CUSTOMREQUEST
  char error_buffer[CURL_ERROR_SIZE] = {};

  bool watches_stall() const { return transfer.stall_timeout.count() > 0; }
  void touch() {
    if (watches_stall()) last_activity = Clock::now();
  }
};

void begin_body(Job& job) {
  long http_status = 0;
  curl_off_t content_length = -1;
  curl_easy_getinfo(job.easy, CURLINFO_RESPONSE_CODE, &http_status);
  curl_easy_getinfo(job.easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &content_length);
  job.body_begun = true;
  if (job.transfer.sink) job.transfer.sink->begin(http_status, content_length);
}

// Tells the core how far the download got (bytes as sent, so before decoding) when that grew.
// Not once the body is complete by its Content-Length: the final event follows at once with the
// same figures, and a progress event just before it would double the events of every small
// response (measured: bench/findings.md).
void report_progress(Job& job, curl_off_t size_downloaded, curl_off_t content_length) {
  if (!job.transfer.report_progress || size_downloaded <= job.progress_reported) return;
  if (content_length >= 0 && size_downloaded >= content_length) return;
  job.progress_reported = size_downloaded;
  try {
    job.events->progress(job.transfer.id, size_downloaded, content_length);
  } catch (...) {  // a lost progress event is harmless; unwinding through libcurl is not
  }
}

// CURLOPT_WRITEFUNCTION: decoded body bytes of the final response go straight to the sink.
size_t on_body(char* data, size_t size, size_t count, void* user) {
  Job& job = *static_cast<Job*>(user);
  const size_t length = size * count;
  if (job.silenced) return length;
  job.touch();
  if (!job.transfer.sink) return length;
  try {
    if (!job.body_begun) begin_body(job);
    const Status result = job.transfer.sink->write(std::string_view(data, length));
    if (result == Status::complete) {
      // Progress from here rather than only from curl's progress callback: on a fast link
      // curl reads up to 100 buffers before it calls that once, so a bar would jump.
      if (job.transfer.report_progress) {
        curl_off_t size_downloaded = 0;
        curl_off_t content_length = -1;
        curl_easy_getinfo(job.easy, CURLINFO_SIZE_DOWNLOAD_T, &size_downloaded);
        curl_easy_getinfo(job.easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &content_length);
        report_progress(job, size_downloaded, content_length);
      }
      return length;
    }
    job.sink_status = result;
  } catch (const std::exception& e) {  // never let an exception unwind through libcurl
    job.sink_status = Status::network_error;
    job.sink_exception = e.what();
  } catch (...) {
    job.sink_status = Status::network_error;
    job.sink_exception = "the body sink threw";
  }
  return 0;  // anything but `length` makes curl stop with CURLE_WRITE_ERROR
}

// "HTTP/1.1 303 See Other" or "HTTP/2 303".
bool is_see_other(std::string_view status_line) {
  const auto space = status_line.find(' ');
  return space != std::string_view::npos && status_line.substr(space + 1).starts_with("303");
}

// CURLOPT_HEADERFUNCTION: one raw header line at a time, status lines included.
size_t on_header(char* data, size_t size, size_t count, void* user) {
  Job& job = *static_cast<Job*>(user);
  const size_t length = size * count;
  if (job.silenced) return length;
  job.touch();
  const std::string_view line(data, length);
  if (line.starts_with("HTTP/")) {
    // A new response begins (after a redirect, a 1xx or a proxy CONNECT): only the final
    // response's headers count, and its body needs a fresh sink->begin().
    job.response_headers.clear();
    job.body_begun = false;
    job.progress_reported = 0;
    // RFC 9110 15.4.4: a 303 is followed with GET. curl drops the body but would keep a custom
    // method (PUT, PATCH, DELETE, ...) on the wire; clearing it before curl builds the
    // follow-up request makes it the GET that browsers send.
    if (is_see_other(line) && job.custom_method) curl_easy_setopt(job.easy, CURLOPT_CUSTOMREQUEST, nullptr);
    return length;
  }
  if ((line.starts_with(' ') || line.starts_with('\t')) && !job.response_headers.empty()) {
    // Obsolete line folding (RFC 9112 5.2): the line continues the previous value.
    std::string& value = job.response_headers.back().second;
    value += ' ';
    value += trim(line);
    return length;
  }
  const auto colon = line.find(':');
  if (colon == std::string_view::npos) return length;  // the blank line that ends the headers
  job.response_headers.emplace_back(std::string(trim(line.substr(0, colon))),
                                    std::string(trim(line.substr(colon + 1))));
  return length;
}

// CURLOPT_XFERINFOFUNCTION: upload progress for the stall clock, download progress for the
// core when curl advanced its counter outside a body write (headers, a redirect's body).
int on_progress(void* user, curl_off_t download_total, curl_off_t download_now, curl_off_t,
                curl_off_t upload_now) {
  Job& job = *static_cast<Job*>(user);
  if (job.silenced) return 0;
  if (upload_now != job.upload_seen) {  // a long upload is activity too, not a stall
    job.upload_seen = upload_now;
    job.touch();
  }
  // Before the final response's body begins, curl's counter may hold a redirect's body.
  if (job.body_begun) report_progress(job, download_now, download_total > 0 ? download_total : -1);
  return 0;
}

// The request headers as curl should send them: the caller's, in order, then what suppresses a
// curl default the caller did not ask for. A caller header replaces curl's own of that name.
curl_slist* build_request_headers(const Transfer& transfer, bool sends_body) {
  curl_slist* list = nullptr;
  bool out_of_memory = false;
  std::string line;
  auto append = [&](const std::string& text) {
    if (out_of_memory) return;
    curl_slist* longer = curl_slist_append(list, text.c_str());
    if (longer) list = longer;
    else out_of_memory = true;
  };
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
  // curl would send "Expect: 100-continue" before a large body and wait up to a second for
  // the interim answer: a round trip nobody asked for.
  if (!has_header(transfer.headers, "Expect")) append("Expect:");
  // With POSTFIELDS curl would invent "application/x-www-form-urlencoded". Send the body as
  // given instead, like a browser sending bytes (the core adds the type for http_post_string).
  if (sends_body && !has_header(transfer.headers, "Content-Type")) append("Content-Type:");
  if (out_of_memory) {
    curl_slist_free_all(list);
    return nullptr;
  }
  return list;
}

class CurlBackend final : public Backend {
public:
  CurlBackend() {
    init_curl_once();
    multi_ = curl_multi_init();
    if (!multi_) throw std::runtime_error("curl_multi_init failed");
    // One in-memory cookie jar per Http, shared by all its transfers, as a browser page has.
    // Only the I/O thread uses the handles, so the share needs no lock callbacks.
    cookies_ = curl_share_init();
    if (!cookies_ || curl_share_setopt(cookies_, CURLSHOPT_SHARE, CURL_LOCK_DATA_COOKIE) != CURLSHE_OK)
      throw std::runtime_error("curl_share_init failed");
  }

  ~CurlBackend() override {
    if (io_thread_.joinable()) {
      {
        std::lock_guard lock(queue_mutex_);
        stopping_ = true;
      }
      curl_multi_wakeup(multi_);
      io_thread_.join();
    }
    // The I/O thread is gone: its state is ours now. Removing a running handle can run curl's
    // progress callback once more; `silenced` keeps that from reaching Events.
    for (Job* job : running_) {
      job->silenced = true;
      curl_multi_remove_handle(multi_, job->easy);
      forget_cookie_files(job->easy);
      curl_easy_cleanup(job->easy);
      curl_slist_free_all(job->request_headers);
    }
    running_.clear();
    jobs_.clear();
    for (CURL* easy : idle_easies_) curl_easy_cleanup(easy);
    curl_multi_cleanup(multi_);
    curl_share_cleanup(cookies_);
  }

  void bind(Events& events, const BackendSettings& settings) override {
    if (io_thread_.joinable()) throw std::logic_error("CurlBackend::bind called twice");
    events_ = &events;
    settings_ = settings;
    max_running_ = std::max<std::size_t>(1, settings.max_connections);  // 0 would run nothing
    io_thread_ = std::thread([this] { run(); });
  }

  Capabilities capabilities() const override {
    return {
        .backend = "curl",
        .progress_events = true,
        .response_headers = true,
        .cancel = true,
        .connect_timeout = true,
        .stall_timeout = true,
        .total_timeout = true,
        .file_download = true,
        .crossorigin = false,    // no CORS outside a browser
        .redirect_limit = true,
        .relative_urls = false,  // no page to resolve against
        .blocking_wait = true,
        .connections_per_host = 0,  // only max_connections (no CURLMOPT_MAX_HOST_CONNECTIONS)
    };
  }

  void start(Transfer transfer) override { queue_command(pending_starts_, std::move(transfer)); }
  void cancel(RequestId id) override { queue_command(pending_cancels_, id); }
  void release(std::unique_ptr<Spent> spent) override { queue_command(pending_releases_, std::move(spent)); }

private:
  // Game thread: appends a command for the I/O thread and wakes it, once per burst.
  template <class Command>
  void queue_command(std::vector<Command>& queue, Command command) {
    bool wake = false;
    {
      std::lock_guard lock(queue_mutex_);
      queue.push_back(std::move(command));
      wake = !std::exchange(wake_pending_, true);
    }
    if (wake) curl_multi_wakeup(multi_);
  }

  // --- I/O thread ------------------------------------------------------------------------

  void run() {
    std::vector<Transfer> starts;
    std::vector<RequestId> cancels;
    std::vector<std::unique_ptr<Spent>> releases;
    int poll_timeout_ms = 0;
    while (take_commands(starts, cancels, releases)) {
      // Starts before cancels: ids are unique, so a cancel can only concern a start queued
      // before it, never one queued after.
      for (Transfer& transfer : starts) accept(std::move(transfer));
      for (RequestId id : cancels) drop(id);
      starts.clear();  // keeps the capacity for the next swap
      cancels.clear();

      launch_waiting();
      int running = 0;
      curl_multi_perform(multi_, &running);
      collect_finished();
      poll_timeout_ms = expire_stalled();
      // Slots freed just now go to waiting transfers at once. Curl gives a newly added handle
      // a zero timeout, so the poll below returns immediately to drive it.
      launch_waiting();
      releases.clear();  // after the network work above: freeing a big body takes a while
      curl_multi_poll(multi_, nullptr, 0, poll_timeout_ms, nullptr);
    }
  }

  // Takes every queued command; false once the destructor asked the thread to stop.
  bool take_commands(std::vector<Transfer>& starts, std::vector<RequestId>& cancels,
                     std::vector<std::unique_ptr<Spent>>& releases) {
    std::lock_guard lock(queue_mutex_);
    wake_pending_ = false;  // commands queued after this point wake the next poll again
    starts.swap(pending_starts_);
    cancels.swap(pending_cancels_);
    releases.swap(pending_releases_);
    return !stopping_;
  }

  void accept(Transfer transfer) {
    const RequestId id = transfer.id;
    auto job = std::make_unique<Job>();
    job->transfer = std::move(transfer);
    job->events = events_;
    if (!jobs_.try_emplace(id, std::move(job)).second) {
      // The core never reuses a live id; refuse rather than confuse two transfers.
      Outcome outcome;
      outcome.id = id;
      outcome.status = Status::network_error;
      outcome.error = "request id already in flight";
      events_->report_final(std::move(outcome));
      return;
    }
    waiting_.push_back(id);
  }

  void drop(RequestId id) {
    const auto found = jobs_.find(id);
    if (found == jobs_.end()) return;  // already finished: the core ignores the late report
    if (found->second->easy) retire(*found->second);
    else jobs_.erase(found);  // waiting: its stale id in waiting_ is skipped later
  }

  void launch_waiting() {
    while (running_.size() < max_running_ && !waiting_.empty()) {
      const RequestId id = waiting_.front();
      waiting_.pop_front();
      const auto found = jobs_.find(id);
      if (found == jobs_.end() || found->second->easy) continue;  // cancelled while waiting
      launch(*found->second);
    }
  }

  void launch(Job& job) {
    if (idle_easies_.empty()) {
      job.easy = curl_easy_init();
    } else {
      job.easy = idle_easies_.back();
      idle_easies_.pop_back();
    }
    CURLcode setup = job.easy ? configure(job) : CURLE_OUT_OF_MEMORY;
    CURLMcode added = setup == CURLE_OK ? curl_multi_add_handle(multi_, job.easy) : CURLM_OK;
    if (setup != CURLE_OK || added != CURLM_OK) {
      Outcome outcome;
      outcome.id = job.transfer.id;
      outcome.status = Status::network_error;
      outcome.error = setup != CURLE_OK ? curl_easy_strerror(setup) : curl_multi_strerror(added);
      release_easy(job);
      jobs_.erase(outcome.id);
      events_->report_final(std::move(outcome));
      return;
    }
    job.started = job.last_activity = Clock::now();  // the stall clock starts in the multi
    job.running_index = running_.size();
    running_.push_back(&job);
    if (job.watches_stall()) ++running_with_stall_;
  }

  // Sets every option on a fresh (or freshly reset) easy handle.
  CURLcode configure(Job& job) {
    CURL* easy = job.easy;
    const Transfer& transfer = job.transfer;
    CURLcode result = CURLE_OK;
    auto set = [&](CURLoption option, auto value) {
      if (result == CURLE_OK) result = curl_easy_setopt(easy, option, value);
    };

    set(CURLOPT_PRIVATE, static_cast<void*>(&job));
    set(CURLOPT_URL, with_ascii_host(transfer.url).c_str());  // curl copies the string
    // Only http and https are ever fetched, also after a redirect.
    set(CURLOPT_PROTOCOLS_STR, "http,https");
    set(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    set(CURLOPT_NOSIGNAL, 1L);
    set(CURLOPT_SHARE, cookies_);
    set(CURLOPT_COOKIEFILE, "");  // the cookie engine on, starting empty
    // Lets curl_easy_cleanup/remove_handle detach a resolver thread stuck in getaddrinfo()
    // instead of joining it, so cancel and ~CurlBackend stay prompt while DNS hangs.
    set(CURLOPT_QUICK_EXIT, 1L);
    set(CURLOPT_ERRORBUFFER, job.error_buffer);
    set(CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
    // Over TLS, wait for a connection still handshaking to say whether it multiplexes rather
    // than opening one connection per request of a burst. (Cleartext stays HTTP/1.1.)
    if (equals_ignoring_case(std::string_view(transfer.url).substr(0, 6), "https:"))
      set(CURLOPT_PIPEWAIT, 1L);
    // Not through set(): libcurl 7.88 refuses to resize a receive buffer that is still
    // allocated, as it stays on a reused handle whose last transfer was removed unfinished.
    // That transfer then reads with the size the buffer has; it is no reason to fail.
    curl_easy_setopt(easy, CURLOPT_BUFFERSIZE, receive_buffer_bytes);
    set(CURLOPT_ACCEPT_ENCODING, "");  // every coding this libcurl decodes, transparently
    if (!settings_.user_agent.empty()) set(CURLOPT_USERAGENT, settings_.user_agent.c_str());
    // TLS verification stays at curl's defaults (on). CAINFO replaces curl's default bundle
    // file, but not its default CA directory: on builds that have one (Debian and Ubuntu:
    // /etc/ssl/certs, with OpenSSL) the system roots stay trusted and ca_file adds to them.
    // On builds with a bundle file only, ca_file becomes the whole trust store.
    if (!settings_.ca_file.empty()) set(CURLOPT_CAINFO, settings_.ca_file.c_str());

    // max_redirects 0 means "follow none": the 3xx itself is the final response (status 0).
    set(CURLOPT_FOLLOWLOCATION, transfer.max_redirects > 0 ? 1L : 0L);
    set(CURLOPT_MAXREDIRS, static_cast<long>(std::max(0, transfer.max_redirects)));
    const std::int64_t connect_ms = transfer.connect_timeout.count();
    set(CURLOPT_CONNECTTIMEOUT_MS,
        connect_ms > 0
            ? static_cast<long>(std::min<std::int64_t>(connect_ms, connect_timeout_off_ms))
            : connect_timeout_off_ms);
    set(CURLOPT_TIMEOUT_MS,  // 0 is curl's "no limit" too
        static_cast<long>(std::clamp<std::int64_t>(transfer.total_timeout.count(), 0, LONG_MAX)));

    set(CURLOPT_WRITEFUNCTION, &on_body);
    set(CURLOPT_WRITEDATA, static_cast<void*>(&job));
    set(CURLOPT_HEADERFUNCTION, &on_header);
    set(CURLOPT_HEADERDATA, static_cast<void*>(&job));
    if (transfer.report_progress || job.watches_stall()) {
      set(CURLOPT_XFERINFOFUNCTION, &on_progress);
      set(CURLOPT_XFERINFODATA, static_cast<void*>(&job));
      set(CURLOPT_NOPROGRESS, 0L);
    }

    const std::string& method = transfer.method;
    const bool sends_body = method != "HEAD" &&
        (!transfer.body.empty() || method == "POST" || method == "PUT" || method == "PATCH");
    if (method == "HEAD") {
      set(CURLOPT_NOBODY, 1L);
    } else if (method != "GET" || sends_body) {
      // Not for POST: CUSTOMREQUEST would survive a 301/302/303 redirect, which turns a POST
      // into a GET (as browsers do) only while curl believes it is doing a plain POST.
      if (method != "POST") {
        set(CURLOPT_CUSTOMREQUEST, method.c_str());
        job.custom_method = true;
      }
      if (sends_body) {  // also when empty, so that POST/PUT/PATCH send "Content-Length: 0"
        set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(transfer.body.size()));
        set(CURLOPT_POSTFIELDS, transfer.body.data());
      }
    }
    if (result != CURLE_OK) return result;

    job.request_headers = build_request_headers(transfer, sends_body);
    // Never empty otherwise: it holds "Expect:" or the caller's Expect at least.
    if (!job.request_headers) return CURLE_OUT_OF_MEMORY;
    set(CURLOPT_HTTPHEADER, job.request_headers);
    return result;
  }

  void collect_finished() {
    int left = 0;
    while (CURLMsg* message = curl_multi_info_read(multi_, &left)) {
      if (message->msg != CURLMSG_DONE) continue;
      void* job = nullptr;
      curl_easy_getinfo(message->easy_handle, CURLINFO_PRIVATE, &job);
      const CURLcode result = message->data.result;  // read now: retire() frees the message
      finish(*static_cast<Job*>(job), result);
    }
  }

  void finish(Job& job, CURLcode result) {
    Status code = Status::complete;
    std::string error;
    switch (result) {
      case CURLE_OK:
        // An empty body (HEAD, 204, 304, Content-Length: 0) never reached the write callback;
        // the sink still learns the final status before the core looks at it.
        if (!job.body_begun) {
          try {
            begin_body(job);
          } catch (...) {
          }
        }
        break;
      case CURLE_WRITE_ERROR:
        if (job.sink_status != Status::complete) {
          code = job.sink_status;
          error = !job.sink_exception.empty() ? job.sink_exception : job.transfer.sink->failure();
        } else {
          code = Status::network_error;
          error = curl_error_text(job, result);
        }
        break;
      case CURLE_OPERATION_TIMEDOUT: {
        // curl gives one code for both limits: tell them apart by the time spent. The multi
        // started its clock just after ours, so a total timeout always shows here.
        const auto elapsed = Clock::now() - job.started;
        const auto total_limit = job.transfer.total_timeout;
        const bool total = total_limit.count() > 0 && elapsed >= total_limit;
        code = Status::timeout;
        error = (total ? "total timeout: " : "connect timeout: ") + curl_error_text(job, result);
        break;
      }
      case CURLE_FILESIZE_EXCEEDED:
        code = Status::too_large;
        error = curl_error_text(job, result);
        break;
      case CURLE_OUT_OF_MEMORY:
        code = Status::network_error;
        // libcurl 7.88 refuses a response header line over CURL_MAX_HTTP_HEADER (100 KiB) with
        // CURLE_OUT_OF_MEMORY and no message; a status line in and no body yet tells it apart.
        error = !job.error_buffer[0] && !job.body_begun && response_code(job) > 0
                    ? "response header line too large (over libcurl's 100 KiB limit)"
                    : curl_error_text(job, result);
        break;
      default:
        code = Status::network_error;
        error = curl_error_text(job, result);
        break;
    }
    Outcome outcome = outcome_of(job, code, std::move(error));
    retire(job);
    events_->report_final(std::move(outcome));
  }

  // Ends every running transfer whose stall deadline passed; returns how long the next poll
  // may wait before the earliest remaining deadline (rounded up, so it never spins at 0 ms).
  int expire_stalled() {
    if (running_with_stall_ == 0) return idle_poll_ms;
    const auto now = Clock::now();
    auto earliest = Clock::time_point::max();
    for (std::size_t i = 0; i < running_.size();) {
      Job& job = *running_[i];
      if (!job.watches_stall()) {
        ++i;
        continue;
      }
      const auto deadline = job.last_activity + job.transfer.stall_timeout;
      if (deadline > now) {
        earliest = std::min(earliest, deadline);
        ++i;
        continue;
      }
      Outcome outcome = outcome_of(job, Status::timeout,
          "stalled: no data for " + std::to_string(job.transfer.stall_timeout.count()) + " ms");
      retire(job);  // moves the last running job into slot i: look at i again
      events_->report_final(std::move(outcome));
    }
    if (earliest == Clock::time_point::max()) return idle_poll_ms;
    const auto wait = std::chrono::ceil<milliseconds>(earliest - now).count();
    return static_cast<int>(std::clamp<std::int64_t>(wait, 1, idle_poll_ms));
  }

  Outcome outcome_of(Job& job, Status code, std::string error) {
    Outcome outcome;
    outcome.id = job.transfer.id;
    outcome.status = code;
    outcome.error = std::move(error);
    long http_status = 0;
    curl_off_t content_length = -1;
    curl_off_t size_downloaded = 0;
    curl_easy_getinfo(job.easy, CURLINFO_RESPONSE_CODE, &http_status);
    curl_easy_getinfo(job.easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &content_length);
    curl_easy_getinfo(job.easy, CURLINFO_SIZE_DOWNLOAD_T, &size_downloaded);
    outcome.http_status = http_status;
    outcome.content_length = content_length;
    outcome.size_downloaded = size_downloaded;
    outcome.response_headers = std::move(job.response_headers);
    return outcome;
  }

  static long response_code(const Job& job) {
    long http_status = 0;
    curl_easy_getinfo(job.easy, CURLINFO_RESPONSE_CODE, &http_status);
    return http_status;
  }

  static std::string curl_error_text(const Job& job, CURLcode result) {
    std::string text = job.error_buffer[0] ? job.error_buffer : curl_easy_strerror(result);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    return text;
  }

  // Takes a running job out of the multi and forgets it; its handle goes back to the free list.
  void retire(Job& job) {
    job.silenced = true;  // removing can run the progress callback one last time
    curl_multi_remove_handle(multi_, job.easy);
    Job* moved = running_.back();  // swap-remove: running_ order does not matter
    running_[job.running_index] = moved;
    moved->running_index = job.running_index;
    running_.pop_back();
    if (job.watches_stall()) --running_with_stall_;
    release_easy(job);
    jobs_.erase(job.transfer.id);  // destroys the job
  }

  // libcurl 7.88 keeps the list that CURLOPT_COOKIEFILE appends to across curl_easy_reset and
  // never frees it in curl_easy_cleanup: one leaked node per transfer (found by the asan preset).
  // Clearing the list frees it; the cookies themselves live on in the share.
  static void forget_cookie_files(CURL* easy) {
    curl_easy_setopt(easy, CURLOPT_COOKIEFILE, static_cast<char*>(nullptr));
  }

  // Resets a handle that is not (or no longer) in the multi and keeps it for the next launch.
  // curl_easy_reset keeps the handle's TLS session cache; connections live in the multi.
  void release_easy(Job& job) {
    if (job.easy) {
      forget_cookie_files(job.easy);
      curl_easy_reset(job.easy);
      idle_easies_.push_back(job.easy);
      job.easy = nullptr;
    }
    curl_slist_free_all(job.request_headers);  // curl no longer points at it
    job.request_headers = nullptr;
  }

  CURLM* multi_ = nullptr;
  CURLSH* cookies_ = nullptr;
  Events* events_ = nullptr;
  BackendSettings settings_;
  std::size_t max_running_ = 64;
  std::thread io_thread_;

  // Shared with the game thread, under queue_mutex_. wake_pending_ says a curl_multi_wakeup()
  // is on its way that the I/O thread has not answered yet, so a burst of start() calls costs
  // one wakeup, not one per call.
  std::mutex queue_mutex_;
  std::vector<Transfer> pending_starts_;
  std::vector<RequestId> pending_cancels_;
  std::vector<std::unique_ptr<Spent>> pending_releases_;  // delivered maps, freed on the I/O thread
  bool wake_pending_ = false;
  bool stopping_ = false;

  // I/O thread only (and the destructor once the thread is joined).
  std::unordered_map<RequestId, std::unique_ptr<Job>> jobs_;  // waiting and running
  std::deque<RequestId> waiting_;                             // FIFO of ids, cancelled ones skipped
  std::vector<Job*> running_;                                 // in the multi, at most max_running_
  std::size_t running_with_stall_ = 0;                        // running jobs with a stall timeout
  std::vector<CURL*> idle_easies_;                            // reset handles ready for reuse
};

}  // namespace

std::unique_ptr<Backend> make_curl_backend() { return std::make_unique<CurlBackend>(); }

}  // namespace asyncload
