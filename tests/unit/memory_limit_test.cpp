// Unit tests: a body in memory never takes more than max_body_bytes (core/src/sinks.cpp), over
// the scripted backend. What is measured is the sink's capacity, not the process's memory.
#include "core/src/sinks.hpp"

#include <asyncload/asyncload.hpp>
#include "support/scripted_backend.hpp"

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

using namespace asyncload;

namespace {

constexpr std::size_t cap = 1u << 20;  // 1 MiB
constexpr std::size_t chunk_bytes = 100 * 1024;

struct Fixture {
  explicit Fixture(std::size_t max_body_bytes) {
    Options options;
    options.max_body_bytes = max_body_bytes;
    options.progress_events = false;
    auto backend = std::make_unique<ScriptedBackend>();
    script = backend.get();
    http = std::make_unique<Http>(std::move(backend), options);
  }
  const detail::MemorySink& sink(RequestId id) const {
    return dynamic_cast<const detail::MemorySink&>(*script->transfer(id).sink);
  }
  // Writes `chunks` chunks of chunk_bytes as a backend would, recording the sink's largest
  // capacity, and ends the transfer the way a backend ends one its sink refused.
  Status receive(RequestId id, std::size_t chunks, std::int64_t content_length, std::size_t& most_capacity) {
    const std::string chunk(chunk_bytes, 'x');
    for (std::size_t i = 0; i < chunks; ++i) {
      const Status written = script->receive(id, chunk, 200, content_length);
      most_capacity = std::max(most_capacity, sink(id).capacity());
      if (written != Status::complete) {
        script->fail(id, written, sink(id).failure());
        return written;
      }
    }
    script->respond(id, 200);
    return Status::complete;
  }
  AsyncLoad final_event() {
    std::vector<AsyncLoad> events;
    http->dispatch([&](const AsyncLoad& e) { events.push_back(e); });
    REQUIRE(events.size() == 1);
    return events.front();
  }
  ScriptedBackend* script = nullptr;
  std::unique_ptr<Http> http;
};

}  // namespace

TEST_CASE("a body growing past max_body_bytes never holds more than max_body_bytes, then ends with -5") {
  struct Case {
    const char* what;
    std::int64_t content_length;  // as announced by the response
  };
  // Chunked (no length), and a compressed body whose decoded bytes outgrow the length announced
  // (a 3 MB gzip that inflates to 3 GiB: its Content-Length is the compressed size).
  for (const Case c : {Case{"no Content-Length", -1}, Case{"decoded past its Content-Length", 300 * 1024}}) {
    CAPTURE(c.what);
    Fixture f(cap);
    const RequestId id = f.http->http_get("http://example.test/");
    std::size_t most_capacity = 0;
    CHECK(f.receive(id, 30, c.content_length, most_capacity) == Status::too_large);
    CHECK(most_capacity <= cap);
    const AsyncLoad e = f.final_event();
    CHECK(e.status() == Status::too_large);
    CHECK(e.result().empty());
    CHECK(e.error().find("max_body_bytes") != std::string_view::npos);
  }
}

TEST_CASE("a body of exactly max_body_bytes completes, in exactly that much memory") {
  static_assert(cap % chunk_bytes != 0, "the last chunk must be a partial one");
  Fixture f(cap);
  for (std::int64_t content_length : {std::int64_t{-1}, static_cast<std::int64_t>(cap)}) {
    CAPTURE(content_length);
    const RequestId id = f.http->http_get("http://example.test/");
    std::size_t most_capacity = 0;
    const std::string chunk(chunk_bytes, 'x');
    std::size_t sent = 0;
    while (sent < cap) {
      const std::size_t n = std::min(chunk_bytes, cap - sent);
      REQUIRE(f.script->receive(id, std::string_view(chunk).substr(0, n), 200, content_length) == Status::complete);
      most_capacity = std::max(most_capacity, f.sink(id).capacity());
      sent += n;
    }
    CHECK(most_capacity == cap);
    f.script->respond(id, 200);
    const AsyncLoad e = f.final_event();
    CHECK(e.status() == Status::complete);
    CHECK(e.result().size() == cap);
  }
}

TEST_CASE("a grow buffer's body is bounded by max_body_bytes, a fixed buffer's by its size") {
  Fixture f(cap);
  const RequestId grow = f.http->http_request("http://example.test/", "GET", {}, Buffer::make_grow(0));
  std::size_t most_capacity = 0;
  CHECK(f.receive(grow, 30, -1, most_capacity) == Status::too_large);
  CHECK(most_capacity <= cap);
  CHECK(f.final_event().status() == Status::too_large);

  auto fixed = Buffer::make_fixed(250 * 1024);
  const RequestId id = f.http->http_request("http://example.test/", "GET", {}, fixed);
  most_capacity = 0;
  CHECK(f.receive(id, 8, -1, most_capacity) == Status::complete);  // 800 KiB sent, 250 KiB kept
  CHECK(most_capacity <= fixed->size());
  const AsyncLoad e = f.final_event();
  CHECK(e.status() == Status::complete);
  CHECK(e.result_bytes() == 8 * static_cast<std::int64_t>(chunk_bytes));
}

TEST_CASE("max_body_bytes is bounded by default, and 0 opts out") {
  CHECK(Options{}.max_body_bytes == 256u << 20);
  Fixture unlimited(0);
  const RequestId id = unlimited.http->http_get("http://example.test/");
  std::size_t most_capacity = 0;
  CHECK(unlimited.receive(id, 30, -1, most_capacity) == Status::complete);
  CHECK(unlimited.final_event().result().size() == 30 * chunk_bytes);
}
