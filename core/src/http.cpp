// Http: the game-thread side of asyncload.
//
// A request's life, as the core sees it:
//   call      validated (or refused: -1, last_error, no event), given an id, recorded in
//             `requests`, handed to the backend.
//   running   the backend writes the body into the request's sink and reports progress and
//             one Outcome through the EventQueue, from its own thread.
//   ready     dispatch() takes the queued events; progress is delivered if it advanced and no
//             progress for that request went out in this dispatch; the final event commits the
//             file or fills the buffer, builds async_load, forgets the request, calls the handler.
//   cancelled http_cancel queues a -3 final at once; whatever the backend still reports for the
//             id is dropped at delivery.
#include <asyncload/asyncload.hpp>
#include <asyncload/backend.hpp>

#include "async_load.hpp"
#include "event_queue.hpp"
#include "sinks.hpp"
#include "validate.hpp"

#include <memory>
#include <unordered_map>
#include <utility>
#include <vector>

namespace asyncload {

using detail::FileSink;
using detail::MemorySink;

namespace {

struct Request {
  boost::json::string url;  // as the game passed it; moved into the final async_load
  std::shared_ptr<MemorySink> memory;  // http_get & co, and buffer mode
  std::shared_ptr<FileSink> file;      // http_get_file
  std::weak_ptr<Buffer> buffer;        // buffer mode: receives the body at delivery
  bool to_buffer = false;
  bool cancelled = false;
  std::int64_t latest_bytes = -1;      // the newest progress taken from the queue ...
  std::int64_t latest_length = -1;     // ... which any waiting progress event reports
  std::int64_t delivered_bytes = -1;   // sizeDownloaded of the last progress event delivered
  std::uint64_t delivered_in = 0;      // the dispatch() that delivered it
};

bool is_success(long http_status) { return http_status >= 200 && http_status < 300; }

// What the backend's thread made for the final events one dispatch() delivered — bodies and
// response headers — and the files http_get_file replaced, handed to Backend::release() in one
// piece. The rest of each map was made on the game thread and is freed there.
struct SpentValues final : Spent {
  std::vector<boost::json::value> values;
  std::vector<files::File> replaced_files;  // still open, so closing them frees them (FileSink::commit)

  void take_from(boost::json::object& map) {
    if (boost::json::value* body = map.if_contains("result"); body && body->is_string()) {
      bytes += body->get_string().capacity();
      values.push_back(std::move(*body));
    }
    if (boost::json::value* headers = map.if_contains("response_headers"); headers && headers->is_object())
      values.push_back(std::move(*headers));
  }
  bool empty() const { return values.empty() && replaced_files.empty(); }
};

}  // namespace

struct Http::State {
  // Declared before the backend so it outlives it: the backend reports into it until destroyed.
  detail::EventQueue events;
  std::unique_ptr<Backend> backend;
  Capabilities capabilities;
  Options options;

  // Game thread only.
  std::unordered_map<RequestId, Request> requests;
  std::vector<detail::ReadyEvent> taken;  // taken from `events`; delivered up to `next_taken`
  std::size_t next_taken = 0;
  std::unique_ptr<SpentValues> spent;    // from delivered maps, not yet handed to the backend
  RequestId next_id = 0;
  std::uint64_t dispatch_count = 0;
  std::string last_error;
  std::string crossorigin = "anonymous";

  RequestId refuse(std::string why) {
    last_error = std::move(why);
    return -1;
  }

  Transfer make_transfer(std::string_view url, std::string_view method, Headers headers, std::string body) {
    Transfer transfer;
    transfer.url = detail::wire_url(url);
    transfer.method = std::string(method);
    transfer.headers = std::move(headers);
    transfer.body = std::move(body);
    transfer.connect_timeout = options.connect_timeout;
    transfer.stall_timeout = options.stall_timeout;
    transfer.total_timeout = options.total_timeout;
    transfer.max_redirects = options.max_redirects;
    transfer.report_progress = options.progress_events && capabilities.progress_events;
    transfer.with_credentials = crossorigin == "use-credentials";
    return transfer;
  }

  // Checks everything a call can get wrong; "" when the transfer may start.
  std::string refusal(const Transfer& transfer) const {
    if (auto why = detail::check_url(transfer.url, capabilities.relative_urls); !why.empty()) return why;
    if (auto why = detail::check_method(transfer.method); !why.empty()) return why;
    if (auto why = detail::check_headers(transfer.headers); !why.empty()) return why;
    return backend->refusal(transfer);
  }

