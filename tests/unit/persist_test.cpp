// Options::persistent_root over the scripted backend, which stores like the browser does: a file
// committed under the root gets its final event only once the backend says it is stored
// (Backend::persist, Events::persisted). The browser test web_persistence reloads a real page.
#include "support/files.hpp"

#include <asyncload/asyncload.hpp>
#include "support/scripted_backend.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <vector>

using namespace asyncload;
using namespace asyncload::test;
namespace fs = std::filesystem;

namespace {

constexpr const char* url = "http://example.test/save.bin";

struct Fixture {
  Fixture() {
    auto backend = std::make_unique<ScriptedBackend>();
    script = backend.get();
    http = std::make_unique<Http>(std::move(backend), Options{.persistent_root = root.string()});
  }
  // One frame's final events (the scripted backend's progress events are not the point here).
  std::vector<AsyncLoad> frame() {
    std::vector<AsyncLoad> events;
    http->dispatch([&](const AsyncLoad& e) {
      if (e.is_final()) events.push_back(e);
    });
    return events;
  }
  // Downloads `body` to `target` and lets the core commit it.
  RequestId download(const fs::path& target, std::string_view body = "saved game") {
    const RequestId id = http->http_get_file(url, target.string());
    REQUIRE(id >= 0);
    script->respond(id, 200, body);
    return id;
  }

  TempDir dir;
  fs::path root = dir / "persist";
  ScriptedBackend* script = nullptr;
  std::unique_ptr<Http> http;
};

}  // namespace

TEST_SUITE("persistent_root") {

TEST_CASE("persistent_root: the final event of a file under the root waits until the backend stored it") {
  Fixture f;
  CHECK(f.script->settings().persistent_root == f.root.string());
  const fs::path target = f.root / "slot1.sav";
  const RequestId id = f.download(target);

  CHECK(f.frame().empty());                 // committed, not yet stored: no final event yet
  CHECK(read_file(target) == "saved game");  // the file is in place already
  CHECK(f.script->persisting() == std::vector<RequestId>{id});
  CHECK(f.http->in_flight() == 1);
  CHECK_FALSE(f.http->http_cancel(id));     // too late: the file replaced the old one
  CHECK(f.frame().empty());

  f.script->store(id);
  const auto events = f.frame();
  REQUIRE(events.size() == 1);
  CHECK(events[0].id() == id);
  CHECK(events[0].status() == Status::complete);
  CHECK(events[0].http_status() == 200);
  CHECK(events[0].result() == target.string());
  CHECK(f.http->in_flight() == 0);
}

TEST_CASE("persistent_root: a file that could not be stored is a -4 that says so") {
  Fixture f;
  const fs::path target = f.root / "slot1.sav";
  const RequestId id = f.download(target);
  CHECK(f.frame().empty());
  f.script->store(id, "QuotaExceededError");
  const auto events = f.frame();
  REQUIRE(events.size() == 1);
  CHECK(events[0].status() == Status::file_error);
  CHECK(events[0].result() == "");
  CHECK(events[0].error().find("could not be stored") != std::string_view::npos);
  CHECK(events[0].error().find("QuotaExceededError") != std::string_view::npos);
}

TEST_CASE("persistent_root: files outside the root, failures and other bodies are not held") {
  Fixture f;
  const RequestId outside = f.download(f.dir / "cache.bin");
  const RequestId failed = f.http->http_get_file(url, (f.root / "b.sav").string());
  f.script->fail(failed, Status::network_error, "connection reset");
  const RequestId not_found = f.http->http_get_file(url, (f.root / "c.sav").string());
  f.script->respond(not_found, 404, "no such save");
  const RequestId memory = f.http->http_get(url);
  f.script->respond(memory, 200, "hello");

  const auto events = f.frame();
  REQUIRE(events.size() == 4);
  CHECK(events[0].id() == outside);
  CHECK(events[0].status() == Status::complete);
  CHECK(events[1].status() == Status::network_error);
  CHECK(events[2].http_status() == 404);
  CHECK(events[3].result() == "hello");
  CHECK(f.script->persisting().empty());
}

TEST_CASE("persistent_root: later events are not held behind a file being stored") {
  Fixture f;
  const RequestId saved = f.download(f.root / "slot1.sav");
  const RequestId other = f.http->http_get(url);
  f.script->respond(other, 200, "news");
  auto events = f.frame();
  REQUIRE(events.size() == 1);
  CHECK(events[0].id() == other);
  f.script->store(saved);
  events = f.frame();
  REQUIRE(events.size() == 1);
  CHECK(events[0].id() == saved);
}

TEST_CASE("persistent_root: until the backend has read the root back, resumable downloads are refused") {
  Fixture f;
  f.script->set_files_ready(false);
  CHECK_FALSE(f.http->files_ready());
  CHECK(f.http->http_get_file(url, (f.root / "a.bin").string(), {.resume = true}) == -1);
  CHECK(f.http->last_error().find("files_ready") != std::string::npos);
  CHECK(f.http->http_get_file(url, (f.root / "a.bin").string()) >= 0);  // waits in the backend
  f.script->set_files_ready(true);
  CHECK(f.http->files_ready());
  CHECK(f.http->http_get_file(url, (f.root / "b.bin").string(), {.resume = true}) >= 0);
}

}  // TEST_SUITE
