// Unit tests: every body the backend's thread made goes back to it to be freed (Backend::release),
// not only completed ones: a failed or cancelled request's partial body, and a buffer-mode body
// once copied into the game's Buffer. Over the scripted backend, which counts the bytes handed back.
#include <asyncload/asyncload.hpp>
#include "support/scripted_backend.hpp"

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

using namespace asyncload;

namespace {

constexpr std::size_t part_bytes = 1000;  // bigger than a string's inline buffer

struct Fixture {
  explicit Fixture(std::size_t max_body_bytes = 0) {
    Options options;
    options.progress_events = false;  // final events only
    options.max_body_bytes = max_body_bytes;
    auto backend = std::make_unique<ScriptedBackend>();
    script = backend.get();
    http = std::make_unique<Http>(std::move(backend), options);
  }
  // One dispatch(); returns the one final event it delivered and how many bytes went back.
  std::pair<AsyncLoad, std::size_t> frame() {
    const std::size_t before = script->released_bytes();
    std::vector<AsyncLoad> events;
    http->dispatch([&](const AsyncLoad& e) { events.push_back(e); });
    REQUIRE(events.size() == 1);
    return {events.front(), script->released_bytes() - before};
  }
  ScriptedBackend* script = nullptr;
  std::unique_ptr<Http> http;
};

}  // namespace

TEST_CASE("a body partly received when the request fails goes back to the backend to be freed") {
  const std::string part(part_bytes, 'p');
  SUBCASE("-1 and -2: what had arrived") {
    for (Status status : {Status::network_error, Status::timeout}) {
      INFO("status " << static_cast<int>(status));
      Fixture f;
      const RequestId id = f.http->http_get("http://example.test/");
      f.script->receive(id, part);
      f.script->fail(id, status, "failed part-way");
      const auto [e, released] = f.frame();
      CHECK(e.status() == status);
      CHECK(released >= part_bytes);
    }
  }
  SUBCASE("-5: what was kept up to max_body_bytes") {
    Fixture f(3 * part_bytes);
    const RequestId id = f.http->http_get("http://example.test/");
    Status written = Status::complete;
    for (int i = 0; i < 4 && written == Status::complete; ++i) written = f.script->receive(id, part);
    REQUIRE(written == Status::too_large);
    f.script->fail(id, written, "over max_body_bytes");
    const auto [e, released] = f.frame();
    CHECK(e.status() == Status::too_large);
    CHECK(released >= 3 * part_bytes);
  }
  SUBCASE("-3: cancelled part-way, the sink goes back untouched") {
    Fixture f;
    const RequestId id = f.http->http_get("http://example.test/");
    f.script->receive(id, part);
    REQUIRE(f.http->http_cancel(id));
    const auto [e, released] = f.frame();
    CHECK(e.status() == Status::cancelled);
    CHECK(released >= part_bytes);
  }
}

TEST_CASE("a buffer-mode body goes back to the backend once copied into the buffer") {
  Fixture f;
  auto buffer = Buffer::make_grow(0);
  const RequestId id = f.http->http_request("http://example.test/", "GET", {}, buffer);
  const std::string body(4 * part_bytes, 'b');
  f.script->respond(id, 200, body);
  const auto [e, released] = f.frame();
  CHECK(e.status() == Status::complete);
  CHECK(e.result_bytes() == static_cast<std::int64_t>(body.size()));
  CHECK(buffer->view(0, body.size()) == body);  // copied first
  CHECK(released >= body.size());
}