  // `url` is what the game passed: async_load reports it unchanged.
  RequestId submit(std::string_view url, Transfer transfer, Request request) {
    if (auto why = refusal(transfer); !why.empty()) return refuse(std::move(why));
    const RequestId id = next_id++;
    transfer.id = id;
    if (request.file) {
      transfer.sink = request.file;
    } else {
      transfer.sink = request.memory;
    }
    request.url = url;
    requests.emplace(id, std::move(request));
    backend->start(std::move(transfer));
    return id;
  }

  std::shared_ptr<MemorySink> memory_sink(std::size_t keep_at_most = SIZE_MAX) const {
    return std::make_shared<MemorySink>(options.max_body_bytes, keep_at_most);
  }

  // The final event of `request`: commits its file or fills its buffer, then builds the map.
  boost::json::object finish(Request& request, Outcome& outcome, boost::json::object response_headers) {
    boost::json::value result = "";
    if (outcome.status == Status::complete) {
      if (request.file) {
        if (is_success(outcome.http_status)) {
          files::File replaced;
          if (auto why = request.file->commit(replaced); why.empty()) {
            result = request.file->target().string();
            if (replaced.is_open()) spent->replaced_files.push_back(std::move(replaced));
          } else {
            outcome.status = Status::file_error;
            outcome.error = std::move(why);
          }
        }
      } else if (request.to_buffer) {
        result = static_cast<std::int64_t>(request.memory->total_bytes());
        if (auto buffer = request.buffer.lock()) {
          buffer->seek(0);
          buffer->write(request.memory->take_body());
        }
      } else {
        result = request.memory->take_body();
      }
    }
    if (request.file) request.file->discard();  // no-op after a commit
    return detail::final_map(outcome, std::move(request.url), std::move(result), std::move(response_headers));
  }
};

// ---- construction -----------------------------------------------------------------------

Http::Http(Options options) : Http(make_platform_backend(), std::move(options)) {}

Http::Http(std::unique_ptr<Backend> backend, Options options) : state_(std::make_unique<State>()) {
  State& s = *state_;
  s.backend = std::move(backend);
  s.options = std::move(options);
  if (s.options.user_agent.empty()) s.options.user_agent = "asyncload/" + std::string(version);
  if (s.options.max_connections == 0) s.options.max_connections = 1;
  s.backend->bind(s.events, BackendSettings{s.options.max_connections, s.options.ca_file, s.options.user_agent});
  s.capabilities = s.backend->capabilities();
}

Http::~Http() {
  // The backend goes first: it stops every transfer and reports nothing afterwards. The
  // requests' sinks then remove their temporary files.
  state_->backend.reset();
}

// ---- the GameMaker calls ------------------------------------------------------------------

RequestId Http::http_get(std::string_view url) {
  State& s = *state_;
  Request request;
  request.memory = s.memory_sink();
  return s.submit(url, s.make_transfer(url, "GET", {}, {}), std::move(request));
}

RequestId Http::http_get_file(std::string_view url, std::string_view local_target) {
  State& s = *state_;
  if (!s.capabilities.file_download)
    return s.refuse("http_get_file is not supported by the " + s.capabilities.backend + " backend");
  std::filesystem::path target;
  if (auto why = detail::check_file_target(local_target, s.options.file_root, target); !why.empty())
    return s.refuse(std::move(why));
  Request request;
  request.file = std::make_shared<FileSink>(std::move(target));
  return s.submit(url, s.make_transfer(url, "GET", {}, {}), std::move(request));
}

RequestId Http::http_post_string(std::string_view url, std::string_view body) {
  State& s = *state_;
  Request request;
  request.memory = s.memory_sink();
  Headers headers{{"Content-Type", "application/x-www-form-urlencoded"}};
  return s.submit(url, s.make_transfer(url, "POST", std::move(headers), std::string(body)), std::move(request));
}

RequestId Http::http_request(std::string_view url, std::string_view method, const Headers& headers,
                             std::string_view body) {
  State& s = *state_;
  Request request;
  request.memory = s.memory_sink();
  return s.submit(url, s.make_transfer(url, method, headers, std::string(body)), std::move(request));
}

RequestId Http::http_request(std::string_view url, std::string_view method, const Headers& headers,
                             std::shared_ptr<Buffer> buffer) {
  State& s = *state_;
  if (!buffer) return s.refuse("http_request: the buffer is null");
  Request request;
  std::string body;
  if (buffer->tell() > 0) {  // the buffer is the body; the response comes back as a string
    body = std::string(buffer->view(0, buffer->tell()));
    request.memory = s.memory_sink();
  } else {  // the response goes into the buffer (a fixed one keeps what fits)
    request.to_buffer = true;
    request.buffer = buffer;
    request.memory = s.memory_sink(buffer->kind() == Buffer::Kind::fixed ? buffer->size() : SIZE_MAX);
  }
  return s.submit(url, s.make_transfer(url, method, headers, std::move(body)), std::move(request));
}

void Http::http_set_request_crossorigin(std::string_view type) {
  if (type == "anonymous" || type == "use-credentials") {
    state_->crossorigin = std::string(type);
  } else {
    state_->last_error = "http_set_request_crossorigin: '" + std::string(type) +
                         "' is neither \"anonymous\" nor \"use-credentials\"; unchanged";
  }
}

std::string Http::http_get_request_crossorigin() const { return state_->crossorigin; }

void Http::http_set_connect_timeout(std::chrono::milliseconds timeout) {
  state_->options.connect_timeout = std::max(timeout, std::chrono::milliseconds{0});
}

std::chrono::milliseconds Http::http_get_connect_timeout() const { return state_->options.connect_timeout; }

bool Http::http_cancel(RequestId id) {
  State& s = *state_;
  auto found = s.requests.find(id);
  if (found == s.requests.end() || found->second.cancelled) return false;
  Request& request = found->second;
  request.cancelled = true;
  s.backend->cancel(id);
  if (request.file) request.file->discard();
  Outcome outcome;
  outcome.id = id;
  outcome.status = Status::cancelled;
  outcome.error = "cancelled by http_cancel";
  outcome.size_downloaded = std::max<std::int64_t>(request.delivered_bytes, 0);
  s.events.report_final(std::move(outcome));
  return true;
}

// ---- the frame --------------------------------------------------------------------------

std::size_t Http::dispatch(const std::function<void(const AsyncLoad&)>& handler, DispatchLimits limits) {
  State& s = *state_;
  ++s.dispatch_count;
  if (s.events.maybe_ready()) {
    if (s.next_taken == s.taken.size()) {  // all delivered: start over (take_all can then swap)
      s.taken.clear();
      s.next_taken = 0;
    }
    const std::size_t already_taken = s.taken.size();
    s.events.take_all(s.taken);
    // A progress event left waiting by DispatchLimits must report the newest figures, not the
    // ones it was queued with.
    for (std::size_t i = already_taken; i < s.taken.size(); ++i) {
      const Outcome& progress = s.taken[i].outcome;
      if (s.taken[i].is_final) continue;
      if (auto found = s.requests.find(progress.id); found != s.requests.end()) {
        found->second.latest_bytes = progress.size_downloaded;
        found->second.latest_length = progress.content_length;
      }
    }
  }
  if (s.next_taken == s.taken.size()) return 0;

  const auto started = std::chrono::steady_clock::now();
  if (!s.spent) s.spent = std::make_unique<SpentValues>();
  const bool progress_wanted = s.options.progress_events && s.capabilities.progress_events;
  std::size_t delivered = 0;
  while (s.next_taken < s.taken.size() && delivered < limits.max_events) {
    if (limits.time_budget.count() > 0 && delivered > 0 &&
        std::chrono::steady_clock::now() - started >= limits.time_budget)
      break;
    detail::ReadyEvent event = std::move(s.taken[s.next_taken++]);
    auto found = s.requests.find(event.outcome.id);
    if (found == s.requests.end()) continue;  // its final event is already out
    Request& request = found->second;

    if (!event.is_final) {
      const std::int64_t bytes = request.latest_bytes;
      if (!progress_wanted || request.cancelled || bytes <= request.delivered_bytes ||
          request.delivered_in == s.dispatch_count)
        continue;
      request.delivered_bytes = bytes;
      request.delivered_in = s.dispatch_count;
      const AsyncLoad load(detail::progress_map(event.outcome.id, request.url, bytes, request.latest_length));
      ++delivered;
      handler(load);
      continue;
    }

    if (request.cancelled && event.outcome.status != Status::cancelled) continue;  // the -3 follows
    AsyncLoad load(s.finish(request, event.outcome, std::move(event.response_headers)));
    s.requests.erase(found);
    ++delivered;
    handler(load);
    s.spent->take_from(load.map_);
  }
  // A throwing handler skips this: what was taken goes with the next dispatch(), or with the Http.
  if (!s.spent->empty()) s.backend->release(std::move(s.spent));
  return delivered;
}

bool Http::wait(std::chrono::milliseconds timeout) {
  State& s = *state_;
  if (s.next_taken < s.taken.size()) return true;
  if (!s.capabilities.blocking_wait) return s.events.maybe_ready();  // the browser cannot block
  return s.events.wait(timeout);
}

Capabilities Http::capabilities() const { return state_->capabilities; }
std::size_t Http::in_flight() const { return state_->requests.size(); }
const std::string& Http::last_error() const { return state_->last_error; }

}  // namespace asyncload
