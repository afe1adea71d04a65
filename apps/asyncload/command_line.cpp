// command_line.cpp — parse_command_line(): pure, allocation-only, never throws out.
#include "command_line.hpp"
#include "printable.hpp"

#include <array>
#include <charconv>
#include <exception>
#include <limits>

namespace asyncload::cli {
namespace {

constexpr std::string_view usage = R"(usage:
  asyncload get URL...
  asyncload get-file URL PATH [--resume]
  asyncload post URL BODY
  asyncload request METHOD URL [-H 'Name: value']... [--data TEXT | --data-file FILE]
  asyncload demo              start the built-in loopback server and show the runtime at work
  asyncload serve [--port N] [--docroot DIR]
                              run that server alone (prints its URL; stops on SIGINT/SIGTERM)
  asyncload --help

Runs a headless game loop, fires the requests at frame 0 and prints every async_load event as
one JSON object per line (NDJSON) on stdout, with exactly the map's keys: id, status, url,
http_status, result, response_headers, contentLength, sizeDownloaded (+ error when status < 0;
progress events, status 1, carry id, status, url, contentLength, sizeDownloaded). A result that
is not valid UTF-8 is printed as "result_base64" (standard base64) instead of "result".
get, get-file, post and request always print the exact, full result. The demo shortens results
over 200 bytes: "result" is replaced by "result_bytes" (its length in bytes) and "result_head"
(its first 64 bytes, cut at a character boundary, invalid UTF-8 shown as U+FFFD).

A progress bar is drawn on stderr when stderr is a terminal.

common options (every command but serve):
  --fps N               frames per second of the game loop (1-1000, default 60)
  --no-progress         no progress events (status 1), hence no progress bar
  --connect-timeout MS  connect timeout (default 60000; 0 = off)
  --stall-timeout MS    fail with status -2 after MS without a byte (default 0 = off)
  --timeout MS          fail with status -2 after MS in total (default 0 = off)
  --max-body BYTES      fail with status -5 when a body held in memory grows past BYTES
                        (Options::max_body_bytes; default: the library's; 0 = no limit)
  --file-root DIR       confine get-file targets under DIR: a relative PATH lands under it,
                        one that escapes it is refused (Options::file_root)
  --ca-file FILE        also trust the CA certificates in FILE (PEM) for https
                        (Options::ca_file), e.g. a test server's self-signed certificate
recording and replay (get, get-file, post, request; --record also for demo):
  --record FILE.har     write every exchange to FILE.har (HAR 1.2) when the run ends; secret
                        headers (Authorization, Cookie, Set-Cookie, ...) are written "REDACTED"
  --replay FILE.har     answer from FILE.har instead of the network (no socket is opened): a
                        request no entry matches fails with -1 naming the closest entry
  --profile native|web  with --replay: the capabilities and call-time refusals of the native
                        (libcurl) or the browser (emscripten_fetch) backend (default native)
get-file options:
  --resume              keep what an interrupted download received and continue it the next
                        time the same URL is fetched to the same PATH with --resume
                        (RequestOptions::resume: Range + If-Range; the server's answer decides)
request options:
  -H, --header 'Name: value'  add a request header (split at the first ':'), repeatable
  --data TEXT                 request body
  --data-file FILE            request body read from FILE (binary); a FILE that cannot be
                              read (missing, a directory) is a usage error: nothing is sent
serve options:
  --port N              port to listen on (default 0: a free one, printed)
  --docroot DIR         files served under /static/ (default: the web build beside this
                        program's build folder, ../web, e.g. build/web for build/native/asyncload,
                        once built: the browser demo is then <URL>/static/examples/demo.html)
Options may also be written --name=VALUE; `--` ends the options.

exit status: 0 every request completed (status 0, whatever its HTTP code; the demo: every
event arrived as expected), 1 a request failed (status < 0) or was refused (its reason is
printed on stderr and no event is emitted), 2 usage error.
Everything printed outside the NDJSON (messages, reasons, progress labels) is escaped: control
characters and invalid UTF-8 show as \n, \t, \xNN or \uNNNN, so a message is always one line.
)";

enum class Opt {
  fps,
  no_progress,
  connect_timeout,
  stall_timeout,
  timeout,
  max_body,
  file_root,
  ca_file,
  resume,
  header,
  data,
  data_file,
  port,
  docroot,
  record,
  replay,
  profile
};

struct OptSpec {
  std::string_view name;
  Opt opt;
  bool takes_value;
};

constexpr std::array<OptSpec, 18> option_table{{
    {"--fps", Opt::fps, true},
    {"--no-progress", Opt::no_progress, false},
    {"--connect-timeout", Opt::connect_timeout, true},
    {"--stall-timeout", Opt::stall_timeout, true},
    {"--timeout", Opt::timeout, true},
    {"--max-body", Opt::max_body, true},
    {"--file-root", Opt::file_root, true},
    {"--ca-file", Opt::ca_file, true},
    {"--resume", Opt::resume, false},
    {"-H", Opt::header, true},
    {"--header", Opt::header, true},
    {"--data", Opt::data, true},
    {"--data-file", Opt::data_file, true},
    {"--port", Opt::port, true},
    {"--docroot", Opt::docroot, true},
    {"--record", Opt::record, true},
    {"--replay", Opt::replay, true},
    {"--profile", Opt::profile, true},
}};

const OptSpec* find_option(std::string_view name) {
  for (const auto& spec : option_table)
    if (spec.name == name) return &spec;
  return nullptr;
}

// The argument as it appears in a usage error, which is one line: printable() escapes control
// characters and invalid UTF-8, so an argument holding a newline cannot split or forge it.
std::string quoted(std::string_view s) { return "'" + printable(s) + "'"; }

// A non-negative decimal integer in [lo, hi], nothing else (no sign, no spaces, no suffix).
std::optional<std::int64_t> parse_integer(std::string_view text, std::int64_t lo, std::int64_t hi) {
  if (text.empty() || text.front() < '0' || text.front() > '9') return std::nullopt;
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  if (value < lo || value > hi) return std::nullopt;
  return value;
}

std::optional<Verb> find_verb(std::string_view word) {
  if (word == "get") return Verb::get;
  if (word == "get-file") return Verb::get_file;
  if (word == "post") return Verb::post;
  if (word == "request") return Verb::request;
  if (word == "demo") return Verb::demo;
  if (word == "serve") return Verb::serve;
  if (word == "help") return Verb::help;
  return std::nullopt;
}

std::string_view verb_name(Verb verb) {
  switch (verb) {
    case Verb::help:
      return "help";
    case Verb::get:
      return "get";
    case Verb::get_file:
      return "get-file";
    case Verb::post:
      return "post";
    case Verb::request:
      return "request";
    case Verb::demo:
      return "demo";
    case Verb::serve:
      return "serve";
  }
  return "?";
}

ParseResult parse(std::span<const std::string> args) {
  if (args.empty()) return UsageError{"missing command"};

  // --help wins wherever it stands among the options.
  for (const auto& arg : args) {
    if (arg == "--") break;
    if (arg == "--help" || arg == "-h") return Command{};
  }

  Command cmd;
  std::optional<Verb> verb;
  std::vector<std::string> operands;
  bool seen_data = false;
  bool seen_port = false;
  bool seen_profile = false;
  bool har_options_seen = false;  // --record, --replay, --profile
  std::vector<std::string_view> common_seen;  // for "does not apply to serve"

  bool options_done = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (!options_done && arg == "--") {
      options_done = true;
      continue;
    }
    if (options_done || arg.size() < 2 || arg.front() != '-') {
      if (!verb) {
        verb = find_verb(arg);
        if (!verb) return UsageError{"unknown command " + quoted(arg)};
      } else {
        operands.emplace_back(arg);
      }
      continue;
    }

    // An option, possibly --name=VALUE.
    std::string_view name = arg;
    std::optional<std::string_view> inline_value;
    if (arg.starts_with("--")) {
      if (auto eq = arg.find('='); eq != std::string_view::npos) {
        name = arg.substr(0, eq);
        inline_value = arg.substr(eq + 1);
      }
    }
    const OptSpec* spec = find_option(name);
    if (!spec) return UsageError{"unknown option " + quoted(name)};
    std::string_view value;
    if (spec->takes_value) {
      if (inline_value) {
        value = *inline_value;
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        return UsageError{"option " + quoted(name) + " needs a value"};
      }
    } else if (inline_value) {
      return UsageError{"option " + quoted(name) + " takes no value"};
    }

    auto timeout =
        [&](std::optional<std::chrono::milliseconds>& slot) -> std::optional<UsageError> {
      auto ms = parse_integer(value, 0, max_timeout_ms);
      if (!ms)
        return UsageError{std::string(name) + ": " + quoted(value) +
                          " is not a number of milliseconds (0-" + std::to_string(max_timeout_ms) +
                          ")"};
      slot = std::chrono::milliseconds(*ms);
      return std::nullopt;
    };

    // A path option, given once and not empty.
    auto path_once = [&](std::optional<std::string>& slot,
                         std::string_view what) -> std::optional<UsageError> {
      if (value.empty()) return UsageError{std::string(name) + ": give " + std::string(what)};
      if (slot) return UsageError{std::string(name) + ": give it once"};
      slot = std::string(value);
      return std::nullopt;
    };

    switch (spec->opt) {
      case Opt::fps: {
        auto fps = parse_integer(value, 1, max_fps);
        if (!fps)
          return UsageError{"--fps: " + quoted(value) + " is not a number between 1 and " +
                            std::to_string(max_fps)};
        cmd.fps = static_cast<int>(*fps);
        common_seen.push_back(spec->name);
        break;
      }
      case Opt::no_progress:
        cmd.progress_events = false;
        common_seen.push_back(spec->name);
        break;
      case Opt::connect_timeout:
        if (auto err = timeout(cmd.connect_timeout)) return *err;
        common_seen.push_back(spec->name);
        break;
      case Opt::stall_timeout:
        if (auto err = timeout(cmd.stall_timeout)) return *err;
        common_seen.push_back(spec->name);
        break;
      case Opt::timeout:
        if (auto err = timeout(cmd.total_timeout)) return *err;
        common_seen.push_back(spec->name);
        break;
      case Opt::max_body: {
        auto bytes = parse_integer(value, 0, max_body_limit);
        if (!bytes)
          return UsageError{"--max-body: " + quoted(value) + " is not a number of bytes (0-" +
                            std::to_string(max_body_limit) + ")"};
        cmd.max_body_bytes = static_cast<std::size_t>(*bytes);
        common_seen.push_back(spec->name);
        break;
      }
      case Opt::file_root:
        if (auto error = path_once(cmd.file_root, "a directory")) return *error;
        common_seen.push_back(spec->name);
        break;
      case Opt::ca_file:
        if (auto error = path_once(cmd.ca_file, "a file")) return *error;
        common_seen.push_back(spec->name);
        break;
      case Opt::resume:
        cmd.resume = true;
        break;
      case Opt::header: {
        auto colon = value.find(':');
        if (colon == std::string_view::npos)
          return UsageError{std::string(name) + ": " + quoted(value) + " is not 'Name: value'"};
        std::string_view header_value = value.substr(colon + 1);
        while (!header_value.empty() &&
               (header_value.front() == ' ' || header_value.front() == '\t'))
          header_value.remove_prefix(1);
        cmd.headers.emplace_back(std::string(value.substr(0, colon)), std::string(header_value));
        break;
      }
      case Opt::data:
      case Opt::data_file:
        if (seen_data) return UsageError{"give one request body: --data or --data-file, once"};
        seen_data = true;
        if (spec->opt == Opt::data)
          cmd.body = std::string(value);
        else
          cmd.data_file = std::string(value);
        break;
      case Opt::port: {
        auto port = parse_integer(value, 0, 65535);
        if (!port)
          return UsageError{"--port: " + quoted(value) + " is not a port number (0-65535)"};
        cmd.port = static_cast<std::uint16_t>(*port);
        seen_port = true;
        break;
      }
      case Opt::record:
      case Opt::replay: {
        if (auto error = path_once(spec->opt == Opt::record ? cmd.record_har : cmd.replay_har, "a file"))
          return *error;
        har_options_seen = true;
        break;
      }
      case Opt::profile:
        if (value != "native" && value != "web")
          return UsageError{"--profile: " + quoted(value) + " is neither native nor web"};
        cmd.profile = std::string(value);
        seen_profile = true;
        har_options_seen = true;
        break;
      case Opt::docroot:
        if (value.empty()) return UsageError{"--docroot: give a directory"};
        if (cmd.docroot) return UsageError{"--docroot: give it once"};
        cmd.docroot = std::string(value);
        break;
    }
  }

  if (!verb) return UsageError{"missing command"};
  cmd.verb = *verb;
  const std::string_view vname = verb_name(cmd.verb);

  if (cmd.verb != Verb::request && (!cmd.headers.empty() || seen_data))
    return UsageError{"-H, --data and --data-file apply only to request"};
  if (cmd.verb != Verb::get_file && cmd.resume) return UsageError{"--resume applies only to get-file"};
  if (cmd.verb != Verb::serve && seen_port) return UsageError{"--port applies only to serve"};
  if (cmd.verb != Verb::serve && cmd.docroot)
    return UsageError{"--docroot applies only to serve"};
  const bool requests = cmd.verb == Verb::get || cmd.verb == Verb::get_file || cmd.verb == Verb::post ||
                        cmd.verb == Verb::request;
  // The demo's server takes a new port every run, so its recording can be made but not replayed.
  if (har_options_seen && !requests && !(cmd.verb == Verb::demo && !cmd.replay_har && !seen_profile))
    return UsageError{"--replay and --profile apply only to get, get-file, post and request; --record to those and demo"};
  if (seen_profile && !cmd.replay_har) return UsageError{"--profile applies only with --replay"};
  if (cmd.verb == Verb::serve && !common_seen.empty())
    return UsageError{std::string(common_seen.front()) + " does not apply to serve"};

  auto operand_count = [&](std::size_t n, std::string_view what) -> std::optional<UsageError> {
    if (operands.size() < n)
      return UsageError{std::string(vname) + ": missing " + std::string(what)};
    if (operands.size() > n)
      return UsageError{std::string(vname) + ": unexpected argument " + quoted(operands[n])};
    return std::nullopt;
  };

  switch (cmd.verb) {
    case Verb::help:
      if (!operands.empty()) return UsageError{"help: unexpected argument " + quoted(operands[0])};
      break;
    case Verb::get:
      if (operands.empty()) return UsageError{"get: missing URL"};
      cmd.urls = std::move(operands);
      break;
    case Verb::get_file:
      if (auto err = operand_count(2, operands.empty() ? "URL and PATH" : "PATH")) return *err;
      cmd.urls = {std::move(operands[0])};
      cmd.path = std::move(operands[1]);
      break;
    case Verb::post:
      if (auto err = operand_count(2, operands.empty() ? "URL and BODY" : "BODY")) return *err;
      cmd.urls = {std::move(operands[0])};
      cmd.body = std::move(operands[1]);
      break;
    case Verb::request:
      if (auto err = operand_count(2, operands.empty() ? "METHOD and URL" : "URL")) return *err;
      cmd.method = std::move(operands[0]);
      cmd.urls = {std::move(operands[1])};
      break;
    case Verb::demo:
    case Verb::serve:
      if (auto err = operand_count(0, "")) return *err;
      break;
  }
  return cmd;
}

}  // namespace

ParseResult parse_command_line(std::span<const std::string> args) {
  try {
    return parse(args);
  } catch (const std::exception& e) {  // std::bad_alloc: report rather than crash a fuzzer run
    return UsageError{std::string("cannot parse the command line: ") + e.what()};
  }
}

std::string_view usage_text() { return usage; }

}  // namespace asyncload::cli
