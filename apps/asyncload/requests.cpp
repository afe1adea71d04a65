// requests.cpp — `asyncload get | get-file | post | request`: fire at frame 0, print every
// async_load, exit 0 when all completed, 1 when any failed or was refused.
#include "commands.hpp"
#include "event_output.hpp"
#include "game_loop.hpp"
#include "progress_bar.hpp"

#include <asyncload/asyncload.hpp>

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>

namespace asyncload::cli {
namespace {

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return std::move(bytes).str();
}

}  // namespace

int run_requests(const Command& command) {
  install_stop_handlers();

  std::string body = command.body;
  if (command.data_file) {
    errno = 0;
    auto bytes = read_file(*command.data_file);
    if (!bytes) {
      std::fprintf(stderr, "asyncload: cannot read --data-file %s: %s\n",
                   command.data_file->c_str(), errno ? std::strerror(errno) : "read error");
      return exit_failed;
    }
    body = std::move(*bytes);
  }

  Http http(make_options(command));
  ProgressBar bar(::isatty(STDERR_FILENO) == 1 && command.progress_events);
  bool failed = false;
  bool stdout_ok = true;

  auto fire = [&](RequestId id, const std::string& label) {
    if (id < 0) {
      std::fprintf(stderr, "asyncload: %s: %s\n", label.c_str(), http.last_error().c_str());
      failed = true;
    } else {
      bar.add(id, label);
    }
  };
  auto fire_all = [&] {
    const std::string& url = command.urls.front();
    switch (command.verb) {
      case Verb::get:
        for (const auto& each : command.urls) fire(http.http_get(each), each);
        break;
      case Verb::get_file:
        fire(http.http_get_file(url, command.path), url);
        break;
      case Verb::post:
        fire(http.http_post_string(url, body), "POST " + url);
        break;
      case Verb::request:
        fire(http.http_request(url, command.method, command.headers, body),
             command.method + " " + url);
        break;
      default:
        break;
    }
  };
  auto handler = [&](const AsyncLoad& event) {
    bar.before_output();
    if (stdout_ok) stdout_ok = write_line(event_json(event.map(), ResultStyle::exact));
    if (event.status() == status::downloading) {
      bar.progress(event.id(), event.size_downloaded(), event.content_length());
      return;
    }
    bar.done(event.id());
    if (event.status() < 0) failed = true;
  };

  const bool finished = run_game_loop(command.fps, [&](std::uint64_t frame) {
    if (frame == 0) fire_all();
    http.dispatch(handler);
    bar.frame();
    return stdout_ok && http.in_flight() > 0;
  });
  bar.clear();
  if (!finished) {
    std::fprintf(stderr, "asyncload: interrupted with %zu request(s) in flight\n",
                 http.in_flight());
    return exit_interrupted;
  }
  if (!stdout_ok) return exit_failed;
  return failed ? exit_failed : exit_ok;
}

}  // namespace asyncload::cli
