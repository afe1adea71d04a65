// Unit tests of the response-header parser the backends share
// (platform/src/asyncload/detail/raw_headers.hpp).
#include <asyncload/detail/raw_headers.hpp>

#include <doctest/doctest.h>

using namespace asyncload;

TEST_CASE("raw response-header blocks are split into trimmed pairs, values with ': ' intact") {
  const auto headers = detail::parse_raw_headers(
      "content-type: text/plain\r\nx-colon:  a: b \r\nset-cookie: a=1\r\nset-cookie: b=2\r\nno colon line\r\n: empty name\r\n\r\n");
  CHECK(headers == Headers{{"content-type", "text/plain"}, {"x-colon", "a: b"}, {"set-cookie", "a=1"}, {"set-cookie", "b=2"}});
  CHECK(detail::parse_raw_headers("").empty());
  CHECK(detail::parse_raw_headers("a:\n") == Headers{{"a", ""}});
}

TEST_CASE("a header line that starts with a space or a tab continues the previous value (obs-fold)") {
  CHECK(detail::parse_raw_headers("X-Long: one\r\n two\r\n\tthree \r\nX-Next: n\r\n") ==
        Headers{{"X-Long", "one two three"}, {"X-Next", "n"}});
  CHECK(detail::parse_raw_headers("X-Empty:\r\n more\r\n \r\n") == Headers{{"X-Empty", "more"}});
  CHECK(detail::parse_raw_headers(" X-First: a\r\n") == Headers{{"X-First", "a"}});  // nothing to continue
  Headers lines;  // one line at a time, as libcurl hands them over
  for (std::string_view line : {"HTTP/1.1 200 OK\r\n", "A: 1\r\n", "  2\r\n", "\r\n"})
    detail::add_header_line(lines, line);
  CHECK(lines == Headers{{"A", "1 2"}});
}
