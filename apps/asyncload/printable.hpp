// printable.hpp — caller and server text (URLs, methods, header names, paths, reasons, page
// logs) made safe to print on a terminal, stderr or stdout outside the NDJSON.
//
// Every message the tool prints goes through printable() (mostly by way of print_line()), so no
// input can forge a log line (a newline never splits a message) or drive the terminal (no ESC,
// no C1 CSI). The NDJSON lines on stdout are JSON-escaped instead (event_output.hpp).
#pragma once

#include <cstddef>
#include <cstdio>
#include <string>
#include <string_view>

namespace asyncload::cli {

// `text` as one visible line. Kept as they are: printable ASCII and well-formed UTF-8 of
// printable characters. Escaped: \n, \r, \t; other C0 controls, DEL, and every byte that is not
// part of well-formed UTF-8 as \xNN (lower-case hex of the byte); C1 controls (U+0080-U+009F),
// the line and paragraph separators and the bidirectional controls (which reorder what a
// terminal shows) as \uNNNN. A backslash is kept: the library's reasons already escape caller
// text as \xNN, and escaping them again would only make them harder to read.
std::string printable(std::string_view text);

// Formats like printf, then writes printable(the result) and one '\n' to `stream`, flushed:
// one message, one line, whatever the arguments hold.
void print_line(std::FILE* stream, const char* format, ...) __attribute__((format(printf, 2, 3)));

// Length of the well-formed UTF-8 sequence starting at bytes[i] (RFC 3629: no overlongs, no
// surrogates, nothing above U+10FFFF), or 0 when there is none there. i < bytes.size().
std::size_t utf8_sequence_length(std::string_view bytes, std::size_t i);

}  // namespace asyncload::cli
