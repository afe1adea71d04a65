// recording_backend.cpp — Options::record_har (recording_backend.hpp says what is recorded).
//
// Threads: start(), cancel() and the destructor run on the game thread; the sink wrapper and the
// Events wrapper run on the wrapped backend's thread. Each transfer's Capture has its own mutex:
// after a cancel the backend may still write into the sink (harmlessly) while the game thread
// closes the entry.
#include "recording_backend.hpp"

#include "har.hpp"

#include <asyncload/detail/text.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace asyncload::detail {
namespace {

using Clock = std::chrono::steady_clock;

// Milliseconds, to the microsecond (a HAR's unit; more digits would be noise).
double ms_between(Clock::time_point from, Clock::time_point to) {
  return static_cast<double>(std::chrono::duration_cast<std::chrono::microseconds>(to - from).count()) / 1000.0;
}

struct Capture {
  std::mutex mutex;
  har::Entry entry;
  Clock::time_point started;
  bool begun = false;
  bool finished = false;
  std::size_t body_limit = 0;  // 0 = none

  // The one end of the entry (an outcome, a cancel, the Http gone); later ones are ignored.
  void finish(Clock::time_point now) {
    finished = true;
    entry.time_ms = ms_between(started, now);
    if (begun) {
      entry.receive_ms = std::max(0.0, std::round((entry.time_ms - entry.wait_ms) * 1000) / 1000);
    } else if (entry.http_status > 0) {  // a response without body bytes: its head came last
      entry.wait_ms = entry.time_ms;
      entry.receive_ms = 0;
    }
  }
};

// Transfer::sink, seen on the way.
class RecordingSink final : public BodySink {
public:
  RecordingSink(std::shared_ptr<BodySink> inner, std::shared_ptr<Capture> capture)
      : inner_(std::move(inner)), capture_(std::move(capture)) {}

  void begin(long http_status, std::int64_t content_length, const Headers& headers) override {
    {
      std::lock_guard lock(capture_->mutex);
      Capture& c = *capture_;
      if (!c.finished) {
        if (!c.begun) c.entry.wait_ms = ms_between(c.started, Clock::now());
        c.begun = true;
        c.entry.body.clear();  // a redirect's body, or a piece started over
        c.entry.body_omitted = false;
        c.entry.http_status = http_status;
        c.entry.content_length = content_length;
      }
    }
    inner_->begin(http_status, content_length, headers);
  }
  Status write(std::string_view bytes) override {
    {
      std::lock_guard lock(capture_->mutex);
      Capture& c = *capture_;
      if (!c.finished && !c.entry.body_omitted) {
        if (c.body_limit > 0 && c.entry.body.size() + bytes.size() > c.body_limit) {
          c.entry.body_omitted = true;
          std::string().swap(c.entry.body);
        } else {
          c.entry.body.append(bytes);
        }
      }
    }
    return inner_->write(bytes);
  }
  std::string failure() const override { return inner_->failure(); }

private:
  std::shared_ptr<BodySink> inner_;
  std::shared_ptr<Capture> capture_;
};

class RecordingBackend final : public Backend, private Events {
public:
  RecordingBackend(std::unique_ptr<Backend> inner, const Options& options)
      : inner_(std::move(inner)), path_(options.record_har), body_limit_(options.record_max_body_bytes) {
    secret_headers_ = {"Authorization", "Cookie", "Set-Cookie", "Proxy-Authorization"};
    secret_headers_.insert(secret_headers_.end(), options.redact_headers.begin(), options.redact_headers.end());
  }

  ~RecordingBackend() override {
    inner_.reset();  // stops every transfer: no Events call after this
    har::Log log;
    log.entries.reserve(captures_.size());
    const auto now = Clock::now();
    for (auto& capture : captures_) {
      std::lock_guard lock(capture->mutex);
      if (!capture->finished) {
        capture->entry.status = Status::cancelled;
        capture->entry.error = "the Http was destroyed before the transfer ended";
        capture->finish(now);
      }
      log.entries.push_back(redacted(std::move(capture->entry)));
    }
    (void)har::write_file(path_, log);  // see the header: nobody to tell
  }

