// commands.hpp — the tool's commands; each returns the process exit status.
#pragma once

#include "command_line.hpp"

namespace asyncload::cli {

inline constexpr int exit_ok = 0;
inline constexpr int exit_failed = 1;
inline constexpr int exit_usage = 2;
inline constexpr int exit_interrupted = 130;

int run_requests(const Command& command);  // get, get-file, post, request
int run_demo(const Command& command);
int run_serve(const Command& command);

}  // namespace asyncload::cli
