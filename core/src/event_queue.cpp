#include "event_queue.hpp"

#include "async_load.hpp"

namespace asyncload::detail {

void EventQueue::progress(RequestId id, std::int64_t size_downloaded, std::int64_t content_length) {
  std::lock_guard lock(mutex_);
  if (auto slot = waiting_progress_.find(id); slot != waiting_progress_.end()) {
    Outcome& waiting = queue_[slot->second].outcome;
    waiting.size_downloaded = size_downloaded;
    waiting.content_length = content_length;
    return;
  }
  ReadyEvent event;
  event.kind = ReadyEvent::Kind::progress;
  event.outcome.id = id;
  event.outcome.status = Status::downloading;
  event.outcome.size_downloaded = size_downloaded;
  event.outcome.content_length = content_length;
  // The slot is recorded once the event is in the queue: if queueing runs out of memory, no
  // slot may point past the queue's end (found by torture mode).
  const std::size_t slot = queue_.size();
  push_locked(std::move(event));
  waiting_progress_.emplace(id, slot);
}

void EventQueue::report_final(Outcome outcome) { push_final(ReadyEvent::Kind::outcome, std::move(outcome)); }

void EventQueue::persisted(RequestId id, std::string error) {
  Outcome outcome;
  outcome.id = id;
  outcome.error = std::move(error);
  push_final(ReadyEvent::Kind::persisted, std::move(outcome));
}

void EventQueue::queue_cancelled(Outcome outcome) { push_final(ReadyEvent::Kind::cancelled, std::move(outcome)); }

void EventQueue::push_final(ReadyEvent::Kind kind, Outcome outcome) {
  // On the calling (backend) thread and outside the lock: the headers object is the costliest
  // part of a final async_load map, and the game thread's frame need not pay for it.
  boost::json::object headers = header_object(outcome.response_headers);
  Headers().swap(outcome.response_headers);
  std::lock_guard lock(mutex_);
  // A later progress report for this id (there should be none) must not jump ahead of the
  // final event, so forget its slot.
  waiting_progress_.erase(outcome.id);
  push_locked(ReadyEvent{kind, std::move(outcome), std::move(headers)});
}

void EventQueue::push_locked(ReadyEvent event) {
  queue_.push_back(std::move(event));
  if (!ready_.exchange(true, std::memory_order_release)) became_ready_.notify_all();
}

void EventQueue::take_all(std::vector<ReadyEvent>& out) {
  std::lock_guard lock(mutex_);
  if (out.empty()) {
    out.swap(queue_);
  } else {
    for (auto& event : queue_) out.push_back(std::move(event));
    queue_.clear();
  }
  waiting_progress_.clear();
  ready_.store(false, std::memory_order_release);
}

bool EventQueue::wait(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return became_ready_.wait_for(lock, timeout, [this] { return !queue_.empty(); });
}

}  // namespace asyncload::detail
