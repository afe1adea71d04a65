// Fuzzes parse_command_line, the asyncload tool's argument parser: the input is argv (without
// argv[0]) as NUL-separated arguments. Properties: no exception escapes, a usage error is one
// printable line (printable() leaves it as it is), and a parsed command is consistent with its verb.
#include "property.hpp"

#include "asyncload/command_line.hpp"
#include "asyncload/printable.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

using namespace asyncload::cli;

namespace {

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  std::string_view data(reinterpret_cast<const char*>(bytes), size);
  std::vector<std::string> args;
  while (!data.empty() && args.size() < 64) {
    const auto nul = data.find('\0');
    args.emplace_back(data.substr(0, nul));
    data = nul == std::string_view::npos ? std::string_view() : data.substr(nul + 1);
  }
  const ParseResult result = parse_command_line(args);
  if (const auto* error = std::get_if<UsageError>(&result)) {
    require(!error->message.empty(), "a usage error says why");
    require(std::none_of(error->message.begin(), error->message.end(),
                         [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }),
            "a usage error is one printable line");
    require(printable(error->message) == error->message,
            "a usage error needs no escaping (no C1, bidi controls or invalid UTF-8 either)");
    return 0;
  }
  const Command& command = std::get<Command>(result);
  require(command.fps >= 1 && command.fps <= max_fps, "fps in range");
  for (const auto* timeout : {&command.connect_timeout, &command.stall_timeout, &command.total_timeout})
    require(!*timeout || (timeout->value().count() >= 0 && timeout->value().count() <= max_timeout_ms), "timeouts in range");
  switch (command.verb) {
    case Verb::get: require(!command.urls.empty(), "get has URLs"); break;
    case Verb::get_file: require(command.urls.size() == 1, "get-file has one URL"); break;
    case Verb::post: require(command.urls.size() == 1, "post has one URL"); break;
    case Verb::request: require(command.urls.size() == 1, "request has one URL"); break;
    case Verb::help:
    case Verb::demo:
    case Verb::serve: require(command.urls.empty(), "no URL"); break;
  }
  require(!command.file_root || !command.file_root->empty(), "--file-root names a directory");
  if (command.verb == Verb::serve) require(!command.max_body_bytes && !command.file_root, "serve takes no common option");
  if (command.verb != Verb::request) require(command.headers.empty() && !command.data_file, "-H and --data only for request");
  return 0;
}
