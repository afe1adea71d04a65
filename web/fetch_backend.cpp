// web/fetch_backend.cpp — the browser Backend: emscripten_fetch (XMLHttpRequest underneath) on
// the browser main thread, no pthreads.
//
// Threads: there is only the main thread. start() and cancel() run inside the game's frame; the
// fetch callbacks and the stall timers run between frames. Events therefore need no locking.
//
// Lifecycle of a transfer
//   waiting    max_connections are running, or connections_per_origin to its origin: queued in
//              order of the calls, one queue per origin (a busy origin holds back no other);
//   running    emscripten_fetch() was called, which starts the stall and total clocks, with
//              REPLACE alone (no cache; no LOAD_TO_MEMORY: see below);
//              onprogress reports dataOffset as the bytes so far, totalBytes (0 = unknown) as
//              the length;
//   finished   onsuccess (2xx) or onerror: an HTTP status > 0 is a completed exchange whose body
//              is kept; status 0 is a network or CORS failure, or a timeout, told apart by our
//              own clock since the browser reports all three alike;
//   cancelled  cancel(), a stall or ~FetchBackend(): the XHR is aborted first (see abort_xhr),
//              then emscripten_fetch_close() frees the fetch; its re-entrant onerror is ignored.
//
// Body bytes reach the sink once, at the end: XHR hands the whole response over at onload. They
// are copied from its ArrayBuffer straight into the sink (BodySink::write_from: for a body in
// memory, to its place in the body), not first into a buffer of Emscripten's in the wasm heap, as
// LOAD_TO_MEMORY would: that copy cost a body's worth of heap and a pass over it, some 5 % of a big
// GET's time (docs/benchmarks.md).
//
// A file in pieces (Transfer::Pieces::file, BackendSettings::web_piece_bytes > 0): so that
// memory holds one piece and not the whole file, http_get_file asks for `Range: bytes=0-(P-1)`.
//   - a 206 with `Content-Range: bytes 0-b/total` means ranges work: the sink begins once, as for
//     a 200 of the whole file, each piece's bytes are appended, and the next piece is asked for
//     with If-Range set to the first response's strong ETag, else its Last-Modified (without
//     either, only the total in Content-Range can show that the file changed);
//   - any other answer to the first piece (a 200: no ranges; an error page) is the whole
//     response, as without pieces; a 416 (an empty file) is asked for again without Range;
//   - a 200 to a later piece means the file changed (If-Range no longer holds): that response is
//     the whole new file, so the download starts over with it (the sink begins again);
//   - a later piece that does not continue the file (another status, a Content-Range elsewhere
//     or with another total) fails with -1 and says why.
// The game sees one transfer: progress over the whole file, then http_status 200, content_length
// the file's size and the first response's headers. The total timeout counts the whole download
// (each piece's XHR gets what is left of it); the stall clock restarts with every piece.
// The sink begins as soon as the first piece's head is in (its first progress), so that a
// resumed download's bar starts at the bytes already there.
//
// A body in memory in pieces (Transfer::Pieces::memory, http_get): the first request goes
// without Range, so that a small body (the usual case) keeps its one request and its content
// coding. If its head shows a 200 larger than a piece, with Accept-Ranges: bytes and no
// Content-Encoding, that request is aborted at its first progress and the body is asked for in
// pieces from byte 0 under the head's validator, as a file is: the XHR and the fetch's copy in
// the wasm heap then hold one piece, the sink the body (sized once from Content-Range). What the
// aborted request had received is fetched again (it is at most what arrived before the first
// progress event).
//
// A resumed download (RequestOptions::resume: the core's Transfer carries `Range: bytes=N-` and
// If-Range) is fetched in pieces from N with that If-Range, and reports what one 206 for the
// rest would have: http_status 206, content_length and sizes counted from N (the core adds the
// N bytes already there). A 200 (the file changed, no ranges), a 416 or a 206 elsewhere to its
// first piece is handed to the sink and the core as that one response, which starts it over.
// A failed piece hands nothing over, so a kept partial ends where the last whole piece did.
//
// Files that survive a reload (BackendSettings::persistent_root): bind() mounts the folder on
// IDBFS and reads it back from IndexedDB (FS.syncfs(true)). Reading back replaces what the
// folder holds, so no transfer is launched until it is done (files_ready). persist() stores
// every IDBFS mount (FS.syncfs(false)) and reports each file it was asked for once a store that
// began after the file's commit has ended; files committed while one runs share the next.
// IndexedDB's callbacks arrive between frames, like the fetch callbacks; a backend destroyed
// meanwhile is looked up by its token and no longer found.
//
// Why the backend queues per origin: browsers run at most 6 HTTP/1.1 connections per host
// (Chromium's socket-pool group limit; Firefox and Safari use the same figure) and hold further
// requests back out of sight, while the XHR's timeout and our stall timer would already run.
// Keeping the 7th request here until one of the 6 ends starts its clocks when it is really sent.
// Over HTTP/2 or HTTP/3 the browser would multiplex more, but a page cannot know an origin's
// protocol in advance; 6 is the figure every browser honours. The count is per FetchBackend (one
// Http per game): the page's own requests to the origin, or a second Http, share the browser's 6.
#include "fetch_backend.hpp"

