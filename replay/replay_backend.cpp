// replay_backend.cpp — make_replay_backend (<asyncload/replay.hpp> is the manual).
//
// Everything runs on the game thread: start() and cancel() inside the game's calls, the clock in
// frame(), which the core calls at the start of every dispatch(). A request is matched to its
// entry when it is called (so identical requests take entries in call order) and planned then:
// what it will end with is decided by the entry and the request's limits, and frame() only plays
// the plan out, so nothing depends on the wall clock.
#include <asyncload/replay.hpp>

#include "har.hpp"

#include <asyncload/detail/profiles.hpp>
#include <asyncload/detail/text.hpp>

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include <algorithm>
#include <deque>
#include <map>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace asyncload {
namespace {

using detail::iequals;

// Longer text is cut in error messages (the core escapes what is left).
std::string shortened(std::string_view text, std::size_t max = 160) {
  if (text.size() <= max) return std::string(text);
  return std::string(text.substr(0, max)) + "...";
}

// Levenshtein distance over the first 256 bytes of each: enough to rank "closest" entries.
std::size_t distance(std::string_view a, std::string_view b) {
  a = a.substr(0, 256);
  b = b.substr(0, 256);
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// scheme://host:port of an absolute URL, lower-case; "" for a relative one.
std::string origin_of(std::string_view url) {
  const detail::UrlAuthority a = detail::find_authority(url);
  if (a.begin == 0) return {};
  return detail::to_lower(url.substr(0, a.begin)) + detail::to_lower(url.substr(a.host_begin, a.end - a.host_begin));
}

// What one request will end with, decided at the call.
struct Plan {
  int entry = -1;            // the entry served; -1: none matched
  Status status = Status::complete;
  std::string error;         // on a failure
  bool serve_body = false;   // the entry's body goes through the sink (a recorded response)
};

struct Job {
  Transfer transfer;
  Plan plan;
  std::string origin;
  bool running = false;
  std::uint64_t started_frame = 0;
  int parts_written = 0;     // of the body, in progress frames
  bool begun = false;        // sink->begin() called
  Status sink_status = Status::complete;  // a write the sink refused ends the job with this
};

class ReplayBackend final : public Backend {
public:
  explicit ReplayBackend(const ReplayOptions& options) : options_(options) {
    if (options.profile != "native" && options.profile != "web")
      throw std::runtime_error("replay: profile '" + options.profile + "' is neither \"native\" nor \"web\"");
    web_ = options.profile == "web";
    options_.response_frames = std::max(options.response_frames, 1);
    options_.progress_frames = std::clamp(options.progress_frames, 0, options_.response_frames - 1);
    if (auto why = har::read_file(options.har, log_); !why.empty()) throw std::runtime_error("replay: " + why);
    used_.assign(log_.entries.size(), false);
    page_url_ = options.page_url;
    for (const auto& entry : log_.entries) {
      if (!page_url_.empty()) break;
      if (auto origin = origin_of(entry.url); !origin.empty()) page_url_ = origin + "/";
    }
    keys_.reserve(log_.entries.size());
    for (const auto& entry : log_.entries) keys_.push_back(url_key(entry.url));
  }

  void bind(Events& events, const BackendSettings& settings) override {
    events_ = &events;
    max_running_ = settings.max_connections;
    capabilities_ = web_ ? detail::emscripten_fetch_capabilities(settings.web_piece_bytes, !settings.persistent_root.empty()) : detail::curl_capabilities();
    capabilities_.backend = "replay:" + capabilities_.backend;
  }
  Capabilities capabilities() const override { return capabilities_; }
  std::string refusal(const Transfer& transfer) const override {
    return web_ ? detail::browser_refusal(transfer) : std::string();
  }
  bool reports_in_frames() const override { return true; }

  void start(Transfer transfer) override {
    const RequestId id = transfer.id;
    Job job;
    job.plan = plan(transfer);
    job.origin = origin_of(resolved(transfer.url));
    job.transfer = std::move(transfer);
    jobs_[id] = std::move(job);
    waiting_.push_back(id);
    launch_waiting();
  }

  void cancel(RequestId id) override {
    auto found = jobs_.find(id);
    if (found == jobs_.end()) return;
    if (found->second.running) release_slot(found->second);
    else waiting_.erase(std::remove(waiting_.begin(), waiting_.end(), id), waiting_.end());
    jobs_.erase(found);
    launch_waiting();
  }

  void frame() override {
    ++frame_;
    std::vector<RequestId> ids;  // running, in call order (ids grow with calls)
    for (const auto& [id, job] : jobs_)
      if (job.running) ids.push_back(id);
    for (RequestId id : ids) advance(id);
    launch_waiting();
  }

private:
  // ---- matching ----

  // A URL as compared: relative ones resolved against the page (web), ignored query parameters
  // left out, the userinfo redacted as the recording stores it.
  std::string resolved(std::string_view url) const {
    if (!origin_of(url).empty() || page_url_.empty()) return std::string(url);
    auto base = boost::urls::parse_uri(page_url_);
    auto reference = boost::urls::parse_uri_reference(url);
    if (!base || !reference) return std::string(url);
    boost::urls::url out;
    if (!boost::urls::resolve(*base, *reference, out)) return std::string(url);
    return std::string(out.buffer());
  }
  std::string url_key(std::string_view url) const {
    std::string key = har::redact_url(resolved(url));
    if (options_.ignore_query.empty()) return key;
    auto parsed = boost::urls::parse_uri_reference(key);
    if (!parsed) return key;
    boost::urls::url edited(*parsed);
    for (const auto& name : options_.ignore_query) edited.params().erase(name);
    if (edited.params().empty()) edited.remove_query();
    return std::string(edited.buffer());
  }

  bool body_matches(const Transfer& t, const har::Entry& e) const { return !options_.match_body || t.body == e.request_body; }

  Plan plan(const Transfer& t) {
    const std::string key = url_key(t.url);
    for (std::size_t i = 0; i < log_.entries.size(); ++i) {
      const har::Entry& e = log_.entries[i];
      if (used_[i] || e.method != t.method || keys_[i] != key || !body_matches(t, e)) continue;
      used_[i] = true;
      return plan_for(static_cast<int>(i), e, t);
    }
    return Plan{.status = Status::network_error, .error = unmatched(t, key)};
  }

  std::string unmatched(const Transfer& t, const std::string& key) const {
    std::string why = "replay: no recorded entry left for " + t.method + " " + shortened(key);
    if (log_.entries.empty()) return why + " (the recording has no entries)";
    std::size_t same = 0;
    for (std::size_t i = 0; i < log_.entries.size(); ++i)
      if (log_.entries[i].method == t.method && keys_[i] == key && body_matches(t, log_.entries[i])) ++same;
    if (same > 0)
      return why + ": its " + std::to_string(same) + " recorded entr" + (same == 1 ? "y was" : "ies were") +
             " served already (identical requests take them in recorded order)";
    std::size_t best = 0, best_distance = SIZE_MAX;
    for (std::size_t i = 0; i < log_.entries.size(); ++i) {
      const har::Entry& e = log_.entries[i];
      const std::size_t d = distance(t.method + " " + key, e.method + " " + keys_[i]);
      if (d < best_distance) {
        best = i;
        best_distance = d;
      }
    }
    const har::Entry& e = log_.entries[best];
    std::string differs;
    if (e.method != t.method) differs = "the method";
    if (keys_[best] != key) differs += std::string(differs.empty() ? "" : " and ") + "the URL";
    if (differs.empty()) differs = "the request body";
    return why + "; closest: entry " + std::to_string(best) + ", " + e.method + " " + shortened(keys_[best]) +
           " (" + differs + " differs)";
  }

  static std::string ms_text(double ms) { return std::to_string(static_cast<long long>(ms)); }

  Plan plan_for(int index, const har::Entry& e, const Transfer& t) const {
    Plan p;
    p.entry = index;
    const std::string which = "recorded entry " + std::to_string(index);
    if (t.total_timeout.count() > 0 && e.time_ms > static_cast<double>(t.total_timeout.count())) {
      p.status = Status::timeout;
      p.error = "total timeout after " + std::to_string(t.total_timeout.count()) + " ms (replay: " + which +
                " took " + ms_text(e.time_ms) + " ms)";
    } else if (const double wait = e.wait_ms >= 0 ? e.wait_ms : e.time_ms;
               t.stall_timeout.count() > 0 && e.status != Status::timeout && wait > static_cast<double>(t.stall_timeout.count())) {
      p.status = Status::timeout;
      p.error = "stall timeout: no byte for " + std::to_string(t.stall_timeout.count()) + " ms (replay: " + which +
                " waited " + ms_text(wait) + " ms for its response)";
    } else if (e.status == Status::cancelled) {
      p.status = Status::network_error;
      p.error = "replay: " + which + " holds no response (" + e.error + ")";
    } else if (e.status != Status::complete) {
      p.status = e.status;
      p.error = e.error;
    } else if (e.body_omitted) {
      p.status = Status::network_error;
      p.error = "replay: " + which + " holds no body (over the recording's record_max_body_bytes)";
    } else {
      p.serve_body = true;
    }
    return p;
  }

  // ---- time ----

  std::size_t origin_limit() const { return web_ ? detail::browser_connections_per_origin : 0; }

  void launch_waiting() {
    for (auto it = waiting_.begin(); it != waiting_.end() && running_ < max_running_;) {
      Job& job = jobs_.at(*it);
      std::size_t& on_origin = per_origin_[job.origin];
      if (origin_limit() > 0 && on_origin >= origin_limit()) {
        ++it;
        continue;
      }
      ++on_origin;
      ++running_;
      job.running = true;
      job.started_frame = frame_;
      it = waiting_.erase(it);
    }
  }

  void release_slot(const Job& job) {
    --running_;
    if (auto found = per_origin_.find(job.origin); found != per_origin_.end() && --found->second == 0)
      per_origin_.erase(found);
  }

  // One frame of a running job: a part of its body (progress frames), or its end.
  void advance(RequestId id) {
    Job& job = jobs_.at(id);
    const auto elapsed = static_cast<int>(frame_ - job.started_frame);
    const int first_part_frame = options_.response_frames - options_.progress_frames;
    if (elapsed < options_.response_frames) {
      if (job.plan.serve_body && elapsed >= first_part_frame) write_parts(job, elapsed - first_part_frame + 1);
      return;
    }
    if (job.plan.serve_body) write_parts(job, std::max(options_.progress_frames, 1));
    Outcome outcome = outcome_of(id, job);
    release_slot(job);
    jobs_.erase(id);
    events_->report_final(std::move(outcome));
  }

  // Writes the body up to part `upto` of the progress frames (the whole of it at the last).
  void write_parts(Job& job, int upto) {
    if (job.sink_status != Status::complete || upto <= job.parts_written) return;
    const har::Entry& e = log_.entries[static_cast<std::size_t>(job.plan.entry)];
    const int parts = std::max(options_.progress_frames, 1);
    if (!job.begun) {
      job.transfer.sink->begin(e.http_status, e.content_length, e.response_headers);
      job.begun = true;
    }
    auto share = [&](std::size_t total, int part) { return total * static_cast<std::size_t>(part) / static_cast<std::size_t>(parts); };
    const std::size_t from = share(e.body.size(), job.parts_written), to = share(e.body.size(), upto);
    job.parts_written = upto;
    if (to > from) {
      const Status written = job.transfer.sink->write(std::string_view(e.body).substr(from, to - from));
      if (written != Status::complete) {
        job.sink_status = written;
        return;
      }
    }
    const auto sent = static_cast<std::int64_t>(share(static_cast<std::size_t>(std::max<std::int64_t>(e.body_size, 0)), upto));
    // With progress_frames 0 the body comes with the final event, as one packet: no progress.
    if (options_.progress_frames > 0 && job.transfer.report_progress && sent > 0)
      events_->progress(job.transfer.id, sent, e.content_length);
  }

  Outcome outcome_of(RequestId id, const Job& job) const {
    Outcome o;
    o.id = id;
    o.status = job.plan.status;
    o.error = job.plan.error;
    if (job.plan.entry < 0 || job.plan.status == Status::timeout) return o;
    const har::Entry& e = log_.entries[static_cast<std::size_t>(job.plan.entry)];
    if (job.plan.status == Status::network_error && !job.plan.serve_body && e.status == Status::complete) return o;
    if (e.status == Status::cancelled) return o;
    o.http_status = e.http_status;
    o.response_headers = e.response_headers;
    o.content_length = e.content_length;
    o.size_downloaded = e.body_size;
    if (job.sink_status != Status::complete) {
      o.status = job.sink_status;
      o.error = job.transfer.sink->failure();
    }
    return o;
  }

  ReplayOptions options_;
  bool web_ = false;
  har::Log log_;
  std::vector<bool> used_;
  std::vector<std::string> keys_;  // url_key of each entry
  std::string page_url_;
  Capabilities capabilities_;
  Events* events_ = nullptr;
  std::size_t max_running_ = 64;
  std::uint64_t frame_ = 0;
  std::map<RequestId, Job> jobs_;
  std::deque<RequestId> waiting_;
  std::size_t running_ = 0;
  std::unordered_map<std::string, std::size_t> per_origin_;
};

}  // namespace

std::unique_ptr<Backend> make_replay_backend(const ReplayOptions& options) {
  return std::make_unique<ReplayBackend>(options);
}

}  // namespace asyncload
