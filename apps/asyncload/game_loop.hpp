// game_loop.hpp — the pieces the tool's commands share: the headless game loop, stop signals,
// stdout lines, and the Options a command line asks for.
#pragma once

#include "command_line.hpp"

#include <asyncload/asyncload.hpp>

#include <cstdint>
#include <functional>
#include <string_view>

namespace asyncload::cli {

// SIGINT/SIGTERM set a flag the game loop checks once per frame; SIGPIPE is ignored (a closed
// stdout shows up as a failed write_line instead).
void install_stop_handlers();
bool stop_requested();

// Calls frame(0), frame(1), ... one call per frame boundary (start + n/fps, slept to with
// sleep_until; a late frame does not make the next ones hurry) until frame() returns false or a
// stop signal arrives. Returns false when stopped by a signal.
bool run_game_loop(int fps, const std::function<bool(std::uint64_t frame)>& frame);

// One NDJSON line on stdout, flushed. False when stdout is gone (closed pipe, full disk).
bool write_line(std::string_view line);

Options make_options(const Command& command);

}  // namespace asyncload::cli
