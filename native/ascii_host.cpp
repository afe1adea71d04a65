#include "ascii_host.hpp"

#include <asyncload/detail/text.hpp>

#if defined(_WIN32)
#include <windows.h>  // IdnToAscii (normaliz)
#else
#include <idn2.h>
#endif

#include <algorithm>
#include <cstdint>

namespace asyncload::native {

std::string with_ascii_host(const std::string& url) {
  const detail::UrlAuthority authority = detail::find_authority(url);  // all 0 when none
  const std::string host = url.substr(authority.host_begin, authority.host_end - authority.host_begin);
  if (host.starts_with('[')) return url;  // an IPv6 literal
  if (std::all_of(host.begin(), host.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; }))
    return url;
#if defined(_WIN32)
  // Windows' own IDN conversion (what curl's WinIDN build and the system resolver use). It
  // maps as IDNA2003/UTS 46 transitional does: "faß" becomes "fass", where libidn2's
  // non-transitional mode on Linux gives "xn--fa-hia" (README "Windows").
  const int wide_size = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, host.data(), static_cast<int>(host.size()),
                                            nullptr, 0);
  if (wide_size <= 0) return url;
  std::wstring wide(static_cast<std::size_t>(wide_size), L'\0');
  MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, host.data(), static_cast<int>(host.size()), wide.data(), wide_size);
  wchar_t punycode[256];  // a DNS name has at most 253 characters
  const int length = IdnToAscii(0, wide.data(), wide_size, punycode, 256);
  if (length <= 0) return url;
  std::string ascii;
  for (int i = 0; i < length; ++i) {
    if (punycode[i] == L'\0') break;
    if (punycode[i] >= 0x80) return url;
    ascii += static_cast<char>(punycode[i]);
  }
  return url.substr(0, authority.host_begin) + ascii + url.substr(authority.host_end);
#else
  uint8_t* ascii = nullptr;
  const auto* utf8 = reinterpret_cast<const uint8_t*>(host.c_str());
  int rc = idn2_lookup_u8(utf8, &ascii, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
  if (rc == IDN2_DISALLOWED) rc = idn2_lookup_u8(utf8, &ascii, IDN2_NFC_INPUT | IDN2_TRANSITIONAL);
  if (rc != IDN2_OK) return url;
  std::string converted = url.substr(0, authority.host_begin) + reinterpret_cast<const char*>(ascii) +
                          url.substr(authority.host_end);
  idn2_free(ascii);
  return converted;
#endif
}

}  // namespace asyncload::native
