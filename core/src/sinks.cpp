#include "sinks.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace asyncload::detail {

// ---- MemorySink ----------------------------------------------------------------------------

MemorySink::MemorySink(std::size_t limit, std::size_t keep_at_most)
    : limit_(limit ? limit : SIZE_MAX), keep_at_most_(std::min(keep_at_most, boost::json::string::max_size())) {}

void MemorySink::begin(long, std::int64_t content_length) {
  body_.clear();
  total_ = 0;
  announced_ = content_length > 0 ? static_cast<std::size_t>(content_length) : 0;
  // One allocation when the size is announced (no doubling peak on big bodies); a lying
  // Content-Length can cost at most the limits, and never more than max_reserve up front
  // (without a limit a 10-byte response claiming a terabyte would take 2 GiB at once).
  constexpr std::size_t max_reserve = 16u << 20;
  if (content_length > 0) {
    body_.reserve(std::min({static_cast<std::size_t>(content_length), keep_at_most_, limit_, max_reserve}));
  }
}

int MemorySink::write(std::string_view bytes) {
  if (bytes.size() > limit_ - total_) {
    failure_ = "response body over max_body_bytes (" + std::to_string(limit_) + ")";
    return status::too_large;
  }
  total_ += bytes.size();
  const std::size_t room = keep_at_most_ - body_.size();
  if (room < bytes.size() && keep_at_most_ == boost::json::string::max_size()) {
    failure_ = "response body over " + std::to_string(keep_at_most_) +
               " bytes cannot be held in memory; use http_get_file";
    return status::too_large;
  }
  const std::size_t keep = std::min(room, bytes.size());
  // Past what begin() reserved, a body still within its announced length gets the rest of it in
  // one step: growing by doubling from 16 MiB would copy the body at each step (for 1 GiB, a
  // second GiB of copying: twice raw libcurl's time in bench/). The server has sent max_reserve
  // bytes by then, so a small response with a lying Content-Length still reserves no more.
  if (body_.size() + keep > body_.capacity() && announced_ > body_.capacity())
    body_.reserve(std::min({announced_, keep_at_most_, limit_}));
  body_.append(bytes.substr(0, keep));
  return status::complete;
}

// ---- FileSink ------------------------------------------------------------------------------

namespace {

std::filesystem::path temporary_name(const std::filesystem::path& target) {
  static std::atomic<unsigned long> counter{0};
  std::string name = "." + target.filename().string() + "." + std::to_string(::getpid()) + "." +
                     std::to_string(counter++) + ".asyncload-part";
  return target.parent_path() / name;
}

}  // namespace

FileSink::FileSink(std::filesystem::path target)
    : target_(std::move(target)), temporary_(temporary_name(target_)) {}

FileSink::~FileSink() { discard(); }

void FileSink::begin(long, std::int64_t) {
  // A new response replaces anything an earlier one wrote.
  std::lock_guard lock(mutex_);
  if (fd_ >= 0 && ::ftruncate(fd_, 0) == 0) ::lseek(fd_, 0, SEEK_SET);
  written_ = written_back_ = 0;
  std::error_code ec;  // an error reads as "nothing to replace": writeback is only an optimisation
  replacing_ = std::filesystem::exists(target_, ec);
}

int FileSink::write(std::string_view bytes) {
  std::lock_guard lock(mutex_);
  if (discarded_) {
    failure_ = "download discarded";
    return status::file_error;
  }
  if (fd_ < 0) {
    failure_ = open_locked();
    if (!failure_.empty()) return status::file_error;
  }
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      failure_ = "cannot write " + temporary_.string() + ": " + std::strerror(errno);
      close_and_remove_locked();
      discarded_ = true;
      return status::file_error;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
    written_ += static_cast<std::uint64_t>(n);
  }
#if defined(__linux__)
  // Starts writing back what came in so far, here on the backend's thread. Otherwise the rename
  // in commit() would, on the game thread: ext4 flushes a file renamed over another one
  // (auto_da_alloc), 0.14 s for 1 GiB of dirty pages on the benchmark machine. Only then: the
  // writeback slows the download itself, and a rename onto a new name flushes nothing.
  if (replacing_ && written_ - written_back_ >= writeback_step) {
    ::sync_file_range(fd_, static_cast<off_t>(written_back_), static_cast<off_t>(written_ - written_back_),
                      SYNC_FILE_RANGE_WRITE);
    written_back_ = written_;
  }
#endif
  return status::complete;
}

std::string FileSink::failure() const {
  std::lock_guard lock(mutex_);
  return failure_;
}

std::string FileSink::open_locked() {
  std::error_code ec;
  if (!target_.parent_path().empty()) std::filesystem::create_directories(target_.parent_path(), ec);
  if (ec) return "cannot create directory " + target_.parent_path().string() + ": " + ec.message();
  fd_ = ::open(temporary_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd_ < 0) return "cannot create " + temporary_.string() + ": " + std::strerror(errno);
  return {};
}

std::string FileSink::commit(int& replaced) {
  std::lock_guard lock(mutex_);
  replaced = -1;
  if (discarded_) return failure_.empty() ? "download discarded" : failure_;
  if (fd_ < 0) {  // an empty body still makes a (empty) file
    if (auto why = open_locked(); !why.empty()) return why;
  }
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) {
    std::string why = "cannot write " + temporary_.string() + ": " + std::strerror(errno);
    close_and_remove_locked();
    discarded_ = true;
    return why;
  }
  // Held open across the rename, the file being replaced is not freed by it; whoever closes
  // `replaced` frees it (its pages: 0.2-0.4 s per GiB on the benchmark machine).
  replaced = ::open(target_.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (::rename(temporary_.c_str(), target_.c_str()) != 0) {
    std::string why = "cannot rename onto " + target_.string() + ": " + std::strerror(errno);
    if (replaced >= 0) ::close(replaced);
    replaced = -1;
    ::unlink(temporary_.c_str());
    discarded_ = true;
    return why;
  }
  discarded_ = true;  // nothing of ours is left to remove
  return {};
}

void FileSink::discard() {
  std::lock_guard lock(mutex_);
  if (!discarded_) close_and_remove_locked();
  discarded_ = true;
}

void FileSink::close_and_remove_locked() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
    ::unlink(temporary_.c_str());
  }
}

}  // namespace asyncload::detail