#include <asyncload/detail/profiles.hpp>
#include <asyncload/detail/raw_headers.hpp>
#include <asyncload/detail/text.hpp>

#include <emscripten/emscripten.h>
#include <emscripten/eventloop.h>
#include <emscripten/fetch.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

namespace asyncload {
namespace {

// Builds with EXIT_RUNTIME (tests) count what keeps the runtime alive: every fetch and timer
// takes one count and gives it back in its own handler. Where asyncload stops one before that
// handler runs, it gives the count back itself, or the program could never exit.
EM_JS(void, asyncload_release_keepalive, (), {
  if (typeof runtimeKeepaliveCounter !== 'undefined' && runtimeKeepaliveCounter > 0) runtimeKeepalivePop();
});

// emscripten_set_timeout() takes a keep-alive count that only the timer's firing returns.
void clear_timer(long timer) {
  emscripten_clear_timeout(timer);
  asyncload_release_keepalive();
}

// emscripten_fetch_close() aborts the XHR only from 3.1.20 on. Before that the XHR runs on and
// its handlers later write into the freed fetch: detach them and abort it ourselves.
#if (__EMSCRIPTEN_major__ * 10000 + __EMSCRIPTEN_minor__ * 100 + __EMSCRIPTEN_tiny__) < 30120
EM_JS(void, asyncload_abort_xhr, (unsigned id), {
  var xhr = Fetch.xhrs[id - 1];
  if (!xhr) return;
  xhr.onload = xhr.onerror = xhr.ontimeout = xhr.onprogress = xhr.onreadystatechange = null;
  xhr.abort();
});
void abort_xhr(emscripten_fetch_t* fetch) {
  asyncload_abort_xhr(fetch->id);
  asyncload_release_keepalive();  // the fetch's own handlers, which would have, never run now
}
#else
void abort_xhr(emscripten_fetch_t*) {}
#endif

// A finished XHR's response, once its bytes are in the wasm heap: freed now rather than at V8's
// next collection, which a download in pieces outruns (a dozen 8 MiB pieces, ~120 MiB, were
// garbage at its peak). Detaching it (ArrayBuffer transfer()) does not free it: the browser's
// own object still holds the memory, and V8 no longer counts it towards a collection. Moved
// into a message that nobody receives (both ports closed at once) does.
EM_JS(void, asyncload_drop_response, (unsigned id), {
  var xhr = Fetch.xhrs.get ? Fetch.xhrs.get(id) : Fetch.xhrs[id - 1];
  if (!xhr || xhr.readyState !== 4 || xhr.responseType !== 'arraybuffer' || typeof MessageChannel === 'undefined') return;
  var response = xhr.response;
  // Only large ones: a channel per small response costs more than its garbage (many small GETs).
  if (!response || response.byteLength < 1048576) return;
  var channel = new MessageChannel();
  try {
    channel.port1.postMessage(null, [response]);
  } catch (e) {
  }
  channel.port1.close();
  channel.port2.close();
});

// The bytes of a finished XHR's response (0 when it has none: a network failure).
EM_JS(double, asyncload_xhr_response_bytes, (unsigned id), {
  var xhr = Fetch.xhrs.get ? Fetch.xhrs.get(id) : Fetch.xhrs[id - 1];
  return xhr && xhr.response ? xhr.response.byteLength : 0;
});

// Copies a finished XHR's whole response to `where` in the wasm heap.
EM_JS(void, asyncload_xhr_copy_response, (unsigned id, char* where), {
  var xhr = Fetch.xhrs.get ? Fetch.xhrs.get(id) : Fetch.xhrs[id - 1];
  HEAPU8.set(new Uint8Array(xhr.response), where);
});

// The first piece's head, while its body arrives: the total of a 206's Content-Range, -1 for a
// 206 whose Content-Range the page may not read, -2 for no 206 (yet).
EM_JS(double, asyncload_xhr_range_total, (unsigned id), {
  var xhr = Fetch.xhrs.get ? Fetch.xhrs.get(id) : Fetch.xhrs[id - 1];
  if (!xhr || xhr.readyState < 2 || xhr.status !== 206) return -2;
  var range = xhr.getResponseHeader('Content-Range') || "";
  var total = range.indexOf('/') < 0 ? NaN : Number(range.slice(range.lastIndexOf('/') + 1));
  return total >= 0 ? total : -1;
});

// The head of a body in memory, at its first progress: 1 when it is a 200 worth fetching in
// pieces (see the top of the file), 0 otherwise (and whenever the page may not read the headers).
EM_JS(int, asyncload_xhr_worth_pieces, (unsigned id, double piece_bytes), {
  var xhr = Fetch.xhrs.get ? Fetch.xhrs.get(id) : Fetch.xhrs[id - 1];
  if (!xhr || xhr.readyState < 2 || xhr.status !== 200) return 0;
  if ((xhr.getResponseHeader('Accept-Ranges') || "").trim().toLowerCase() !== 'bytes') return 0;
  if (xhr.getResponseHeader('Content-Encoding')) return 0;
  return Number(xhr.getResponseHeader('Content-Length')) > piece_bytes ? 1 : 0;
});

using detail::iequals;

// Requests to one origin the browser runs at once over HTTP/1.1 (see above).
constexpr std::size_t connections_per_origin = detail::browser_connections_per_origin;
static_assert(sizeof(emscripten_fetch_attr_t::requestMethod) == detail::emscripten_fetch_method_bytes);

// The origin (scheme://host:port, as the browser groups connections) of `url`, relative URLs
// resolved against the page; "" if the browser cannot parse it (the core validated it already).
EM_JS(int, asyncload_origin_of, (const char* url, char* out, int size), {
  var origin;
  try {
    origin = new URL(UTF8ToString(url), self.location.href).origin;
  } catch (e) {
    return 0;
  }
  if (lengthBytesUTF8(origin) >= size) return 0;
  return stringToUTF8(origin, out, size);
});
std::string origin_of(const std::string& url) {
  char origin[512];  // scheme, host (at most 253 bytes in DNS form), port
  const int length = asyncload_origin_of(url.c_str(), origin, sizeof origin);
  return std::string(origin, static_cast<std::size_t>(std::max(length, 0)));
}

// ---- persistent_root: IDBFS ---------------------------------------------------------------

// Mounts `root` on IDBFS and reads it back; then calls asyncload_idbfs_done(token, 1, failed).
// Stores every IDBFS mount; then calls asyncload_idbfs_done(token, 0, failed). The last
// failure's words wait in Module.asyncloadIdbfsError for asyncload_idbfs_error().
EM_JS(void, asyncload_idbfs_sync, (const char* root, int token, int populate), {
  if (typeof runtimeKeepalivePush !== 'undefined') runtimeKeepalivePush();
  var done = function (error) {
    if (typeof runtimeKeepalivePop !== 'undefined' && runtimeKeepaliveCounter > 0) runtimeKeepalivePop();
    if (error) Module.asyncloadIdbfsError = error.name ? error.name + ': ' + (error.message || "") : String(error);
    _asyncload_idbfs_done(token, populate, error ? 1 : 0);
  };
  try {
    if (populate) {
      var path = UTF8ToString(root);
      FS.mkdirTree(path);
      FS.mount(IDBFS, {}, path);
    }
    FS.syncfs(!!populate, done);
  } catch (e) {
    done(e && e.errno !== undefined ? 'errno ' + e.errno : e);
  }
});
EM_JS(int, asyncload_idbfs_error, (char* out, int size), {
  return stringToUTF8(Module.asyncloadIdbfsError || 'unknown IndexedDB error', out, size);
});
std::string idbfs_error() {
  char words[512];
  const int length = asyncload_idbfs_error(words, sizeof words);
  return std::string(words, static_cast<std::size_t>(std::max(length, 0)));
}

// True when `path` lies under the folder `root` (both made absolute, as Emscripten's cwd is "/").
bool lies_under(const std::filesystem::path& path, const std::filesystem::path& root) {
  const auto p = std::filesystem::absolute(path).lexically_normal();
  const auto r = std::filesystem::absolute(root).lexically_normal();
  auto [root_end, path_at] = std::mismatch(r.begin(), r.end(), p.begin(), p.end());
  return (root_end == r.end() || root_end->empty()) && path_at != p.end();
}

class FetchBackend;

// The live backends by token: an IndexedDB callback finds its backend here, or not at all once
// it was destroyed. Never freed: a game's Http in a global is destroyed at exit after any
// function-local static made later, and its backend still looks itself up here.
std::unordered_map<int, FetchBackend*>& live_backends() {
  static auto* live = new std::unordered_map<int, FetchBackend*>;
  return *live;
}

struct Job {
  Transfer transfer;
  FetchBackend* backend = nullptr;
  std::string origin;
  std::uint64_t order = 0;          // call order, across origins
  emscripten_fetch_t* fetch = nullptr;
  std::vector<const char*> header_pointers;  // name, value, ..., nullptr: what XHR reads
  double started_ms = 0;
  double last_activity_ms = 0;
  std::int64_t received = 0;        // bytes so far, as the browser counts them
  std::int64_t content_length = -1;
  long stall_timer = 0;
  bool closing = false;             // our own emscripten_fetch_close() is under way
  Headers sent_headers;             // of the request in flight: header_pointers point into it

