// native/curl_backend.cpp — the native Backend: one libcurl multi handle on one I/O thread, and
// the scheduler that feeds it. What a single transfer does is in native/curl_transfer.cpp.
//
// Threads
//   Game thread: the constructor, bind(), capabilities(), start(), cancel(), release() and the
//   destructor. start(), cancel() and release() only append to the command queue under
//   queue_mutex_ and call curl_multi_wakeup(), the one multi call libcurl allows from another
//   thread. The destructor touches the I/O thread's state only after joining it.
//   I/O thread (run()): everything else. It owns the multi, every easy handle, every
//   CurlTransfer, the waiting FIFO and the idle-handle free list, and it makes every Events call:
//   progress() from the transfers' callbacks, report_final() after curl_multi_info_read() or a stall.
//
// Scheduling
//   The I/O thread turns each started Transfer into a CurlTransfer (state waiting, see the state
//   table in curl_transfer.hpp) at the back of a FIFO. While fewer than max_connections run, the
//   front one gets an easy handle (an idle one reused when there is one) and enters the multi.
//   A transfer that curl reports done, or that stalled, leaves the multi, its handle goes back
//   to the free list and Events::report_final() is called exactly once. A cancelled one leaves the
//   FIFO or the multi silently (the core reports -3). On destruction every running transfer
//   leaves without any Events call.
//
// The loop never sleeps: it blocks in curl_multi_poll() until a socket is ready, curl's own
// timer fires, the earliest stall deadline passes, or a command or ~CurlBackend() wakes it
// (on Windows, while a request body is being sent, at most sending_poll_ms).
// Each time it wakes, bytes waiting on a stall-watched transfer's socket count as activity
// before curl reads them (socket_activity.hpp): a stall is no byte, not no complete line.
#include "curl_backend.hpp"

#include "curl_transfer.hpp"
#include "socket_activity.hpp"

#include <asyncload/detail/fault_injection.hpp>
#include <asyncload/detail/profiles.hpp>

#include <curl/curl.h>

#include <algorithm>
#include <cassert>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <new>
#include <stdexcept>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

