// Conformance: http_get_file (check 13).
#include "support/game_loop.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <vector>

using namespace asyncload;
using namespace asyncload::test;
namespace fs = std::filesystem;

namespace {

bool file_download(Http& http) {
  if (http.capabilities().file_download) return true;
  MESSAGE("backend " << http.capabilities().backend << " has no http_get_file: skipped");
  return false;
}

std::vector<std::string> only(std::initializer_list<std::string> names) { return names; }

}  // namespace

TEST_SUITE("conformance.files") {

TEST_CASE("13. a binary file of tens of MB arrives byte-identical, directories are created") {
  Http http;
  if (!file_download(http)) return;
  TempDir dir;
  const fs::path target = dir / "nested/missing/dirs/big.bin";
  constexpr std::size_t size = 40'000'000;
  auto id = http.http_get_file(url("/bytes/" + std::to_string(size)), target.string());
  REQUIRE(id >= 0);
  Frames frames = run_until_final(http, {id}, {.timeout = 120s});
  run_for(http, frames, 50ms);
  frames.check_lifecycle(id);
  const auto e = frames.final_event(id);
  INFO(describe(e));
  CHECK(e.status() == Status::complete);
  CHECK(e.http_status() == 200);
  CHECK(e.result() == target.string());
  REQUIRE(fs::is_regular_file(target));
  CHECK(fs::file_size(target) == size);
  const std::string got = read_file(target);
  const std::string want = expected_bytes(0, size);
  CHECK(got.size() == want.size());
  CHECK_MESSAGE(got == want, "file content differs from the server's bytes");
  CHECK(list_tree(dir.path()) ==
        only({"nested", "nested/missing", "nested/missing/dirs", "nested/missing/dirs/big.bin"}));
}

TEST_CASE("13. a chunked download and an empty one are written too") {
  Http http;
  if (!file_download(http)) return;
  TempDir dir;
  auto chunked = http.http_get_file(url("/chunked/300000"), (dir / "c.bin").string());
  auto empty = http.http_get_file(url("/bytes/0"), (dir / "e.bin").string());
  Frames frames = run_until_final(http, {chunked, empty});
  CHECK(frames.final_event(chunked).status() == Status::complete);
  CHECK(read_file(dir / "c.bin") == expected_bytes(0, 300000));
  const auto ee = frames.final_event(empty);
  CHECK(ee.status() == Status::complete);
  CHECK(ee.result() == (dir / "e.bin").string());
  CHECK(fs::is_regular_file(dir / "e.bin"));
  CHECK(fs::file_size(dir / "e.bin") == 0);
  CHECK(list_tree(dir.path()) == only({"c.bin", "e.bin"}));
}

TEST_CASE("13. an existing file is replaced by a complete download") {
  Http http;
  if (!file_download(http)) return;
  TempDir dir;
  const fs::path target = dir / "save.bin";
  write_file(target, "previous content, longer than the new one ........................");
  auto id = http.http_get_file(url("/bytes/10"), target.string());
  Frames frames = run_until_final(http, {id});
  CHECK(frames.final_event(id).status() == Status::complete);
  CHECK(read_file(target) == expected_bytes(0, 10));
  CHECK(list_tree(dir.path()) == only({"save.bin"}));
}

TEST_CASE("13. a 404 leaves the previous file untouched and no temporary file, result empty") {
  Http http;
  if (!file_download(http)) return;
  TempDir dir;
  const fs::path target = dir / "save.bin";
  write_file(target, "previous");
  auto id = http.http_get_file(url("/status/404"), target.string());
  REQUIRE(id >= 0);
  Frames frames = run_until_final(http, {id});
  const auto e = frames.final_event(id);
  INFO(describe(e));
  CHECK(e.status() == Status::complete);
  CHECK(e.http_status() == 404);
  CHECK(e.result() == "");
  CHECK(read_file(target) == "previous");
  CHECK(list_tree(dir.path()) == only({"save.bin"}));

  // And with no previous file, none appears.
  auto fresh = http.http_get_file(url("/status/500"), (dir / "new/fresh.bin").string());
  run_until_final(http, frames, {fresh});
  CHECK(frames.final_event(fresh).http_status() == 500);
  CHECK_FALSE(fs::exists(dir / "new/fresh.bin"));
  for (const auto& name : list_tree(dir.path())) CHECK((name == "save.bin" || name == "new"));
}

TEST_CASE("13. a failed download leaves the previous file untouched and no temporary file") {
  Http http;
  if (!file_download(http)) return;
  TempDir dir;
  const fs::path target = dir / "save.bin";
  write_file(target, "previous");
  auto broken = http.http_get_file(url("/close-mid-body?bytes=2000000"), target.string());
  auto refused = http.http_get_file("http://127.0.0.1:1/x", target.string());
  REQUIRE(broken >= 0);
  REQUIRE(refused >= 0);
  Frames frames = run_until_final(http, {broken, refused});
  for (auto id : {broken, refused}) {
    const auto e = frames.final_event(id);
    INFO(describe(e));
    CHECK(e.status() == Status::network_error);
    CHECK(e.result() == "");
  }
  CHECK(read_file(target) == "previous");
  CHECK(list_tree(dir.path()) == only({"save.bin"}));
}

TEST_CASE("13. a download that times out leaves the previous file untouched and no temporary file") {
  Options options;
  options.stall_timeout = 400ms;
  Http http(options);
  if (!file_download(http) || !http.capabilities().stall_timeout) return;
  TempDir dir;
  const fs::path target = dir / "save.bin";
  write_file(target, "previous");
  auto id = http.http_get_file(url("/drip?bytes=100000&chunks=2&interval_ms=4000"), target.string());
  REQUIRE(id >= 0);
  Frames frames = run_until_final(http, {id}, {.timeout = 15s});
  const auto e = frames.final_event(id);
  INFO(describe(e));
  CHECK(e.status() == Status::timeout);
  CHECK(e.result() == "");
  CHECK(read_file(target) == "previous");
  CHECK(list_tree(dir.path()) == only({"save.bin"}));
}

TEST_CASE("13. a cancelled download leaves the previous file untouched and no temporary file") {
  Http http;
  if (!file_download(http)) return;
  TempDir dir;
  const fs::path target = dir / "save.bin";
  write_file(target, "previous");
  // ~2 s of dripping: some bytes certainly reach the temporary file before the cancel.
  auto id = http.http_get_file(url("/drip?bytes=1000000&chunks=20&interval_ms=100"), target.string());
  REQUIRE(id >= 0);
  Frames frames;
  if (http.capabilities().progress_events) {
    run_until(http, frames, [&](const Frames& f) { return !f.progress(id).empty(); });
  } else {
    run_for(http, frames, 300ms);
  }
  REQUIRE_FALSE(frames.has_final(id));
  CHECK(http.http_cancel(id));
  run_until_final(http, frames, {id});
  const auto e = frames.final_event(id);
  INFO(describe(e));
  CHECK(e.status() == Status::cancelled);
  CHECK(e.result() == "");
  // The temporary file may be removed by the I/O thread just after the -3 is queued; give it a
  // bounded moment, then it must be gone.
  run_until(http, frames, [&](const Frames&) { return list_tree(dir.path()) == only({"save.bin"}); },
            {.timeout = 3s});
  CHECK(read_file(target) == "previous");
  run_for(http, frames, 300ms);  // the drip would have gone on: nothing more may arrive
  frames.check_lifecycle(id);
  CHECK(list_tree(dir.path()) == only({"save.bin"}));
}

TEST_CASE("13. Options::file_root: a relative target lands under the root, escapes are refused") {
  TempDir dir;
  const fs::path root = dir / "root";
  fs::create_directories(root);
  Options options;
  options.file_root = root.string();
  Http http(options);
  if (!file_download(http)) return;

  auto id = http.http_get_file(url("/bytes/1000"), "sub/dir/x.bin");
  REQUIRE(id >= 0);
  Frames frames = run_until_final(http, {id});
  const auto e = frames.final_event(id);
  INFO(describe(e));
  CHECK(e.status() == Status::complete);
  REQUIRE(fs::is_regular_file(root / "sub/dir/x.bin"));
  CHECK(read_file(root / "sub/dir/x.bin") == expected_bytes(0, 1000));
  CHECK_FALSE(e.result().empty());
  if (!e.result().empty()) CHECK(fs::equivalent(fs::path(std::string(e.result())), root / "sub/dir/x.bin"));
  CHECK_FALSE(fs::exists("sub/dir/x.bin"));  // not relative to the working directory

  const std::vector<std::string> escapes = {"../x.bin", "sub/../../x.bin", "a/b/../../../x.bin",
                                            (dir / "outside.bin").string(), "/tmp/asyncload-escape.bin"};
  for (const auto& target : escapes) {
    INFO("target " << target);
    CHECK(http.http_get_file(url("/bytes/10"), target) == -1);
    CHECK_FALSE(http.last_error().empty());
  }
  run_for(http, frames, 150ms);
  CHECK(frames.final_count() == 1);  // only the accepted request has an event
  CHECK_FALSE(fs::exists(dir / "x.bin"));
  CHECK_FALSE(fs::exists(dir / "outside.bin"));
  CHECK_FALSE(fs::exists("/tmp/asyncload-escape.bin"));
  // A path that stays inside although it has ".." in it is fine.
  auto inside = http.http_get_file(url("/bytes/5"), "sub/../inside.bin");
  CHECK(inside >= 0);
  if (inside >= 0) {
    run_until_final(http, frames, {inside});
    CHECK(frames.final_event(inside).status() == Status::complete);
    CHECK(read_file(root / "inside.bin") == expected_bytes(0, 5));
  }
}

TEST_CASE("13. a target that exists and is not a regular file is refused") {
  Http http;
  if (!file_download(http)) return;
  TempDir dir;
  fs::create_directories(dir / "a_directory");
  CHECK(http.http_get_file(url("/bytes/10"), (dir / "a_directory").string()) == -1);
  CHECK_FALSE(http.last_error().empty());
  CHECK(http.http_get_file(url("/bytes/10"), "") == -1);
  CHECK(http.http_get_file("not a url", (dir / "x.bin").string()) == -1);
  Frames frames;
  run_for(http, frames, 100ms);
  CHECK(frames.events.empty());
  CHECK(fs::is_directory(dir / "a_directory"));
  CHECK_FALSE(fs::exists(dir / "x.bin"));
}

}  // TEST_SUITE