  // A file fetched in Range pieces (see the top of the file); piece_bytes 0 = one request.
  std::int64_t piece_bytes = 0;
  std::int64_t base = 0;            // where the download starts (N of a resumed `Range: bytes=N-`)
  std::int64_t piece_start = 0;     // first byte of the piece in flight: base + bytes in the sink
  bool begun = false;               // the sink began: the first piece's head is in
  std::int64_t file_size = -1;      // from the first 206's Content-Range; -1 before it
  std::string validator;            // If-Range for the pieces after the first
  Headers first_headers;            // the first response's: the final event's
  bool may_become_pieces = false;   // a body in memory, until its first progress
  bool pieced() const { return piece_bytes > 0; }
};

// `Content-Range: bytes a-b/total` of a 206.
struct ContentRange {
  std::int64_t first = 0, last = 0, total = 0;
};
std::optional<ContentRange> content_range_of(const Headers& headers) {
  for (const auto& [name, value] : headers) {
    if (!iequals(name, "content-range")) continue;
    long long first = 0, last = 0, total = 0;
    if (std::sscanf(value.c_str(), " bytes %lld-%lld/%lld", &first, &last, &total) != 3) return std::nullopt;
    if (first < 0 || last < first || total <= last) return std::nullopt;
    return ContentRange{first, last, total};
  }
  return std::nullopt;
}

// If-Range for the pieces after the first: a strong ETag, else Last-Modified; "" when neither.
std::string validator_of(const Headers& headers) {
  std::string etag, modified;
  for (const auto& [name, value] : headers) {
    if (iequals(name, "etag")) etag = std::string(detail::trim(value));
    if (iequals(name, "last-modified")) modified = std::string(detail::trim(value));
  }
  return etag.starts_with("\"") ? etag : modified;
}

// The response headers of a finished fetch. The block's length counts its NUL in 3.1.6.
Headers response_headers_of(emscripten_fetch_t* fetch) {
  const size_t header_bytes = emscripten_fetch_get_response_headers_length(fetch);
  if (header_bytes == 0) return {};
  std::string block(header_bytes + 1, '\0');
  emscripten_fetch_get_response_headers(fetch, block.data(), block.size());
  block.resize(std::strlen(block.c_str()));
  return detail::parse_raw_headers(block);
}

class FetchBackend final : public Backend {
public:
  ~FetchBackend() override {
    live_backends().erase(token_);
    for (auto& [id, job] : running_) close(*job);
  }

