// printable_tests.cpp — printable(), the one escaping function for everything the tool prints
// outside the NDJSON: what stays, what becomes a visible escape.
#include "asyncload/printable.hpp"

#include <doctest/doctest.h>

#include <string>

namespace asyncload::cli {

TEST_CASE("printable: text a terminal shows as it is stays as it is") {
  for (const std::string text :
       {"", "http://127.0.0.1:8080/a?b=c#d", "GET", "a\\x41 stays", "Grüße, 日本, 😀", "~ ' \" %"})
    CHECK(printable(text) == text);
}

TEST_CASE("printable: C0 controls, DEL and ESC become visible escapes") {
  CHECK(printable("a\nb") == "a\\nb");
  CHECK(printable("a\r\nb\tc") == "a\\r\\nb\\tc");
  CHECK(printable("\x1b[31mred\x1b[0m") == "\\x1b[31mred\\x1b[0m");
  CHECK(printable(std::string("nul\0here", 8)) == "nul\\x00here");
  CHECK(printable("\x07\x08\x7f") == "\\x07\\x08\\x7f");
}

TEST_CASE("printable: C1 controls, separators and bidi controls are escaped as code points") {
  CHECK(printable("a\xc2\x9b" "31mb") == "a\\u009b31mb");  // U+009B: CSI, like ESC [
  CHECK(printable("\xc2\x85") == "\\u0085");                 // NEL
  CHECK(printable("a\xe2\x80\xa8" "b") == "a\\u2028b");      // LINE SEPARATOR
  CHECK(printable("\xe2\x80\xae" "cba") == "\\u202ecba");    // RIGHT-TO-LEFT OVERRIDE
  CHECK(printable("\xe2\x81\xa6x\xe2\x81\xa9") == "\\u2066x\\u2069");
  CHECK(printable("\xc2\xa0") == "\xc2\xa0");  // U+00A0, just past C1, is shown
}

TEST_CASE("printable: bytes that are not UTF-8 become \\xNN, each one") {
  CHECK(printable("\x9b" "31m") == "\\x9b31m");           // a lone C1 byte (8-bit CSI)
  CHECK(printable("a\xff\xfe" "b") == "a\\xff\\xfeb");
  CHECK(printable("\xc3") == "\\xc3");                    // truncated sequence
  CHECK(printable("\xc0\xaf") == "\\xc0\\xaf");           // overlong '/'
  CHECK(printable("\xed\xa0\x80") == "\\xed\\xa0\\x80");  // surrogate
  CHECK(printable("\xf4\x90\x80\x80") == "\\xf4\\x90\\x80\\x80");  // above U+10FFFF
}

TEST_CASE("printable: its output needs no more escaping") {
  const std::string hostile = "x\n\x1b]0;title\x07\xc2\x9b\xff\xe2\x80\xae\r";
  const std::string once = printable(hostile);
  CHECK(printable(once) == once);
  CHECK(once.find_first_of("\n\r\x1b\x07") == std::string::npos);
}

}  // namespace asyncload::cli
