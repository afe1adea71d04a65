// Parsing a raw response-header block ("Name: value\r\n..."), as browsers hand it over
// (XMLHttpRequest.getAllResponseHeaders). Platform-neutral so it can be tested and fuzzed natively.
#pragma once

#include <asyncload/backend.hpp>

#include <string_view>

namespace asyncload::detail {

// One pair per line that has a colon; names and values trimmed of surrounding whitespace,
// values keep any further ": " intact. Lines without a colon (a status line) are skipped.
Headers parse_raw_headers(std::string_view block);

}  // namespace asyncload::detail