  void bind(Events& events, const BackendSettings& settings) override {
    events_ = &events;
    max_running_ = settings.max_connections;  // >= 1, resolved by the core
    piece_bytes_ = static_cast<std::int64_t>(settings.web_piece_bytes);
    root_ = settings.persistent_root;
    static int next_token = 0;
    token_ = ++next_token;
    live_backends()[token_] = this;
    if (!root_.empty()) {
      files_ready_ = false;
      asyncload_idbfs_sync(root_.c_str(), token_, 1);
    }
  }

  bool files_ready() const override { return files_ready_; }

  bool persist(RequestId id, const std::string& path) override {
    if (root_.empty() || !lies_under(path, root_)) return false;
    if (!unusable_root_.empty()) {
      events_->persisted(id, unusable_root_);
      return true;
    }
    store_next_.push_back(id);
    if (!storing_now_) store();
    return true;
  }

  // An IndexedDB operation of asyncload_idbfs_sync ended.
  void idbfs_done(bool populate, bool failed) {
    if (populate) {
      if (failed) unusable_root_ = "IndexedDB could not be read back into '" + root_ + "': " + idbfs_error();
      files_ready_ = true;
      launch_waiting();
      return;
    }
    storing_now_ = false;
    const std::string error = failed ? "IndexedDB: " + idbfs_error() : std::string();
    for (RequestId id : std::exchange(storing_, {})) events_->persisted(id, error);
    if (!store_next_.empty()) store();
  }

  // Both defined in platform/ (asyncload/detail/profiles.hpp), which the replay backend's web
  // profile shares.
  Capabilities capabilities() const override {
    return detail::emscripten_fetch_capabilities(static_cast<std::size_t>(piece_bytes_), !root_.empty());
  }
  std::string refusal(const Transfer& transfer) const override { return detail::browser_refusal(transfer); }

