// Resumable downloads (RequestOptions::resume) over the scripted backend: what each answer of
// the server does to the partial file, the requests sent, and the figures the game sees. The
// conformance suite (tests/conformance/resume.cpp) runs the main cases against a real server.
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

constexpr const char* url = "http://example.test/pack.bin";
const std::string whole = "0123456789abcdefghij";  // the file on the server: 20 bytes
const RequestOptions resume{.resume = true};

struct Fixture {
  explicit Fixture(Capabilities caps = ScriptedBackend::all_capabilities()) { start_http(std::move(caps)); }
  // A new Http, as a game that was quit and started again has (the old one destroyed first).
  void start_http(Capabilities caps = ScriptedBackend::all_capabilities()) {
    http.reset();
    auto backend = std::make_unique<ScriptedBackend>(std::move(caps));
    script = backend.get();
    http = std::make_unique<Http>(std::move(backend));
  }
  std::vector<AsyncLoad> frame() {
    std::vector<AsyncLoad> events;
    http->dispatch([&](const AsyncLoad& e) { events.push_back(e); });
    return events;
  }
  // The value of request header `name` of the running transfer `id`, "" when not sent.
  std::string sent(RequestId id, std::string_view name) const {
    for (const auto& [key, value] : script->transfer(id).headers)
      if (key == name) return value;
    return {};
  }
  // A resumable download of `url` that receives `first` bytes of `whole` and then fails.
  RequestId interrupted(std::size_t first, Headers headers = {{"ETag", "\"v1\""}}) {
    const RequestId id = http->http_get_file(url, target.string(), resume);
    REQUIRE(id >= 0);
    script->receive(id, whole.substr(0, first), 200, static_cast<std::int64_t>(whole.size()), headers);
    script->fail(id, Status::network_error, "connection reset");
    auto events = frame();
    REQUIRE_FALSE(events.empty());
    CHECK(events.back().status() == Status::network_error);
    return id;
  }
  static Headers partial_content(std::size_t from) {
    return {{"ETag", "\"v1\""},
            {"Content-Range", "bytes " + std::to_string(from) + "-19/20"}};
  }

  TempDir dir;
  fs::path target = dir / "pack.bin";
  ScriptedBackend* script = nullptr;
  std::unique_ptr<Http> http;
};

// What the directory holds besides the target: the partial file and its record, or nothing.
std::size_t leftovers(const Fixture& f) {
  std::size_t n = 0;
  for (const auto& name : list_tree(f.dir.path())) n += name != "pack.bin";
  return n;
}

}  // namespace

