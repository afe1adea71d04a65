// Fault injection: a local file system that will not take the download. The previous file must
// survive intact, no temporary file may be left, and the Http must go on working.
//
// As root the test mounts its own small tmpfs (a full disk) and remounts it read-only (root
// ignores permission bits, so chmod cannot make a directory unwritable for it). Not as root,
// the full-disk case is skipped with a printed reason and the unwritable directory is a chmod.
#include "faults/checks.hpp"
#include "faults/probes.hpp"
#include "support/game_loop.hpp"

#include <doctest/doctest.h>

#if !defined(_WIN32)
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#endif

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <vector>

using namespace asyncload;
using namespace asyncload::test;
using namespace asyncload::faults;
namespace fs = std::filesystem;

namespace {

// The cases that need POSIX processes and permission bits (posix_spawn, chmod, mount).
#if defined(_WIN32)
constexpr bool posix_processes = false;
#else
constexpr bool posix_processes = true;
#endif

// ---- a game that restarts under the same process id -----------------------------------------
// In a container the game is pid 1 on every run, so a temporary file a crashed run left behind
// can carry exactly the name the next run would pick if names derived from the pid. The test
// below reproduces that with exec(), which keeps the pid and starts a fresh program image: this
// binary re-executes itself with ASYNCLOAD_RESTART set and runs one stage here, before main().

constexpr const char* restart_stage = "ASYNCLOAD_RESTART";        // "first" or "second"
constexpr const char* restart_target = "ASYNCLOAD_RESTART_TARGET";
constexpr const char* restart_slow_url = "ASYNCLOAD_RESTART_SLOW_URL";  // the crashed run's download
constexpr const char* restart_url = "ASYNCLOAD_RESTART_URL";            // the next run's download

// Runs frames until `done` says so; false after 30 s.
#if !defined(_WIN32)
bool run_restart_frames(Http& http, const std::function<bool(const AsyncLoad&)>& done) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  bool finished = false;
  while (!finished && std::chrono::steady_clock::now() < end) {
    http.dispatch([&](const AsyncLoad& load) { finished = finished || done(load); });
    if (!finished) http.wait(std::chrono::milliseconds(50));
  }
  return finished;
}

// First stage: a download is under way (its first bytes are in the temporary file) when the
// game "crashes": exec() drops the process image without any clean-up and keeps the pid.
// Second stage, the restarted game: downloads to the same target; exits 0 when that worked.
[[noreturn]] void run_restart_stage(std::string_view stage) {
  const char* target = std::getenv(restart_target);
  Http http;
  if (stage == "first") {
    const RequestId id = http.http_get_file(std::getenv(restart_slow_url), target);
    const bool writing = run_restart_frames(http, [&](const AsyncLoad& load) {
      return load.id() == id && (load.status() != Status::downloading || load.size_downloaded() > 0);
    });
    if (!writing || http.in_flight() != 1) std::_Exit(3);  // the scenario did not happen
    ::setenv(restart_stage, "second", 1);
    ::execl("/proc/self/exe", "/proc/self/exe", static_cast<char*>(nullptr));
    std::_Exit(4);
  }
  const RequestId id = http.http_get_file(std::getenv(restart_url), target);
  Status status = Status::downloading;
  run_restart_frames(http, [&](const AsyncLoad& load) {
    if (load.id() != id || load.status() == Status::downloading) return false;
    status = load.status();
    if (status != Status::complete)
      std::fprintf(stderr, "restarted run: status %d: %s\n", static_cast<int>(status), std::string(load.error()).c_str());
    return true;
  });
  std::_Exit(status == Status::complete ? 0 : 1);
}

const bool restart_stage_ran = [] {
  if (const char* stage = std::getenv(restart_stage)) run_restart_stage(stage);
  return false;
}();