  void start(Transfer transfer) override {
    auto job = std::make_unique<Job>();
    job->transfer = std::move(transfer);
    job->backend = this;
    job->origin = origin_of(job->transfer.url);
    job->order = next_order_++;
    job->may_become_pieces = job->transfer.pieces == Transfer::Pieces::memory && piece_bytes_ > 0;
    if (job->transfer.pieces == Transfer::Pieces::file && piece_bytes_ > 0) {
      job->piece_bytes = piece_bytes_;
      // A resumed download: the core's Range and If-Range become the pieces' own.
      auto& headers = job->transfer.headers;
      for (auto header = headers.begin(); header != headers.end();) {
        long long from = 0;
        if (iequals(header->first, "Range") && std::sscanf(header->second.c_str(), "bytes=%lld-", &from) == 1) {
          job->base = job->piece_start = from;
        } else if (iequals(header->first, "If-Range")) {
          job->validator = header->second;
        } else {
          ++header;
          continue;
        }
        header = headers.erase(header);
      }
    }
    origins_[job->origin].waiting.push_back(std::move(job));
    launch_waiting();
  }

  void cancel(RequestId id) override {
    for (auto origin = origins_.begin(); origin != origins_.end(); ++origin) {
      auto& waiting = origin->second.waiting;
      auto queued = std::find_if(waiting.begin(), waiting.end(), [&](const auto& job) { return job->transfer.id == id; });
      if (queued != waiting.end()) {
        waiting.erase(queued);  // never started: nothing of the browser's to stop
        forget_if_idle(origin);
        return;
      }
    }
    if (auto found = running_.find(id); found != running_.end()) remove_silently(*found->second);
  }

private:
  // What runs or waits for one origin.
  struct Origin {
    std::size_t running = 0;
    std::deque<std::unique_ptr<Job>> waiting;  // in call order
  };
  using Origins = std::unordered_map<std::string, Origin>;

  static Job& job_of(emscripten_fetch_t* fetch) { return *static_cast<Job*>(fetch->userData); }

  void forget_if_idle(Origins::iterator origin) {
    if (origin->second.running == 0 && origin->second.waiting.empty()) origins_.erase(origin);
  }

  // Starts waiting transfers, oldest call first, while max_connections allows and their origin
  // has a free connection. launch() may remove a job and re-enter here: no reference into
  // origins_ is held across it.
  void launch_waiting() {
    if (!files_ready_) return;  // persistent_root is being read back (idbfs_done launches)
    while (running_.size() < max_running_) {
      Origin* next = nullptr;
      for (auto& [key, origin] : origins_) {
        if (origin.waiting.empty() || origin.running >= connections_per_origin) continue;
        if (!next || origin.waiting.front()->order < next->waiting.front()->order) next = &origin;
      }
      if (!next) return;
      std::unique_ptr<Job> job = std::move(next->waiting.front());
      next->waiting.pop_front();
      ++next->running;
      launch(std::move(job));
    }
  }

  void launch(std::unique_ptr<Job> owned) {
    Job& job = *owned;
    const Transfer& t = job.transfer;
    job.started_ms = job.last_activity_ms = emscripten_get_now();
    running_.emplace(t.id, std::move(owned));
    if (!send(job)) {
      remove_and_report(job, failed_outcome(job, Status::network_error, "emscripten_fetch refused the request"));
      return;
    }
    if (t.stall_timeout.count() > 0)
      job.stall_timer = emscripten_set_timeout(&FetchBackend::on_stall_timer, static_cast<double>(t.stall_timeout.count()), &job);
  }

  // Sends the job's request, or its next piece: false if emscripten_fetch refused it.
  static bool send(Job& job) {
    const Transfer& t = job.transfer;
    emscripten_fetch_attr_t attr;
    emscripten_fetch_attr_init(&attr);
    std::strcpy(attr.requestMethod, t.method.c_str());  // length checked by refusal()
    attr.attributes = EMSCRIPTEN_FETCH_REPLACE;  // the body stays in the XHR until write_body()
    attr.userData = &job;
    attr.onsuccess = &FetchBackend::on_done;
    attr.onerror = &FetchBackend::on_done;
    attr.onprogress = &FetchBackend::on_progress;
    // 0 = none, as for XHR; a piece gets what is left of the whole download's time.
    if (const auto total_ms = static_cast<double>(t.total_timeout.count()); total_ms > 0)
      attr.timeoutMSecs = static_cast<unsigned long>(std::max(1.0, total_ms - (emscripten_get_now() - job.started_ms)));
    attr.withCredentials = t.with_credentials;
    job.sent_headers = t.headers;
    if (job.pieced()) {
      const std::int64_t last = job.piece_start + job.piece_bytes - 1;
      job.sent_headers.emplace_back("Range", "bytes=" + std::to_string(job.piece_start) + "-" + std::to_string(last));
      if (!job.validator.empty()) job.sent_headers.emplace_back("If-Range", job.validator);
    }
    job.header_pointers.clear();
    for (const auto& [name, value] : job.sent_headers) {
      job.header_pointers.push_back(name.c_str());
      job.header_pointers.push_back(value.c_str());
    }
    job.header_pointers.push_back(nullptr);
    attr.requestHeaders = job.header_pointers.data();
    if (!t.body.empty()) {
      attr.requestData = t.body.data();
      attr.requestDataSize = t.body.size();
    }
    job.last_activity_ms = emscripten_get_now();  // the stall clock restarts with each piece
    job.fetch = emscripten_fetch(&attr, t.url.c_str());
    return job.fetch != nullptr;
  }

