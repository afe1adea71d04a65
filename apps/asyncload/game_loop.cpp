// game_loop.cpp — frame pacing and process plumbing for the `asyncload` tool.
#include "game_loop.hpp"

#include <csignal>
#include <cstdio>
#include <thread>

namespace asyncload::cli {
namespace {

volatile std::sig_atomic_t stop_flag = 0;

extern "C" void on_stop_signal(int) { stop_flag = 1; }

}  // namespace

void install_stop_handlers() {
#if defined(_WIN32)
  // The C runtime maps Ctrl-C to SIGINT (and Ctrl-Break to SIGBREAK); Windows has no SIGPIPE.
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);
  std::signal(SIGBREAK, on_stop_signal);
#else
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  ::sigaction(SIGPIPE, &ignore, nullptr);
#endif
}

bool stop_requested() { return stop_flag != 0; }

bool run_game_loop(int fps, const std::function<bool(std::uint64_t)>& frame) {
  using clock = std::chrono::steady_clock;
  const auto period = std::chrono::duration_cast<clock::duration>(std::chrono::seconds(1)) / fps;
  auto boundary = clock::now();
  for (std::uint64_t n = 0;; ++n) {
    if (stop_requested()) return false;
    if (!frame(n)) return true;
    boundary += period;
    const auto now = clock::now();
    if (boundary < now) boundary = now;  // a long frame: resume pacing from here, no burst
    std::this_thread::sleep_until(boundary);
  }
}

bool write_line(std::string_view line) {
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fputc('\n', stdout);
  return std::fflush(stdout) == 0 && !std::ferror(stdout);
}

Options make_options(const Command& command) {
  Options options;
  if (command.connect_timeout) options.connect_timeout = *command.connect_timeout;
  if (command.stall_timeout) options.stall_timeout = *command.stall_timeout;
  if (command.total_timeout) options.total_timeout = *command.total_timeout;
  options.progress_events = command.progress_events;
  if (command.max_body_bytes) options.max_body_bytes = *command.max_body_bytes;
  if (command.file_root) options.file_root = *command.file_root;
  if (command.ca_file) options.ca_file = *command.ca_file;
  if (command.record_har) options.record_har = *command.record_har;
  return options;
}

}  // namespace asyncload::cli
