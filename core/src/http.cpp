// Http: the game-thread side of asyncload.
//
// A request's states in the core (Request::state), and who owns what in each. `requests` and
// every Request field belong to the game thread; only a request's sink is shared with the
// backend's thread.
//
//   state      entered when                               the sink                      next
//   running    http_*() accepted the call                 written by the backend's      ended,
//                                                         thread                        cancelled
//   ended      take(): the backend's final Outcome left   the game thread's: the        delivered,
//              the queue                                  backend wrote its last byte   cancelled
//   cancelled  http_cancel() while running or ended;      discarded; the backend may    delivered
//              the -3 is queued                           still write, harmlessly       (the -3)
//   persisting its file was committed and the backend     gone: the file is the         delivered
//              stores it (Backend::persist); the final    target's now
//              event waits in `held` for Events::persisted
//
// A refused call (-1, last_error) never enters `requests`; a request leaves it when its final
// event is delivered, or with the Http.
//
// dispatch() is three steps, each the only owner of its rules:
//   take              moves what the backend queued behind what is left to deliver; records a
//                     running request's newest progress figures and the end of its transfer
//                     (or, for a resumed download the server did not continue, sends its one
//                     fresh request instead: start_over).
//   deliver_progress  the coalescing rule (below), and nothing else.
//   deliver_final     commits the file or fills the buffer, builds async_load, forgets the
//                     request; a cancelled request's only final event is its -3.
// The EventQueue keeps at most one progress entry per request waiting, which bounds the queue
// however often the backend reports; what a progress event says is decided here.
#include <asyncload/asyncload.hpp>
#include <asyncload/backend.hpp>

#include "async_load.hpp"
#include "recording_backend.hpp"
#include "event_queue.hpp"
#include "settings.hpp"
#include "sinks.hpp"
#include "validate.hpp"

#include <memory>
#include <optional>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

namespace asyncload {

using detail::FileSink;
using detail::MemorySink;
using detail::ReadyEvent;

namespace {

enum class RequestState { running, ended, cancelled, persisting };

// Where a request's body goes, chosen by the call; each gives async_load "result" its meaning.
struct ToMemory {  // http_get, http_post_string, http_request with a body: the body
  std::shared_ptr<MemorySink> sink;
};
struct ToFile {  // http_get_file: the path, once the file is committed onto it
  std::shared_ptr<FileSink> sink;
  // A resumed download (a Range request): the request to send instead if the server does not
  // continue the partial file (416, or a 206 elsewhere). Sent at most once.
  std::optional<Transfer> instead;
};
struct ToBuffer {  // http_request with a buffer at seek 0: the response length
  std::shared_ptr<MemorySink> sink;
  std::weak_ptr<Buffer> buffer;  // receives the body at delivery, if the game still holds it
};
using Sink = std::variant<ToMemory, ToFile, ToBuffer>;

struct Request {
  RequestState state = RequestState::running;
  Sink sink;
  boost::json::string url;  // as the game passed it; moved into the final async_load
  std::int64_t latest_bytes = -1;      // the newest progress taken from the queue ...
  std::int64_t latest_length = -1;     // ... which any waiting progress event reports
  std::int64_t delivered_bytes = -1;   // sizeDownloaded of the last progress event delivered
  std::uint64_t delivered_in = 0;      // the dispatch() that delivered it
  std::optional<ReadyEvent> held{};    // persisting: the final event, result in `held_result`
  boost::json::value held_result{};
};

using Handler = std::function<void(const AsyncLoad&)>;

bool is_success(long http_status) { return http_status >= 200 && http_status < 300; }

// The bytes a resumed download found already there (0 for every other request).
std::int64_t resumed_from(const Request& request) {
  const auto* to = std::get_if<ToFile>(&request.sink);
  return to ? static_cast<std::int64_t>(to->sink->resumed_from()) : 0;
}

// What a resumable download leaves for the next call: what arrived before a network failure, a
// timeout or a cancel, and the partial as it was after a non-2xx answer. A file error (or a
// committed file) leaves nothing.
bool keeps_partial(Status status) {
  return status == Status::network_error || status == Status::timeout || status == Status::cancelled ||
         status == Status::complete;
}

// What the backend's thread made for the final events one dispatch() delivered — bodies and
// response headers — and the files http_get_file replaced, handed to Backend::release() in one
// piece. The rest of each map was made on the game thread and is freed there.
struct SpentValues final : Spent {
  std::vector<boost::json::value> values;
  std::vector<files::File> replaced_files;  // still open, so closing them frees them (FileSink::commit)
  // Bodies the game does not get as "result": a failed or cancelled request's partial body, a
  // buffer-mode body once copied into the Buffer. They go in their sink, untouched: a cancelled
  // transfer's sink may still be written by the backend until that has stopped.
  std::vector<std::shared_ptr<MemorySink>> bodies;