  static void on_progress(emscripten_fetch_t* fetch) {
    Job& job = job_of(fetch);
    if (job.closing) return;
    job.last_activity_ms = emscripten_get_now();
    const std::int64_t length = fetch->totalBytes > 0 ? static_cast<std::int64_t>(fetch->totalBytes) : -1;
    if (!job.pieced()) {
      job.content_length = length;
    } else if (job.begun) {
      // A later answer longer than the piece asked for is a changed file's 200 (which starts the
      // download over at its end): until then the bar stays where the pieces put it.
      if (length > 0 && length != std::min(job.piece_bytes, job.file_size - job.piece_start)) return;
    } else if (const double total = asyncload_xhr_range_total(fetch->id); total >= 0) {
      if (!job.backend->begin_pieces(job, fetch)) return;  // a 206 elsewhere: piece_done says so
    } else {
      job.content_length = total == -2 ? length : -1;  // a whole body (or an error page), or unknown yet
    }
    job.received = job.piece_start - job.base + static_cast<std::int64_t>(fetch->dataOffset);
    // The XHR holds the whole body until it ends: stop it once it is known to be too large,
    // rather than let the browser fill memory with a body the sink would refuse at the end.
    if (const auto limit = static_cast<std::int64_t>(job.transfer.max_body_bytes);
        limit > 0 && std::max(job.received, job.content_length) > limit) {
      job.backend->remove_and_report(
          job, failed_outcome(job, Status::too_large,
                              "response body over max_body_bytes (" + std::to_string(limit) + ")"));
      return;
    }
    if (std::exchange(job.may_become_pieces, false) &&
        asyncload_xhr_worth_pieces(fetch->id, static_cast<double>(job.backend->piece_bytes_))) {
      job.backend->become_pieces(job, fetch);
      return;
    }
    if (job.transfer.report_progress) job.backend->events_->progress(job.transfer.id, job.received, job.content_length);
  }

  // onsuccess and onerror alike: the browser's verdict is in fetch->status.
  static void on_done(emscripten_fetch_t* fetch) {
    Job& job = job_of(fetch);
    if (job.closing) return;  // the re-entrant onerror of our own close()
    if (job.pieced() && fetch->status != 0) {
      job.backend->piece_done(job, fetch);
      return;
    }
    job.backend->remove_and_report(job, outcome_of(job, fetch));
  }

  // The first piece's head is in: a 206 that starts where it was asked and names the total
  // begins the sink (once) and sets the file's figures. False when it is no such 206.
  bool begin_pieces(Job& job, emscripten_fetch_t* fetch) {
    if (job.begun) return true;
    Headers headers = response_headers_of(fetch);
    const auto range = content_range_of(headers);
    if (fetch->status != 206 || !range || range->first != job.base) return false;
    job.begun = true;
    job.file_size = range->total;
    job.content_length = job.file_size - job.base;
    if (job.validator.empty()) job.validator = validator_of(headers);
    job.first_headers = std::move(headers);
    // As the one response the core asked for would begin: a 200 of the whole file, or the 206
    // of the rest of a resumed one.
    if (BodySink* sink = job.transfer.sink.get()) sink->begin(job.base > 0 ? 206 : 200, job.content_length, job.first_headers);
    return true;
  }

