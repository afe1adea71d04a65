// The OS file API (platform/src/asyncload/detail/files.hpp) on this platform: what FileSink
// relies on.
#include "support/files.hpp"

#include <asyncload/detail/files.hpp>

#include <doctest/doctest.h>

using namespace asyncload;
using asyncload::test::read_file;
using asyncload::test::TempDir;
using asyncload::test::write_file;

TEST_CASE("files: create_new writes a new file and refuses a name that is taken, saying so") {
  TempDir dir;
  files::File file;
  bool taken = true;
  REQUIRE(files::create_new(dir / "new.part", file, taken) == "");
  CHECK_FALSE(taken);
  CHECK(file.is_open());
  CHECK(files::write(file, "first ") == "");
  CHECK(files::truncate(file) == "");
  CHECK(files::write(file, "hello") == "");
  files::start_writeback(file, 0, 5);
  CHECK(files::close(file) == "");
  CHECK_FALSE(file.is_open());
  CHECK(read_file(dir / "new.part") == "hello");

  files::File again;
  const std::string why = files::create_new(dir / "new.part", again, taken);
  CHECK(why != "");
  CHECK(taken);
  CHECK_FALSE(again.is_open());
  CHECK(read_file(dir / "new.part") == "hello");

  files::File nowhere;
  CHECK(files::create_new(dir / "missing" / "x.part", nowhere, taken) != "");
  CHECK_FALSE(taken);
}

TEST_CASE("files: replace moves the new file onto the target and hands back the one it replaced") {
  TempDir dir;
  write_file(dir / "save.bin", "old");
  write_file(dir / "new.part", "new");
  files::File replaced;
  REQUIRE(files::replace(dir / "new.part", dir / "save.bin", replaced) == "");
  CHECK(read_file(dir / "save.bin") == "new");
  CHECK_FALSE(std::filesystem::exists(dir / "new.part"));
  CHECK(replaced.is_open());  // POSIX: held open, so closing it (off the frame) frees it

  write_file(dir / "other.part", "other");
  files::File nothing;
  REQUIRE(files::replace(dir / "other.part", dir / "fresh.bin", nothing) == "");
  CHECK_FALSE(nothing.is_open());  // nothing was there to replace
  CHECK(read_file(dir / "fresh.bin") == "other");

  CHECK(files::replace(dir / "gone.part", dir / "save.bin", nothing) != "");
  CHECK(read_file(dir / "save.bin") == "new");
}

TEST_CASE("files: remove and create_directories report what went wrong") {
  TempDir dir;
  CHECK(files::create_directories(dir / "a" / "b") == "");
  CHECK(std::filesystem::is_directory(dir / "a" / "b"));
  CHECK(files::create_directories(dir / "a" / "b") == "");  // already there
  write_file(dir / "a" / "file", "x");
  CHECK(files::create_directories(dir / "a" / "file" / "c") != "");
  CHECK(files::remove(dir / "a" / "file") == "");
  CHECK_FALSE(std::filesystem::exists(dir / "a" / "file"));
  CHECK(files::remove(dir / "a" / "file") != "");
}
