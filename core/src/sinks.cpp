#include "sinks.hpp"

#include <asyncload/detail/text.hpp>

#include <algorithm>
#include <random>

namespace asyncload::detail {

// ---- MemorySink ----------------------------------------------------------------------------

MemorySink::MemorySink(std::size_t limit, std::size_t keep_at_most)
    : limit_(limit ? limit : SIZE_MAX),
      keep_at_most_(std::min(keep_at_most, boost::json::string::max_size())),
      most_held_(std::min(limit_, keep_at_most_)) {}

void MemorySink::begin(long, std::int64_t content_length, const Headers&) {
  body_ = boost::json::string();  // a redirect's body, if any, is forgotten with its memory
  held_.store(0, std::memory_order_relaxed);
  total_ = 0;
  announced_ = content_length > 0 ? static_cast<std::size_t>(content_length) : 0;
  // One allocation when the size is announced (no doubling peak on big bodies); a lying
  // Content-Length can cost at most the limits, and never more than max_reserve up front
  // (without a limit a 10-byte response claiming a terabyte would take 2 GiB at once).
  constexpr std::size_t max_reserve = 16u << 20;
  if (announced_ > 0) grow_to(std::min({announced_, most_held_, max_reserve}));
}

Status MemorySink::make_room(std::size_t bytes, std::size_t& keep) {
  if (bytes > limit_ - total_) {
    failure_ = "response body over max_body_bytes (" + std::to_string(limit_) + ")";
    return Status::too_large;
  }
  total_ += bytes;
  const std::size_t room = keep_at_most_ - body_.size();
  if (room < bytes && keep_at_most_ == boost::json::string::max_size()) {
    failure_ = "response body over " + std::to_string(keep_at_most_) +
               " bytes cannot be held in memory; use http_get_file";
    return Status::too_large;
  }
  keep = std::min(room, bytes);
  const std::size_t needed = body_.size() + keep;  // never over most_held_ (checked above)
  if (needed > body_.capacity()) {
    // Doubling, so that appending stays linear, but never past what the limits let the body
    // reach: a body refused at the limit must not have taken twice the limit first. Past what
    // begin() reserved, a body still within its announced length gets the rest of it in one
    // step: growing by doubling from 16 MiB would copy the body at each step (for 1 GiB, a
    // second GiB of copying: twice raw libcurl's time in bench/). The server has sent
    // max_reserve bytes by then, so a small response with a lying Content-Length still
    // reserves no more. (A compressed body outgrows its announced length: it doubles.)
    const std::size_t capacity = body_.capacity();
    const std::size_t step = announced_ > capacity ? announced_
                             : capacity > most_held_ / 2 ? most_held_
                                                         : capacity * 2;
    grow_to(std::min(std::max(needed, step), most_held_));
  }
  return Status::complete;
}

Status MemorySink::write(std::string_view bytes) {
  std::size_t keep = 0;
  if (Status room = make_room(bytes.size(), keep); room != Status::complete) return room;
  body_.append(bytes.substr(0, keep));
  return Status::complete;
}

Status MemorySink::write_from(std::size_t bytes, const std::function<void(char* where)>& copy_into) {
  std::size_t keep = 0;
  if (Status room = make_room(bytes, keep); room != Status::complete) return room;
  if (keep < bytes) {  // a fixed buffer's size cuts them: only part of them has a place
    std::unique_ptr<char[]> all(new char[bytes]);
    copy_into(all.get());
    body_.append(std::string_view(all.get(), keep));
  } else {
    copy_into(body_.data() + body_.size());
    body_.grow(keep);
  }
  return Status::complete;
}

void MemorySink::grow_to(std::size_t capacity) {
  // boost::json::string::reserve() grows to at least twice the current capacity; from an empty
  // string it allocates exactly what is asked (28 bytes at least, past its inline buffer).
  boost::json::string bigger;
  bigger.reserve(capacity);
  bigger.append(body_);
  body_ = std::move(bigger);
  held_.store(body_.capacity(), std::memory_order_relaxed);
}

// ---- FileSink ------------------------------------------------------------------------------

std::string random_temporary_name() {
  static std::mutex mutex;
  static std::mt19937 generator = [] {
    std::random_device device;  // only to seed: while it lives it may hold a file open
    std::seed_seq seed{device(), device()};
    return std::mt19937(seed);
  }();
  std::uint32_t bits = 0;
  {
    std::lock_guard lock(mutex);
    bits = static_cast<std::uint32_t>(generator());
  }
  std::string name = ".asyncload-";
  append_hex(name, bits, 8);
  return name + ".part";
}

FileSink::FileSink(std::filesystem::path target, std::function<std::string()> temporary_names)
    : target_(std::move(target)), temporary_names_(std::move(temporary_names)) {}

FileSink::FileSink(std::filesystem::path target, ResumePlan plan)
    : target_(std::move(target)), plan_(std::move(plan)) {}

FileSink::~FileSink() {
  if (plan_) keep();
  else discard();
}

void FileSink::begin(long http_status, std::int64_t content_length, const Headers& headers) {
  std::lock_guard lock(mutex_);
  reserved_ = false;
  if (plan_) {
    begin_resumable_locked(http_status, headers);
    expected_ = content_length > 0 ? resumed_from_ + static_cast<std::uint64_t>(content_length) : 0;
    return;
  }
  expected_ = content_length > 0 ? static_cast<std::uint64_t>(content_length) : 0;
  // A new response replaces anything an earlier one wrote.
  if (file_.is_open()) {
    if (auto why = files::truncate(file_); !why.empty()) fail_locked("cannot write " + files::utf8(temporary_) + ": " + why);
  }
  written_ = written_back_ = 0;
  std::error_code ec;  // an error reads as "nothing to replace": writeback is only an optimisation
  replacing_ = std::filesystem::exists(target_, ec);
}

Status FileSink::write(std::string_view bytes) {
  std::lock_guard lock(mutex_);
  if (discarded_) {
    if (failure_.empty()) failure_ = "download discarded";
    return Status::file_error;
  }
  if (plan_ && ignore_body_) return Status::complete;  // a non-2xx body: the partial stays as it was
  if (restart_wanted_) return Status::network_error;   // failure_ says why
  if (!file_.is_open()) {
    failure_ = plan_ ? open_partial_locked({}) : open_locked();
    if (!failure_.empty()) {
      close_and_remove_locked();  // a partial opened before the failure
      return Status::file_error;
    }
  }
  // The whole length, once, before the file grows past its first bytes (files::reserve says
  // why: in the browser a body in pieces would otherwise cost several times its size).
  if (!reserved_ && written_ > 0 && expected_ > written_ + bytes.size()) {
    files::reserve(file_, expected_);
    reserved_ = true;
  }
  if (auto why = files::write(file_, bytes); !why.empty()) {
    fail_locked("cannot write " + files::utf8(temporary_) + ": " + why);
    return Status::file_error;
  }
  written_ += bytes.size();
  // Starts writing back what came in so far, here on the backend's thread. Otherwise the rename
  // in commit() would, on the game thread: ext4 flushes a file renamed over another one
  // (auto_da_alloc), 0.14 s for 1 GiB of dirty pages on the benchmark machine. Only then: the
  // writeback slows the download itself, and a rename onto a new name flushes nothing. The
  // last step goes once the body is whole (its announced length): left dirty, it cost the
  // rename ~1 ms (bench/findings.md).
  const bool whole = expected_ > 0 && written_ == expected_;
  if (replacing_ && (written_ - written_back_ >= writeback_step || (whole && written_ > written_back_))) {
    files::start_writeback(file_, written_back_, written_ - written_back_);
    written_back_ = written_;
  }
  return Status::complete;
}

std::string FileSink::failure() const {
  std::lock_guard lock(mutex_);
  return failure_;
}

std::string FileSink::open_locked() {
  const std::filesystem::path directory = target_.parent_path();
  if (!directory.empty()) {
    if (auto why = files::create_directories(directory); !why.empty())
      return "cannot create directory " + files::utf8(directory) + ": " + why;
  }
  for (int attempt = 0; attempt < max_name_attempts; ++attempt) {
    std::filesystem::path candidate = directory / temporary_names_();
    bool taken = false;
    if (auto why = files::create_new(candidate, file_, taken); !why.empty()) {
      if (taken) continue;  // someone else's (an earlier run's?): left alone
      return "cannot create " + files::utf8(candidate) + ": " + why;
    }
    // Moved, not copied: a copy could run out of memory with the file created but unnamed here,
    // and discard() could not remove it (found by torture mode).
    temporary_ = std::move(candidate);
    return {};
  }
  return "cannot create a temporary file in " + (directory.empty() ? std::string(".") : files::utf8(directory)) +
         ": " + std::to_string(max_name_attempts) + " names in a row were taken";
}

std::string FileSink::commit(files::File& replaced) {
  std::lock_guard lock(mutex_);
  if (discarded_) return failure_.empty() ? "download discarded" : failure_;
  if (!file_.is_open()) {  // an empty body still makes a (empty) file
    if (auto why = plan_ ? open_partial_locked({}) : open_locked(); !why.empty()) {
      close_and_remove_locked();
      return why;
    }
  }
  if (auto why = files::close(file_); !why.empty()) {
    (void)files::remove(temporary_);
    discarded_ = true;
    return "cannot write " + files::utf8(temporary_) + ": " + why;
  }
  // The file being replaced comes back still open, so the rename does not free it: whoever
  // closes `replaced` does (its pages: 0.2-0.4 s per GiB on the benchmark machine).
  if (auto why = files::replace(temporary_, target_, replaced); !why.empty()) {
    (void)files::remove(temporary_);
    discarded_ = true;
    return "cannot rename onto " + files::utf8(target_) + ": " + why;
  }
  if (plan_) (void)files::remove(plan_->record);  // a record without its partial is ignored anyway
  discarded_ = true;  // nothing of ours is left to remove
  return {};
}

void FileSink::discard() {
  std::lock_guard lock(mutex_);
  if (!discarded_) close_and_remove_locked();
  discarded_ = true;
}

void FileSink::close_and_remove_locked() {
  if (file_.is_open()) {
    (void)files::close(file_);
    (void)files::remove(temporary_);
    if (plan_) (void)files::remove(plan_->record);
  }
}

// ---- FileSink, resumable -------------------------------------------------------------------

void FileSink::begin_resumable_locked(long http_status, const Headers& headers) {
  if (discarded_) return;
  if (file_.is_open()) (void)files::close(file_);  // an earlier response's (one begin per transfer)
  ignore_body_ = false;
  restart_wanted_ = false;
  resumed_from_ = 0;
  written_ = written_back_ = 0;
  std::error_code ec;
  replacing_ = std::filesystem::exists(target_, ec);
  if (http_status < 200 || http_status >= 300) {
    ignore_body_ = true;  // an error page is not the file, and a 503 now costs no bytes already there
    return;
  }
  if (http_status == 206) {
    if (plan_->have > 0 && content_range_start(headers) == plan_->have) {
      std::uint64_t size = 0;
      if (auto why = files::open_to_append(plan_->partial, file_, size); !why.empty()) {
        fail_locked("cannot open " + files::utf8(plan_->partial) + ": " + why);
        return;
      }
      if (size == plan_->have) {
        temporary_ = plan_->partial;
        recorded_ = true;
        written_ = written_back_ = size;
        resumed_from_ = size;
        return;
      }
      (void)files::close(file_);  // the partial changed since the call
    }
    restart_wanted_ = true;
    failure_ = "the server's 206 Partial Content does not continue the partial file";
    return;
  }
  if (auto why = open_partial_locked(headers); !why.empty()) fail_locked(std::move(why));
}

std::string FileSink::open_partial_locked(const Headers& headers) {
  const std::filesystem::path directory = target_.parent_path();
  if (!directory.empty()) {
    if (auto why = files::create_directories(directory); !why.empty())
      return "cannot create directory " + files::utf8(directory) + ": " + why;
  }
  // The old record goes first: it must never stand beside bytes of another response.
  recorded_ = false;
  std::error_code ec;
  if (auto why = files::remove(plan_->record); !why.empty() && std::filesystem::exists(plan_->record, ec))
    return "cannot remove " + files::utf8(plan_->record) + ": " + why;
  std::uint64_t size = 0;
  if (auto why = files::open_to_append(plan_->partial, file_, size); !why.empty())
    return "cannot create " + files::utf8(plan_->partial) + ": " + why;
  temporary_ = plan_->partial;
  if (size > 0) {
    if (auto why = files::truncate(file_); !why.empty()) return "cannot write " + files::utf8(temporary_) + ": " + why;
  }
  // Without a validator (or if the record cannot be written) the bytes cannot be continued.
  if (const std::string validator = validator_of(headers); !validator.empty())
    recorded_ = write_record(*plan_, validator).empty();
  return {};
}

void FileSink::keep() {
  std::lock_guard lock(mutex_);
  if (discarded_) return;
  discarded_ = true;
  if (!file_.is_open()) return;  // nothing of this download's on disk: what was there stays
  (void)files::close(file_);
  if (!recorded_) (void)files::remove(temporary_);
}

void FileSink::start_over() {
  std::lock_guard lock(mutex_);
  if (file_.is_open()) (void)files::close(file_);
  plan_->have = 0;
  ignore_body_ = false;
  restart_wanted_ = false;
  resumed_from_ = 0;
  failure_.clear();
}

void FileSink::fail_locked(std::string why) {
  failure_ = std::move(why);
  close_and_remove_locked();
  discarded_ = true;
}

}  // namespace asyncload::detail