  // A piece's answer arrived (see the top of the file for the rules).
  void piece_done(Job& job, emscripten_fetch_t* fetch) {
    const long status = fetch->status;
    const bool resumed = job.base > 0;
    if (!job.begun && !(status == 206 && begin_pieces(job, fetch))) {
      // A 416 (an empty file has no byte 0), or a 206 whose Content-Range the page may not read
      // (cross-origin without Access-Control-Expose-Headers): the whole file in one request.
      const bool readable = status == 206 && content_range_of(response_headers_of(fetch));
      if (!resumed && (status == 416 || (status == 206 && !readable))) {
        ask_whole(job);
        return;
      }
      if (!resumed && status == 206) {
        remove_and_report(job, failed_outcome(job, Status::network_error,
                                              "the server's 206 to the first piece does not start at byte 0"));
        return;
      }
      // The one response: no ranges, an error page; resumed, also a 416 or a 206 elsewhere,
      // which the sink and the core turn into a fresh start.
      job.piece_bytes = 0;
      remove_and_report(job, outcome_of(job, fetch));
      return;
    }
    if (status == 200) {  // a later piece: the file changed, and this is all of the new one
      job.piece_bytes = 0;
      job.piece_start = job.base = 0;
      remove_and_report(job, outcome_of(job, fetch));
      return;
    }
    const std::string asked = "bytes=" + std::to_string(job.piece_start) + "-" + std::to_string(job.piece_start + job.piece_bytes - 1);
    if (status != 206) {
      remove_and_report(job, failed_outcome(job, Status::network_error,
                                            "the server answered HTTP " + std::to_string(status) + " to the piece " + asked));
      return;
    }
    const auto range = content_range_of(response_headers_of(fetch));
    const auto bytes = response_bytes(fetch);
    if (!range || range->first != job.piece_start || range->last - range->first + 1 != bytes || range->total != job.file_size) {
      remove_and_report(job, failed_outcome(job, Status::network_error,
                                            "the server's 206 to the piece " + asked +
                                                " does not continue the file (the file changed, or a proxy rewrote the range)"));
      return;
    }
    if (BodySink* sink = job.transfer.sink.get()) {
      if (Status written = write_body(*sink, fetch, bytes); written != Status::complete) {
        remove_and_report(job, failed_outcome(job, written, sink->failure()));
        return;
      }
    }
    job.piece_start = range->last + 1;
    job.received = job.piece_start - job.base;
    if (job.transfer.report_progress) events_->progress(job.transfer.id, job.received, job.content_length);
    if (job.piece_start == job.file_size) {
      Outcome outcome;
      outcome.id = job.transfer.id;
      // The whole file as one 200 would have brought it; a resumed one as the 206 of the rest
      // (which the core reports as the file's 200).
      outcome.http_status = resumed ? 206 : 200;
      outcome.response_headers = job.first_headers;
      outcome.content_length = outcome.size_downloaded = job.content_length;
      remove_and_report(job, std::move(outcome));
      return;
    }
    close_fetch(job);
    if (!send(job)) remove_and_report(job, failed_outcome(job, Status::network_error, "emscripten_fetch refused the request"));
  }

  // A body in memory whose head shows it large: asked for again in pieces from byte 0.
  void become_pieces(Job& job, emscripten_fetch_t* fetch) {
    job.piece_bytes = piece_bytes_;
    job.validator = validator_of(response_headers_of(fetch));
    close_fetch(job);
    if (!send(job)) remove_and_report(job, failed_outcome(job, Status::network_error, "emscripten_fetch refused the request"));
  }

  // The file again in one request without Range.
  void ask_whole(Job& job) {
    job.piece_bytes = 0;
    close_fetch(job);
    if (!send(job)) remove_and_report(job, failed_outcome(job, Status::network_error, "emscripten_fetch refused the request"));
  }

  static void on_stall_timer(void* user) {
    Job& job = *static_cast<Job*>(user);
    job.stall_timer = 0;
    const double stall_ms = static_cast<double>(job.transfer.stall_timeout.count());
    const double idle_ms = emscripten_get_now() - job.last_activity_ms;
    if (idle_ms + 1 >= stall_ms) {
      job.backend->remove_and_report(
          job, failed_outcome(job, Status::timeout,
                              "stalled: no data for " + std::to_string(job.transfer.stall_timeout.count()) + " ms"));
    } else {
      job.stall_timer = emscripten_set_timeout(&FetchBackend::on_stall_timer, stall_ms - idle_ms, &job);
    }
  }

