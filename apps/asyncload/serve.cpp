// serve.cpp — `asyncload serve [--port N] [--docroot DIR]`: the loopback TestServer alone. Prints
// its base URL as the first stdout line, then runs until SIGINT or SIGTERM (exit 0).
//
// DIR is served under /static/. Without --docroot it is the web build beside this program's
// build folder, <folder of the executable>/../web (build/native/asyncload -> build/web), when
// that exists (a folder with a CMakeCache.txt), so that after building both presets the browser demo is one URL away:
// <base>/static/examples/demo.html (printed on stderr when DIR holds it). A page that reports to
// /done?code=N (the demo does when it finishes) has its code and log printed on stderr.
#include "commands.hpp"
#include "printable.hpp"

#include "testserver/test_server.hpp"

#include <pthread.h>
#if defined(_WIN32)
#include <windows.h>

#include <semaphore>
#else
#include <signal.h>
#endif

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <system_error>

namespace asyncload::cli {
namespace {

namespace fs = std::filesystem;

// <folder of the running executable>/../web, when it is a build folder (it has a
// CMakeCache.txt: a tool built in some other folder must not serve the source tree's web/).
std::optional<fs::path> default_docroot() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return std::nullopt;
  const fs::path web = exe.parent_path().parent_path() / "web";
  if (!fs::is_regular_file(web / "CMakeCache.txt", ec)) return std::nullopt;
  return fs::weakly_canonical(web, ec);
}

}  // namespace

int run_serve(const Command& command) {
  std::optional<fs::path> docroot;
  if (command.docroot) {
    std::error_code ec;
    if (!fs::is_directory(*command.docroot, ec)) {
      print_line(stderr, "asyncload serve: --docroot '%s' is not a directory",
                 command.docroot->c_str());
      return exit_usage;
    }
    docroot = fs::absolute(*command.docroot, ec);
  } else {
    docroot = default_docroot();
  }

#if defined(_WIN32)
  // Windows has no stop signals: Ctrl-C, Ctrl-Break and the console closing come to a handler
  // (on a thread of their own), which wakes the wait below.
  static std::binary_semaphore stop_requested(0);
  static DWORD stop_event = 0;
  SetConsoleCtrlHandler(
      [](DWORD event) -> BOOL {
        stop_event = event;
        stop_requested.release();
        return TRUE;
      },
      TRUE);
#else
  // Block the stop signals before the server starts its threads (they inherit the mask), so
  // that only sigwait() below ever sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
#endif

  testserver::ServerOptions options;
  options.port = command.port;
  if (docroot) options.docroot = docroot->string();
  options.on_done = [](int code, std::string log) {
    // The log comes from the page: one "  | " line per log line, each one printable().
    std::string text = "asyncload serve: a page reported /done?code=" + std::to_string(code) +
                       (log.empty() ? "\n" : ", its log:\n");
    for (std::size_t start = 0; start < log.size();) {
      const auto end = std::min(log.find('\n', start), log.size());
      text += "  | " + printable(std::string_view(log).substr(start, end - start)) + "\n";
      start = end + 1;
    }
    std::fputs(text.c_str(), stderr);
    std::fflush(stderr);
  };
  testserver::TestServer server(options);

  print_line(stdout, "%s", server.base_url().c_str());
  print_line(stderr, "asyncload serve: test endpoints at %s/ (index there); Ctrl-C stops.",
             server.base_url().c_str());
  if (docroot) {
    std::error_code ec;
    print_line(stderr, "asyncload serve: %s served under %s/static/", reinterpret_cast<const char*>(docroot->u8string().c_str()),
               server.base_url().c_str());
    if (fs::is_regular_file(*docroot / "examples" / "demo.html", ec))
      print_line(stderr, "asyncload serve: the browser demo: %s/static/examples/demo.html",
                 server.base_url().c_str());
  } else {
    print_line(stderr,
               "asyncload serve: no docroot (--docroot DIR; the web build, build/web, is used "
               "by default once built)");
  }

#if defined(_WIN32)
  stop_requested.acquire();
  server.stop();
  print_line(stderr, "asyncload serve: stopped (%s)", stop_event == CTRL_C_EVENT ? "Ctrl-C" : "console event");
#else
  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  server.stop();
  print_line(stderr, "asyncload serve: stopped (%s)",
             signal_number == SIGINT ? "SIGINT" : "SIGTERM");
#endif
  return exit_ok;
}

}  // namespace asyncload::cli