  void bind(Events& events, const BackendSettings& settings) override {
    core_ = &events;
    inner_->bind(*this, settings);
  }
  Capabilities capabilities() const override { return inner_->capabilities(); }
  std::string refusal(const Transfer& transfer) const override { return inner_->refusal(transfer); }
  void release(std::unique_ptr<Spent> spent) override { inner_->release(std::move(spent)); }
  void frame() override { inner_->frame(); }
  bool reports_in_frames() const override { return inner_->reports_in_frames(); }
  bool files_ready() const override { return inner_->files_ready(); }
  bool persist(RequestId id, const std::string& path) override { return inner_->persist(id, path); }

  void start(Transfer transfer) override {
    auto capture = std::make_shared<Capture>();
    capture->started = Clock::now();
    capture->body_limit = body_limit_;
    har::Entry& e = capture->entry;
    e.started = har::iso8601(std::chrono::system_clock::now());
    e.method = transfer.method;
    e.url = transfer.url;
    e.request_headers = transfer.headers;
    e.request_body = transfer.body;
    {
      std::lock_guard lock(mutex_);
      live_[transfer.id] = capture;  // a resumed download started over replaces its first try
    }
    captures_.push_back(capture);
    transfer.sink = std::make_shared<RecordingSink>(std::move(transfer.sink), std::move(capture));
    inner_->start(std::move(transfer));
  }

  void cancel(RequestId id) override {
    inner_->cancel(id);
    if (auto capture = take_live(id)) {
      std::lock_guard lock(capture->mutex);
      if (!capture->finished) {
        capture->entry.status = Status::cancelled;
        capture->entry.error = "cancelled by http_cancel";
        capture->finish(Clock::now());
      }
    }
  }

private:
  // ---- Events, from the wrapped backend's thread ----
  void progress(RequestId id, std::int64_t size_downloaded, std::int64_t content_length) override {
    core_->progress(id, size_downloaded, content_length);
  }
  void report_final(Outcome outcome) override {
    if (auto capture = take_live(outcome.id)) {
      std::lock_guard lock(capture->mutex);
      if (!capture->finished) {
        har::Entry& e = capture->entry;
        e.status = outcome.status;
        e.error = outcome.status == Status::complete ? std::string() : outcome.error;
        e.http_status = outcome.http_status;
        e.response_headers = outcome.response_headers;
        e.content_length = outcome.content_length;
        e.body_size = outcome.size_downloaded;
        capture->finish(Clock::now());
      }
    }
    core_->report_final(std::move(outcome));
  }
  void persisted(RequestId id, std::string error) override { core_->persisted(id, std::move(error)); }

  std::shared_ptr<Capture> take_live(RequestId id) {
    std::lock_guard lock(mutex_);
    auto found = live_.find(id);
    if (found == live_.end()) return nullptr;
    auto capture = std::move(found->second);
    live_.erase(found);
    return capture;
  }

  bool secret(std::string_view name) const {
    for (const auto& each : secret_headers_)
      if (iequals(each, name)) return true;
    return false;
  }
  har::Entry redacted(har::Entry e) const {
    for (Headers* headers : {&e.request_headers, &e.response_headers})
      for (auto& [name, value] : *headers)
        if (secret(name)) value = "REDACTED";
    e.url = har::redact_url(e.url);
    return e;
  }

  std::unique_ptr<Backend> inner_;
  Events* core_ = nullptr;
  std::string path_;
  std::size_t body_limit_;
  std::vector<std::string> secret_headers_;
  std::vector<std::shared_ptr<Capture>> captures_;  // game thread only: every entry, in start order
  std::mutex mutex_;                                // guards live_
  std::unordered_map<RequestId, std::shared_ptr<Capture>> live_;
};

}  // namespace

std::unique_ptr<Backend> make_recording_backend(std::unique_ptr<Backend> inner, const Options& resolved) {
  return std::make_unique<RecordingBackend>(std::move(inner), resolved);
}

}  // namespace asyncload::detail
