// native/ascii_host.hpp — a URL's IDN host as punycode, whatever the process's locale.
#pragma once

#include <string>

namespace asyncload::native {

// libcurl 7.88 turns an IDN host into punycode with idn2_lookup_ul(), which reads the host in
// the process's locale: under the C locale (any program that never called setlocale) a UTF-8
// host such as münchen.example fails with "URL using bad/illegal format". The core hands over
// UTF-8, so the host is converted here with libidn2, locale-independently. A host that is
// ASCII, an IPv6 literal or not convertible is left as it is (curl then says what is wrong).
// Only libcurl builds that use libidn2 need this; this one does the same on any of them.
// Windows: IdnToAscii instead of libidn2 (see ascii_host.cpp for how the two differ).
std::string with_ascii_host(const std::string& url);

}  // namespace asyncload::native
