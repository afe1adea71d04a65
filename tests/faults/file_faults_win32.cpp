// file_faults_win32.cpp — what http_get_file does where Windows differs from POSIX: a target
// that another program holds open cannot be replaced (README "Windows"). Windows only: on
// POSIX the rename replaces an open file, which file_faults.cpp relies on.
#if defined(_WIN32)
#include "faults/checks.hpp"
#include "faults/probes.hpp"
#include "support/game_loop.hpp"

#include <doctest/doctest.h>

#include <fstream>

using namespace asyncload;
using namespace asyncload::test;
using namespace asyncload::faults;

TEST_SUITE("faults.files") {

TEST_CASE("Windows: http_get_file onto a target another program holds open: -4 saying so, the old file whole") {
  TempDir dir;
  write_file(dir / "save.bin", "previous");
  Http http;
  {
    std::ifstream reader(dir / "save.bin", std::ios::binary);  // the game's own reader, an antivirus...
    REQUIRE(reader.is_open());
    const auto e = only_final(http, http.http_get_file(url("/bytes/5000"), (dir / "save.bin").string()));
    INFO(brief(e));
    CHECK(e.status() == Status::file_error);
    CHECK(e.http_status() == 200);
    CHECK(contains(e.error(), "open in another program"));
  }
  CHECK(read_file(dir / "save.bin") == "previous");
  CHECK(list_tree(dir.path()) == std::vector<std::string>{"save.bin"});  // no temporary file left
  // Once the other program let go, the same download replaces it.
  const auto again = only_final(http, http.http_get_file(url("/bytes/5000"), (dir / "save.bin").string()));
  CHECK(again.status() == Status::complete);
  CHECK(read_file(dir / "save.bin") == expected_bytes(0, 5000));
}

}  // TEST_SUITE
#endif