  void take_body_of(std::shared_ptr<MemorySink> sink) {
    bytes += sink->memory_held();
    bodies.push_back(std::move(sink));
  }

  void take_from(boost::json::object& map) {
    if (boost::json::value* body = map.if_contains("result"); body && body->is_string()) {
      bytes += body->get_string().capacity();
      values.push_back(std::move(*body));
    }
    if (boost::json::value* headers = map.if_contains("response_headers"); headers && headers->is_object())
      values.push_back(std::move(*headers));
  }
  bool empty() const { return values.empty() && replaced_files.empty() && bodies.empty(); }
};

}  // namespace

struct Http::State {
  using Requests = std::unordered_map<RequestId, Request>;

  // Declared before the backend so it outlives it: the backend reports into it until destroyed.
  detail::EventQueue events;
  std::unique_ptr<Backend> backend;
  Capabilities capabilities;
  Options options;               // resolved (settings.hpp); http_set_connect_timeout changes it
  bool progress_wanted = false;  // Options::progress_events and the backend can

  // Game thread only.
  Requests requests;
  std::vector<ReadyEvent> taken;  // taken from `events`; delivered up to `next_taken`
  std::size_t next_taken = 0;
  std::unique_ptr<SpentValues> spent;  // from delivered maps, not yet handed to the backend
  RequestId next_id = 0;
  std::uint64_t dispatch_count = 0;
  std::string last_error;
  std::string crossorigin = "anonymous";

  RequestId refuse(std::string why) {
    last_error = std::move(why);
    return -1;
  }

  // ---- a call ----

  detail::TransferSettings transfer_settings(const RequestOptions& request) const {
    return detail::resolve(options, request, capabilities);
  }

  Transfer make_transfer(std::string_view url, std::string_view method, Headers headers, std::string body,
                         const detail::TransferSettings& settings) const {
    return Transfer{
        .url = detail::wire_url(url),
        .method = std::string(method),
        .headers = std::move(headers),
        .body = std::move(body),
        .sink = nullptr,  // submit() attaches it once the call is accepted
        .connect_timeout = settings.connect_timeout,
        .stall_timeout = settings.stall_timeout,
        .total_timeout = settings.total_timeout,
        .max_redirects = settings.max_redirects,
        .report_progress = settings.report_progress,
        .with_credentials = crossorigin == "use-credentials",
        .max_body_bytes = settings.max_body_bytes,
    };
  }

  std::shared_ptr<MemorySink> memory_sink(const detail::TransferSettings& settings,
                                          std::size_t keep_at_most = SIZE_MAX) const {
    return std::make_shared<MemorySink>(settings.max_body_bytes, keep_at_most);
  }

  // Checks everything a call can get wrong; "" when the transfer may start.
  std::string refusal(const Transfer& transfer) const {
    if (auto why = detail::check_url(transfer.url, capabilities.relative_urls); !why.empty()) return why;
    if (auto why = detail::check_method(transfer.method); !why.empty()) return why;
    if (auto why = detail::check_headers(transfer.headers); !why.empty()) return why;
    return backend->refusal(transfer);
  }