// Runs the two stages in a child process; its exit status.
int run_restarting_game(const fs::path& target, const std::string& slow_url, const std::string& next_url) {
  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e) env_strings.emplace_back(*e);
  env_strings.push_back(std::string(restart_stage) + "=first");
  env_strings.push_back(std::string(restart_target) + "=" + target.string());
  env_strings.push_back(std::string(restart_slow_url) + "=" + slow_url);
  env_strings.push_back(std::string(restart_url) + "=" + next_url);
  std::vector<char*> env;
  for (auto& entry : env_strings) env.push_back(entry.data());
  env.push_back(nullptr);
  char self[] = "/proc/self/exe";
  char* argv[] = {self, nullptr};
  pid_t pid = -1;
  if (::posix_spawn(&pid, self, nullptr, nullptr, argv, env.data()) != 0) return -1;
  int wstatus = 0;
  if (::waitpid(pid, &wstatus, 0) != pid) return -1;
  return WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
}

#endif

}  // namespace

TEST_SUITE("faults.files") {

// POSIX only (posix_spawn of /proc/self/exe): skipped on Windows, README "Windows".
TEST_CASE("a temporary file a crashed run with the same process id left behind does not break the next download" *
          doctest::skip(!posix_processes)) {
#if defined(_WIN32)
}
#else
  (void)restart_stage_ran;
  TempDir dir;
  const fs::path target = dir / "save.bin";
  write_file(target, "previous");
  const int exit_status = run_restarting_game(target, url("/drip?bytes=1000&chunks=10&interval_ms=10000"),
                                              url("/bytes/5000"));
  CHECK_MESSAGE(exit_status != 3, "the first run never had its download under way");
  CHECK(exit_status == 0);
  CHECK(read_file(target) == expected_bytes(0, 5000));
  // The crashed run's temporary file is still there (so the scenario happened); nothing else is.
  const auto entries = list_tree(dir.path());
  CHECK(entries.size() == 2);
  CHECK(std::count(entries.begin(), entries.end(), "save.bin") == 1);
}
#endif

TEST_CASE("http_get_file to file names of 240 and 255 bytes (the most ext4 and tmpfs take)") {
  TempDir dir;
  Http http;
  for (std::size_t length : {240, 255}) {
    const fs::path target = dir / std::string(length, 'n');
    for (std::size_t size : {1000, 2000}) {  // a new file, then replacing it
      const auto e = only_final(http, http.http_get_file(url("/bytes/" + std::to_string(size)), target.string()));
      INFO(length << "-byte name, " << size << " bytes: " << brief(e));
      CHECK(e.status() == Status::complete);
      CHECK(read_file(target) == expected_bytes(0, size));
    }
  }
  CHECK(list_tree(dir.path()) == std::vector<std::string>{std::string(240, 'n'), std::string(255, 'n')});
}

