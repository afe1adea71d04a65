// tests/support/scripted_backend.hpp — a backend whose transfers end when the test says so.
// It lets the unit, fault and benchmark programs drive asyncload deterministically without a
// network:
//
//   auto backend = std::make_unique<asyncload::ScriptedBackend>();
//   auto* script = backend.get();
//   asyncload::Http http(std::move(backend));
//   auto id = http.http_get("http://example.test/");
//   script->respond(id, 200, "hello");          // body and final outcome, queued at once
//   http.dispatch(handler);                      // delivers {status 0, http_status 200, "hello"}
//
// Everything happens on the calling thread.
#pragma once

#include <asyncload/backend.hpp>

#include <algorithm>
#include <map>
#include <vector>

namespace asyncload {

class ScriptedBackend final : public Backend {
public:
  explicit ScriptedBackend(Capabilities capabilities = all_capabilities()) : capabilities_(std::move(capabilities)) {}

  static Capabilities all_capabilities() {
    return {
        .backend = "scripted",
        .progress_events = true,
        .response_headers = true,
        .cancel = true,
        .connect_timeout = true,
        .stall_timeout = true,
        .total_timeout = true,
        .file_download = true,
        .crossorigin = false,
        .redirect_limit = true,
        .relative_urls = false,
        .blocking_wait = true,
        .connections_per_host = 0,
        .resume_downloads = true,
        .persistent_files = true,
    };
  }

  void bind(Events& events, const BackendSettings& settings) override {
    events_ = &events;
    settings_ = settings;
  }
  Capabilities capabilities() const override { return capabilities_; }
  void start(Transfer transfer) override {
    started_.push_back(transfer.id);
    running_.emplace(transfer.id, std::move(transfer));
  }
  void cancel(RequestId id) override {
    cancelled_.push_back(id);
    running_.erase(id);
  }
  void release(std::unique_ptr<Spent> spent) override {  // freed here, counted
    ++releases_;
    released_bytes_ += spent->bytes;
  }
  bool files_ready() const override { return files_ready_; }
  // Like the browser: a file committed under BackendSettings::persistent_root waits for store().
  bool persist(RequestId id, const std::string& path) override {
    const std::string& root = settings_.persistent_root;
    if (root.empty() || !path.starts_with(root)) return false;
    persisting_.push_back(id);
    return true;
  }

  // ---- the script ----
  bool running(RequestId id) const { return running_.count(id) != 0; }
  const Transfer& transfer(RequestId id) const { return running_.at(id); }
  const std::vector<RequestId>& started() const { return started_; }
  const std::vector<RequestId>& cancelled() const { return cancelled_; }
  const std::vector<RequestId>& persisting() const { return persisting_; }  // persist() said true
  void set_files_ready(bool ready) { files_ready_ = ready; }
  // Reports a persisting file stored ("") or not (why).
  void store(RequestId id, std::string error = {}) { events_->persisted(id, std::move(error)); }
  const BackendSettings& settings() const { return settings_; }
  std::size_t releases() const { return releases_; }  // release() calls so far
  std::size_t released_bytes() const { return released_bytes_; }  // their Spent::bytes

  // Writes body bytes as a real backend would and reports progress.
  // `headers` reach the sink with its begin() (the first bytes of a transfer).
  Status receive(RequestId id, std::string_view bytes, long http_status = 200, std::int64_t content_length = -1,
                 const Headers& headers = {}) {
    Progress& p = progress_[id];
    Transfer& t = running_.at(id);
    if (!p.begun) {
      t.sink->begin(http_status, content_length, headers);
      p.begun = true;
    }
    p.bytes += static_cast<std::int64_t>(bytes.size());
    p.content_length = content_length;
    const Status written = t.sink->write(bytes);
    if (t.report_progress) events_->progress(id, p.bytes, content_length);
    return written;
  }

  // Ends a transfer: status 0 with the given HTTP status and body, or a failure.
  void respond(RequestId id, long http_status, std::string_view body = {}, Headers headers = {}) {
    Outcome outcome;
    outcome.id = id;
    outcome.http_status = http_status;
    outcome.response_headers = std::move(headers);
    if (!body.empty()) {
      if (Status written = receive(id, body, http_status, static_cast<std::int64_t>(body.size()), headers);
          written != Status::complete) {
        outcome.status = written;
        outcome.error = running_.at(id).sink->failure();
      }
    }
    outcome.content_length = progress_[id].begun ? progress_[id].content_length : -1;
    outcome.size_downloaded = progress_[id].bytes;
    report_final(std::move(outcome));
  }
  void fail(RequestId id, Status status, std::string error) {
    Outcome outcome;
    outcome.id = id;
    outcome.status = status;
    outcome.error = std::move(error);
    outcome.size_downloaded = progress_[id].bytes;
    report_final(std::move(outcome));
  }

private:
  struct Progress {
    bool begun = false;
    std::int64_t bytes = 0;
    std::int64_t content_length = -1;
  };
  void report_final(Outcome outcome) {
    running_.erase(outcome.id);
    progress_.erase(outcome.id);
    events_->report_final(std::move(outcome));
  }

  Capabilities capabilities_;
  Events* events_ = nullptr;
  BackendSettings settings_;
  std::map<RequestId, Transfer> running_;
  std::map<RequestId, Progress> progress_;
  std::vector<RequestId> started_;
  std::vector<RequestId> cancelled_;
  std::vector<RequestId> persisting_;
  bool files_ready_ = true;
  std::size_t releases_ = 0;
  std::size_t released_bytes_ = 0;
};

}  // namespace asyncload
