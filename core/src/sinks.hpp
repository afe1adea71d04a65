// The three places a response body can go: memory (http_get & co), a GameMaker buffer and a
// file (http_get_file). The backend's thread writes; the game thread reads only after the
// transfer's final event was queued (the queue's mutex orders the two).
#pragma once

#include <asyncload/backend.hpp>
#include <asyncload/detail/files.hpp>

#include "resume.hpp"

#include <boost/json/string.hpp>

#include <atomic>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>

namespace asyncload::detail {

// Keeps the body in memory, at most `keep_at_most` bytes of it (a fixed buffer's size), and
// fails with too_large past `limit` (Options::max_body_bytes, 0 = none). Its memory never grows
// past the smaller of the two.
class MemorySink final : public BodySink {
public:
  MemorySink(std::size_t limit, std::size_t keep_at_most);
  void begin(long http_status, std::int64_t content_length, const Headers& headers) override;
  Status write(std::string_view bytes) override;
  Status write_from(std::size_t bytes, const std::function<void(char* where)>& copy_into) override;
  std::string failure() const override { return failure_; }

  boost::json::string take_body() {
    held_.store(0, std::memory_order_relaxed);
    return std::move(body_);
  }
  std::string_view body() const { return body_; }
  std::size_t total_bytes() const { return total_; }  // may exceed what was kept
  std::size_t capacity() const { return body_.capacity(); }  // the memory the body holds
  // The same, from any thread: what freeing the sink gives back (a cancelled transfer's sink
  // may still be written by the backend when the game thread lets go of it).
  std::size_t memory_held() const { return held_.load(std::memory_order_relaxed); }

private:
  Status make_room(std::size_t bytes, std::size_t& keep);  // counts them; room for `keep` of them
  void grow_to(std::size_t capacity);  // exactly `capacity`, the body kept

  std::size_t limit_;
  std::size_t keep_at_most_;
  std::size_t most_held_;  // min(limit_, keep_at_most_): what the body may ever need
  boost::json::string body_;
  std::size_t total_ = 0;
  std::size_t announced_ = 0;  // the response's Content-Length, 0 when unknown
  std::atomic<std::size_t> held_{0};  // body_.capacity() once it left the inline buffer
  std::string failure_;
};

// A name for a temporary file beside a download's target: short and random
// (".asyncload-1F3A9C0E.part"), so that it fits beside any name the file system takes and no
// file an earlier run left behind can claim it for good (as it could if the name came from the
// process id: in a container the game is pid 1 on every run).
std::string random_temporary_name();

// Streams the body to a hidden temporary file beside the target (so the final rename stays on
// one file system), created under a fresh name from `temporary_names` (a name already taken is
// skipped, never touched). The game thread commits it onto the target or discards it.
//
// Resumable (made with a ResumePlan): the temporary file is the plan's partial file instead. At
// begin() a 206 whose Content-Range starts where the partial ends appends to it; any other 2xx
// empties it and records the response's validator first (so a partial and its record always
// belong together, even if the game is killed mid-download); a 206 elsewhere asks the core for
// a fresh request (restart_wanted); a non-2xx response leaves partial and record as they were.
// keep() then leaves what arrived for the next call.
class FileSink final : public BodySink {
public:
  explicit FileSink(std::filesystem::path target,
                    std::function<std::string()> temporary_names = random_temporary_name);
  FileSink(std::filesystem::path target, ResumePlan plan);
  ~FileSink() override;  // discards what was not committed (resumable: keeps it)
  void begin(long http_status, std::int64_t content_length, const Headers& headers) override;
  Status write(std::string_view bytes) override;
  std::string failure() const override;

  // Game thread. Renames the temporary file onto the target: "" on success, else why not. A
  // file it replaced may be left open in `replaced`, for the caller to close off the frame.
  std::string commit(files::File& replaced);
  // Any thread. Closes and removes the temporary file (resumable: the partial and its record,
  // if this download wrote them); later writes fail harmlessly.
  void discard();

  // Resumable only. Any thread: closes the partial file and leaves it with its record for the
  // next call; a partial without a validator to continue it under is removed.
  void keep();
  // Game thread, between two transfers: the next response starts the file over.
  void start_over();
  bool resumable() const { return plan_.has_value(); }
  // The bytes that were already there when the response began (0 unless it appends to them).
  std::uint64_t resumed_from() const { return resumed_from_.load(std::memory_order_relaxed); }
  // The response was a 206 that does not continue the partial: the core asks again without Range.
  bool restart_wanted() const { return restart_wanted_.load(std::memory_order_relaxed); }

  const std::filesystem::path& target() const { return target_; }

private:
  std::string open_locked();  // creates directories and the temporary file
  static constexpr int max_name_attempts = 16;
  void close_and_remove_locked();
  void fail_locked(std::string why);  // records why, removes the temporary file, takes no more
  void begin_resumable_locked(long http_status, const Headers& headers);
  std::string open_partial_locked(const Headers& headers);  // from the start, its record first


  mutable std::mutex mutex_;  // the backend writes while the game thread may cancel
  std::filesystem::path target_;
  std::function<std::string()> temporary_names_;
  std::filesystem::path temporary_;  // once created
  files::File file_;
  std::uint64_t written_ = 0;       // bytes in the temporary file
  std::uint64_t written_back_ = 0;  // of which handed to writeback (Linux)
  bool replacing_ = false;       // the target existed when the body began
  std::uint64_t expected_ = 0;   // the file's length when the body is whole (0 = unknown)
  bool reserved_ = false;        // files::reserve(expected_) was called for this response
  static constexpr std::uint64_t writeback_step = 8u << 20;
  bool discarded_ = false;
  std::string failure_;
  std::optional<ResumePlan> plan_;
  bool ignore_body_ = false;  // resumable, a non-2xx response: its body goes nowhere
  bool recorded_ = false;     // resumable: the record on disk describes the partial's bytes
  std::atomic<std::uint64_t> resumed_from_{0};
  std::atomic<bool> restart_wanted_{false};
};

}  // namespace asyncload::detail