  // `url` is what the game passed: async_load reports it unchanged.
  RequestId submit(std::string_view url, Transfer transfer, Sink sink) {
    if (auto why = refusal(transfer); !why.empty()) return refuse(std::move(why));
    const RequestId id = next_id++;
    transfer.id = id;
    transfer.sink = std::visit([](const auto& to) -> std::shared_ptr<BodySink> { return to.sink; }, sink);
    requests.emplace(id, Request{.sink = std::move(sink), .url = boost::json::string(url)});
    backend->start(std::move(transfer));
    return id;
  }

  // ---- the frame ----

  void take() {
    if (!events.maybe_ready()) return;
    if (next_taken == taken.size()) {  // all delivered: start over (take_all can then swap)
      taken.clear();
      next_taken = 0;
    }
    const std::size_t first_new = taken.size();
    events.take_all(taken);
    for (std::size_t i = first_new; i < taken.size(); ++i) {
      const ReadyEvent& event = taken[i];
      auto found = requests.find(event.outcome.id);
      if (found == requests.end() || found->second.state != RequestState::running) continue;
      Request& request = found->second;
      if (event.kind == ReadyEvent::Kind::progress) {
        // A progress event left waiting (DispatchLimits) reports these, not what it was queued
        // with. A resumed download counts the bytes that were there.
        const std::int64_t had = resumed_from(request);
        request.latest_bytes = event.outcome.size_downloaded + had;
        request.latest_length = event.outcome.content_length >= 0 ? event.outcome.content_length + had : -1;
      } else if (event.kind == ReadyEvent::Kind::outcome) {
        if (start_over(event.outcome.id, request, event.outcome)) {
          taken[i].kind = ReadyEvent::Kind::superseded;
          continue;
        }
        request.state = RequestState::ended;
      }
    }
  }

  // A resumed download the server did not continue (416, or a 206 that does not start where the
  // partial ends) starts over, once, with a request without Range under the same id: the game
  // sees only that request's outcome.
  bool start_over(RequestId id, Request& request, const Outcome& outcome) {
    auto* to = std::get_if<ToFile>(&request.sink);
    if (!to || !to->instead || (outcome.http_status != 416 && !to->sink->restart_wanted())) return false;
    Transfer fresh = std::move(*to->instead);
    to->instead.reset();
    to->sink->start_over();
    fresh.id = id;
    fresh.sink = to->sink;
    backend->start(std::move(fresh));
    return true;
  }

  // A resumed download reports the whole file: the bytes that were there count, and the 206
  // that completed it is the file's 200.
  static void whole_file_figures(const Request& request, Outcome& outcome) {
    const std::int64_t had = resumed_from(request);
    if (had == 0) return;
    outcome.size_downloaded += had;
    if (outcome.content_length >= 0) outcome.content_length += had;
    if (outcome.status == Status::complete && outcome.http_status == 206) outcome.http_status = 200;
  }

  // True while a resumable download to `target` runs or waits for its final event: a second
  // one would write the same partial file. (A cancelled one has let go of it already.)
  bool resuming(const std::filesystem::path& target) const {
    for (const auto& [id, request] : requests) {
      const auto* to = std::get_if<ToFile>(&request.sink);
      if (to && request.state != RequestState::cancelled && to->sink->resumable() && to->sink->target() == target)
        return true;
    }
    return false;
  }

  // The coalescing rule, all of it: a request gets at most one progress event per dispatch(),
  // only when its bytes advanced since the last one delivered, never once cancelled (nor after
  // its final event: the request is gone), and only when progress is wanted. It reports the
  // newest figures taken.
  bool deliver_progress(RequestId id, Request& request, const Handler& handler) {
    const std::int64_t bytes = request.latest_bytes;
    if (!progress_wanted || request.state == RequestState::cancelled || bytes <= request.delivered_bytes ||
        request.delivered_in == dispatch_count)
      return false;
    request.delivered_bytes = bytes;
    request.delivered_in = dispatch_count;
    const AsyncLoad load(detail::progress_map(id, request.url, bytes, request.latest_length));
    handler(load);
    return true;
  }

