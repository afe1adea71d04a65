// Unit tests of the core's sinks (core/src/sinks.hpp): regressions the reliability work found,
// pinned here (the fault suite covers them end to end too).
#include "core/src/sinks.hpp"

#include <doctest/doctest.h>

#include <cstdint>
#include <string>

using namespace asyncload;

TEST_CASE("a lying Content-Length reserves at most 16 MiB up front, without a limit") {
  // Found by "Content-Length longer than the body": with no max_body_bytes, a 10-byte response
  // claiming a terabyte made MemorySink reserve boost::json::string's maximum (2 GiB) at once.
  detail::MemorySink sink(0, SIZE_MAX);
  sink.begin(200, 1'000'000'000'000);
  CHECK(sink.write("0123456789") == status::complete);
  const auto body = sink.take_body();
  CHECK(body == "0123456789");
  CHECK(body.capacity() <= 16u << 20);

  detail::MemorySink honest(0, SIZE_MAX);  // an honest small length is still one allocation
  honest.begin(200, 5000);
  CHECK(honest.take_body().capacity() >= 5000);
}
