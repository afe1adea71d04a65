// main.cpp — `asyncload`: GameMaker-style async HTTP from the command line. See --help.
#include "command_line.hpp"
#include "commands.hpp"
#include "printable.hpp"

#if defined(_WIN32)
#include <fcntl.h>
#include <io.h>
#endif

#include <cstdio>
#include <exception>
#include <string>
#include <variant>
#include <vector>

int main(int argc, char** argv) {
  using namespace asyncload::cli;
#if defined(_WIN32)
  // Binary streams: NDJSON lines end in "\n" as elsewhere, never "\r\n" (text mode would add
  // a CR that a reader on any platform then sees in the last field).
  _setmode(_fileno(stdout), _O_BINARY);
  _setmode(_fileno(stderr), _O_BINARY);
#endif
  const std::vector<std::string> args(argv + 1, argv + argc);
  const ParseResult parsed = parse_command_line(args);
  if (const auto* error = std::get_if<UsageError>(&parsed)) {
    print_line(stderr, "asyncload: %s", error->message.c_str());
    std::fprintf(stderr, "\n%.*s", static_cast<int>(usage_text().size()), usage_text().data());
    return exit_usage;
  }
  const Command& command = std::get<Command>(parsed);
  try {
    switch (command.verb) {
      case Verb::help:
        std::fwrite(usage_text().data(), 1, usage_text().size(), stdout);
        return exit_ok;
      case Verb::demo:
        return run_demo(command);
      case Verb::serve:
        return run_serve(command);
      default:
        return run_requests(command);
    }
  } catch (const std::exception& e) {
    print_line(stderr, "asyncload: %s", e.what());
    return exit_failed;
  }
}