  // The request's final event, which forgets it. A cancelled request's only one is its -3: what
  // the backend reported for it is dropped.
  bool deliver_final(Requests::iterator found, ReadyEvent& event, const Handler& handler) {
    Request& request = found->second;
    if (event.kind == ReadyEvent::Kind::persisted) return deliver_persisted(found, event, handler);
    const bool is_cancel = event.kind == ReadyEvent::Kind::cancelled;
    if (request.state == RequestState::cancelled && !is_cancel) return false;  // the -3 follows
    Outcome& outcome = event.outcome;
    if (!is_cancel) whole_file_figures(request, outcome);  // a -3 has them from the progress already
    boost::json::value result = "";
    const bool completed = !is_cancel && outcome.status == Status::complete;
    if (completed) result = commit_result(request, outcome);
    if (auto* to = std::get_if<ToFile>(&request.sink)) {  // both no-ops after a commit
      if (to->sink->resumable() && keeps_partial(outcome.status)) to->sink->keep();
      else to->sink->discard();
      const bool committed = outcome.status == Status::complete && result.is_string() && !result.get_string().empty();
      if (committed && backend->persist(found->first, to->sink->target().string())) {
        request.state = RequestState::persisting;
        request.held_result = std::move(result);
        request.held = std::move(event);
        return false;  // delivered once the backend reports it stored
      }
    }
    // A body that is not the map's "result" leaves with the batch as well (a result leaves in
    // take_from): a failed or cancelled request's partial one, a buffer-mode one once copied.
    if (auto* to = std::get_if<ToMemory>(&request.sink); to && !completed) spent->take_body_of(std::move(to->sink));
    if (auto* to = std::get_if<ToBuffer>(&request.sink)) spent->take_body_of(std::move(to->sink));
    AsyncLoad load(detail::final_map(outcome, std::move(request.url), std::move(result),
                                     std::move(event.response_headers)));
    requests.erase(found);
    handler(load);
    spent->take_from(load.map_);
    return true;
  }

  // The held final event of a file the backend stored (or could not store: then -4, the file
  // in place but not kept).
  bool deliver_persisted(Requests::iterator found, const ReadyEvent& stored, const Handler& handler) {
    Request& request = found->second;
    if (request.state != RequestState::persisting) return false;
    ReadyEvent event = std::move(*request.held);
    boost::json::value result = std::move(request.held_result);
    if (!stored.outcome.error.empty()) {
      event.outcome.status = Status::file_error;
      event.outcome.error = "'" + detail::quote(result.get_string()) +
                            "' was written but could not be stored for later runs: " + stored.outcome.error;
      result = "";
    }
    AsyncLoad load(detail::final_map(event.outcome, std::move(request.url), std::move(result),
                                     std::move(event.response_headers)));
    requests.erase(found);
    handler(load);
    spent->take_from(load.map_);
    return true;
  }

