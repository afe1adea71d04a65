// serve.cpp — `asyncload serve [--port N]`: the loopback TestServer alone. Prints its base URL as
// the first stdout line, then runs until SIGINT or SIGTERM (exit 0).
#include "commands.hpp"

#include "testserver/test_server.hpp"

#include <pthread.h>
#include <signal.h>

#include <cstdio>

namespace asyncload::cli {

int run_serve(const Command& command) {
  // Block the stop signals before the server starts its threads (they inherit the mask), so
  // that only sigwait() below ever sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  testserver::ServerOptions options;
  options.port = command.port;
  testserver::TestServer server(options);

  std::printf("%s\n", server.base_url().c_str());
  std::fflush(stdout);
  std::fprintf(stderr, "asyncload serve: test endpoints at %s/ (index there); Ctrl-C stops.\n",
               server.base_url().c_str());

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  server.stop();
  std::fprintf(stderr, "asyncload serve: stopped (%s)\n",
               signal_number == SIGINT ? "SIGINT" : "SIGTERM");
  return exit_ok;
}

}  // namespace asyncload::cli
