// Unit tests of the text helpers the core, the backends and the tools share
// (platform/src/asyncload/detail/text.hpp).
#include <asyncload/detail/text.hpp>

#include <doctest/doctest.h>

#include <string>
#include <string_view>

using namespace asyncload;

TEST_CASE("text: case-insensitive compare, lower-casing and trimming are ASCII only") {
  CHECK(detail::iequals("Content-Length", "content-LENGTH"));
  CHECK_FALSE(detail::iequals("Content-Length", "Content-Lengt"));
  CHECK(detail::istarts_with("HTTPS://x", "https://"));
  CHECK(detail::to_lower("X-Ünïcode-ABC") == "x-Ünïcode-abc");
  CHECK(detail::trim(" \t value \r\n") == "value");
  CHECK(detail::trim(" \r\n") == "");
}

TEST_CASE("text: percent_encode writes what `keep` rejects as upper-case %XX") {
  CHECK(detail::percent_encode("a b/ü~", detail::is_unreserved) == "a%20b%2F%C3%BC~");
  std::string escaped;
  detail::append_hex(escaped, 0x0a);
  detail::append_hex(escaped, 0x202e, 4, detail::HexCase::lower);
  CHECK(escaped == "0A202e");
}

TEST_CASE("find_authority: the authority and its host, whatever userinfo and port surround it") {
  auto host = [](std::string_view url) {
    const auto a = detail::find_authority(url);
    return std::string(url.substr(a.host_begin, a.host_end - a.host_begin));
  };
  auto authority = [](std::string_view url) {
    const auto a = detail::find_authority(url);
    return std::string(url.substr(a.begin, a.end - a.begin));
  };
  CHECK(authority("http://user:pw@example.test:8080/path?q#f") == "user:pw@example.test:8080");
  CHECK(host("http://user:pw@example.test:8080/path?q#f") == "example.test");
  CHECK(host("https://münchen.example?x=1") == "münchen.example");
  CHECK(host("http://[::1]:8080/") == "[::1]");
  CHECK(host("//cdn.example/lib.js") == "cdn.example");
  CHECK(detail::find_authority("/relative/path").end == 0);
  CHECK(detail::find_authority("mailto:someone@example.test").end == 0);
}