  // What the fetch's end means for the game; a body goes to the sink first.
  static Outcome outcome_of(Job& job, emscripten_fetch_t* fetch) {
    Outcome outcome;
    outcome.id = job.transfer.id;
    outcome.http_status = fetch->status;
    if (fetch->status == 0) {  // network failure, CORS refusal or the XHR timeout
      const double elapsed_ms = emscripten_get_now() - job.started_ms;
      const auto total_ms = job.transfer.total_timeout.count();
      if (total_ms > 0 && elapsed_ms + 5 >= static_cast<double>(total_ms)) {
        outcome.status = Status::timeout;
        outcome.error = "total timeout: no complete response within " + std::to_string(total_ms) + " ms";
      } else {
        outcome.status = Status::network_error;
        outcome.error = "network error: the browser refused or could not reach " + job.transfer.url +
                        " (unreachable, CORS, or mixed content; the browser does not say which)";
      }
      if (job.pieced()) {  // what the earlier pieces brought
        outcome.content_length = job.content_length;
        outcome.size_downloaded = job.piece_start - job.base;
      }
      return outcome;
    }
    outcome.response_headers = response_headers_of(fetch);
    const std::int64_t body_bytes = response_bytes(fetch);
    outcome.content_length = job.content_length;
    for (const auto& [name, value] : outcome.response_headers)
      if (iequals(name, "content-length")) outcome.content_length = std::atoll(value.c_str());
    // Bytes as sent: all of Content-Length arrived. (XHR counts a compressed body's progress in
    // decoded bytes, so job.received is only the fallback when the length is unknown.)
    if (body_bytes == 0) {
      outcome.size_downloaded = 0;
    } else if (outcome.content_length >= 0) {
      outcome.size_downloaded = outcome.content_length;
    } else {
      outcome.size_downloaded = std::max(job.received, body_bytes);
    }
    if (BodySink* sink = job.transfer.sink.get()) {
      sink->begin(fetch->status, outcome.content_length, outcome.response_headers);
      if (body_bytes > 0) {
        if (Status written = write_body(*sink, fetch, body_bytes); written != Status::complete) {
          outcome.status = written;
          outcome.error = sink->failure();
        }
      }
    }
    return outcome;
  }

  static std::int64_t response_bytes(emscripten_fetch_t* fetch) {
    return static_cast<std::int64_t>(asyncload_xhr_response_bytes(fetch->id));
  }

  // The finished fetch's `bytes` of body, from the XHR into the sink.
  static Status write_body(BodySink& sink, emscripten_fetch_t* fetch, std::int64_t bytes) {
    return sink.write_from(static_cast<std::size_t>(bytes), [&](char* where) { asyncload_xhr_copy_response(fetch->id, where); });
  }

  static Outcome failed_outcome(const Job& job, Status code, std::string error) {
    Outcome outcome;
    outcome.id = job.transfer.id;
    outcome.status = code;
    outcome.error = std::move(error);
    outcome.content_length = job.content_length;
    outcome.size_downloaded = job.received;
    return outcome;
  }

  // A running job ends: its fetch is closed, `outcome` reported, and it is removed.
  void remove_and_report(Job& job, Outcome outcome) {
    close(job);
    events_->report_final(std::move(outcome));
    remove(job);
  }

  // A cancelled running job ends without a report (the core reports -3).
  void remove_silently(Job& job) {
    close(job);
    remove(job);
  }

  // Frees a closed job and starts the waiting transfers its connection lets through.
  void remove(Job& job) {
    const auto origin = origins_.find(job.origin);
    running_.erase(job.transfer.id);  // `job` is gone from here on
    --origin->second.running;
    forget_if_idle(origin);
    launch_waiting();
  }

  static void close(Job& job) {
    if (job.stall_timer) clear_timer(job.stall_timer);
    job.stall_timer = 0;
    close_fetch(job);
  }

  // The fetch in flight (a piece's, or the transfer's) is stopped and freed.
  static void close_fetch(Job& job) {
    if (!job.fetch) return;
    job.closing = true;
    if (job.fetch->readyState != 4 /* DONE */) abort_xhr(job.fetch);
    else asyncload_drop_response(job.fetch->id);
    emscripten_fetch_close(job.fetch);
    job.fetch = nullptr;
    job.closing = false;
  }

  // A store of every IDBFS mount, for the files committed so far.
  void store() {
    storing_ = std::exchange(store_next_, {});
    storing_now_ = true;
    asyncload_idbfs_sync(root_.c_str(), token_, 0);
  }

  Events* events_ = nullptr;
  int token_ = 0;                     // in live_backends()
  std::string root_;                  // BackendSettings::persistent_root; "" = none
  bool files_ready_ = true;           // false while root_ is read back from IndexedDB
  std::string unusable_root_;         // why root_ could not be read back (every store fails with it)
  bool storing_now_ = false;          // a store runs, for storing_
  std::vector<RequestId> storing_, store_next_;
  std::size_t max_running_ = 64;
  std::int64_t piece_bytes_ = 0;  // BackendSettings::web_piece_bytes
  std::unordered_map<RequestId, std::unique_ptr<Job>> running_;
  Origins origins_;             // every origin with a transfer running or waiting
  std::uint64_t next_order_ = 0;
};

}  // namespace

std::unique_ptr<Backend> make_fetch_backend() { return std::make_unique<FetchBackend>(); }

}  // namespace asyncload

// asyncload_idbfs_sync's callback, called from JavaScript.
extern "C" EMSCRIPTEN_KEEPALIVE void asyncload_idbfs_done(int token, int populate, int failed) {
  const auto& live = asyncload::live_backends();
  if (auto found = live.find(token); found != live.end()) found->second->idbfs_done(populate != 0, failed != 0);
}
