// The ready queue between the backend's thread and the game thread.
//
// Backend side (any one thread): progress() and report_final() append in the order things
// happen. A request's progress entry that is still waiting is updated in place rather than
// appended again, so the queue holds at most one per request however often the backend reports
// (what a progress event then says is Http's coalescing rule, core/src/http.cpp).
// Game side: take_all() moves everything at once; what arrives later waits for the next take.
#pragma once

#include <asyncload/backend.hpp>

#include <boost/json/object.hpp>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace asyncload::detail {

struct ReadyEvent {
  enum class Kind {
    progress,   // Events::progress: outcome has id, content_length and size_downloaded only
    outcome,    // Events::report_final: the backend's Outcome
    cancelled,  // queue_cancelled: http_cancel's -3
    superseded, // set by Http: an outcome it acted on itself (a resumed download started over)
    persisted,  // Events::persisted: outcome has id and, if storing failed, error
  };
  Kind kind = Kind::progress;
  Outcome outcome;
  // A final event's async_load "response_headers", built by push_final() on the backend's
  // thread so that the game thread's dispatch() only moves it into the map
  // (outcome.response_headers is then empty).
  boost::json::object response_headers;
};

class EventQueue final : public Events {
public:
  void progress(RequestId id, std::int64_t size_downloaded, std::int64_t content_length) override;
  void report_final(Outcome outcome) override;
  void persisted(RequestId id, std::string error) override;
  // Game thread: http_cancel's -3, behind whatever the backend reported before it.
  void queue_cancelled(Outcome outcome);

  // Game thread. Appends every ready event to `out`, in order (an empty `out` is swapped in, so
  // the lock is held for no copying).
  void take_all(std::vector<ReadyEvent>& out);
  // Cheap check for the per-frame fast path: may be stale, never wrong for long.
  bool maybe_ready() const { return ready_.load(std::memory_order_acquire); }
  // Blocks until something is ready or `timeout` passed.
  bool wait(std::chrono::milliseconds timeout);

private:
  void push_final(ReadyEvent::Kind kind, Outcome outcome);
  void push_locked(ReadyEvent event);

  std::mutex mutex_;
  std::condition_variable became_ready_;
  std::vector<ReadyEvent> queue_;
  std::unordered_map<RequestId, std::size_t> waiting_progress_;  // id -> index in queue_
  std::atomic<bool> ready_{false};
};

}  // namespace asyncload::detail
