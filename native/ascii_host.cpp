#include "ascii_host.hpp"

#include <idn2.h>

#include <algorithm>
#include <cstdint>

namespace asyncload::native {

std::string with_ascii_host(const std::string& url) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return url;
  const std::size_t begin = scheme_end + 3;
  const std::size_t end = std::min(url.find_first_of("/?#", begin), url.size());
  const std::size_t at = url.rfind('@', end);
  const std::size_t host_begin = at != std::string::npos && at >= begin ? at + 1 : begin;
  if (host_begin < end && url[host_begin] == '[') return url;
  const std::size_t host_end = std::min(url.find(':', host_begin), end);
  const std::string host = url.substr(host_begin, host_end - host_begin);
  if (std::all_of(host.begin(), host.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; }))
    return url;
  uint8_t* ascii = nullptr;
  const auto* utf8 = reinterpret_cast<const uint8_t*>(host.c_str());
  int rc = idn2_lookup_u8(utf8, &ascii, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
  if (rc == IDN2_DISALLOWED) rc = idn2_lookup_u8(utf8, &ascii, IDN2_NFC_INPUT | IDN2_TRANSITIONAL);
  if (rc != IDN2_OK) return url;
  std::string converted = url.substr(0, host_begin) + reinterpret_cast<const char*>(ascii) + url.substr(host_end);
  idn2_free(ascii);
  return converted;
}

}  // namespace asyncload::native
