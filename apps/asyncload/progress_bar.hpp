// progress_bar.hpp — the `asyncload` tool's progress bar: one stderr line per request in flight
// (bytes/total, or bytes when the total is unknown), redrawn from the game loop. Drawn only when
// stderr is a terminal; cleared before each stdout line (the two may share a terminal) and at
// the end.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace asyncload::cli {

class ProgressBar {
 public:
  // Draws nothing at all unless `enabled` (callers pass isatty(STDERR_FILENO) && progress on).
  explicit ProgressBar(bool enabled);
  ~ProgressBar();  // clears
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  bool enabled() const { return enabled_; }
  void add(std::int64_t id, std::string_view label);  // shown escaped (printable())
  void progress(std::int64_t id, std::int64_t bytes, std::int64_t total);
  void done(std::int64_t id);

  void before_output();  // erase the bar if it is on screen
  void frame();          // once per frame, after dispatch(): redraw when due
  void clear();          // erase for good (end of run)

 private:
  struct Row {
    std::string label;
    std::int64_t bytes = 0;
    std::int64_t total = -1;
  };
  void draw();

  bool enabled_;
  std::map<std::int64_t, Row> rows_;  // in flight, by id
  int lines_on_screen_ = 0;
  bool dirty_ = false;
  std::chrono::steady_clock::time_point started_;
  std::chrono::steady_clock::time_point last_draw_{};
};

// "1.5 MiB", "512 B": for the bar and the demo's summary.
std::string human_bytes(std::int64_t bytes);

}  // namespace asyncload::cli
