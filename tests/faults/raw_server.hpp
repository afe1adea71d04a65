// raw_server.hpp — a loopback TCP (optionally TLS) server whose every byte a test scripts.
//
// The Beast test server only speaks well-formed HTTP. The fault suite also needs servers that
// misbehave on purpose: reset a connection before or during a response, lie in Content-Length,
// send broken chunked encoding, accept and never answer, send a megabyte of headers, or speak
// TLS with a certificate nobody trusts. A RawServer listens on 127.0.0.1 (port chosen by the
// OS), accepts connections on its own thread and runs the test's script for each connection on
// a thread of its own, so a script that blocks (waiting for the client to go away) never holds
// up another connection. stop() (and the destructor) shuts every socket down, which unblocks
// every script, then joins all threads.
//
// Nothing here sleeps: scripts block in read() until the client sends or closes.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace asyncload::faults {

class TlsIdentity;  // tls.hpp

// One accepted connection, as its script sees it.
class RawConnection {
public:
  RawConnection(int fd, void* ssl) : fd_(fd), ssl_(ssl) {}
  // Reads until the end of a request head ("\r\n\r\n"); returns the head, or "" when the
  // client closed or reset first. Bytes after the head (a body) are kept for read_some().
  std::string read_head();
  // Blocks until the client closes or resets the connection (or the server stops); returns the
  // number of bytes the client sent meanwhile.
  std::size_t wait_for_close();
  // Writes everything; false when the client went away.
  bool write(std::string_view bytes);
  // Sends a TCP reset (SO_LINGER 0 then close) instead of an orderly close.
  void reset();
  // An orderly close (FIN) after everything written.
  void close();

  int fd() const { return fd_; }

private:
  int fd_;
  void* ssl_;  // SSL* when the server speaks TLS
  std::string pending_;
  bool closed_ = false;
  bool reset_ = false;
  friend class RawServer;
};

class RawServer {
public:
  using Script = std::function<void(RawConnection&)>;

  // `tls`: serve TLS with this certificate; nullptr for cleartext.
  explicit RawServer(Script script, std::shared_ptr<TlsIdentity> tls = nullptr);
  ~RawServer();
  RawServer(const RawServer&) = delete;
  RawServer& operator=(const RawServer&) = delete;

  std::uint16_t port() const { return port_; }
  std::string url(std::string_view path = "/") const;  // "http(s)://127.0.0.1:<port><path>"

  // Connections accepted so far, scripts that ran to their end, and TLS handshakes that the
  // client aborted (it refused the certificate).
  int accepted() const { return accepted_.load(); }
  int finished() const { return finished_.load(); }
  int handshake_failures() const { return handshake_failures_.load(); }
  // The client sees its own TLS error before this server's worker counts the failed handshake:
  // waits (at most `limit`) until at least `count` were counted, and returns how many were.
  int wait_for_handshake_failures(int count, std::chrono::milliseconds limit);

  void stop();

private:
  void accept_loop();
  void serve(int fd);

  Script script_;
  std::shared_ptr<TlsIdentity> tls_;
  int listen_fd_ = -1;
  int wake_pipe_[2] = {-1, -1};
  std::uint16_t port_ = 0;
  std::thread acceptor_;
  std::mutex mutex_;  // guards open_fds_, workers_, stopping_
  std::vector<int> open_fds_;
  std::vector<std::thread> workers_;
  bool stopping_ = false;
  std::atomic<int> accepted_{0};
  std::atomic<int> finished_{0};
  std::atomic<int> handshake_failures_{0};
  std::condition_variable handshake_failed_;  // with mutex_
};

// Canned scripts.
namespace script {
// Reads a request head and answers with `response` verbatim, then closes (FIN).
RawServer::Script answer(std::string response);
// Reads a request head and never answers; returns when the client goes away.
RawServer::Script never_answer();
}  // namespace script

}  // namespace asyncload::faults
