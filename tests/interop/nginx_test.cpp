// Interop: asyncload against a server nobody here wrote — Debian's nginx.
//
// Native only. The test starts /usr/sbin/nginx itself (daemon off, its own config, pid file,
// logs and temp paths in a private temporary directory, on a free loopback port), waits until
// the port accepts connections, runs the scenarios through the same game-loop harness as the
// conformance suite, then stops nginx (SIGTERM, wait). When nginx is not installed the test
// FAILS with a message: the project's test command installs it.
#include "support/game_loop.hpp"

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

using namespace asyncload;
using namespace asyncload::test;
namespace fs = std::filesystem;

namespace {

constexpr const char* kNginx = "/usr/sbin/nginx";
constexpr std::size_t kBigSize = 50u * 1024u * 1024u;  // 50 MiB of random bytes

std::uint16_t free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  socklen_t len = sizeof addr;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  ::close(fd);
  return ntohs(addr.sin_port);
}

bool accepts_connections(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

// The random payload, written before nginx starts; the test compares the download against it.
void write_random_file(const fs::path& path, std::size_t size, std::uint64_t seed) {
  std::mt19937_64 random(seed);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  REQUIRE(out.good());
  std::vector<std::uint64_t> block(64 * 1024);
  std::size_t left = size;
  while (left > 0) {
    for (auto& word : block) word = random();
    const std::size_t n = std::min(left, block.size() * sizeof(std::uint64_t));
    out.write(reinterpret_cast<const char*>(block.data()), static_cast<std::streamsize>(n));
    left -= n;
  }
  REQUIRE(out.good());
}

std::string make_text(std::size_t at_least) {
  std::string text;
  int line = 0;
  while (text.size() < at_least)
    text += "line " + std::to_string(++line) + ": the quick brown fox jumps over the lazy dog, "
            "asyncload interop with nginx gzip\n";
  return text;
}

// Compares two files without holding both in memory; returns the first differing offset or -1.
std::int64_t first_difference(const fs::path& a, const fs::path& b) {
  std::ifstream fa(a, std::ios::binary), fb(b, std::ios::binary);
  if (!fa || !fb) return 0;
  std::vector<char> ba(1 << 20), bb(1 << 20);
  std::int64_t offset = 0;
  for (;;) {
    fa.read(ba.data(), static_cast<std::streamsize>(ba.size()));
    fb.read(bb.data(), static_cast<std::streamsize>(bb.size()));
    const auto na = fa.gcount(), nb = fb.gcount();
    const auto n = std::min(na, nb);
    for (std::streamsize i = 0; i < n; ++i)
      if (ba[static_cast<std::size_t>(i)] != bb[static_cast<std::size_t>(i)]) return offset + i;
    if (na != nb) return offset + n;
    if (na == 0) return -1;
    offset += na;
  }
}

// nginx as a child process, stopped and reaped in the destructor.
class Nginx {
public:
  explicit Nginx(const fs::path& dir) : dir_(dir) {
    REQUIRE_MESSAGE(::access(kNginx, X_OK) == 0,
                    kNginx << " is not installed (apt-get install nginx-light or nginx): the "
                              "interop suite needs it and does not skip silently");
    fs::create_directories(dir_ / "www");
    fs::create_directories(dir_ / "tmp");
    // Several attempts: the free port found could be taken by someone else before nginx binds it.
    for (int attempt = 0; attempt < 3 && pid_ <= 0; ++attempt) {
      port_ = free_loopback_port();
      write_config();
      spawn();
      if (!wait_ready()) stop();
    }
    REQUIRE_MESSAGE(pid_ > 0, "nginx did not start; error.log:\n" << read_file(dir_ / "error.log")
                                  << "\nstderr:\n" << read_file(dir_ / "stderr.log"));
  }
  ~Nginx() { stop(); }
  Nginx(const Nginx&) = delete;
  Nginx& operator=(const Nginx&) = delete;

  std::string url(std::string_view path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
  }
  const fs::path& www() const { return www_; }
  std::string error_log() const { return read_file(dir_ / "error.log"); }
  // One line per request under /slow/: "<status> <Range>|<If-Range>|<body bytes sent>".
  std::string slow_log() const { return read_file(dir_ / "slow.log"); }

private:
  void write_config() {
    www_ = dir_ / "www";
    const std::string d = dir_.string();
    std::ostringstream conf;
    conf << "daemon off;\n"
         << "worker_processes 1;\n"
         << "pid " << d << "/nginx.pid;\n"
         << "error_log " << d << "/error.log info;\n";
    // As root, the workers would switch to "nobody" and could not read our private temp dir.
    if (::geteuid() == 0) conf << "user root;\n";
    conf << "events { worker_connections 512; }\n"
         << "http {\n"
         << "  access_log " << d << "/access.log;\n"
         << "  client_body_temp_path " << d << "/tmp/client_body;\n"
         << "  proxy_temp_path " << d << "/tmp/proxy;\n"
         << "  fastcgi_temp_path " << d << "/tmp/fastcgi;\n"
         << "  uwsgi_temp_path " << d << "/tmp/uwsgi;\n"
         << "  scgi_temp_path " << d << "/tmp/scgi;\n"
         << "  types { text/plain txt; text/html html; application/octet-stream bin; }\n"
         << "  default_type application/octet-stream;\n"
         << "  sendfile on;\n"
         << "  keepalive_timeout 65;\n"
         << "  keepalive_requests 10000;\n"
         << "  gzip on;\n"
         << "  gzip_types text/plain;\n"
         << "  gzip_min_length 0;\n"
         << "  log_format ranges escape=none '$status $http_range|$http_if_range|$body_bytes_sent';\n"
         << "  server {\n"
         << "    listen 127.0.0.1:" << port_ << ";\n"
         << "    server_name localhost;\n"
         << "    root " << www_.string() << ";\n"
         // Slow enough that a game can stop a download half-way (about 2.5 s for 50 MiB).
         << "    location /slow/ { limit_rate 20m; access_log " << d << "/slow.log ranges; }\n"
         << "  }\n"
         << "}\n";
    std::ofstream(dir_ / "nginx.conf", std::ios::trunc) << conf.str();
  }

  void spawn() {
    const std::string prefix = dir_.string() + "/";
    const std::string conf = (dir_ / "nginx.conf").string();
    const std::string err = (dir_ / "error.log").string();
    const std::string out = (dir_ / "stderr.log").string();
    std::vector<std::string> args = {kNginx, "-p", prefix, "-c", conf, "-e", err};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_addopen(&actions, 2, out.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    pid_t pid = -1;
    const int rc = ::posix_spawn(&pid, kNginx, &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    REQUIRE_MESSAGE(rc == 0, "posix_spawn " << kNginx << ": " << std::strerror(rc));
    pid_ = pid;
  }

  // Polls the port until nginx accepts (bounded); false if nginx exited or the deadline passed.
  bool wait_ready() {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;  // exited (e.g. the port was taken)
        return false;
      }
      if (accepts_connections(port_)) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));  // readiness poll interval
    }
    return false;
  }

  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);  // fast shutdown: the master stops its workers and exits
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    int status = 0;
    while (::waitpid(pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() >= deadline) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    pid_ = -1;
  }

  fs::path dir_;
  fs::path www_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace

TEST_SUITE("interop.nginx") {

TEST_CASE("nginx: a 50 MiB random binary file through http_get_file arrives byte-identical") {
  TempDir dir;
  fs::create_directories(dir / "server/www");
  write_random_file(dir / "server/www/big.bin", kBigSize, 0xA5C10ADULL);
  Nginx nginx(dir / "server");

  rusage before{};
  ::getrusage(RUSAGE_SELF, &before);
  Http http;
  REQUIRE(http.capabilities().file_download);
  const fs::path target = dir / "client/downloads/big.bin";
  const std::string requested = nginx.url("/big.bin");
  auto id = http.http_get_file(requested, target.string());
  REQUIRE(id >= 0);
  Frames frames = run_until_final(http, {id}, {.timeout = 180s});
  run_for(http, frames, 50ms);
  frames.check_lifecycle(id);
  const auto e = frames.final_event(id);
  INFO(describe(e));
  INFO("nginx error.log:\n" << nginx.error_log());
  CHECK(e.status() == Status::complete);
  CHECK(e.http_status() == 200);
  CHECK(e.url() == requested);
  CHECK(e.result() == target.string());
  CHECK(e.header("content-length") == std::to_string(kBigSize));
  REQUIRE(fs::is_regular_file(target));
  CHECK(fs::file_size(target) == kBigSize);
  CHECK(first_difference(dir / "server/www/big.bin", target) == -1);
  CHECK(list_tree(dir / "client/downloads") == std::vector<std::string>{"big.bin"});
  // Memory stays bounded whatever the size: the 50 MiB never sit in this process at once.
  rusage after{};
  ::getrusage(RUSAGE_SELF, &after);
  const long grown_kib = after.ru_maxrss - before.ru_maxrss;
  INFO("peak RSS grew by " << grown_kib << " KiB during the download");
  CHECK(grown_kib < 24 * 1024);
  if (http.capabilities().progress_events) {
    const auto progress = frames.progress(id);
    for (const auto& p : progress) {
      CHECK(p.content_length() == static_cast<std::int64_t>(kBigSize));
      CHECK(p.size_downloaded() <= static_cast<std::int64_t>(kBigSize));
    }
  }
}

TEST_CASE("nginx: a 50 MiB download stopped half-way resumes with a 206 for the rest, byte-identical") {
  TempDir dir;
  fs::create_directories(dir / "server/www/slow");
  write_random_file(dir / "server/www/slow/big.bin", kBigSize, 0x5E5D0ULL);
  Nginx nginx(dir / "server");
  Http http;
  REQUIRE(http.capabilities().resume_downloads);
  const fs::path target = dir / "client/big.bin";
  const std::string requested = nginx.url("/slow/big.bin");
  const RequestOptions resume{.resume = true};

  // The game pauses (cancels) the download once half of it arrived.
  const RequestId first = http.http_get_file(requested, target.string(), resume);
  REQUIRE(first >= 0);
  Frames frames;
  run_until(http, frames, [&](const Frames& f) {
    const auto progress = f.progress(first);
    return f.has_final(first) || (!progress.empty() && progress.back().size_downloaded() >= kBigSize / 2);
  }, {.timeout = 120s});
  REQUIRE_FALSE(frames.has_final(first));
  CHECK(http.http_cancel(first));
  run_until_final(http, frames, {first});
  CHECK(frames.final_event(first).status() == Status::cancelled);
  CHECK_FALSE(fs::exists(target));
  // What the paused download kept: about half the file (curl's byte count, which the progress
  // showed, may run a read ahead of what reached the file when the cancel came).
  std::uintmax_t kept = 0;
  for (const auto& entry : fs::directory_iterator(dir / "client"))
    if (entry.path().extension() == ".partial") kept = entry.file_size();
  CHECK(kept >= kBigSize / 4);

  const RequestId second = http.http_get_file(requested, target.string(), resume);
  REQUIRE(second >= 0);
  run_until_final(http, frames, {second}, {.timeout = 120s});
  frames.check_lifecycle(second);
  const AsyncLoad e = frames.final_event(second);
  INFO(describe(e));
  INFO("nginx error.log:\n" << nginx.error_log() << "\nslow.log:\n" << nginx.slow_log());
  CHECK(e.status() == Status::complete);
  CHECK(e.http_status() == 200);
  CHECK(e.size_downloaded() == static_cast<std::int64_t>(kBigSize));
  CHECK(e.content_length() == static_cast<std::int64_t>(kBigSize));
  CHECK(e.header("content-range").ends_with("/" + std::to_string(kBigSize)));
  CHECK(first_difference(dir / "server/www/slow/big.bin", target) == -1);
  CHECK(list_tree(dir / "client") == std::vector<std::string>{"big.bin"});

  // nginx's log: the first request without Range, the second asked for the rest only, under
  // nginx's ETag, and got exactly that.
  std::istringstream log(nginx.slow_log());
  std::string line_first, line_second;
  std::getline(log, line_first);
  std::getline(log, line_second);
  CHECK(line_first.starts_with("200 ||"));  // no Range, no If-Range
  const auto starts = e.header("content-range").substr(6);  // "bytes A-B/N"
  const std::uint64_t resumed_at = std::stoull(std::string(starts.substr(0, starts.find('-'))));
  CHECK(resumed_at == kept);  // it continued exactly where the partial file ended
  CHECK(line_second == "206 bytes=" + std::to_string(resumed_at) + "-|" + e.header("etag").data() + "|" +
                           std::to_string(kBigSize - resumed_at));
}

TEST_CASE("nginx: gzip-compressed text through http_get equals the file, content-encoding gzip") {
  TempDir dir;
  fs::create_directories(dir / "server/www");
  const std::string text = make_text(200 * 1024);
  write_file(dir / "server/www/text.txt", text);
  Nginx nginx(dir / "server");

  Http http;
  auto id = http.http_get(nginx.url("/text.txt"));
  REQUIRE(id >= 0);
  Frames frames = run_until_final(http, {id}, {.timeout = 30s});
  const auto e = frames.final_event(id);
  INFO(describe(e));
  INFO("nginx error.log:\n" << nginx.error_log());
  CHECK(e.status() == Status::complete);
  CHECK(e.http_status() == 200);
  CHECK(e.result().size() == text.size());
  CHECK(e.result() == text);
  CHECK(e.header("content-encoding") == "gzip");
  CHECK(e.header("content-type").substr(0, 10) == "text/plain");
  // Transfer-Encoding: chunked (nginx does not know the compressed length up front).
  if (http.capabilities().progress_events)
    for (const auto& p : frames.progress(id)) CHECK(p.content_length() == -1);
}

TEST_CASE("nginx: 404 page, HEAD, and many keep-alive requests") {
  TempDir dir;
  fs::create_directories(dir / "server/www");
  write_file(dir / "server/www/small.bin", std::string(1024, 'z'));
  Nginx nginx(dir / "server");

  Http http;
  auto missing = http.http_get(nginx.url("/missing"));
  auto head = http.http_request(nginx.url("/small.bin"), "HEAD", {}, "");
  Frames frames = run_until_final(http, {missing, head}, {.timeout = 30s});
  const auto e404 = frames.final_event(missing);
  INFO(describe(e404));
  CHECK(e404.status() == Status::complete);
  CHECK(e404.http_status() == 404);
  CHECK(e404.result().find("404 Not Found") != std::string_view::npos);
  const auto ehead = frames.final_event(head);
  INFO(describe(ehead));
  CHECK(ehead.status() == Status::complete);
  CHECK(ehead.http_status() == 200);
  CHECK(ehead.result() == "");
  CHECK(ehead.header("content-length") == "1024");
  CHECK(ehead.header("server").substr(0, 5) == "nginx");

  std::vector<RequestId> ids;
  for (int i = 0; i < 300; ++i) ids.push_back(http.http_get(nginx.url("/small.bin")));
  run_until_final(http, frames, ids, {.timeout = 60s});
  int bad = 0;
  for (auto id : ids) {
    const auto e = frames.final_event(id);
    if (e.status() != Status::complete || e.http_status() != 200 || e.result() != std::string(1024, 'z')) ++bad;
  }
  CHECK(bad == 0);
  INFO("nginx error.log:\n" << nginx.error_log());
}

}  // TEST_SUITE
