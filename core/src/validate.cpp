#include "validate.hpp"

#include <asyncload/detail/files.hpp>
#include <asyncload/detail/text.hpp>

#include <boost/url/parse.hpp>

#include <algorithm>
#include <cstdint>

namespace asyncload::detail {
namespace {

bool is_tchar(unsigned char c) {
  // ASCII only, whatever the process locale.
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

// True when percent_encode_beyond_ascii(text, also) would change nothing: the usual URL, which
// is then used as it is (no copy: every request's URL passes through here twice).
bool plain_ascii(std::string_view text, std::string_view also) {
  return std::all_of(text.begin(), text.end(), [also](char c) {
    return static_cast<unsigned char>(c) < 0x80 && also.find(c) == std::string_view::npos;
  });
}

// Percent-encodes non-ASCII bytes and those in `also`.
std::string percent_encode_beyond_ascii(std::string_view text, std::string_view also) {
  return percent_encode(text, [also](unsigned char c) {
    return c < 0x80 && also.find(static_cast<char>(c)) == std::string_view::npos;
  });
}

// Where the authority ends ("scheme://authority/..." or "//authority/..."), 0 when there is none.
std::size_t authority_end(std::string_view url) { return find_authority(url).end; }

bool is_within(const std::filesystem::path& path, const std::filesystem::path& root) {
  auto [root_end, path_at] = std::mismatch(root.begin(), root.end(), path.begin(), path.end());
  return root_end == root.end() && path_at != path.end();
}

// Length of the well-formed UTF-8 sequence at the start of `bytes` (RFC 3629: no overlongs, no
// surrogates, nothing above U+10FFFF), or 0 when there is none there.
std::size_t utf8_sequence_length(std::string_view bytes) {
  auto at = [&](std::size_t k) { return static_cast<unsigned char>(bytes[k]); };
  auto continues = [&](std::size_t n) {
    if (bytes.size() < n) return false;
    for (std::size_t k = 1; k < n; ++k)
      if ((at(k) & 0xC0) != 0x80) return false;
    return true;
  };
  const unsigned char lead = at(0);
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) return continues(2) ? 2 : 0;
  if (lead >= 0xE0 && lead <= 0xEF) {
    if (!continues(3)) return 0;
    if (lead == 0xE0 && at(1) < 0xA0) return 0;  // overlong
    if (lead == 0xED && at(1) > 0x9F) return 0;  // surrogate
    return 3;
  }
  if (lead >= 0xF0 && lead <= 0xF4) {
    if (!continues(4)) return 0;
    if (lead == 0xF0 && at(1) < 0x90) return 0;  // overlong
    if (lead == 0xF4 && at(1) > 0x8F) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;
}

// A well-formed sequence that a terminal or log viewer acts on rather than shows: C0, DEL, C1
// (U+009B is CSI, ESC's 8-bit twin), the line and paragraph separators and the bidirectional
// controls (they reorder the text around them).
bool is_control(std::string_view sequence) {
  std::uint32_t c = static_cast<unsigned char>(sequence[0]);
  if (sequence.size() > 1) {
    static constexpr std::uint32_t lead_bits[] = {0, 0x7F, 0x1F, 0x0F, 0x07};
    c &= lead_bits[sequence.size()];
    for (char next : sequence.substr(1)) c = c << 6 | (static_cast<unsigned char>(next) & 0x3F);
  }
  return c < 0x20 || (c >= 0x7F && c <= 0x9F) || c == 0x061C || c == 0x200E || c == 0x200F ||
         (c >= 0x2028 && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
}

// Headers that frame the message or belong to one connection. The backend derives them from the
// URL and the body; a caller's copy would disagree with what is sent (a Content-Length shorter
// than the body leaves the rest on the connection, read as the start of another request).
// Browsers forbid them too (web/fetch_backend.cpp), so refusing them here keeps the backends alike.
constexpr std::string_view framing_headers[] = {"Content-Length", "Transfer-Encoding", "Host",
                                                "Connection",     "Upgrade",           "TE",
                                                "Trailer",        "Keep-Alive"};

}  // namespace

std::string quote(std::string_view text, std::size_t limit) {
  std::string out;
  out.reserve(std::min(text.size(), limit));
  std::size_t i = 0;
  while (i < text.size() && i < limit) {
    const std::size_t n = utf8_sequence_length(text.substr(i));
    const std::string_view shown = text.substr(i, n == 0 ? 1 : n);
    if (n != 0 && !is_control(shown)) {
      out += shown;
    } else {  // every byte of it, visibly
      for (unsigned char c : shown) {
        out += "\\x";
        append_hex(out, c);
      }
    }
    i += shown.size();
  }
  if (i < text.size()) out += "...";
  return out;
}

bool is_token(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return is_tchar(static_cast<unsigned char>(c)); });
}

std::string wire_url(std::string_view url) {
  constexpr std::string_view encoded = "\"<>\\^`{|}";
  const std::size_t end = authority_end(url);
  if (plain_ascii(url.substr(end), encoded)) return std::string(url);
  return std::string(url.substr(0, end)) + percent_encode_beyond_ascii(url.substr(end), encoded);
}

std::string check_url(std::string_view url, bool allow_relative) {
  if (url.empty()) return "invalid URL: empty";
  if (url.size() > max_url_bytes) return "invalid URL: longer than 64 KiB";
  // Boost.URL follows RFC 3986, which has no raw non-ASCII: an IDN host is checked in its
  // percent-encoded form (curl and browsers convert it to punycode themselves).
  // Square brackets are only for IPv6 hosts in RFC 3986, yet browsers and servers take them raw
  // in paths and queries ("?a[]=1"): accept them there too.
  const std::size_t end = authority_end(url);
  std::string encoded;
  if (!plain_ascii(url.substr(0, end), {}) || !plain_ascii(url.substr(end), "[]"))
    encoded = percent_encode_beyond_ascii(url.substr(0, end), {}) + percent_encode_beyond_ascii(url.substr(end), "[]");
  const std::string_view checked = encoded.empty() ? url : std::string_view(encoded);
  auto parsed = boost::urls::parse_uri(checked);
  if (!parsed && allow_relative && boost::urls::parse_relative_ref(checked)) return {};
  if (!parsed) return "invalid URL '" + quote(url) + "': " + parsed.error().message();
  if (!iequals(parsed->scheme(), "http") && !iequals(parsed->scheme(), "https"))
    return "refused URL scheme '" + std::string(parsed->scheme()) + "': only http and https are fetched";
  const std::string_view raw_authority = url.substr(0, end);
  if (!parsed->has_authority() || parsed->encoded_host().empty())
    return "invalid URL '" + quote(url) + "': no host";
  // Clients (and Boost.URL 1.81) disagree on which '@' ends the userinfo, so "http://a@b@c/" could reach either host.
  if (std::count(raw_authority.begin(), raw_authority.end(), '@') > 1)
    return "invalid URL '" + quote(url) + "': ambiguous userinfo ('@' twice)";
  return {};
}

std::string check_method(std::string_view method) {
  if (!is_token(method)) return "invalid HTTP method '" + quote(method, 100) + "': not a token";
  return {};
}

bool is_framing_header(std::string_view name) {
  return std::any_of(std::begin(framing_headers), std::end(framing_headers),
                     [&](std::string_view framing) { return iequals(name, framing); });
}

std::string check_headers(const Headers& headers) {
  for (const auto& [name, value] : headers) {
    if (!is_token(name)) return "invalid header name '" + quote(name, 100) + "': not a token";
    if (is_framing_header(name))
      return "refused header '" + name +
             "': Content-Length, Transfer-Encoding, Host, Connection, Upgrade, TE, Trailer and "
             "Keep-Alive are set by asyncload itself";
    if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos)
      return "invalid value for header '" + quote(name, 100) + "': contains CR, LF or NUL";
  }
  return {};
}

