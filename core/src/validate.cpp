#include "validate.hpp"

#include <asyncload/detail/text.hpp>

#include <boost/url/parse.hpp>

#include <algorithm>

namespace asyncload::detail {
namespace {

bool is_tchar(unsigned char c) {
  // ASCII only, whatever the process locale.
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

// Percent-encodes non-ASCII bytes and those in `also`.
std::string percent_encode_beyond_ascii(std::string_view text, std::string_view also) {
  return percent_encode(text, [also](unsigned char c) {
    return c < 0x80 && also.find(static_cast<char>(c)) == std::string_view::npos;
  });
}

// Caller text inside a one-line reason: at most `limit` bytes, control characters escaped, so
// last_error() stays one printable line whatever the input (CR/LF, NUL, a 100 KB URL).
std::string quote(std::string_view text, std::size_t limit = 200) {
  std::string out;
  for (unsigned char c : text.substr(0, limit)) {
    if (c >= 0x20 && c != 0x7f) {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      append_hex(out, c);
    }
  }
  if (text.size() > limit) out += "...";
  return out;
}

// Where the authority ends ("scheme://authority/..." or "//authority/..."), 0 when there is none.
std::size_t authority_end(std::string_view url) { return find_authority(url).end; }

bool is_within(const std::filesystem::path& path, const std::filesystem::path& root) {
  auto [root_end, path_at] = std::mismatch(root.begin(), root.end(), path.begin(), path.end());
  return root_end == root.end() && path_at != path.end();
}

}  // namespace

bool is_token(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return is_tchar(static_cast<unsigned char>(c)); });
}

std::string wire_url(std::string_view url) {
  const std::size_t end = authority_end(url);
  return std::string(url.substr(0, end)) + percent_encode_beyond_ascii(url.substr(end), "\"<>\\^`{|}");
}

std::string check_url(std::string_view url, bool allow_relative) {
  if (url.empty()) return "invalid URL: empty";
  if (url.size() > max_url_bytes) return "invalid URL: longer than 64 KiB";
  // Boost.URL follows RFC 3986, which has no raw non-ASCII: an IDN host is checked in its
  // percent-encoded form (curl and browsers convert it to punycode themselves).
  // Square brackets are only for IPv6 hosts in RFC 3986, yet browsers and servers take them raw
  // in paths and queries ("?a[]=1"): accept them there too.
  const std::size_t end = authority_end(url);
  const std::string checked = percent_encode_beyond_ascii(url.substr(0, end), {}) +
                              percent_encode_beyond_ascii(url.substr(end), "[]");
  auto parsed = boost::urls::parse_uri(checked);
  if (!parsed && allow_relative && boost::urls::parse_relative_ref(checked)) return {};
  if (!parsed) return "invalid URL '" + quote(url) + "': " + parsed.error().message();
  if (!iequals(parsed->scheme(), "http") && !iequals(parsed->scheme(), "https"))
    return "refused URL scheme '" + std::string(parsed->scheme()) + "': only http and https are fetched";
  const std::string_view raw_authority = url.substr(0, authority_end(url));
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

std::string check_headers(const Headers& headers) {
  for (const auto& [name, value] : headers) {
    if (!is_token(name)) return "invalid header name '" + quote(name, 100) + "': not a token";
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
  fs::path path{std::string(target)};
  if (!path.has_filename()) return "invalid file target '" + quote(target) + "': names a directory";
  std::error_code ec;
  if (!root.empty()) {
    const fs::path root_path = fs::weakly_canonical(fs::absolute(fs::path{std::string(root)}, ec), ec);
    if (ec) return "file root '" + quote(root) + "' cannot be resolved: " + ec.message();
    // weakly_canonical resolves "..", "." and every symlink that exists, so what is left is
    // where the bytes would really land.
    const fs::path full = fs::weakly_canonical(path.is_absolute() ? path : root_path / path, ec);
    if (ec) return "file target '" + quote(target) + "' cannot be resolved: " + ec.message();
    if (!is_within(full, root_path))
      return "file target '" + quote(target) + "' is outside the file root '" + quote(root_path.string()) + "'";
    resolved = full;
  } else {
    resolved = path;
  }
  const fs::file_status st = fs::status(resolved, ec);
  if (fs::exists(st) && !fs::is_regular_file(st))
    return "file target '" + quote(resolved.string()) + "' exists and is not a regular file";
  return {};
}

}  // namespace asyncload::detail
