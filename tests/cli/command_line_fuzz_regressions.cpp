// Regressions from fuzzing parse_command_line (fuzz/fuzz_command_line.cpp): every input that
// broke one of its properties stays here as a test (the input itself is also replayed from
// fuzz/regressions/command_line/ by scripts/fuzz.sh).
#include "asyncload/command_line.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <variant>
#include <vector>

namespace asyncload::cli {

TEST_CASE("fuzz regression: an argument with a newline or control bytes keeps a usage error on one line") {
  const std::vector<std::vector<std::string>> cases = {
      // fuzz/regressions/command_line/newline-in-usage-error: "--fps" then "\n0"
      {"request", "PUT", "http://a/", "-H", "X-A: 1", "--data", "body", "--fps\n0"},
      {"get\nhttp://a/"},
      {"get", "--timeout", "1\n2"},
      {"serve", "--port", "80\r\nX-Forged: yes"},
      {"request", "GET", "http://a/", "-H", std::string("no colon\0here\x1b[31m", 17)},
      {"--bogus\x7f"},
  };
  for (const auto& args : cases) {
    const ParseResult result = parse_command_line(args);
    REQUIRE(std::holds_alternative<UsageError>(result));
    const std::string& message = std::get<UsageError>(result).message;
    INFO(message);
    CHECK_FALSE(message.empty());
    CHECK(std::none_of(message.begin(), message.end(),
                       [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }));
  }
  // The escaped form still shows what was typed.
  const auto result = parse_command_line(std::vector<std::string>{"get\nx"});
  CHECK(std::get<UsageError>(result).message == "unknown command 'get\\nx'");
}

}  // namespace asyncload::cli