std::string check_file_target(std::string_view target, std::string_view root,
                              std::filesystem::path& resolved) {
  namespace fs = std::filesystem;
  if (target.empty()) return "invalid file target: empty";
  if (target.find('\0') != std::string_view::npos) return "invalid file target: contains NUL";
  fs::path path = files::path_from_utf8(target);
  if (!path.has_filename()) return "invalid file target '" + quote(target) + "': names a directory";
  std::error_code ec;
  if (!root.empty()) {
    const fs::path root_path = fs::weakly_canonical(fs::absolute(files::path_from_utf8(root), ec), ec);
    if (ec) return "file root '" + quote(root) + "' cannot be resolved: " + ec.message();
    // weakly_canonical resolves "..", "." and every symlink that exists, so what is left is
    // where the bytes would really land.
    const fs::path full = fs::weakly_canonical(path.is_absolute() ? path : root_path / path, ec);
    if (ec) return "file target '" + quote(target) + "' cannot be resolved: " + ec.message();
    if (!is_within(full, root_path))
      return "file target '" + quote(target) + "' is outside the file root '" + quote(files::utf8(root_path)) + "'";
    resolved = full;
  } else {
    resolved = path;
  }
  if (files::names_a_device(resolved))
    return "file target '" + quote(files::utf8(resolved)) + "' names a device (Windows), not a regular file";
  const fs::file_status st = fs::status(resolved, ec);
  if (fs::exists(st) && !fs::is_regular_file(st))
    return "file target '" + quote(files::utf8(resolved)) + "' exists and is not a regular file";
  return {};
}

}  // namespace asyncload::detail
