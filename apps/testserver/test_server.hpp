// test_server.hpp — the loopback HTTP server the tests, `asyncload serve` and `asyncload demo`
// run. httpbin-style endpoints (see test_server.cpp's header comment for the list).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace asyncload::testserver {

struct ServerOptions {
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;   // 0 = a free port, chosen by the OS
  std::string docroot;      // served under /static/ ; "" = none
  int threads = 1;
};

class TestServer {
public:
  explicit TestServer(ServerOptions options = {});  // listening when the constructor returns
  ~TestServer();                                    // stops and joins
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  std::uint16_t port() const;
  std::string base_url() const;  // "http://127.0.0.1:<port>"
  void stop();

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Helpers tests use to check bodies the server sent.

// Deterministic binary bytes served by /bytes, /chunked, /drip and /close-mid-body: the byte at
// absolute position i is static_cast<unsigned char>((i * 2654435761ull) >> 13), so every value
// 0..255 occurs. pattern_bytes(offset, n) returns positions [offset, offset + n).
std::string pattern_bytes(std::uint64_t offset, std::size_t n);

// The exact decoded text /gzip serves: 2000 lines "asyncload gzip line N\n", N = 1..2000.
std::string gzip_text();

}  // namespace asyncload::testserver
