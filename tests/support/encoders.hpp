// support/encoders.hpp — the content codings a server may send, made at test time with the
// reference libraries (zlib, brotli, zstd), so a test can serve a body byte for byte and cut it
// anywhere.
#pragma once

#include <string>
#include <string_view>

namespace asyncload::test {

// `fast`: the library's quickest level, for a large input (a decompression bomb) whose ratio
// matters less than the test's time.
std::string gzip_encode(std::string_view text, bool fast = false);
std::string zlib_encode(std::string_view text, bool fast = false);         // "deflate" per RFC 9110
std::string raw_deflate_encode(std::string_view text, bool fast = false);  // "deflate" as some servers send it
// Whether the library decodes br and zstd (README "Windows": not the MinGW build, which Debian
// cannot give brotli or zstd); without them these two throw std::logic_error.
#if defined(ASYNCLOAD_BROTLI_ZSTD)
inline constexpr bool brotli_zstd_built = true;
#else
inline constexpr bool brotli_zstd_built = false;
#endif
std::string brotli_encode(std::string_view text, bool fast = false);
std::string zstd_encode(std::string_view text, bool fast = false);

}  // namespace asyncload::test
