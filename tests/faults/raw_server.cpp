#include "faults/raw_server.hpp"

#include "faults/tls.hpp"

#if ASYNCLOAD_FAULTS_TLS
#include <openssl/ssl.h>
#endif

#if defined(_WIN32)
#include <winsock2.h>
#include <ws2tcpip.h>
#else
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>
#endif

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace asyncload::faults {
namespace {

constexpr std::size_t max_head_bytes = 1 << 20;

#if ASYNCLOAD_FAULTS_TLS
SSL* as_ssl(void* p) { return static_cast<SSL*>(p); }
#endif

// The few places where Winsock differs: sockets are SOCKETs (small values: they fit the int
// the header uses), closed with closesocket(), shut down with SD_*, no SIGPIPE to avoid.
#if defined(_WIN32)
using Socket = SOCKET;
constexpr int shut_read = SD_RECEIVE, shut_write = SD_SEND, shut_both = SD_BOTH, no_signal = 0;
void close_socket(int fd) { ::closesocket(static_cast<Socket>(fd)); }
std::string socket_error() { return "Winsock error " + std::to_string(WSAGetLastError()); }
bool interrupted() { return false; }
#else
using Socket = int;
constexpr int shut_read = SHUT_RD, shut_write = SHUT_WR, shut_both = SHUT_RDWR, no_signal = MSG_NOSIGNAL;
void close_socket(int fd) { ::close(fd); }
std::string socket_error() { return std::strerror(errno); }
bool interrupted() { return errno == EINTR; }
#endif
Socket as_socket(int fd) { return static_cast<Socket>(fd); }

}  // namespace

// ---- RawConnection ------------------------------------------------------------------------

namespace {

// One read: > 0 bytes, 0 on close, < 0 on error.
long read_some(int fd, void* ssl, char* data, std::size_t size) {
#if ASYNCLOAD_FAULTS_TLS
  if (ssl) {
    const int n = SSL_read(as_ssl(ssl), data, static_cast<int>(size));
    return n > 0 ? n : (SSL_get_error(as_ssl(ssl), n) == SSL_ERROR_ZERO_RETURN ? 0 : -1);
  }
#else
  (void)ssl;
#endif
  for (;;) {
    const auto n = ::recv(as_socket(fd), data, static_cast<int>(size), 0);
    if (n < 0 && interrupted()) continue;
    return static_cast<long>(n);
  }
}

}  // namespace

std::string RawConnection::read_head() {
  char chunk[16 * 1024];
  for (;;) {
    if (auto end = pending_.find("\r\n\r\n"); end != std::string::npos) {
      std::string head = pending_.substr(0, end + 4);
      pending_.erase(0, end + 4);
      return head;
    }
    if (pending_.size() > max_head_bytes) return {};
    const long n = read_some(fd_, ssl_, chunk, sizeof chunk);
    if (n <= 0) return {};
    pending_.append(chunk, static_cast<std::size_t>(n));
  }
}

std::size_t RawConnection::wait_for_close() {
  std::size_t total = pending_.size();
  pending_.clear();
  char chunk[16 * 1024];
  for (;;) {
    const long n = read_some(fd_, ssl_, chunk, sizeof chunk);
    if (n <= 0) return total;
    total += static_cast<std::size_t>(n);
  }
}

bool RawConnection::write(std::string_view bytes) {
  while (!bytes.empty()) {
    long n;
    const int piece = static_cast<int>(std::min<std::size_t>(bytes.size(), 1 << 20));
#if ASYNCLOAD_FAULTS_TLS
    if (ssl_) {
      const int w = SSL_write(as_ssl(ssl_), bytes.data(), piece);
      n = w > 0 ? w : -1;
    } else
#endif
    {
      n = static_cast<long>(::send(as_socket(fd_), bytes.data(), piece, no_signal));
      if (n < 0 && interrupted()) continue;
    }
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

void RawConnection::reset() {
  if (closed_) return;
  linger hard{1, 0};  // close() now sends RST and discards anything unsent
  ::setsockopt(as_socket(fd_), SOL_SOCKET, SO_LINGER, reinterpret_cast<const char*>(&hard), sizeof hard);
  ::shutdown(as_socket(fd_), shut_read);  // fd stays open (the server closes it): the RST goes out at close
  closed_ = reset_ = true;
}

void RawConnection::close() {
  if (closed_) return;
#if ASYNCLOAD_FAULTS_TLS
  if (ssl_) SSL_shutdown(as_ssl(ssl_));
#endif
  ::shutdown(as_socket(fd_), shut_write);  // FIN after everything written
  closed_ = true;
}

// ---- RawServer ----------------------------------------------------------------------------

RawServer::RawServer(Script script, std::shared_ptr<TlsIdentity> tls)
    : script_(std::move(script)), tls_(std::move(tls)) {
#if defined(_WIN32)
  static const bool started = [] {  // Winsock needs starting before the first socket
    WSADATA data;
    return WSAStartup(MAKEWORD(2, 2), &data) == 0;
  }();
  if (!started) throw std::runtime_error("WSAStartup failed");
  const Socket listening = ::socket(AF_INET, SOCK_STREAM, 0);
  if (listening == INVALID_SOCKET) throw std::runtime_error("socket: " + socket_error());
  listen_fd_ = static_cast<int>(listening);
#else
  ::signal(SIGPIPE, SIG_IGN);  // a client gone mid-write must not kill the test
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) throw std::runtime_error("socket: " + socket_error());
#endif
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(as_socket(listen_fd_), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(as_socket(listen_fd_), 128) != 0 ||
      ::getsockname(as_socket(listen_fd_), reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    throw std::runtime_error("listen: " + socket_error());
  port_ = ntohs(addr.sin_port);
#if !defined(_WIN32)
  if (::pipe2(wake_pipe_, O_CLOEXEC) != 0) throw std::runtime_error("pipe2");
#endif
  acceptor_ = std::thread([this] { accept_loop(); });
}

RawServer::~RawServer() {
  stop();
  close_socket(listen_fd_);
#if !defined(_WIN32)
  ::close(wake_pipe_[0]);
  ::close(wake_pipe_[1]);
#endif
}

std::string RawServer::url(std::string_view path) const {
  return std::string(tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_) + std::string(path);
}

void RawServer::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
#if defined(_WIN32)
  // Winsock cannot poll a pipe: the accept loop is woken by one last connection, which it sees
  // after stopping_ was set (and closes unserved).
  const Socket waker = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port_);
  ::connect(waker, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  acceptor_.join();
  ::closesocket(waker);
#else
  const char byte = 0;
  [[maybe_unused]] auto ignored = ::write(wake_pipe_[1], &byte, 1);
  acceptor_.join();
#endif
  std::vector<std::thread> workers;
  {
    std::lock_guard lock(mutex_);
    for (int fd : open_fds_) ::shutdown(as_socket(fd), shut_both);  // unblocks every script
#if defined(_WIN32)
    // Under Wine a shutdown does not wake a recv() blocked in another thread (a client that
    // keeps its connection alive would hold stop() forever); closing the socket does. serve()
    // then finds its socket gone from open_fds_ and leaves it be.
    for (int fd : open_fds_) close_socket(fd);
    open_fds_.clear();
#endif
    workers.swap(workers_);
  }
  for (auto& worker : workers) worker.join();
}

void RawServer::accept_loop() {
  for (;;) {
#if defined(_WIN32)
    const Socket accepted = ::accept(as_socket(listen_fd_), nullptr, nullptr);
    {
      std::lock_guard lock(mutex_);
      if (stopping_) {  // stop()'s wake-up connection (or one that raced it): not served
        if (accepted != INVALID_SOCKET) ::closesocket(accepted);
        return;
      }
    }
    if (accepted == INVALID_SOCKET) continue;
    const int fd = static_cast<int>(accepted);
#else
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_pipe_[0], POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents) return;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
#endif
    const int one = 1;
    ::setsockopt(as_socket(fd), IPPROTO_TCP, TCP_NODELAY, reinterpret_cast<const char*>(&one), sizeof one);
    ++accepted_;
    std::lock_guard lock(mutex_);
    open_fds_.push_back(fd);
    workers_.emplace_back([this, fd] { serve(fd); });
  }
}

void RawServer::serve(int fd) {
  bool ready = true;
#if ASYNCLOAD_FAULTS_TLS
  SSL* ssl = nullptr;
  if (tls_) {
    ssl = SSL_new(static_cast<SSL_CTX*>(tls_->context()));
    SSL_set_fd(ssl, fd);
    if (SSL_accept(ssl) != 1) {
      {
        std::lock_guard lock(mutex_);
        ++handshake_failures_;
      }
      handshake_failed_.notify_all();
      ready = false;
    }
  }
#else
  void* const ssl = nullptr;
#endif
  if (ready) {
    RawConnection connection(fd, ssl);
    try {
      script_(connection);
    } catch (...) {
    }
    if (!connection.closed_) connection.close();
    // After an orderly close, read until the client closes too: closing a socket with unread
    // bytes would turn the FIN into a reset the script did not ask for.
    if (!connection.reset_) connection.wait_for_close();
    ++finished_;
  }
#if ASYNCLOAD_FAULTS_TLS
  if (ssl) SSL_free(ssl);
#endif
  {
    std::lock_guard lock(mutex_);
    const auto open = std::find(open_fds_.begin(), open_fds_.end(), fd);
    if (open == open_fds_.end()) return;  // stop() closed it already (Windows)
    open_fds_.erase(open);
  }
  close_socket(fd);
}

int RawServer::wait_for_handshake_failures(int count, std::chrono::milliseconds limit) {
  std::unique_lock lock(mutex_);
  handshake_failed_.wait_for(lock, limit, [&] { return handshake_failures_.load() >= count; });
  return handshake_failures_.load();
}

namespace script {

RawServer::Script answer(std::string response) {
  return [response = std::move(response)](RawConnection& c) {
    if (c.read_head().empty()) return;
    c.write(response);
    c.close();
  };
}

RawServer::Script never_answer() {
  return [](RawConnection& c) {
    if (c.read_head().empty()) return;
    c.wait_for_close();
  };
}

}  // namespace script

}  // namespace asyncload::faults
