#include "faults/probes.hpp"

#if defined(_WIN32)
#include <winsock2.h>
#else
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>
#endif

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace asyncload::faults {

#if defined(_WIN32)
bool is_root() { return false; }
#else
bool is_root() { return ::geteuid() == 0; }
#endif

std::string brief(const AsyncLoad& e) {
  std::ostringstream out;
  out << "{id " << e.id() << ", status " << static_cast<int>(e.status()) << ", url " << e.url().substr(0, 120)
      << ", http_status " << e.http_status() << ", contentLength " << e.content_length()
      << ", sizeDownloaded " << e.size_downloaded() << ", result " << e.result().size()
      << " bytes, " << e.response_headers().size() << " response headers, error \""
      << e.error().substr(0, 300) << "\"}";
  return out.str();
}

#if defined(_WIN32)
// Windows: no tmpfs to mount, and no way to fill a listener's accept queue on purpose (Winsock
// has no TCP_INFO and answers a full queue with a reset): those cases are skipped there.
TmpfsMount::TmpfsMount(const std::filesystem::path& dir, const std::string&)
    : dir_(dir), why_("Windows: no tmpfs to mount") {}
TmpfsMount::~TmpfsMount() = default;
bool TmpfsMount::make_read_only() { return false; }

ClosedPort::ClosedPort() {
  WSADATA data;
  WSAStartup(MAKEWORD(2, 2), &data);
  const SOCKET s = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int len = sizeof addr;
  if (s == INVALID_SOCKET || ::bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(s, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    throw std::runtime_error("ClosedPort: Winsock error " + std::to_string(WSAGetLastError()));
  fd_ = static_cast<int>(s);
  port_ = ntohs(addr.sin_port);
}
ClosedPort::~ClosedPort() { ::closesocket(static_cast<SOCKET>(fd_)); }

UnansweredListener::UnansweredListener() = default;  // ready() false
UnansweredListener::~UnansweredListener() = default;
#else
// ---- TmpfsMount ---------------------------------------------------------------------------

TmpfsMount::TmpfsMount(const std::filesystem::path& dir, const std::string& size) : dir_(dir) {
  if (!is_root()) {
    why_ = "not root (euid " + std::to_string(::geteuid()) + "): cannot mount a tmpfs";
    return;
  }
  const std::string data = "size=" + size + ",mode=0755";
  if (::mount("tmpfs", dir.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, data.c_str()) != 0) {
    why_ = "mount -t tmpfs on " + dir.string() + " failed: " + std::strerror(errno);
    return;
  }
  mounted_ = true;
}

TmpfsMount::~TmpfsMount() {
  if (mounted_) ::umount2(dir_.c_str(), MNT_DETACH);
}

bool TmpfsMount::make_read_only() {
  return mounted_ &&
         ::mount(nullptr, dir_.c_str(), nullptr, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, nullptr) == 0;
}

// ---- ClosedPort ---------------------------------------------------------------------------

ClosedPort::ClosedPort() {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    throw std::runtime_error("ClosedPort: " + std::string(std::strerror(errno)));
  port_ = ntohs(addr.sin_port);
}

ClosedPort::~ClosedPort() { ::close(fd_); }

// ---- UnansweredListener -------------------------------------------------------------------

namespace {

// Accept-queue length and capacity of a listening socket (Linux reports them in tcp_info).
bool queue_full(int listen_fd) {
  tcp_info info{};
  socklen_t len = sizeof info;
  if (::getsockopt(listen_fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0) return false;
  return info.tcpi_unacked > info.tcpi_sacked;
}

}  // namespace

UnansweredListener::UnansweredListener() {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 0) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    throw std::runtime_error("UnansweredListener: " + std::string(std::strerror(errno)));
  port_ = ntohs(addr.sin_port);
  // Connections nobody accepts, until the queue is full. Each completes its handshake (the
  // kernel answers for the listener), which poll() sees as writable.
  for (int i = 0; i < 16 && !queue_full(listen_fd_); ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) break;
    fillers_.push_back(fd);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 && errno != EINPROGRESS) break;
    pollfd p{fd, POLLOUT, 0};
    ::poll(&p, 1, 5000);
  }
  ready_ = queue_full(listen_fd_);
}

UnansweredListener::~UnansweredListener() {
  for (int fd : fillers_) ::close(fd);
  ::close(listen_fd_);
}

#endif

}  // namespace asyncload::faults
