// child_process.hpp — runs the built `asyncload` tool for the end-to-end tests: posix_spawn with
// stdout and stderr on pipes (stdin from /dev/null), everything bounded by a deadline. A child
// that outlives its deadline is killed and the test FAILs; nothing here can hang the suite.
#pragma once

#include <boost/json/object.hpp>

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace asyncload::test {

// The tool under test: $ASYNCLOAD_CLI (set by ctest). FAILs the test when unset.
std::string cli_path();

enum class Stdout { ndjson, text };  // text: the tool's --help, not parsed

struct CliResult {
  int exit_code = -1;  // -1 when killed by a signal
  int signal = 0;      // the signal that ended it, 0 if it exited
  std::string out;     // all of stdout
  std::string err;     // all of stderr
  std::chrono::milliseconds elapsed{0};
  // stdout parsed as NDJSON (REQUIREs valid lines), from the first line Child::read_line() did
  // not hand out.
  std::vector<boost::json::object> lines;

  std::vector<boost::json::object> finals() const;    // lines with status <= 0
  std::vector<boost::json::object> progress() const;  // lines with status 1
  std::string describe() const;                       // exit status + both streams, for messages
};

class Child {
 public:
  // Starts `asyncload args...`.
  explicit Child(const std::vector<std::string>& args,
                 std::chrono::milliseconds deadline = std::chrono::seconds(30));
  ~Child();  // kills and reaps a child still running
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  // The next complete stdout line (without '\n'); FAILs on EOF or when the deadline passes.
  std::string read_line();
  bool running();                             // not yet exited (reaps it if it has)
  std::chrono::milliseconds elapsed() const;  // since the spawn
  void signal(int signal_number);
  // Reads both streams to EOF and waits for the exit; FAILs (after a SIGKILL) on the deadline.
  CliResult finish(Stdout kind = Stdout::ndjson);

 private:
  bool pump(int timeout_ms);  // one poll round; false when both streams reached EOF
  void reap(bool block);

  pid_t pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  std::string out_;
  std::string err_;
  std::size_t out_consumed_ = 0;  // read_line() position in out_
  std::optional<int> wait_status_;
  std::chrono::steady_clock::time_point started_;
  std::chrono::steady_clock::time_point deadline_;
  std::string what_;  // the command line, for messages
};

// Runs `asyncload args...` to completion.
CliResult run_cli(const std::vector<std::string>& args,
                  std::chrono::milliseconds deadline = std::chrono::seconds(30),
                  Stdout kind = Stdout::ndjson);

}  // namespace asyncload::test
