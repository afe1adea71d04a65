// command_line.hpp — the `asyncload` tool's argument parser.
//
// parse_command_line() is a pure function (no I/O, no globals, no exceptions escaping) so that a
// fuzzer can drive it directly: arguments in (argv without argv[0]), a Command or a UsageError
// out. Reading --data-file, firing requests and printing are the caller's business.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace asyncload::cli {

enum class Verb {
  help,      // --help / -h / help: print usage on stdout, exit 0
  get,       // get URL...
  get_file,  // get-file URL PATH [--resume]
  post,      // post URL BODY
  request,   // request METHOD URL [-H 'Name: value']... [--data TEXT | --data-file FILE]
  demo,      // demo
  serve,     // serve [--port N] [--docroot DIR]
};

struct Command {
  Verb verb = Verb::help;
  std::vector<std::string> urls;  // get: one or more; get-file, post, request: exactly one
  std::string path;               // get-file: the local target
  bool resume = false;            // get-file: --resume (RequestOptions::resume)
  std::string method;             // request: as given (the library validates it)
  std::vector<std::pair<std::string, std::string>> headers;  // request: -H, in order
  std::string body;                                          // post: BODY; request: --data TEXT
  std::optional<std::string> data_file;  // request: --data-file FILE (read by the caller)

  // Common options.
  int fps = 60;
  bool progress_events = true;                               // --no-progress clears it
  std::optional<std::chrono::milliseconds> connect_timeout;  // --connect-timeout MS
  std::optional<std::chrono::milliseconds> stall_timeout;    // --stall-timeout MS
  std::optional<std::chrono::milliseconds> total_timeout;    // --timeout MS
  std::optional<std::size_t> max_body_bytes;                 // --max-body BYTES
  std::optional<std::string> file_root;                      // --file-root DIR
  std::optional<std::string> ca_file;                        // --ca-file FILE (Options::ca_file)
  // Deterministic headless runs (get, get-file, post, request).
  std::optional<std::string> record_har;  // --record FILE.har (Options::record_har)
  std::optional<std::string> replay_har;  // --replay FILE.har: served by make_replay_backend
  std::string profile = "native";         // --profile native|web (with --replay)

  // serve
  std::uint16_t port = 0;  // --port N; 0 = a free port chosen by the OS
  std::optional<std::string> docroot;  // --docroot DIR: served under /static/ (default: see serve.cpp)
};

struct UsageError {
  std::string message;  // one line, without the usage text
};

using ParseResult = std::variant<Command, UsageError>;

// `args` is argv[1..argc). Options may come before or after the command's operands, as
// `--name VALUE` or `--name=VALUE`; `--` ends the options (so a BODY may start with '-').
ParseResult parse_command_line(std::span<const std::string> args);

// The --help text (also printed after a usage error).
std::string_view usage_text();

// Limits the parser enforces, exposed for tests.
inline constexpr int max_fps = 1000;
inline constexpr std::int64_t max_timeout_ms = 24LL * 60 * 60 * 1000;  // a day
inline constexpr std::int64_t max_body_limit = std::numeric_limits<std::int64_t>::max();

}  // namespace asyncload::cli
