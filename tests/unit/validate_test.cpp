// Unit tests of the core's request checks (core/src/validate.hpp): regressions the reliability
// work found, pinned here (the hostile-input table of the fault suite covers them end to end too).
#include "core/src/validate.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>

using namespace asyncload;

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