TEST_CASE("http_get_file onto a full disk: -4, the previous file intact, no temporary file") {
  TempDir dir;
  const fs::path disk = dir / "disk";
  fs::create_directories(disk);
  TmpfsMount mount(disk, "2m");
  if (!mount.mounted()) {
    MESSAGE("SKIPPED full-disk case: " << mount.why());
    return;
  }
  const std::string previous = expected_bytes(7, 100'000);
  write_file(disk / "save.bin", previous);

  Http http;
  const auto e = only_final(http, http.http_get_file(url("/bytes/4194304"), (disk / "save.bin").string()));
  INFO(brief(e));
  CHECK(e.status() == Status::file_error);
  CHECK(e.http_status() == 200);
  CHECK(e.result() == "");
  CHECK(contains(e.error(), "No space left on device"));
  CHECK(read_file(disk / "save.bin") == previous);
  CHECK(list_tree(disk) == std::vector<std::string>{"save.bin"});

  // The space the temporary file took is free again: a small download onto the same disk works.
  const auto small = only_final(http, http.http_get_file(url("/bytes/10000"), (disk / "small.bin").string()));
  INFO(brief(small));
  CHECK(small.status() == Status::complete);
  CHECK(read_file(disk / "small.bin") == expected_bytes(0, 10'000));
  CHECK(list_tree(disk) == std::vector<std::string>{"save.bin", "small.bin"});
}

// POSIX only (chmod, read-only tmpfs): skipped on Windows, README "Windows".
TEST_CASE("http_get_file into a directory it cannot write: -4, the previous file intact, no temporary file" *
          doctest::skip(!posix_processes)) {
#if defined(_WIN32)
}
#else
  TempDir dir;
  const fs::path locked = dir / "locked";
  fs::create_directories(locked);
  std::optional<TmpfsMount> mount;
  if (is_root()) mount.emplace(locked, "2m");
  write_file(locked / "save.bin", "previous");
  bool read_only = false;
  if (mount && mount->mounted()) {
    read_only = mount->make_read_only();
    REQUIRE_MESSAGE(read_only, "could not remount the test tmpfs read-only");
  } else if (is_root()) {
    MESSAGE("SKIPPED unwritable-directory case: root ignores permission bits and " << mount->why());
    return;
  } else {
    ::chmod(locked.c_str(), 0555);
  }
  MESSAGE("unwritable directory made by " << std::string(read_only ? "a read-only tmpfs (root)" : "chmod 0555"));

  Http http;
  const auto e = only_final(http, http.http_get_file(url("/bytes/1000"), (locked / "save.bin").string()));
  INFO(brief(e));
  CHECK(e.status() == Status::file_error);
  CHECK(e.http_status() == 200);
  CHECK(e.result() == "");
  CHECK(contains(e.error(), read_only ? "Read-only file system" : "Permission denied"));
  CHECK(read_file(locked / "save.bin") == "previous");
  CHECK(list_tree(locked) == std::vector<std::string>{"save.bin"});

  // A missing directory below it cannot be created either: -4 again, still nothing left behind.
  const auto deep = only_final(http, http.http_get_file(url("/bytes/1000"), (locked / "new/sub/x.bin").string()));
  INFO(brief(deep));
  CHECK(deep.status() == Status::file_error);
  CHECK(contains(deep.error(), "cannot create directory"));
  CHECK(list_tree(locked) == std::vector<std::string>{"save.bin"});

  // An empty body still has to create the file: the same -4.
  const auto empty = only_final(http, http.http_get_file(url("/bytes/0"), (locked / "save.bin").string()));
  INFO(brief(empty));
  CHECK(empty.status() == Status::file_error);
  CHECK(read_file(locked / "save.bin") == "previous");

  // The Http goes on: a writable target works.
  const auto ok = only_final(http, http.http_get_file(url("/bytes/1000"), (dir / "ok.bin").string()));
  CHECK(ok.status() == Status::complete);
  CHECK(read_file(dir / "ok.bin") == expected_bytes(0, 1000));
  if (!read_only) ::chmod(locked.c_str(), 0755);
}
#endif

// Skipped where links cannot be created (symlinks_creatable: Windows, README "Windows").
TEST_CASE("a dangling symlink under file_root pointing outside: nothing is written outside the root" *
          doctest::skip(!symlinks_creatable)) {
  TempDir dir;
  const fs::path root = dir / "root";
  const fs::path outside = dir / "outside";
  fs::create_directories(root);
  fs::create_directories(outside);
  fs::create_symlink(outside / "stolen.bin", root / "save.bin");  // its target does not exist yet
  Options options;
  options.file_root = root.string();
  Http http(options);
  const auto id = http.http_get_file(url("/bytes/100"), "save.bin");
  if (id == -1) {
    CHECK_FALSE(http.last_error().empty());  // refusing is fine
  } else {
    // Accepted: the download replaces the link itself, inside the root.
    const auto e = only_final(http, id);
    INFO(brief(e));
    CHECK(e.status() == Status::complete);
    CHECK(fs::is_regular_file(fs::symlink_status(root / "save.bin")));
    CHECK(read_file(root / "save.bin") == expected_bytes(0, 100));
  }
  CHECK(list_tree(outside).empty());
}

}  // TEST_SUITE
