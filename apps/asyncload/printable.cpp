// printable.cpp — printable(): escapes for terminal output; the UTF-8 rules the tool shares.
#include "printable.hpp"

#include <asyncload/detail/text.hpp>

#include <cstdarg>
#include <cstdint>

namespace asyncload::cli {
namespace {

// The code point of the well-formed sequence of `n` bytes at the start of `bytes`.
std::uint32_t code_point(std::string_view bytes, std::size_t n) {
  auto at = [&](std::size_t k) { return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[k])); };
  static constexpr std::uint32_t lead_mask[] = {0, 0x7F, 0x1F, 0x0F, 0x07};
  std::uint32_t value = at(0) & lead_mask[n];
  for (std::size_t k = 1; k < n; ++k) value = value << 6 | (at(k) & 0x3F);
  return value;
}

// Characters a terminal or a log viewer acts on instead of showing: C0, DEL, C1, the line and
// paragraph separators, and the bidirectional controls (they reorder the text around them).
bool is_control(std::uint32_t c) {
  return c < 0x20 || (c >= 0x7F && c <= 0x9F) || c == 0x061C || c == 0x200E || c == 0x200F ||
         c == 0x2028 || c == 0x2029 || (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
}

void append_escape(std::string& out, std::uint32_t c, bool is_byte) {
  switch (c) {
    case '\n': out += "\\n"; return;
    case '\r': out += "\\r"; return;
    case '\t': out += "\\t"; return;
    default: break;
  }
  out += is_byte ? "\\x" : "\\u";
  detail::append_hex(out, c, is_byte ? 2 : 4, detail::HexCase::lower);
}

}  // namespace

std::size_t utf8_sequence_length(std::string_view bytes, std::size_t i) {
  auto at = [&](std::size_t k) { return static_cast<unsigned char>(bytes[k]); };
  const unsigned char b0 = at(i);
  const std::size_t left = bytes.size() - i;
  auto cont = [&](std::size_t k) { return (at(i + k) & 0xC0) == 0x80; };
  if (b0 < 0x80) return 1;
  if (b0 >= 0xC2 && b0 <= 0xDF) return left >= 2 && cont(1) ? 2 : 0;
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    if (left < 3 || !cont(1) || !cont(2)) return 0;
    const unsigned char b1 = at(i + 1);
    if (b0 == 0xE0 && b1 < 0xA0) return 0;  // overlong
    if (b0 == 0xED && b1 > 0x9F) return 0;  // surrogate
    return 3;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    if (left < 4 || !cont(1) || !cont(2) || !cont(3)) return 0;
    const unsigned char b1 = at(i + 1);
    if (b0 == 0xF0 && b1 < 0x90) return 0;  // overlong
    if (b0 == 0xF4 && b1 > 0x8F) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;
}

std::string printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t n = utf8_sequence_length(text, i);
    if (n == 0) {  // not UTF-8: the byte itself, visibly
      append_escape(out, static_cast<unsigned char>(text[i]), /*is_byte=*/true);
      ++i;
      continue;
    }
    const std::string_view sequence = text.substr(i, n);
    const std::uint32_t c = code_point(sequence, n);
    if (!is_control(c))
      out.append(sequence);
    else
      append_escape(out, c, /*is_byte=*/c < 0x80);
    i += n;
  }
  return out;
}

void print_line(std::FILE* stream, const char* format, ...) {
  std::va_list args;
  va_start(args, format);
  std::va_list again;
  va_copy(again, args);
  const int size = std::vsnprintf(nullptr, 0, format, args);
  va_end(args);
  std::string text(size > 0 ? static_cast<std::size_t>(size) : 0, '\0');
  if (size > 0) std::vsnprintf(text.data(), text.size() + 1, format, again);
  va_end(again);
  std::string line = printable(text);
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), stream);
  std::fflush(stream);
}

}  // namespace asyncload::cli
