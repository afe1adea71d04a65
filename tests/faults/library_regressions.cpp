// Regressions for library bugs the reliability work found, pinned at the unit level (the fault
// and hostile-input cases that found them cover them end to end too).
#include "faults/probes.hpp"

#include "core/src/sinks.hpp"
#include "core/src/validate.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>

using namespace asyncload;

TEST_SUITE("faults.regressions") {

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

TEST_CASE("refusal reasons quote the caller's text on one printable, bounded line") {
  // Found by the hostile-input table: CR, LF and NUL from a URL, method, header name or file
  // target were copied raw into last_error(), so one reason could print as several lines.
  const std::string reasons[] = {
      detail::check_url("http://127.0.0.1/\r\nX-Injected: 1"),
      detail::check_url(std::string("http://127.0.0.1/\0x", 19)),
      detail::check_method(std::string("GE\0T\n", 5)),
      detail::check_headers({{"X-A\r\nX-B", "v"}}),
      detail::check_headers({{std::string(100'000, 'a'), "a\nb"}}),
  };
  for (const auto& why : reasons) {
    INFO(why);
    CHECK_FALSE(why.empty());
    CHECK(why.size() <= 600);
    CHECK(std::none_of(why.begin(), why.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }));
  }
  CHECK(detail::check_url("http://127.0.0.1/\r\n").find("\\x0D\\x0A") != std::string::npos);
}

}  // TEST_SUITE
