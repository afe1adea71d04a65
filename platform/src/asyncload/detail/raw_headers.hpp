// Response header lines, as servers send them and backends receive them: the one parser both
// backends use (libcurl hands over one line at a time, XMLHttpRequest the whole block).
// Not installed, not public API; fuzzed by fuzz/fuzz_raw_headers.cpp.
#pragma once

#include <asyncload/backend.hpp>

#include <string_view>

namespace asyncload::detail {

// Adds one raw header line ("Name: value\r\n") to `headers`: name and value trimmed of spaces,
// tabs, CR and LF, the value keeping any further ':'. A line that starts with a space or a tab
// continues the previous value (obsolete line folding, RFC 9112 §5.2), joined with one space.
// A line without a colon (a status line, the blank line that ends the headers) or with an
// empty name adds nothing.
void add_header_line(Headers& headers, std::string_view line);

// Every line of `block` ("Name: value\r\n..."), each as add_header_line() takes it.
Headers parse_raw_headers(std::string_view block);

}  // namespace asyncload::detail
