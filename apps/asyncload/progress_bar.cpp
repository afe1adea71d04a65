// progress_bar.cpp — ANSI redraw of a few stderr lines.
#include "progress_bar.hpp"
#include "printable.hpp"

#if defined(_WIN32)
#include <windows.h>
#else
#include <sys/ioctl.h>
#include <unistd.h>
#endif

#include <algorithm>
#include <cstdio>

namespace asyncload::cli {
namespace {

using namespace std::chrono_literals;

constexpr auto first_draw_after = 250ms;  // quick requests never flash a bar
constexpr auto redraw_every = 100ms;
constexpr std::size_t max_rows = 8;

std::size_t terminal_width() {
#if defined(_WIN32)
  CONSOLE_SCREEN_BUFFER_INFO info{};
  if (GetConsoleScreenBufferInfo(GetStdHandle(STD_ERROR_HANDLE), &info)) {
    const int columns = info.srWindow.Right - info.srWindow.Left + 1;
    if (columns >= 20) return static_cast<std::size_t>(columns);
  }
#else
  winsize ws{};
  if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20) return ws.ws_col;
#endif
  return 80;
}

void put(const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stderr);
  std::fflush(stderr);
}

// Cut to `width` columns, counting UTF-8 lead bytes only (the labels are printable() URLs).
std::string fit(const std::string& line, std::size_t width) {
  std::size_t columns = 0;
  for (std::size_t i = 0; i < line.size(); ++i) {
    if ((static_cast<unsigned char>(line[i]) & 0xC0) == 0x80) continue;
    if (++columns > width) return line.substr(0, i);
  }
  return line;
}

}  // namespace

std::string human_bytes(std::int64_t bytes) {
  if (bytes < 1024) return std::to_string(bytes) + " B";
  static constexpr const char* units[] = {"KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  int unit = -1;
  while (value >= 1024 && unit < 3) {
    value /= 1024;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof text, "%.1f %s", value, units[unit]);
  return text;
}

ProgressBar::ProgressBar(bool enabled)
    : enabled_(enabled), started_(std::chrono::steady_clock::now()) {}

ProgressBar::~ProgressBar() { clear(); }

void ProgressBar::add(std::int64_t id, std::string_view label) {
  if (!enabled_) return;
  rows_[id].label = printable(label);  // a URL with ESC or a newline must not drive the terminal
  dirty_ = true;
}

void ProgressBar::progress(std::int64_t id, std::int64_t bytes, std::int64_t total) {
  if (!enabled_) return;
  auto it = rows_.find(id);
  if (it == rows_.end()) return;
  it->second.bytes = bytes;
  it->second.total = total;
  dirty_ = true;
}

void ProgressBar::done(std::int64_t id) {
  if (!enabled_) return;
  if (rows_.erase(id)) dirty_ = true;
}

void ProgressBar::before_output() {
  if (lines_on_screen_ == 0) return;
  // The cursor sits at the start of the line below the bar: go up and erase to the end.
  put("\x1b[" + std::to_string(lines_on_screen_) + "A\r\x1b[J");
  lines_on_screen_ = 0;
  dirty_ = true;
}

void ProgressBar::frame() {
  if (!enabled_ || !dirty_) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - started_ < first_draw_after) return;
  // Redraw at once when the bar was erased for output, else at most every redraw_every.
  if (lines_on_screen_ > 0 && now - last_draw_ < redraw_every) return;
  last_draw_ = now;
  draw();
}

void ProgressBar::clear() {
  before_output();
  rows_.clear();
  dirty_ = false;
}

void ProgressBar::draw() {
  const std::size_t width = terminal_width() - 1;  // never touch the last column: no wrap
  std::string text;
  if (lines_on_screen_ > 0) text += "\x1b[" + std::to_string(lines_on_screen_) + "A\r\x1b[J";
  int lines = 0;
  std::size_t shown = 0;
  for (const auto& [id, row] : rows_) {
    if (shown == max_rows) {
      text += fit("  ... and " + std::to_string(rows_.size() - shown) + " more in flight", width) +
              "\n";
      ++lines;
      break;
    }
    ++shown;
    std::string line = "#" + std::to_string(id) + " ";
    constexpr int cells = 24;
    if (row.total > 0) {
      const double fraction =
          std::clamp(static_cast<double>(row.bytes) / static_cast<double>(row.total), 0.0, 1.0);
      const int filled = static_cast<int>(fraction * cells);
      char percent[8];
      std::snprintf(percent, sizeof percent, "%3d%%", static_cast<int>(fraction * 100));
      line += "[" + std::string(filled, '#') + std::string(cells - filled, '.') + "] " + percent +
              "  " + human_bytes(row.bytes) + " / " + human_bytes(row.total);
    } else {
      line += "[" + std::string(cells, ' ') + "]       " + human_bytes(row.bytes);
    }
    line += "  " + row.label;
    text += fit(line, width) + "\n";
    ++lines;
  }
  put(text);
  lines_on_screen_ = lines;
  dirty_ = false;
}

}  // namespace asyncload::cli
