// requests.cpp — `asyncload get | get-file | post | request`: fire at frame 0, print every
// async_load, exit 0 when all completed, 1 when any failed or was refused, 2 when the
// --data-file cannot be read (nothing is sent then).
#include "commands.hpp"
#include "event_output.hpp"
#include "game_loop.hpp"
#include "printable.hpp"
#include "progress_bar.hpp"

#include <asyncload/asyncload.hpp>
#include <asyncload/backend.hpp>
#include <asyncload/replay.hpp>

#if defined(_WIN32)
#include <io.h>
#define isatty _isatty
#define STDERR_FILENO 2
#else
#include <unistd.h>
#endif

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>

namespace asyncload::cli {
namespace {

// The whole of `path`, binary, or nothing with `why` set. A directory, a missing or an
// unreadable file end here, before any request is sent (an empty body would go out otherwise).
std::optional<std::string> read_body_file(const std::string& path, std::string& why) {
  const std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"),
                                                             &std::fclose);
  if (!file) {
    why = std::strerror(errno);
    return std::nullopt;
  }
  std::string bytes;
  char chunk[64 * 1024];
  while (const std::size_t n = std::fread(chunk, 1, sizeof chunk, file.get()))
    bytes.append(chunk, n);
  if (std::ferror(file.get())) {  // reading a directory fails here, with EISDIR
    why = std::strerror(errno);
    return std::nullopt;
  }
  return bytes;
}

}  // namespace

int run_requests(const Command& command) {
  install_stop_handlers();

  std::string body = command.body;
  if (command.data_file) {
    std::string why;
    auto bytes = read_body_file(*command.data_file, why);
    if (!bytes) {
      print_line(stderr, "asyncload: --data-file '%s' cannot be read: %s",
                 command.data_file->c_str(), why.c_str());
      return exit_usage;
    }
    body = std::move(*bytes);
  }

  // --replay: the recording answers instead of the network (a file that is not a HAR: usage).
  std::unique_ptr<Backend> backend;
  if (command.replay_har) {
    try {
      backend = make_replay_backend(ReplayOptions{.har = *command.replay_har, .profile = command.profile});
    } catch (const std::exception& e) {
      print_line(stderr, "asyncload: --replay: %s", e.what());
      return exit_usage;
    }
  }
  if (!backend) backend = make_platform_backend();
  Http http(std::move(backend), make_options(command));
  ProgressBar bar(::isatty(STDERR_FILENO) == 1 && command.progress_events);
  bool failed = false;
  bool stdout_ok = true;

  auto fire = [&](RequestId id, const std::string& label) {
    if (id < 0) {
      print_line(stderr, "asyncload: %s: %s", label.c_str(), http.last_error().c_str());
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
        fire(http.http_get_file(url, command.path, RequestOptions{.resume = command.resume}), url);
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
    if (event.status() == Status::downloading) {
      bar.progress(event.id(), event.size_downloaded(), event.content_length());
      return;
    }
    bar.done(event.id());
    if (event.failed()) failed = true;
  };

  const bool finished = run_game_loop(command.fps, [&](std::uint64_t frame) {
    if (frame == 0) fire_all();
    http.dispatch(handler);
    bar.frame();
    return stdout_ok && http.in_flight() > 0;
  });
  bar.clear();
  if (!finished) {
    print_line(stderr, "asyncload: interrupted with %zu request(s) in flight", http.in_flight());
    return exit_interrupted;
  }
  if (!stdout_ok) return exit_failed;
  return failed ? exit_failed : exit_ok;
}

}  // namespace asyncload::cli
