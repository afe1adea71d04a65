// Text helpers the core, the backends and the tools share. ASCII only, whatever the process
// locale: HTTP names, URLs and escapes are ASCII by definition. Not installed, not public API.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace asyncload::detail {

constexpr char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// Equal but for ASCII letter case ("Content-Length" and "content-length").
inline bool iequals(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](char x, char y) { return ascii_lower(x) == ascii_lower(y); });
}

inline bool istarts_with(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && iequals(text.substr(0, prefix.size()), prefix);
}

inline std::string to_lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), ascii_lower);
  return out;
}

// `text` without the spaces, tabs, CRs and LFs around it.
inline std::string_view trim(std::string_view text) {
  constexpr std::string_view space = " \t\r\n";
  const auto first = text.find_first_not_of(space);
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(space) - first + 1);
}

enum class HexCase { upper, lower };

// Appends the `digits` lowest hex digits of `value`: append_hex(out, 0x0A) adds "0A" (for
// "%0A" or "\x0A"), append_hex(out, 0x202E, 4, HexCase::lower) adds "202e".
inline void append_hex(std::string& out, std::uint32_t value, int digits = 2, HexCase letters = HexCase::upper) {
  const char* alphabet = letters == HexCase::upper ? "0123456789ABCDEF" : "0123456789abcdef";
  for (int shift = 4 * (digits - 1); shift >= 0; shift -= 4) out += alphabet[value >> shift & 15];
}

// `text` with every byte that `keep(byte)` rejects written as %XX.
template <class Keep>
std::string percent_encode(std::string_view text, Keep keep) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (keep(byte)) {
      out += c;
    } else {
      out += '%';
      append_hex(out, byte);
    }
  }
  return out;
}

// RFC 3986 unreserved characters: what a query value keeps unencoded.
constexpr bool is_unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

// Where a URL's authority ("scheme://userinfo@host:port" or "//host") is: offsets into the URL.
// All zero when it has none. The host is what follows the last '@' up to the port's ':' (an
// IPv6 literal keeps its brackets).
struct UrlAuthority {
  std::size_t begin = 0, end = 0;            // the authority, after the "//"
  std::size_t host_begin = 0, host_end = 0;  // the host within it
};

inline UrlAuthority find_authority(std::string_view url) {
  const auto delimiter = url.find_first_of(":/?#");
  const std::size_t start = delimiter != std::string_view::npos && url[delimiter] == ':' ? delimiter + 1 : 0;
  if (url.substr(start, 2) != "//") return {};
  UrlAuthority a;
  a.begin = start + 2;
  a.end = std::min(url.find_first_of("/?#", a.begin), url.size());
  const std::string_view authority = url.substr(a.begin, a.end - a.begin);
  const auto at = authority.rfind('@');
  a.host_begin = at == std::string_view::npos ? a.begin : a.begin + at + 1;
  const std::string_view host_and_port = url.substr(a.host_begin, a.end - a.host_begin);
  const bool bracketed = host_and_port.starts_with('[');
  std::size_t host_length = host_and_port.find(bracketed ? ']' : ':');
  if (bracketed && host_length != std::string_view::npos) ++host_length;  // the ']' is the host's
  a.host_end = a.host_begin + std::min(host_length, host_and_port.size());
  return a;
}

}  // namespace asyncload::detail
