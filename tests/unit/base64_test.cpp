// asyncload/detail/base64.hpp: what HAR files (content.encoding "base64") are written with.
#include <asyncload/detail/base64.hpp>

#include <doctest/doctest.h>

#include <string>

using namespace asyncload::detail;

TEST_CASE("base64: RFC 4648 test vectors both ways, every byte value round-trips") {
  const char* vectors[][2] = {{"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"},
                              {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    CHECK(base64_encode(plain) == encoded);
    CHECK(base64_decode(encoded) == std::string(plain));
  }
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  CHECK(base64_decode(base64_encode(all)) == all);
  CHECK_FALSE(base64_decode("Zg=").has_value());
  CHECK_FALSE(base64_decode("Z=g=").has_value());
  CHECK_FALSE(base64_decode("Zm9v\n").has_value());
}

TEST_CASE("is_utf8: well-formed text only") {
  CHECK(is_utf8(""));
  CHECK(is_utf8("plain ascii"));
  CHECK(is_utf8("m\xC3\xBCnchen \xE2\x82\xAC \xF0\x9F\x8E\xAE"));  // ü, €, a 4-byte emoji
  CHECK_FALSE(is_utf8("\xC3"));                 // cut short
  CHECK_FALSE(is_utf8("\xE2\x82"));             // cut short
  CHECK_FALSE(is_utf8("\xC0\xAF"));             // overlong '/'
  CHECK_FALSE(is_utf8("\xE0\x80\xAF"));         // overlong
  CHECK_FALSE(is_utf8("\xED\xA0\x80"));         // a surrogate
  CHECK_FALSE(is_utf8("\xF4\x90\x80\x80"));     // above U+10FFFF
  CHECK_FALSE(is_utf8("\x80"));                 // a lone continuation byte
  CHECK_FALSE(is_utf8("latin-1 \xE9t\xE9"));
}
