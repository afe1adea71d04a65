// The OS file API (platform/src/asyncload/detail/files.hpp) on this platform: what FileSink
// relies on.
#include "support/files.hpp"

#include <asyncload/detail/files.hpp>

#include <doctest/doctest.h>

#include <fstream>

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
#if defined(_WIN32)
  CHECK_FALSE(replaced.is_open());  // Windows cannot replace a file held open: the rename frees it
#else
  CHECK(replaced.is_open());  // POSIX: held open, so closing it (off the frame) frees it
#endif

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

TEST_CASE("files: UTF-8 names are the names on disk (Windows: not read in the ANSI code page)") {
  TempDir dir;
  const std::string name = "caf\xc3\xa9-\xe4\xbe\x8b.bin";  // café-例.bin, in UTF-8
  const std::filesystem::path path = files::path_from_utf8(files::utf8(dir.path()) + "/" + name);
  CHECK(files::utf8(path.filename()) == name);
  files::File file;
  bool taken = false;
  REQUIRE(files::create_new(path, file, taken) == "");
  CHECK(files::write(file, "x") == "");
  CHECK(files::close(file) == "");
  std::vector<std::u8string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) names.push_back(entry.path().filename().u8string());
  REQUIRE(names.size() == 1);
  CHECK(names[0] == u8"caf\u00e9-\u4f8b.bin");
  CHECK(files::remove(path) == "");
}

#if defined(_WIN32)
// Windows only: POSIX replaces a file whoever holds it open.
TEST_CASE("files: Windows: a target open elsewhere is not replaced, says why, and keeps its bytes") {
  TempDir dir;
  write_file(dir / "save.bin", "old");
  write_file(dir / "new.part", "new");
  {
    std::ifstream reader(dir / "save.bin", std::ios::binary);  // the game's own reader, an antivirus...
    REQUIRE(reader.is_open());
    files::File replaced;
    const std::string why = files::replace(dir / "new.part", dir / "save.bin", replaced);
    INFO(why);
    CHECK(why.find("open in another program") != std::string::npos);
    CHECK_FALSE(replaced.is_open());
  }
  CHECK(read_file(dir / "save.bin") == "old");
  CHECK(read_file(dir / "new.part") == "new");  // still there, for the caller to remove

  // The temporary file is opened with delete sharing: it can be renamed while still open.
  files::File open_part;
  bool taken = false;
  REQUIRE(files::create_new(dir / "open.part", open_part, taken) == "");
  CHECK(files::write(open_part, "fresh") == "");
  files::File replaced;
  CHECK(files::replace(dir / "open.part", dir / "save.bin", replaced) == "");
  CHECK(files::close(open_part) == "");
  CHECK(read_file(dir / "save.bin") == "fresh");
}
#endif