namespace asyncload {
namespace {

using native::Clock;
using native::CurlTransfer;
using State = CurlTransfer::State;
using fault::Call;
using fault::fail_point;

// Only an upper bound for an idle wait: wakeups, socket activity and curl's timers come first.
constexpr int idle_poll_ms = 60 * 60 * 1000;
// Windows: the longest wait while a request body is being sent. Curl 7.88 waits for a full
// socket to drain on its FD_WRITE event, which Wine (8.0, Debian 12) never signals again: an
// upload to a server that paused reading hung for good (conformance 10 "a large upload goes
// on..."). At most 50 extra wakeups a second, only while a body goes out, bound a lost event.
#if defined(_WIN32)
constexpr int sending_poll_ms = 20;
#endif
// How often at most a transfer's socket is asked for waiting bytes (note_waiting_bytes): the
// stall clock may run this much fast, and a busy loop makes no syscall per transfer per wakeup.
constexpr auto stall_clock_resolution = std::chrono::milliseconds(10);

void init_curl_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
      throw std::runtime_error("curl_global_init failed");
  });
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
      wake_io_thread();
      io_thread_.join();
    }
    // The I/O thread is gone: its state is ours now.
    while (!running_.empty()) remove_silently(*running_.back());
    transfers_.clear();
    for (CURL* easy : idle_handles_) discard_handle(easy);
    curl_multi_cleanup(multi_);
    curl_share_cleanup(cookies_);
  }

  void bind(Events& events, const BackendSettings& settings) override {
    if (io_thread_.joinable()) throw std::logic_error("CurlBackend::bind called twice");
    events_ = &events;
    settings_ = settings;
    default_headers_ = std::make_unique<native::DefaultRequestHeaders>(settings_.user_agent);
    max_running_ = settings.max_connections;  // >= 1, resolved by the core
    // Every handle is running or idle: with room for all of them, moving a transfer or a
    // handle between the two never allocates, so the I/O thread's clean-up cannot fail.
    running_.reserve(max_running_);
    idle_handles_.reserve(max_running_);
    io_thread_ = std::thread([this] { run(); });
  }

  Capabilities capabilities() const override { return detail::curl_capabilities(); }  // platform/

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
    if (wake) wake_io_thread();
  }

  // curl_multi_wakeup(), the one multi call the game thread makes. A lost wakeup would leave a
  // command (or the destructor's stop) unseen until the hour-long idle poll ends, so a failed
  // one is tried again: it writes to a socket pair, whose failures are transient.
  void wake_io_thread() {
    for (int attempt = 0; attempt < 3; ++attempt)
      if (!fail_point(Call::multi_wakeup) && curl_multi_wakeup(multi_) == CURLM_OK) return;
  }

  // --- I/O thread ------------------------------------------------------------------------

  void run() {
    const fault::IoPath io_path;  // torture mode: this thread's allocations are fallible calls
    std::vector<Transfer> starts;
    std::vector<RequestId> cancels;
    std::vector<std::unique_ptr<Spent>> releases;
    int poll_timeout_ms = 0;
    while (take_commands(starts, cancels, releases)) {
      // Starts before cancels: ids are unique, so a cancel can only concern a start queued
      // before it, never one queued after.
      for (Transfer& transfer : starts) for_transfer(transfer.id, [&] { enqueue(std::move(transfer)); });
      for (RequestId id : cancels) drop_cancelled(id);
      starts.clear();  // keeps the capacity for the next swap
      cancels.clear();

      launch_waiting();
      note_waiting_bytes();
      int running = 0;
      if (!fail_point(Call::multi_perform)) curl_multi_perform(multi_, &running);
      report_completed();
      poll_timeout_ms = report_stalled();
#if defined(_WIN32)
      if (std::any_of(running_.begin(), running_.end(), [](auto* job) { return job->sending_body(); }))
        poll_timeout_ms = std::min(poll_timeout_ms, sending_poll_ms);
#endif
      // Slots freed just now go to waiting transfers at once. Curl gives a newly added handle
      // a zero timeout, so the poll below returns immediately to drive it.
      launch_waiting();
      releases.clear();  // after the network work above: freeing a big body takes a while
      if (!fail_point(Call::multi_poll)) curl_multi_poll(multi_, nullptr, 0, poll_timeout_ms, nullptr);
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

  // (queued) -> waiting: at the back of the FIFO.
  void enqueue(Transfer transfer) {
    const RequestId id = transfer.id;
    auto job = std::make_unique<CurlTransfer>(std::move(transfer), *events_);
    if (!transfers_.try_emplace(id, std::move(job)).second) {
      // The core never reuses a live id; refuse rather than confuse two transfers.
      report(CurlTransfer::refused_outcome(id, "request id already in flight"));
      return;
    }
    waiting_.push_back(id);
  }

  // A cancel: the transfer leaves the FIFO or the multi without a report (the core reports -3).
  void drop_cancelled(RequestId id) {
    const auto found = transfers_.find(id);
    if (found == transfers_.end()) return;  // already ended: the core ignores the late report
    if (found->second->state() != State::waiting) remove_silently(*found->second);
    else transfers_.erase(found);  // its id stays in waiting_, to be skipped
  }

  // waiting -> in_flight, from the front of the FIFO, while slots are free.
  void launch_waiting() {
    while (running_.size() < max_running_ && !waiting_.empty()) {
      const RequestId id = waiting_.front();
      waiting_.pop_front();
      const auto found = transfers_.find(id);
      // Not found: cancelled while waiting. Not waiting: cancelled, started again under the
      // same id, and launched already from its later place in the FIFO.
      if (found == transfers_.end() || found->second->state() != State::waiting) continue;
      for_transfer(id, [&] { launch(*found->second); });
    }
  }

  void launch(CurlTransfer& job) {
    CURL* easy = take_idle_handle();
    CURLcode setup = easy ? job.configure(easy, *default_headers_) : CURLE_OUT_OF_MEMORY;
    if (setup == CURLE_OK) setup = job.watches_stall() ? sockets_.watch(easy, &job) : native::SocketActivity::unwatch(easy);
    const CURLMcode added = setup != CURLE_OK            ? CURLM_OK
                            : fail_point(Call::multi_add) ? CURLM_OUT_OF_MEMORY
                                                          : curl_multi_add_handle(multi_, easy);
    if (setup != CURLE_OK || added != CURLM_OK) {
      const RequestId id = job.id();
      sockets_.forget(&job);
      recycle_handle(job.detach_handle());
      transfers_.erase(id);  // destroys it
      report(CurlTransfer::refused_outcome(
          id, setup != CURLE_OK ? curl_easy_strerror(setup) : curl_multi_strerror(added)));
      return;
    }
    job.entered_multi();
    running_.push_back(&job);
    if (job.watches_stall()) ++running_with_stall_;
  }

  // After curl_multi_poll() returned, before curl_multi_perform() reads the sockets: bytes
  // waiting on a watched transfer's connection restart its stall clock, though curl may not
  // call back for them (a header line not yet complete, a TLS record not yet whole).
  void note_waiting_bytes() {
    if (running_with_stall_ == 0) return;
    const auto now = Clock::now();
    for (CurlTransfer* job : running_) {
      if (!job->watches_stall() || now - job->last_activity() < stall_clock_resolution) continue;
      if (sockets_.bytes_waiting(job)) job->saw_activity(now);
    }
  }

  // Reports every transfer that curl says is done.
  void report_completed() {
    int left = 0;
    while (CURLMsg* message = curl_multi_info_read(multi_, &left)) {
      if (message->msg != CURLMSG_DONE) continue;
      void* job = nullptr;
      curl_easy_getinfo(message->easy_handle, CURLINFO_PRIVATE, &job);
      const CURLcode result = message->data.result;  // now: removing the handle frees the message
      auto& done = *static_cast<CurlTransfer*>(job);
      for_transfer(done.id(), [&] { remove_and_report(done, done.outcome_of(result)); });
    }
  }

  // Reports every running transfer whose stall deadline passed; returns how long the next poll
  // may wait before the earliest remaining deadline (rounded up, so it never spins at 0 ms).
  int report_stalled() {
    if (running_with_stall_ == 0) return idle_poll_ms;
    const auto now = Clock::now();
    auto earliest = Clock::time_point::max();
    for (std::size_t i = 0; i < running_.size();) {
      CurlTransfer& job = *running_[i];
      if (!job.watches_stall()) {
        ++i;
        continue;
      }
      const auto deadline = job.stall_deadline();
      if (deadline > now) {
        earliest = std::min(earliest, deadline);
        ++i;
        continue;
      }
      // This moves the last running transfer into slot i: look at i again.
      for_transfer(job.id(), [&] { remove_and_report(job, job.stalled_outcome()); });
    }
    if (earliest == Clock::time_point::max()) return idle_poll_ms;
    const auto wait = std::chrono::ceil<std::chrono::milliseconds>(earliest - now).count();
    return static_cast<int>(std::clamp<std::int64_t>(wait, 1, idle_poll_ms));
  }

  // A running transfer leaves, then its final outcome (read while it still ran) is reported.
  void remove_and_report(CurlTransfer& job, Outcome outcome) {
    remove_silently(job);
    report(std::move(outcome));
  }

  // Events::report_final(). Torture mode fails none of the core's allocations in there:
  // queueing a final event cannot fail gracefully (the core would have to reserve its slot at
  // start()).
  void report(Outcome outcome) {
    const fault::IoPath::Suspend core_allocates;
    events_->report_final(std::move(outcome));
  }

  // Runs one transfer's step. Out of memory in there, that transfer ends with a final event
  // (whatever state the step left it in) and the loop goes on with the others.
  template <class Step>
  void for_transfer(RequestId id, Step&& step) {
    try {
      step();
    } catch (const std::bad_alloc&) {
      if (const auto found = transfers_.find(id); found != transfers_.end()) {
        CurlTransfer& job = *found->second;
        if (job.state() == State::waiting) {
          sockets_.forget(&job);
          recycle_handle(job.detach_handle());  // configure() may have taken one
          transfers_.erase(found);
        } else if (job.state() != State::leaving) {
          remove_silently(job);
        }
      }
      report(CurlTransfer::refused_outcome(id, "out of memory"));
    }
  }

  // in_flight or receiving_body -> leaving -> gone: the transfer leaves the multi, its handle
  // goes back to the free list and the transfer is destroyed, without any Events call.
  void remove_silently(CurlTransfer& job) {
    job.leave();  // removing can run the progress callback one last time
    // Tried twice: a handle the multi did not let go must not be reset and reused.
    bool removed = false;
    for (int attempt = 0; attempt < 2 && !removed; ++attempt)
      removed = !fail_point(Call::multi_remove) && curl_multi_remove_handle(multi_, job.handle()) == CURLM_OK;
    sockets_.forget(&job);
    // Swap-remove (running_ order does not matter), searched from the back: the destructor
    // removes the last one each time. running_ holds max_connections at the most.
    const auto slot = std::find(running_.rbegin(), running_.rend(), &job);
    assert(slot != running_.rend());
    *slot = running_.back();
    running_.pop_back();
    if (job.watches_stall()) --running_with_stall_;
    // Still in the multi: curl_easy_cleanup() takes it out (after two failed removes).
    if (removed) recycle_handle(job.detach_handle());
    else discard_handle(job.detach_handle());
    transfers_.erase(job.id());  // destroys it
  }

  // An idle handle, or a new one with the options all transfers share (prepare_handle).
  CURL* take_idle_handle() {
    if (idle_handles_.empty()) {
      CURL* easy = fail_point(Call::easy_init) ? nullptr : curl_easy_init();
      if (easy && (CurlTransfer::prepare_handle(easy, cookies_, settings_, *default_headers_) != CURLE_OK || sockets_.prepare(easy) != CURLE_OK)) {
        discard_handle(easy);
        return nullptr;
      }
      return easy;
    }
    CURL* easy = idle_handles_.back();
    idle_handles_.pop_back();
    return easy;
  }

  // Keeps a handle that is not (or no longer) in the multi for the next launch, as it is: the
  // next transfer's configure() sets every option a transfer sets. Connections live in the multi.
  void recycle_handle(CURL* easy) {
    if (easy) idle_handles_.push_back(easy);
  }

  void discard_handle(CURL* easy) {
    // libcurl 7.88 never frees the list CURLOPT_COOKIEFILE appended to if no transfer consumed
    // it (found by the asan preset); clearing the list frees it. The cookies live in the share.
    curl_easy_setopt(easy, CURLOPT_COOKIEFILE, static_cast<char*>(nullptr));
    curl_easy_cleanup(easy);
  }

  CURLM* multi_ = nullptr;
  CURLSH* cookies_ = nullptr;
  Events* events_ = nullptr;
  BackendSettings settings_;
  std::unique_ptr<native::DefaultRequestHeaders> default_headers_;  // from bind(), for every handle
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
  std::unordered_map<RequestId, std::unique_ptr<CurlTransfer>> transfers_;  // waiting and running
  std::deque<RequestId> waiting_;     // FIFO of ids, cancelled ones skipped
  std::vector<CurlTransfer*> running_;  // in the multi, at most max_running_
  std::size_t running_with_stall_ = 0;  // running transfers with a stall timeout
  std::vector<CURL*> idle_handles_;     // reset handles ready for reuse
  native::SocketActivity sockets_;      // the connections of transfers with a stall timeout
};

}  // namespace

std::unique_ptr<Backend> make_curl_backend() { return std::make_unique<CurlBackend>(); }

}  // namespace asyncload
