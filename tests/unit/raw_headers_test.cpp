// Unit tests of the raw response-header parser the web backend uses (core/src/raw_headers.hpp).
#include "core/src/raw_headers.hpp"

#include <doctest/doctest.h>

using namespace asyncload;

TEST_CASE("raw response-header blocks are split into trimmed pairs, values with ': ' intact") {
  const auto headers = detail::parse_raw_headers(
      "content-type: text/plain\r\nx-colon:  a: b \r\nset-cookie: a=1\r\nset-cookie: b=2\r\nno colon line\r\n: empty name\r\n\r\n");
  CHECK(headers == Headers{{"content-type", "text/plain"}, {"x-colon", "a: b"}, {"set-cookie", "a=1"}, {"set-cookie", "b=2"}});
  CHECK(detail::parse_raw_headers("").empty());
  CHECK(detail::parse_raw_headers("a:\n") == Headers{{"a", ""}});
}
