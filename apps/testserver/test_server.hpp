// test_server.hpp — the loopback HTTP server the tests, `asyncload serve`, `asyncload demo` and
// web_runner (the browser tests) run. httpbin-style endpoints (see test_server.cpp's header
// comment for the list), among them /done?code=N (a page reports its result: on_done below),
// /cors/<endpoint> (the same endpoint with CORS headers, preflights answered) and /static/
// (files under docroot: .js as text/javascript, .wasm as application/wasm).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace asyncload::testserver {

struct ServerOptions {
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;   // 0 = a free port, chosen by the OS
  std::string docroot;      // served under /static/ ; "" = none
  int threads = 1;
  // Called for every request to /done?code=N (web test pages and the web demo report their
  // result there) with N and the request body (the page's log). Runs on a server thread: keep it
  // short and synchronise with your own threads. Unset: /done just answers 200 "ok".
  std::function<void(int code, std::string log)> on_done;
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

// /resumable/<name> of version V serves pattern_bytes(resumable_bytes_offset(V) + i) at position
// i: each version's bytes differ from the others'.
std::uint64_t resumable_bytes_offset(unsigned version);

// The exact decoded text /gzip serves: 2000 lines "asyncload gzip line N\n", N = 1..2000.
std::string gzip_text();

}  // namespace asyncload::testserver
