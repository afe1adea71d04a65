// Fuzzes the call-time validation of core/src/validate.cpp. The first byte picks the check, the
// rest is its input. Beyond "no crash, no sanitizer report", each check's verdict must agree with
// what it promises, and every refusal must be a reason fit for last_error(): non-empty, one
// printable line, bounded.
#include "property.hpp"

#include "core/src/validate.hpp"

#include <asyncload/detail/text.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>
#include <unistd.h>

using namespace asyncload;
using namespace asyncload::detail;

namespace {

void check_reason(const std::string& why) {
  require(!why.empty(), "a refusal has a reason");
  require(why.size() <= 1024, "a reason is bounded");
  require(std::none_of(why.begin(), why.end(),
                       [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }),
          "a reason is one printable line");
  require(quote(why, SIZE_MAX) == why, "a reason shows no control character and no invalid UTF-8");
}

// Splits "name\0value\0name\0value..." into headers.
Headers split_headers(std::string_view data) {
  Headers headers;
  while (!data.empty() && headers.size() < 64) {
    const auto a = data.find('\x01');
    const std::string_view name = data.substr(0, a);
    data = a == std::string_view::npos ? std::string_view() : data.substr(a + 1);
    const auto b = data.find('\x01');
    const std::string_view value = data.substr(0, b);
    data = b == std::string_view::npos ? std::string_view() : data.substr(b + 1);
    headers.emplace_back(std::string(name), std::string(value));
  }
  return headers;
}

const std::filesystem::path& root() {
  static const std::filesystem::path path = [] {
    auto dir = std::filesystem::temp_directory_path() / ("asyncload-fuzz-root-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir / "sub");
    return dir;
  }();
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view data(reinterpret_cast<const char*>(bytes) + 1, size - 1);
  switch (bytes[0] % 4) {
    case 0: {
      const std::string why = check_url(data);
      if (!why.empty()) {
        check_reason(why);
        break;
      }
      require(data.size() <= max_url_bytes, "an accepted URL is at most 64 KiB");
      require(istarts_with(data, "http://") || istarts_with(data, "https://"), "an accepted URL is http(s)://");
      require(std::none_of(data.begin(), data.end(),
                           [](char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f; }),
              "an accepted URL has no space or control character");
      // What goes on the wire is still a URL the core accepts.
      const std::string wire = wire_url(data);
      require(check_url(wire).empty() || wire.size() > max_url_bytes, "wire_url keeps an accepted URL acceptable");
      break;
    }
    case 1: {
      const std::string why = check_method(data);
      require(why.empty() == is_token(data), "check_method accepts exactly the tokens");
      if (!why.empty()) check_reason(why);
      break;
    }
    case 2: {
      const Headers headers = split_headers(data);
      const std::string why = check_headers(headers);
      bool valid = true;
      for (const auto& [name, value] : headers)
        valid = valid && is_token(name) && !is_framing_header(name) &&
                value.find_first_of(std::string_view("\r\n\0", 3)) == std::string::npos;
      require(why.empty() == valid,
              "check_headers accepts exactly token names, not framing ones, with CR/LF/NUL-free values");
      if (!why.empty()) check_reason(why);
      break;
    }
    case 3: {
      if (data.size() > 4096) break;
      std::filesystem::path resolved;
      const std::string why = check_file_target(data, root().string(), resolved);
      if (!why.empty()) {
        check_reason(why);
        break;
      }
      // Accepted: it lands strictly inside the root.
      const auto canonical_root = std::filesystem::weakly_canonical(root());
      const auto rel = resolved.lexically_relative(canonical_root);
      require(!rel.empty() && *rel.begin() != ".." && rel != ".", "an accepted target stays inside file_root");
      break;
    }
  }
  return 0;
}
