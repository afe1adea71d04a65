// The OS file API on POSIX systems (Linux, macOS, Emscripten's file system).
#include <asyncload/detail/files.hpp>

#include <asyncload/detail/fault_injection.hpp>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__EMSCRIPTEN__)
#include <emscripten/emscripten.h>

// files::reserve on MEMFS (and IDBFS, whose files are MEMFS nodes): capacity, not length. A
// size the browser cannot allocate (a server's lie) leaves the file to grow as before.
EM_JS(void, asyncload_memfs_reserve, (int fd, double size), {
  var stream = FS.getStream(fd);
  if (!stream || stream.stream_ops.write !== MEMFS.stream_ops.write) return;
  try {
    MEMFS.expandFileStorage(stream.node, size);
  } catch (e) {
  }
});
#endif

namespace asyncload::files {
namespace {

int fd(const File& file) { return static_cast<int>(file.native()); }

std::string last_error() { return std::strerror(errno); }

// Torture mode (fault_injection.hpp): the call fails as the OS would fail it, with `error`.
bool injected(fault::Call call, int error) {
  if (!fault::fail_point(call)) return false;
  errno = error;
  return true;
}

}  // namespace

File& File::operator=(File&& other) noexcept {
  if (this != &other) {
    if (is_open()) ::close(fd(*this));
    native_ = other.native_;
    other.native_ = none;
  }
  return *this;
}

File::~File() {
  if (is_open()) ::close(fd(*this));
}

std::string create_new(const std::filesystem::path& path, File& file, bool& taken) {
  if (injected(fault::Call::file_create, ENOSPC)) {
    taken = false;
    return last_error();
  }
  const int created = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  taken = created < 0 && errno == EEXIST;
  if (created < 0) return last_error();
  file = File(created);
  return {};
}

std::string open_to_append(const std::filesystem::path& path, File& file, std::uint64_t& size) {
  if (injected(fault::Call::file_create, ENOSPC)) return last_error();
  // O_NOFOLLOW: a symbolic link planted at the name is refused, never written through.
  // O_NONBLOCK: a FIFO there fails at once instead of waiting for a reader.
  File opened(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0644));
  if (!opened.is_open()) return last_error();
  struct stat st {};
  if (::fstat(fd(opened), &st) != 0) return last_error();
  size = static_cast<std::uint64_t>(st.st_size);
  file = std::move(opened);
  return {};
}

std::string write(File& file, std::string_view bytes) {
  if (!bytes.empty() && injected(fault::Call::file_write, ENOSPC)) return last_error();
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd(file), bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return last_error();
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return {};
}

std::string truncate(File& file) {
  if (injected(fault::Call::file_truncate, EIO)) return last_error();
  if (::ftruncate(fd(file), 0) != 0 || ::lseek(fd(file), 0, SEEK_SET) != 0) return last_error();
  return {};
}

void start_writeback([[maybe_unused]] File& file, [[maybe_unused]] std::uint64_t offset,
                     [[maybe_unused]] std::uint64_t length) {
#if defined(__linux__)
  ::sync_file_range(fd(file), static_cast<off_t>(offset), static_cast<off_t>(length), SYNC_FILE_RANGE_WRITE);
#endif
}

#if defined(__EMSCRIPTEN__)
void reserve(File& file, std::uint64_t size) { asyncload_memfs_reserve(static_cast<int>(fd(file)), static_cast<double>(size)); }
#else
void reserve(File&, std::uint64_t) {}
#endif

std::string close(File& file) {
  // Not retried on EINTR: the descriptor is gone whatever close() says.
  const int closed = ::close(static_cast<int>(file.release()));
  // An injected failure closes the descriptor all the same, as a real EIO from close() does.
  if (injected(fault::Call::file_close, EIO) || closed != 0) return last_error();
  return {};
}

std::string replace(const std::filesystem::path& from, const std::filesystem::path& to, File& replaced) {
  // O_NOFOLLOW: a symbolic link at `to` is what gets replaced, and its target is never opened.
  // O_NONBLOCK: opening a FIFO there must not wait for a writer.
  if (injected(fault::Call::file_replace, EIO)) return last_error();
  File previous(::open(to.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
  if (::rename(from.c_str(), to.c_str()) != 0) return last_error();
  replaced = std::move(previous);
  return {};
}

std::string read_small(const std::filesystem::path& path, std::size_t max_bytes, std::string& bytes) {
  File opened(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
  if (!opened.is_open()) return last_error();
  bytes.clear();
  char piece[4096];
  for (;;) {
    const ssize_t n = ::read(fd(opened), piece, sizeof piece);
    if (n < 0) {
      if (errno == EINTR) continue;
      return last_error();
    }
    if (n == 0) return {};
    if (bytes.size() + static_cast<std::size_t>(n) > max_bytes)
      return "larger than " + std::to_string(max_bytes) + " bytes";
    bytes.append(piece, static_cast<std::size_t>(n));
  }
}

std::string remove(const std::filesystem::path& path) {
  if (injected(fault::Call::file_remove, EIO) || ::unlink(path.c_str()) != 0) return last_error();
  return {};
}

bool names_a_device(const std::filesystem::path&) { return false; }

std::string create_directories(const std::filesystem::path& dir) {
  if (injected(fault::Call::file_mkdir, EACCES)) return last_error();
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  return ec ? ec.message() : std::string();
}

}  // namespace asyncload::files