  // async_load "result" of a complete exchange: the body; or the file, renamed onto its target
  // (2xx only; a failed rename makes the outcome file_error); or the buffer, filled.
  boost::json::value commit_result(Request& request, Outcome& outcome) {
    if (auto* to = std::get_if<ToMemory>(&request.sink)) return to->sink->take_body();
    if (auto* to = std::get_if<ToBuffer>(&request.sink)) {
      const auto length = static_cast<std::int64_t>(to->sink->total_bytes());
      if (auto buffer = to->buffer.lock()) {
        buffer->seek(0);
        buffer->write(to->sink->body());  // the body itself goes back with the batch
      }
      return length;
    }
    FileSink& file = *std::get<ToFile>(request.sink).sink;
    if (!is_success(outcome.http_status)) return "";  // the previous file stays
    files::File replaced;
    if (auto why = file.commit(replaced); !why.empty()) {
      outcome.status = Status::file_error;
      outcome.error = std::move(why);
      return "";
    }
    if (replaced.is_open()) spent->replaced_files.push_back(std::move(replaced));
    return boost::json::value(files::utf8(file.target()));
  }
};

// ---- construction -----------------------------------------------------------------------

Http::Http(Options options) : Http(make_platform_backend(), std::move(options)) {}

Http::Http(std::unique_ptr<Backend> backend, Options options) : state_(std::make_unique<State>()) {
  State& s = *state_;
  s.options = detail::resolve(std::move(options));
  // Recording wraps whatever backend runs (replay/recording_backend.hpp); it writes the HAR file
  // when it is destroyed, with the Http.
  s.backend = s.options.record_har.empty() ? std::move(backend)
                                           : detail::make_recording_backend(std::move(backend), s.options);
  s.backend->bind(s.events, detail::backend_settings(s.options));
  s.capabilities = s.backend->capabilities();
  s.progress_wanted = detail::progress_wanted(s.options, s.capabilities);
}

Http::~Http() {
  // The backend goes first: it stops every transfer and reports nothing afterwards. The
  // requests' sinks then remove their temporary files.
  state_->backend.reset();
}

// ---- the GameMaker calls ------------------------------------------------------------------

RequestId Http::http_get(std::string_view url, const RequestOptions& options) {
  State& s = *state_;
  const auto settings = s.transfer_settings(options);
  Transfer transfer = s.make_transfer(url, "GET", {}, {}, settings);
  transfer.pieces = Transfer::Pieces::memory;
  return s.submit(url, std::move(transfer), ToMemory{s.memory_sink(settings)});
}

RequestId Http::http_get_file(std::string_view url, std::string_view local_target, const RequestOptions& options) {
  State& s = *state_;
  if (!s.capabilities.file_download)
    return s.refuse("http_get_file is not supported by the " + s.capabilities.backend + " backend");
  std::filesystem::path target;
  if (auto why = detail::check_file_target(local_target, s.options.file_root, target); !why.empty())
    return s.refuse(std::move(why));
  const auto settings = s.transfer_settings(options);
  Transfer transfer = s.make_transfer(url, "GET", {}, {}, settings);
  transfer.max_body_bytes = 0;  // does not apply: a file's memory stays bounded whatever its size
  transfer.pieces = Transfer::Pieces::file;
  if (!options.resume || !s.capabilities.resume_downloads)
    return s.submit(url, std::move(transfer), ToFile{std::make_shared<FileSink>(std::move(target)), {}});

  // Resumable (README "Resumable downloads"): the plan says what an earlier call left.
  if (!s.backend->files_ready())
    return s.refuse("a resumable download must wait until the persistent_root is read back (Http::files_ready())");
  if (s.resuming(target))
    return s.refuse("a resumable download to '" + detail::quote(files::utf8(target)) + "' is already in flight");
  detail::ResumePlan plan = detail::plan_resume(target, transfer.url);
  transfer.identity_encoding = true;
  std::optional<Transfer> instead;
  if (plan.have > 0) {
    instead = transfer;
    transfer.headers.emplace_back("Range", "bytes=" + std::to_string(plan.have) + "-");
    transfer.headers.emplace_back("If-Range", plan.validator);
  }
  auto sink = std::make_shared<FileSink>(std::move(target), std::move(plan));
  return s.submit(url, std::move(transfer), ToFile{std::move(sink), std::move(instead)});
}

RequestId Http::http_post_string(std::string_view url, std::string_view body, const RequestOptions& options) {
  State& s = *state_;
  const auto settings = s.transfer_settings(options);
  Headers headers{{"Content-Type", "application/x-www-form-urlencoded"}};
  return s.submit(url, s.make_transfer(url, "POST", std::move(headers), std::string(body), settings),
                  ToMemory{s.memory_sink(settings)});
}

RequestId Http::http_request(std::string_view url, std::string_view method, const Headers& headers,
                             std::string_view body, const RequestOptions& options) {
  State& s = *state_;
  const auto settings = s.transfer_settings(options);
  return s.submit(url, s.make_transfer(url, method, headers, std::string(body), settings),
                  ToMemory{s.memory_sink(settings)});
}

RequestId Http::http_request(std::string_view url, std::string_view method, const Headers& headers,
                             std::shared_ptr<Buffer> buffer, const RequestOptions& options) {
  State& s = *state_;
  if (!buffer) return s.refuse("http_request: the buffer is null");
  const auto settings = s.transfer_settings(options);
  if (buffer->tell() > 0) {  // the buffer is the body; the response comes back as a string
    std::string body(buffer->view(0, buffer->tell()));
    return s.submit(url, s.make_transfer(url, method, headers, std::move(body), settings),
                    ToMemory{s.memory_sink(settings)});
  }
  // The response goes into the buffer (a fixed one keeps what fits).
  const std::size_t keep = buffer->kind() == Buffer::Kind::fixed ? buffer->size() : SIZE_MAX;
  return s.submit(url, s.make_transfer(url, method, headers, {}, settings),
                  ToBuffer{s.memory_sink(settings, keep), buffer});
}

void Http::http_set_request_crossorigin(std::string_view type) {
  if (type == "anonymous" || type == "use-credentials") {
    state_->crossorigin = std::string(type);
  } else {
    state_->last_error = "http_set_request_crossorigin: '" + detail::quote(type) +
                         "' is neither \"anonymous\" nor \"use-credentials\"; unchanged";
  }
}

std::string Http::http_get_request_crossorigin() const { return state_->crossorigin; }

void Http::http_set_connect_timeout(std::chrono::milliseconds timeout) {
  state_->options.connect_timeout = detail::resolve_timeout(timeout);
}

std::chrono::milliseconds Http::http_get_connect_timeout() const { return state_->options.connect_timeout; }

bool Http::http_cancel(RequestId id) {
  State& s = *state_;
  auto found = s.requests.find(id);
  if (found == s.requests.end()) return false;
  if (found->second.state == RequestState::cancelled || found->second.state == RequestState::persisting) return false;
  Request& request = found->second;
  request.state = RequestState::cancelled;
  s.backend->cancel(id);
  if (auto* to = std::get_if<ToFile>(&request.sink)) {  // a resumable download keeps what came: a pause
    if (to->sink->resumable()) to->sink->keep();
    else to->sink->discard();
  }
  Outcome outcome;
  outcome.id = id;
  outcome.status = Status::cancelled;
  outcome.error = "cancelled by http_cancel";
  outcome.size_downloaded = std::max<std::int64_t>(request.delivered_bytes, 0);
  s.events.queue_cancelled(std::move(outcome));
  return true;
}

// ---- the frame --------------------------------------------------------------------------

std::size_t Http::dispatch(const std::function<void(const AsyncLoad&)>& handler, DispatchLimits limits) {
  State& s = *state_;
  ++s.dispatch_count;
  s.backend->frame();  // a replay backend's clock: what it reports now is delivered now
  s.take();
  if (s.next_taken == s.taken.size()) return 0;

  const auto started = std::chrono::steady_clock::now();
  if (!s.spent) s.spent = std::make_unique<SpentValues>();
  std::size_t delivered = 0;
  while (s.next_taken < s.taken.size() && delivered < limits.max_events) {
    if (limits.time_budget.count() > 0 && delivered > 0 &&
        std::chrono::steady_clock::now() - started >= limits.time_budget)
      break;
    ReadyEvent event = std::move(s.taken[s.next_taken++]);
    if (event.kind == ReadyEvent::Kind::superseded) continue;
    auto found = s.requests.find(event.outcome.id);
    if (found == s.requests.end()) continue;  // its final event is already out
    const bool handed = event.kind == ReadyEvent::Kind::progress
                            ? s.deliver_progress(found->first, found->second, handler)
                            : s.deliver_final(found, event, handler);
    if (handed) ++delivered;
  }
  // A throwing handler skips this: what was taken goes with the next dispatch(), or with the Http.
  if (!s.spent->empty()) s.backend->release(std::move(s.spent));
  return delivered;
}

bool Http::wait(std::chrono::milliseconds timeout) {
  State& s = *state_;
  if (s.next_taken < s.taken.size()) return true;
  // The browser cannot block; a replay's events come only from the next dispatch().
  if (!s.capabilities.blocking_wait || s.backend->reports_in_frames()) return s.events.maybe_ready();
  return s.events.wait(timeout);
}

Capabilities Http::capabilities() const { return state_->capabilities; }
bool Http::files_ready() const { return state_->backend->files_ready(); }
std::size_t Http::in_flight() const { return state_->requests.size(); }
const std::string& Http::last_error() const { return state_->last_error; }

}  // namespace asyncload