TEST_SUITE("resume") {

TEST_CASE("resume: an interrupted download is continued with Range and If-Range, and completes the file") {
  Fixture f;
  f.interrupted(8);
  CHECK_FALSE(fs::exists(f.target));  // nothing half-written in its place
  CHECK(leftovers(f) == 2);           // the partial and its record

  const RequestId id = f.http->http_get_file(url, f.target.string(), resume);
  REQUIRE(id >= 0);
  CHECK(f.sent(id, "Range") == "bytes=8-");
  CHECK(f.sent(id, "If-Range") == "\"v1\"");
  CHECK(f.script->transfer(id).identity_encoding);
  f.script->receive(id, whole.substr(8, 5), 206, 12, Fixture::partial_content(8));
  auto progress = f.frame();
  REQUIRE(progress.size() == 1);
  CHECK(progress[0].size_downloaded() == 13);  // counts the 8 bytes that were there
  CHECK(progress[0].content_length() == 20);   // the whole file
  f.script->receive(id, whole.substr(13), 206, 12, Fixture::partial_content(8));
  f.script->respond(id, 206, "", Fixture::partial_content(8));
  auto events = f.frame();
  REQUIRE_FALSE(events.empty());
  const AsyncLoad& done = events.back();
  CHECK(done.status() == Status::complete);
  CHECK(done.http_status() == 200);  // the file is complete: its 206 reads as the 200 it adds up to
  CHECK(done.size_downloaded() == 20);
  CHECK(done.content_length() == 20);
  CHECK(done.result() == f.target.string());
  CHECK(read_file(f.target) == whole);
  CHECK(leftovers(f) == 0);
}

TEST_CASE("resume: a 200 to the Range request starts the file over") {
  Fixture f;
  f.interrupted(8);
  const RequestId id = f.http->http_get_file(url, f.target.string(), resume);
  CHECK(f.sent(id, "Range") == "bytes=8-");
  const std::string changed = "the file changed on the server";
  f.script->respond(id, 200, changed, {{"ETag", "\"v2\""}});
  auto events = f.frame();
  REQUIRE_FALSE(events.empty());
  CHECK(events.back().http_status() == 200);
  CHECK(events.back().size_downloaded() == static_cast<std::int64_t>(changed.size()));
  CHECK(read_file(f.target) == changed);
  CHECK(leftovers(f) == 0);
}

TEST_CASE("resume: a 416, or a 206 that does not start where the partial ends, starts over once without Range") {
  Fixture f;
  f.interrupted(8);
  const RequestId id = f.http->http_get_file(url, f.target.string(), resume);
  SUBCASE("416") {
    f.script->respond(id, 416, "", {{"Content-Range", "bytes */8"}});
  }
  SUBCASE("206 elsewhere") {
    CHECK(f.script->receive(id, whole.substr(4), 206, 16, Fixture::partial_content(4)) == Status::network_error);
    f.script->fail(id, Status::network_error, "stopped by the sink");
  }
  for (const AsyncLoad& e : f.frame()) CHECK_FALSE(e.is_final());  // no final event for the first answer
  REQUIRE(f.script->running(id));  // a second transfer under the same id
  CHECK(f.script->started().size() == 3);
  CHECK(f.sent(id, "Range").empty());
  CHECK(f.sent(id, "If-Range").empty());
  f.script->respond(id, 200, whole, {{"ETag", "\"v1\""}});
  auto events = f.frame();
  REQUIRE(events.size() == 2);  // its progress, then the one final event
  CHECK(events.back().status() == Status::complete);
  CHECK(events.back().http_status() == 200);
  CHECK(events.back().size_downloaded() == 20);
  CHECK(read_file(f.target) == whole);
  CHECK(leftovers(f) == 0);
}

TEST_CASE("resume: the partial is kept only under a validator for the same URL and target") {
  Fixture f;
  SUBCASE("no validator: nothing is kept") {
    f.interrupted(8, {});
    CHECK(leftovers(f) == 0);
  }
  SUBCASE("a weak ETag is no validator for a range") {
    f.interrupted(8, {{"ETag", "W/\"v1\""}, {"Last-Modified", "Wed, 01 Jan 2025 00:00:00 GMT"}});
    CHECK(leftovers(f) == 0);
  }
  SUBCASE("a content-coded body counts other bytes than a range would") {
    f.interrupted(8, {{"ETag", "\"v1\""}, {"Content-Encoding", "gzip"}});
    CHECK(leftovers(f) == 0);
  }
  SUBCASE("Last-Modified when there is no ETag") {
    f.interrupted(8, {{"Last-Modified", "Wed, 01 Jan 2025 00:00:00 GMT"}});
    const RequestId id = f.http->http_get_file(url, f.target.string(), resume);
    CHECK(f.sent(id, "Range") == "bytes=8-");
    CHECK(f.sent(id, "If-Range") == "Wed, 01 Jan 2025 00:00:00 GMT");
  }
  SUBCASE("another URL, or another target beside it, starts from zero") {
    f.interrupted(8);
    const RequestId other_url = f.http->http_get_file("http://example.test/other.bin", f.target.string(), resume);
    CHECK(f.sent(other_url, "Range").empty());
    f.script->fail(other_url, Status::network_error, "reset");  // before any byte: the partial stays
    f.frame();
    const RequestId other_target = f.http->http_get_file(url, (f.dir / "copy.bin").string(), resume);
    CHECK(f.sent(other_target, "Range").empty());
    const RequestId same = f.http->http_get_file(url, f.target.string(), resume);
    CHECK(f.sent(same, "Range") == "bytes=8-");
  }
  SUBCASE("without resume, nothing is sent or kept, and the partial is neither used nor removed") {
    f.interrupted(8);
    const RequestId id = f.http->http_get_file(url, f.target.string());
    CHECK(f.sent(id, "Range").empty());
    CHECK_FALSE(f.script->transfer(id).identity_encoding);
    f.script->receive(id, whole.substr(0, 5), 200, 20, {{"ETag", "\"v1\""}});
    f.script->fail(id, Status::network_error, "reset");
    f.frame();
    CHECK(leftovers(f) == 2);  // the resumable one's, untouched
    const RequestId again = f.http->http_get_file(url, f.target.string(), resume);
    CHECK(f.sent(again, "Range") == "bytes=8-");
  }
}

TEST_CASE("resume: a cancel, a timeout, the Http destroyed and a non-2xx answer keep the partial") {
  Fixture f;
  f.interrupted(8);
  SUBCASE("cancel after more bytes arrived") {
    const RequestId id = f.http->http_get_file(url, f.target.string(), resume);
    f.script->receive(id, whole.substr(8, 4), 206, 12, Fixture::partial_content(8));
    CHECK(f.http->http_cancel(id));
    auto events = f.frame();
    REQUIRE_FALSE(events.empty());
    CHECK(events.back().status() == Status::cancelled);
    const RequestId next = f.http->http_get_file(url, f.target.string(), resume);
    CHECK(f.sent(next, "Range") == "bytes=12-");
  }
  SUBCASE("timeout") {
    const RequestId id = f.http->http_get_file(url, f.target.string(), resume);
    f.script->receive(id, whole.substr(8, 2), 206, 12, Fixture::partial_content(8));
    f.script->fail(id, Status::timeout, "stalled");
    auto events = f.frame();
    REQUIRE_FALSE(events.empty());
    CHECK(events.back().size_downloaded() == 10);
    const RequestId next = f.http->http_get_file(url, f.target.string(), resume);
    CHECK(f.sent(next, "Range") == "bytes=10-");
  }
  SUBCASE("the Http destroyed mid-download") {
    const RequestId id = f.http->http_get_file(url, f.target.string(), resume);
    f.script->receive(id, whole.substr(8, 3), 206, 12, Fixture::partial_content(8));
    f.start_http();
    const RequestId next = f.http->http_get_file(url, f.target.string(), resume);
    CHECK(f.sent(next, "Range") == "bytes=11-");
  }
  SUBCASE("503: the partial stays as it was") {
    const RequestId id = f.http->http_get_file(url, f.target.string(), resume);
    f.script->respond(id, 503, "busy, try later");
    auto events = f.frame();
    REQUIRE_FALSE(events.empty());
    CHECK(events.back().http_status() == 503);
    CHECK(events.back().result() == "");
    CHECK_FALSE(fs::exists(f.target));
    const RequestId next = f.http->http_get_file(url, f.target.string(), resume);
    CHECK(f.sent(next, "Range") == "bytes=8-");
  }
  SUBCASE("a file error leaves nothing") {
    const RequestId id = f.http->http_get_file(url, f.target.string(), resume);
    f.script->receive(id, whole.substr(8, 3), 206, 12, Fixture::partial_content(8));
    f.script->fail(id, Status::file_error, "disk full");
    f.frame();
    CHECK(leftovers(f) == 0);
  }
}

// Skipped where links cannot be created (symlinks_creatable: Windows, README "Windows").
TEST_CASE("resume: a symbolic link planted at the partial's name is never written through" *
          doctest::skip(!symlinks_creatable)) {
  Fixture f;
  f.interrupted(8);
  fs::path partial;
  for (const auto& name : list_tree(f.dir.path()))
    if (name.ends_with(".partial")) partial = f.dir / name;
  REQUIRE_FALSE(partial.empty());
  const fs::path victim = f.dir / "victim.txt";
  write_file(victim, "not yours");
  fs::remove(partial);
  fs::create_symlink(victim, partial);
  const RequestId id = f.http->http_get_file(url, f.target.string(), resume);
  f.script->respond(id, 200, whole, {{"ETag", "\"v1\""}});
  auto events = f.frame();
  REQUIRE_FALSE(events.empty());
  CHECK(events.back().status() == Status::file_error);
  CHECK(read_file(victim) == "not yours");
  CHECK_FALSE(fs::exists(f.target));
}

TEST_CASE("resume: a second resumable download to a target in flight is refused") {
  Fixture f;
  const RequestId first = f.http->http_get_file(url, f.target.string(), resume);
  REQUIRE(first >= 0);
  CHECK(f.http->http_get_file(url, f.target.string(), resume) == -1);
  CHECK(f.http->last_error().find("already in flight") != std::string::npos);
  CHECK(f.http->http_get_file(url, (f.dir / "other.bin").string(), resume) >= 0);
  CHECK(f.http->http_cancel(first));
  CHECK(f.http->http_get_file(url, f.target.string(), resume) >= 0);  // a cancelled one let go
}

TEST_CASE("resume: without Capabilities::resume_downloads the option has no effect") {
  Capabilities caps = ScriptedBackend::all_capabilities();
  caps.resume_downloads = false;
  Fixture f(caps);
  const RequestId id = f.http->http_get_file(url, f.target.string(), resume);
  REQUIRE(id >= 0);
  CHECK_FALSE(f.script->transfer(id).identity_encoding);
  f.script->receive(id, whole.substr(0, 8), 200, 20, {{"ETag", "\"v1\""}});
  f.script->fail(id, Status::network_error, "reset");
  f.frame();
  CHECK(leftovers(f) == 0);
}

}  // TEST_SUITE
