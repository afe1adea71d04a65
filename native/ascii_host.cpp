#include "ascii_host.hpp"

#include <asyncload/detail/text.hpp>

#include <idn2.h>

#include <algorithm>
#include <cstdint>

namespace asyncload::native {

std::string with_ascii_host(const std::string& url) {
  const detail::UrlAuthority authority = detail::find_authority(url);  // all 0 when none
  const std::string host = url.substr(authority.host_begin, authority.host_end - authority.host_begin);
  if (host.starts_with('[')) return url;  // an IPv6 literal
  if (std::all_of(host.begin(), host.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; }))
    return url;
  uint8_t* ascii = nullptr;
  const auto* utf8 = reinterpret_cast<const uint8_t*>(host.c_str());
  int rc = idn2_lookup_u8(utf8, &ascii, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
  if (rc == IDN2_DISALLOWED) rc = idn2_lookup_u8(utf8, &ascii, IDN2_NFC_INPUT | IDN2_TRANSITIONAL);
  if (rc != IDN2_OK) return url;
  std::string converted = url.substr(0, authority.host_begin) + reinterpret_cast<const char*>(ascii) +
                          url.substr(authority.host_end);
  idn2_free(ascii);
  return converted;
}

}  // namespace asyncload::native
