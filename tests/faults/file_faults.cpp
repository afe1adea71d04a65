// Fault injection: a local file system that will not take the download. The previous file must
// survive intact, no temporary file may be left, and the Http must go on working.
//
// As root the test mounts its own small tmpfs (a full disk) and remounts it read-only (root
// ignores permission bits, so chmod cannot make a directory unwritable for it). Not as root,
// the full-disk case is skipped with a printed reason and the unwritable directory is a chmod.
#include "faults/probes.hpp"
#include "support/game_loop.hpp"

#include <doctest/doctest.h>

#include <sys/stat.h>

#include <optional>
#include <string>
#include <vector>

using namespace asyncload;
using namespace asyncload::test;
using namespace asyncload::faults;
namespace fs = std::filesystem;

namespace {

bool contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

AsyncLoad only_final(Http& http, RequestId id) {
  REQUIRE_MESSAGE(id >= 0, http.last_error());
  Frames frames = run_until_final(http, {id}, {.timeout = 60s});
  frames.check_lifecycle(id);
  return frames.final_event(id);
}

}  // namespace

TEST_SUITE("faults.files") {

TEST_CASE("http_get_file onto a full disk: -4, the previous file intact, no temporary file") {
  TempDir dir;
  const fs::path disk = dir / "disk";
  fs::create_directories(disk);
  TmpfsMount mount(disk, "2m");
  if (!mount.mounted()) {
    MESSAGE("SKIPPED full-disk case: " << mount.why());
    return;
  }
  const std::string previous = expected_bytes(7, 100'000);
  write_file(disk / "save.bin", previous);

  Http http;
  const auto e = only_final(http, http.http_get_file(url("/bytes/4194304"), (disk / "save.bin").string()));
  INFO(brief(e));
  CHECK(e.status() == status::file_error);
  CHECK(e.http_status() == 200);
  CHECK(e.result() == "");
  CHECK(contains(e.error(), "No space left on device"));
  CHECK(read_file(disk / "save.bin") == previous);
  CHECK(list_tree(disk) == std::vector<std::string>{"save.bin"});

  // The space the temporary file took is free again: a small download onto the same disk works.
  const auto small = only_final(http, http.http_get_file(url("/bytes/10000"), (disk / "small.bin").string()));
  INFO(brief(small));
  CHECK(small.status() == 0);
  CHECK(read_file(disk / "small.bin") == expected_bytes(0, 10'000));
  CHECK(list_tree(disk) == std::vector<std::string>{"save.bin", "small.bin"});
}

TEST_CASE("http_get_file into a directory it cannot write: -4, the previous file intact, no temporary file") {
  TempDir dir;
  const fs::path locked = dir / "locked";
  fs::create_directories(locked);
  std::optional<TmpfsMount> mount;
  if (is_root()) mount.emplace(locked, "2m");
  write_file(locked / "save.bin", "previous");
  bool read_only = false;
  if (mount && mount->mounted()) {
    read_only = mount->make_read_only();
    REQUIRE_MESSAGE(read_only, "could not remount the test tmpfs read-only");
  } else if (is_root()) {
    MESSAGE("SKIPPED unwritable-directory case: root ignores permission bits and " << mount->why());
    return;
  } else {
    ::chmod(locked.c_str(), 0555);
  }
  MESSAGE("unwritable directory made by " << std::string(read_only ? "a read-only tmpfs (root)" : "chmod 0555"));

  Http http;
  const auto e = only_final(http, http.http_get_file(url("/bytes/1000"), (locked / "save.bin").string()));
  INFO(brief(e));
  CHECK(e.status() == status::file_error);
  CHECK(e.http_status() == 200);
  CHECK(e.result() == "");
  CHECK(contains(e.error(), read_only ? "Read-only file system" : "Permission denied"));
  CHECK(read_file(locked / "save.bin") == "previous");
  CHECK(list_tree(locked) == std::vector<std::string>{"save.bin"});

  // A missing directory below it cannot be created either: -4 again, still nothing left behind.
  const auto deep = only_final(http, http.http_get_file(url("/bytes/1000"), (locked / "new/sub/x.bin").string()));
  INFO(brief(deep));
  CHECK(deep.status() == status::file_error);
  CHECK(contains(deep.error(), "cannot create directory"));
  CHECK(list_tree(locked) == std::vector<std::string>{"save.bin"});

  // An empty body still has to create the file: the same -4.
  const auto empty = only_final(http, http.http_get_file(url("/bytes/0"), (locked / "save.bin").string()));
  INFO(brief(empty));
  CHECK(empty.status() == status::file_error);
  CHECK(read_file(locked / "save.bin") == "previous");

  // The Http goes on: a writable target works.
  const auto ok = only_final(http, http.http_get_file(url("/bytes/1000"), (dir / "ok.bin").string()));
  CHECK(ok.status() == 0);
  CHECK(read_file(dir / "ok.bin") == expected_bytes(0, 1000));
  if (!read_only) ::chmod(locked.c_str(), 0755);
}

TEST_CASE("a dangling symlink under file_root pointing outside: nothing is written outside the root") {
  TempDir dir;
  const fs::path root = dir / "root";
  const fs::path outside = dir / "outside";
  fs::create_directories(root);
  fs::create_directories(outside);
  fs::create_symlink(outside / "stolen.bin", root / "save.bin");  // its target does not exist yet
  Options options;
  options.file_root = root.string();
  Http http(options);
  const auto id = http.http_get_file(url("/bytes/100"), "save.bin");
  if (id == -1) {
    CHECK_FALSE(http.last_error().empty());  // refusing is fine
  } else {
    // Accepted: the download replaces the link itself, inside the root.
    const auto e = only_final(http, id);
    INFO(brief(e));
    CHECK(e.status() == 0);
    CHECK(fs::is_regular_file(fs::symlink_status(root / "save.bin")));
    CHECK(read_file(root / "save.bin") == expected_bytes(0, 100));
  }
  CHECK(list_tree(outside).empty());
}

}  // TEST_SUITE
