// Call-time checks. Each returns "" when the input is acceptable, else a one-line reason that
// becomes last_error(). Nothing here touches the network.
#pragma once

#include <asyncload/types.hpp>

#include <filesystem>
#include <string>
#include <string_view>

namespace asyncload::detail {

inline constexpr std::size_t max_url_bytes = 64 * 1024;

bool is_token(std::string_view text);  // RFC 9110 token: 1*tchar
// Caller or server text made safe to print as part of a one-line reason (last_error(), an
// event's "error"): at most `limit` bytes of it, then "..."; C0 controls, DEL, C1 controls, line
// separators, bidirectional controls and bytes that are not well-formed UTF-8 each shown as
// \xNN per byte. Everything else (printable ASCII, well-formed UTF-8) is kept as it is.
std::string quote(std::string_view text, std::size_t limit = 200);
// The URL as it goes on the wire: after the authority, non-ASCII bytes and the characters a
// browser percent-encodes ("<>\^`{|}) are percent-encoded, so JSON in a query or UTF-8 in a
// path works the same natively and in browsers. The host is left for IDN handling.
std::string wire_url(std::string_view url);
// `allow_relative`: the backend resolves relative references against a page (browsers).
std::string check_url(std::string_view url, bool allow_relative = false);
std::string check_method(std::string_view method);
// Content-Length, Transfer-Encoding, Host, Connection, Upgrade, TE, Trailer, Keep-Alive (any
// case): the backend sets them; check_headers refuses them from callers.
bool is_framing_header(std::string_view name);
std::string check_headers(const Headers& headers);

// Resolves a http_get_file target: relative targets land under `root` when it is set, and
// anything that escapes it (.., absolute paths elsewhere, symlinks out) is refused. An existing
// target must be a regular file. On success `resolved` is the path the file will have.
std::string check_file_target(std::string_view target, std::string_view root,
                              std::filesystem::path& resolved);

}  // namespace asyncload::detail
