// Unit tests of the core's sinks (core/src/sinks.hpp): regressions the reliability work found,
// pinned here (the fault suite covers them end to end too).
#include "core/src/sinks.hpp"
#include "support/files.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <set>
#include <string>
#include <vector>

using namespace asyncload;

TEST_CASE("a lying Content-Length reserves at most 16 MiB up front, without a limit") {
  // Found by "Content-Length longer than the body": with no max_body_bytes, a 10-byte response
  // claiming a terabyte made MemorySink reserve boost::json::string's maximum (2 GiB) at once.
  detail::MemorySink sink(0, SIZE_MAX);
  sink.begin(200, 1'000'000'000'000, {});
  CHECK(sink.write("0123456789") == Status::complete);
  const auto body = sink.take_body();
  CHECK(body == "0123456789");
  CHECK(body.capacity() <= 16u << 20);

  detail::MemorySink honest(0, SIZE_MAX);  // an honest small length is still one allocation
  honest.begin(200, 5000, {});
  CHECK(honest.take_body().capacity() >= 5000);
}

// What the browser backend does with an XHR's response (web/fetch_backend.cpp): the bytes are
// copied by the backend straight to their place in the body.
TEST_CASE("MemorySink::write_from: the bytes land in the body, limits hold as for write()") {
  const auto copy_of = [](std::string bytes) {
    return [bytes](char* where) { bytes.copy(where, bytes.size()); };
  };
  detail::MemorySink sink(0, SIZE_MAX);
  sink.begin(200, 9, {});
  CHECK(sink.write("abc") == Status::complete);
  CHECK(sink.write_from(6, copy_of("defghi")) == Status::complete);
  CHECK(sink.write_from(3, copy_of("jkl")) == Status::complete);  // past what begin() reserved
  CHECK(sink.take_body() == "abcdefghijkl");

  detail::MemorySink limited(10, SIZE_MAX);  // max_body_bytes 10: refused, and nothing copied
  limited.begin(200, -1, {});
  CHECK(limited.write_from(8, copy_of("12345678")) == Status::complete);
  bool copied = false;
  CHECK(limited.write_from(3, [&](char*) { copied = true; }) == Status::too_large);
  CHECK_FALSE(copied);
  CHECK(limited.failure() == "response body over max_body_bytes (10)");

  detail::MemorySink fixed(0, 5);  // a buffer of 5 bytes keeps the first 5
  fixed.begin(200, -1, {});
  CHECK(fixed.write_from(4, copy_of("wxyz")) == Status::complete);
  CHECK(fixed.write_from(4, copy_of("1234")) == Status::complete);
  CHECK(fixed.body() == "wxyz1");
  CHECK(fixed.total_bytes() == 8);
}

TEST_CASE("FileSink: a taken temporary name is skipped and left alone, all names taken is -4 with a reason") {
  // The temporary name used to come from the process id, so a file a crashed run left behind
  // under it failed every later download to that target (faults.files has the end-to-end case).
  test::TempDir dir;
  test::write_file(dir / ".taken.part", "someone else's");
  std::vector<std::string> names{".taken.part", ".taken.part", ".free.part"};
  std::size_t next = 0;
  detail::FileSink sink(dir / "save.bin", [&] { return names.at(next++); });
  sink.begin(200, 5, {});
  CHECK(sink.write("hello") == Status::complete);
  files::File replaced;
  CHECK(sink.commit(replaced) == "");
  CHECK(next == 3);
  CHECK(test::read_file(dir / "save.bin") == "hello");
  CHECK(test::read_file(dir / ".taken.part") == "someone else's");
  CHECK(test::list_tree(dir.path()) == std::vector<std::string>{".taken.part", "save.bin"});

  detail::FileSink stuck(dir / "other.bin", [] { return std::string(".taken.part"); });
  stuck.begin(200, 5, {});
  CHECK(stuck.write("hello") == Status::file_error);
  INFO(stuck.failure());
  CHECK(stuck.failure().find("names in a row were taken") != std::string::npos);
  CHECK(stuck.commit(replaced) != "");
  CHECK(test::read_file(dir / ".taken.part") == "someone else's");
  CHECK(test::list_tree(dir.path()) == std::vector<std::string>{".taken.part", "save.bin"});
}

TEST_CASE("FileSink: temporary names are short, hidden and differ from one download to the next") {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const std::string name = detail::random_temporary_name();
    CHECK(name.size() <= 32);
    CHECK(name.front() == '.');
    seen.insert(name);
  }
  // 32 random bits each: one repeat among 1000 has odds of about 1 in 9,000, two of 1 in 10^8.
  CHECK(seen.size() >= 999);
}
