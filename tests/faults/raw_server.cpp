#include "faults/raw_server.hpp"

#include "faults/tls.hpp"

#include <openssl/ssl.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace asyncload::faults {
namespace {

constexpr std::size_t max_head_bytes = 1 << 20;

SSL* as_ssl(void* p) { return static_cast<SSL*>(p); }

}  // namespace

// ---- RawConnection ------------------------------------------------------------------------

namespace {

// One read: > 0 bytes, 0 on close, < 0 on error.
long read_some(int fd, void* ssl, char* data, std::size_t size) {
  if (ssl) {
    const int n = SSL_read(as_ssl(ssl), data, static_cast<int>(size));
    return n > 0 ? n : (SSL_get_error(as_ssl(ssl), n) == SSL_ERROR_ZERO_RETURN ? 0 : -1);
  }
  for (;;) {
    const ssize_t n = ::recv(fd, data, size, 0);
    if (n < 0 && errno == EINTR) continue;
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
    if (ssl_) {
      const int w = SSL_write(as_ssl(ssl_), bytes.data(), static_cast<int>(std::min<std::size_t>(bytes.size(), 1 << 20)));
      n = w > 0 ? w : -1;
    } else {
      n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
    }
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

void RawConnection::reset() {
  if (closed_) return;
  linger hard{1, 0};  // close() now sends RST and discards anything unsent
  ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
  ::shutdown(fd_, SHUT_RD);  // fd stays open (the server closes it): the RST goes out at close
  closed_ = reset_ = true;
}

void RawConnection::close() {
  if (closed_) return;
  if (ssl_) SSL_shutdown(as_ssl(ssl_));
  ::shutdown(fd_, SHUT_WR);  // FIN after everything written
  closed_ = true;
}

// ---- RawServer ----------------------------------------------------------------------------

RawServer::RawServer(Script script, std::shared_ptr<TlsIdentity> tls)
    : script_(std::move(script)), tls_(std::move(tls)) {
  ::signal(SIGPIPE, SIG_IGN);  // a client gone mid-write must not kill the test
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) throw std::runtime_error("socket: " + std::string(std::strerror(errno)));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 128) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    throw std::runtime_error("listen: " + std::string(std::strerror(errno)));
  port_ = ntohs(addr.sin_port);
  if (::pipe2(wake_pipe_, O_CLOEXEC) != 0) throw std::runtime_error("pipe2");
  acceptor_ = std::thread([this] { accept_loop(); });
}

RawServer::~RawServer() {
  stop();
  ::close(listen_fd_);
  ::close(wake_pipe_[0]);
  ::close(wake_pipe_[1]);
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
  const char byte = 0;
  [[maybe_unused]] auto ignored = ::write(wake_pipe_[1], &byte, 1);
  acceptor_.join();
  std::vector<std::thread> workers;
  {
    std::lock_guard lock(mutex_);
    for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);  // unblocks every script
    workers.swap(workers_);
  }
  for (auto& worker : workers) worker.join();
}

void RawServer::accept_loop() {
  for (;;) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_pipe_[0], POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents) return;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ++accepted_;
    std::lock_guard lock(mutex_);
    open_fds_.push_back(fd);
    workers_.emplace_back([this, fd] { serve(fd); });
  }
}

void RawServer::serve(int fd) {
  SSL* ssl = nullptr;
  bool ready = true;
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
  if (ssl) SSL_free(ssl);
  {
    std::lock_guard lock(mutex_);
    open_fds_.erase(std::find(open_fds_.begin(), open_fds_.end(), fd));
  }
  ::close(fd);
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
