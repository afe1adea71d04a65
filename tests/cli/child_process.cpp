// child_process.cpp — posix_spawn + poll with a deadline, for the CLI end-to-end tests.
#include "child_process.hpp"

#include <doctest/doctest.h>

#include <boost/json/parse.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <thread>

extern char** environ;

namespace asyncload::test {
namespace {

using Clock = std::chrono::steady_clock;

int remaining_ms(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

}  // namespace

std::string cli_path() {
  const char* path = std::getenv("ASYNCLOAD_CLI");
  if (!path || !*path)
    FAIL(
        "ASYNCLOAD_CLI is not set: run these tests through ctest, or set it to the built "
        "`asyncload` executable");
  return path;
}

std::vector<boost::json::object> CliResult::finals() const {
  std::vector<boost::json::object> out;
  for (const auto& line : lines)
    if (line.at("status").to_number<int>() <= 0) out.push_back(line);
  return out;
}

std::vector<boost::json::object> CliResult::progress() const {
  std::vector<boost::json::object> out;
  for (const auto& line : lines)
    if (line.at("status").to_number<int>() == 1) out.push_back(line);
  return out;
}

std::string CliResult::describe() const {
  std::string text =
      signal ? "killed by signal " + std::to_string(signal) : "exit " + std::to_string(exit_code);
  text += " after " + std::to_string(elapsed.count()) + " ms\n--- stdout ---\n" +
          out.substr(0, 4000) + "\n--- stderr ---\n" + err.substr(0, 4000);
  return text;
}

Child::Child(const std::vector<std::string>& args, std::chrono::milliseconds deadline)
    : started_(Clock::now()), deadline_(started_ + deadline) {
  const std::string program = cli_path();
  what_ = "asyncload";
  for (const auto& arg : args) what_ += " '" + arg + "'";

  int out_pipe[2];
  int err_pipe[2];
  REQUIRE(::pipe2(out_pipe, O_CLOEXEC) == 0);
  REQUIRE(::pipe2(err_pipe, O_CLOEXEC) == 0);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], STDERR_FILENO);

  // The child starts with default signal dispositions and an empty mask, whatever the test
  // process has.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigset_t all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<std::string> argv_strings{program};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& s : argv_strings) argv.push_back(s.data());
  argv.push_back(nullptr);

  const int rc = ::posix_spawn(&pid_, program.c_str(), &actions, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  out_fd_ = out_pipe[0];
  err_fd_ = err_pipe[0];
  if (rc != 0) {
    ::close(out_fd_);
    ::close(err_fd_);
    out_fd_ = err_fd_ = -1;
    pid_ = -1;
    FAIL("posix_spawn " << program << ": " << std::strerror(rc));
  }
}

Child::~Child() {
  if (pid_ > 0 && !wait_status_) {
    ::kill(pid_, SIGKILL);
    reap(true);
  }
  if (out_fd_ >= 0) ::close(out_fd_);
  if (err_fd_ >= 0) ::close(err_fd_);
}

bool Child::pump(int timeout_ms) {
  pollfd fds[2];
  nfds_t n = 0;
  if (out_fd_ >= 0) fds[n++] = {out_fd_, POLLIN, 0};
  if (err_fd_ >= 0) fds[n++] = {err_fd_, POLLIN, 0};
  if (n == 0) return false;
  const int ready = ::poll(fds, n, timeout_ms);
  if (ready < 0 && errno != EINTR) FAIL("poll: " << std::strerror(errno));
  for (nfds_t i = 0; ready > 0 && i < n; ++i) {
    if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
    const bool is_out = fds[i].fd == out_fd_;
    char chunk[65536];
    const ssize_t got = ::read(fds[i].fd, chunk, sizeof chunk);
    if (got > 0) {
      (is_out ? out_ : err_).append(chunk, static_cast<std::size_t>(got));
    } else if (got == 0 || errno != EINTR) {
      ::close(fds[i].fd);
      (is_out ? out_fd_ : err_fd_) = -1;
    }
  }
  return out_fd_ >= 0 || err_fd_ >= 0;
}

void Child::reap(bool block) {
  if (pid_ <= 0 || wait_status_) return;
  int status = 0;
  pid_t got;
  do {
    got = ::waitpid(pid_, &status, block ? 0 : WNOHANG);
  } while (got < 0 && errno == EINTR);
  if (got == pid_) wait_status_ = status;
}

bool Child::running() {
  reap(false);
  return !wait_status_;
}

std::chrono::milliseconds Child::elapsed() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started_);
}

void Child::signal(int signal_number) {
  REQUIRE(pid_ > 0);
  if (!wait_status_) ::kill(pid_, signal_number);
}

std::string Child::read_line() {
  for (;;) {
    const auto newline = out_.find('\n', out_consumed_);
    if (newline != std::string::npos) {
      std::string line = out_.substr(out_consumed_, newline - out_consumed_);
      out_consumed_ = newline + 1;
      return line;
    }
    if (out_fd_ < 0) FAIL(what_ << ": stdout ended without another line; stderr:\n" << err_);
    if (Clock::now() >= deadline_) {
      ::kill(pid_, SIGKILL);
      reap(true);
      FAIL(what_ << ": no stdout line before the deadline; stdout so far:\n"
                 << out_ << "\nstderr:\n"
                 << err_);
    }
    pump(remaining_ms(deadline_));
  }
}

CliResult Child::finish(Stdout kind) {
  while (pump(remaining_ms(deadline_))) {
    if (Clock::now() >= deadline_) break;
  }
  while (running() && Clock::now() < deadline_)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  if (running()) {
    ::kill(pid_, SIGKILL);
    reap(true);
    FAIL(what_ << ": still running at the deadline (killed); stdout:\n"
               << out_.substr(0, 4000) << "\nstderr:\n"
               << err_.substr(0, 4000));
  }

  CliResult result;
  result.elapsed = elapsed();
  result.out = out_;
  result.err = err_;
  if (WIFEXITED(*wait_status_)) result.exit_code = WEXITSTATUS(*wait_status_);
  if (WIFSIGNALED(*wait_status_)) result.signal = WTERMSIG(*wait_status_);

  std::size_t start = out_consumed_;  // lines read_line() handed out are not NDJSON necessarily
  while (kind == Stdout::ndjson && start < out_.size()) {
    const auto newline = out_.find('\n', start);
    INFO(what_ << "\n" << result.describe());
    REQUIRE_MESSAGE(newline != std::string::npos, "stdout's last line is not terminated");
    const std::string line = out_.substr(start, newline - start);
    start = newline + 1;
    boost::system::error_code ec;
    boost::json::value value = boost::json::parse(line, ec);
    REQUIRE_MESSAGE(!ec, "not JSON: " << line);
    REQUIRE_MESSAGE(value.is_object(), "not a JSON object: " << line);
    REQUIRE_MESSAGE(value.get_object().contains("status"), "no status: " << line);
    result.lines.push_back(std::move(value.get_object()));
  }
  return result;
}

CliResult run_cli(const std::vector<std::string>& args, std::chrono::milliseconds deadline,
                  Stdout kind) {
  Child child(args, deadline);
  return child.finish(kind);
}

}  // namespace asyncload::test
