// Soak: many requests through one Http, of mixed sizes and kinds, 5% faults and 5% cancels, kept
// up to a window in flight by a game loop. Asserts:
//   - every request gets exactly one final event, with the outcome its kind must have;
//   - resident memory after warm-up (the first 20% of requests) grows less than 5%;
//   - open file descriptors return to the starting count once the Http is gone.
// ASYNCLOAD_SOAK_REQUESTS sets the count (20,000 when unset; scripts/soak.sh runs 100,000).
//
// The test server runs in a child process forked before this process starts any thread, so
// /proc/self (memory, descriptors) measures the client side alone.
#include "support/game_loop.hpp"
#include "support/process_probes.hpp"

#include <doctest/doctest.h>

#include <testserver/test_server.hpp>

#include <arpa/inet.h>
#include <malloc.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <string>
#include <vector>

using namespace asyncload;
using namespace asyncload::test;
namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

// The test server in a child process. The child serves until the parent closes its pipe.
class ServerProcess {
public:
  ServerProcess() {
    int port_pipe[2], stop_pipe[2];
    REQUIRE(::pipe(port_pipe) == 0);
    REQUIRE(::pipe(stop_pipe) == 0);
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      ::close(port_pipe[0]);
      ::close(stop_pipe[1]);
      {
        testserver::ServerOptions options;
        options.threads = 2;
        testserver::TestServer server(options);
        const std::uint16_t port = server.port();
        [[maybe_unused]] auto w = ::write(port_pipe[1], &port, sizeof port);
        char byte;
        while (::read(stop_pipe[0], &byte, 1) > 0) {
        }
        server.stop();
      }
      ::_exit(0);
    }
    ::close(port_pipe[1]);
    ::close(stop_pipe[0]);
    stop_fd_ = stop_pipe[1];
    std::uint16_t port = 0;
    REQUIRE(::read(port_pipe[0], &port, sizeof port) == static_cast<ssize_t>(sizeof port));
    ::close(port_pipe[0]);
    base_ = "http://127.0.0.1:" + std::to_string(port);
  }
  ~ServerProcess() {
    ::close(stop_fd_);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  const std::string& base() const { return base_; }

private:
  pid_t pid_ = -1;
  int stop_fd_ = -1;
  std::string base_;
};

enum class Kind { bytes, chunked, gzip, post_echo, file, not_found, refused, cut, too_large, stall, bad_redirect, cancel_now, cancel_later };

struct Plan {
  Kind kind;
  std::size_t size = 0;
  Status expect = Status::complete;
};

struct Tally {
  int finals = 0;
  int events_after_final = 0;
  int wrong = 0;
};

std::size_t soak_requests() {
  if (const char* text = std::getenv("ASYNCLOAD_SOAK_REQUESTS")) {
    const long n = std::strtol(text, nullptr, 10);
    if (n > 0) return static_cast<std::size_t>(n);
  }
  return 20'000;
}

}  // namespace

TEST_CASE("soak: every request one final event, memory flat after warm-up, descriptors back") {
  const std::size_t total = soak_requests();
  ServerProcess server;  // before any thread exists in this process
  const std::string& base = server.base();

  // A loopback port bound but never listening: connections to it are refused.
  const int closed_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  REQUIRE(::bind(closed_fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::getsockname(closed_fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  const std::string refused_url = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/";

  TempDir dir;
  const std::string gzip_text = expected_gzip_text();
  const int fds_before = open_fds();

  std::vector<Plan> plans;
  plans.reserve(total);
  std::mt19937 random(20240601);
  for (std::size_t i = 0; i < total; ++i) {
    const int roll = static_cast<int>(random() % 1000);
    Plan p;
    std::size_t size = 0;
    const int band = static_cast<int>(random() % 100);
    size = band < 70 ? random() % 4096 : band < 95 ? 4096 + random() % 61440 : 65536 + random() % 131072;
    if (roll < 50) {  // 5% faults
      static constexpr Kind faults[] = {Kind::refused, Kind::cut, Kind::too_large, Kind::bad_redirect,
                                        Kind::refused, Kind::cut, Kind::too_large, Kind::bad_redirect, Kind::stall};
      p.kind = faults[random() % std::size(faults)];
      p.expect = p.kind == Kind::too_large ? Status::too_large
                 : p.kind == Kind::stall   ? Status::timeout
                                           : Status::network_error;
    } else if (roll < 100) {  // 5% cancels
      p.kind = roll % 2 ? Kind::cancel_now : Kind::cancel_later;
      p.expect = Status::cancelled;
    } else if (roll < 130) {
      p.kind = Kind::chunked;
    } else if (roll < 140) {
      p.kind = Kind::gzip;
    } else if (roll < 180) {
      p.kind = Kind::post_echo;
      size = std::min<std::size_t>(size, 32768);
    } else if (roll < 190) {
      p.kind = Kind::file;
    } else if (roll < 200) {
      p.kind = Kind::not_found;
    } else {
      p.kind = Kind::bytes;
    }
    p.size = size;
    plans.push_back(p);
  }

  Options options;
  options.max_body_bytes = 256 * 1024;  // the normal bodies stay under it; too_large asks for more
  options.stall_timeout = std::chrono::milliseconds(3000);
  options.progress_events = true;
  std::optional<Http> http(std::in_place, options);

  std::vector<RequestId> ids(total, -1);
  std::vector<Tally> tally(total);
  std::vector<RequestId> cancel_next_frame;
  std::size_t issued = 0, finished = 0, cancels_refused = 0;
  std::size_t rss_warm = 0, rss_peak_after_warm = 0, heap_warm = 0;
  constexpr std::size_t window = 256;
  const std::size_t warm_up = total / 5;
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::minutes(30);

  auto issue = [&](std::size_t i) {
    const Plan& p = plans[i];
    const std::string n = std::to_string(p.size);
    RequestId id = -1;
    switch (p.kind) {
      case Kind::bytes: id = http->http_get(base + "/bytes/" + n); break;
      case Kind::chunked: id = http->http_get(base + "/chunked/" + n); break;
      case Kind::gzip: id = http->http_get(base + "/gzip"); break;
      case Kind::post_echo:
        id = http->http_request(base + "/echo/raw", "POST", {{"Content-Type", "application/octet-stream"}},
                                expected_bytes(i, p.size));
        break;
      case Kind::file:
        id = http->http_get_file(base + "/bytes/" + n, (dir / ("f" + std::to_string(i % 16) + ".bin")).string());
        break;
      case Kind::not_found: id = http->http_get(base + "/status/404"); break;
      case Kind::refused: id = http->http_get(refused_url); break;
      case Kind::cut: id = http->http_get(base + "/close-mid-body?bytes=" + std::to_string(20000 + p.size)); break;
      case Kind::too_large: id = http->http_get(base + "/bytes/" + std::to_string(300 * 1024 + p.size)); break;
      case Kind::stall: id = http->http_get(base + "/drip?bytes=100&chunks=2&interval_ms=600000"); break;
      case Kind::bad_redirect: id = http->http_get(base + "/redirect-to?url=ftp%3A%2F%2F127.0.0.1%2Fx"); break;
      case Kind::cancel_now:
      case Kind::cancel_later: id = http->http_get(base + "/drip?bytes=2000&chunks=4&interval_ms=50"); break;
    }
    REQUIRE_MESSAGE(id >= 0, http->last_error());
    // Ids count up from 0 in call order, so request i has id i: no id -> plan map that would
    // grow during the run and show up in the memory figures.
    REQUIRE(id == static_cast<RequestId>(i));
    ids[i] = id;
    if (p.kind == Kind::cancel_now) {
      if (!http->http_cancel(id)) ++cancels_refused;
    } else if (p.kind == Kind::cancel_later) {
      cancel_next_frame.push_back(id);
    }
  };

  auto check_final = [&](const AsyncLoad& e, std::size_t i) {
    const Plan& p = plans[i];
    bool ok = e.status() == p.expect;
    if (ok && p.expect == Status::complete) {
      switch (p.kind) {
        case Kind::bytes:
        case Kind::chunked:
          ok = e.http_status() == 200 && e.result().size() == p.size &&
               (i % 64 != 0 || e.result() == expected_bytes(0, p.size));
          break;
        case Kind::gzip: ok = e.http_status() == 200 && e.result() == gzip_text; break;
        case Kind::post_echo: ok = e.http_status() == 200 && e.result() == expected_bytes(i, p.size); break;
        case Kind::file:
          ok = e.http_status() == 200 && fs::file_size(fs::path(std::string(e.result()))) == p.size;
          break;
        case Kind::not_found: ok = e.http_status() == 404; break;
        default: break;
      }
    }
    if (!ok) {
      if (tally[i].wrong == 0 && std::count_if(tally.begin(), tally.end(), [](const Tally& t) { return t.wrong; }) < 10)
        MESSAGE("request " << i << " (kind " << static_cast<int>(p.kind) << ", size " << p.size << ", expected status "
                           << static_cast<int>(p.expect) << "): status " << static_cast<int>(e.status()) << ", http_status " << e.http_status()
                           << ", " << e.result().size() << " bytes, error '" << e.error() << "'");
      ++tally[i].wrong;
    }
  };

  while (finished < total) {
    REQUIRE_MESSAGE(Clock::now() < deadline, "soak stuck: " << finished << " of " << total << " finished");
    // At the end of the warm-up, let everything in flight finish and measure at rest; the end
    // of the run is measured at rest too. malloc_trim hands freed heap back to the kernel, so
    // both figures are what is really held.
    if (rss_warm == 0 && finished >= warm_up) {
      if (http->in_flight() == 0) {
        ::malloc_trim(0);
        rss_warm = resident_bytes();
        heap_warm = ::mallinfo2().uordblks;
      }
    } else {
      while (issued < total && http->in_flight() < window) issue(issued++);
    }
    for (RequestId id : cancel_next_frame)
      if (!http->http_cancel(id)) ++cancels_refused;
    cancel_next_frame.clear();
    http->dispatch([&](const AsyncLoad& e) {
      const auto i = static_cast<std::size_t>(e.id());
      REQUIRE(i < issued);
      Tally& t = tally[i];
      if (t.finals > 0) ++t.events_after_final;
      if (e.is_final()) {
        ++t.finals;
        ++finished;
        check_final(e, i);
      }
    });
    if (rss_warm != 0) rss_peak_after_warm = std::max(rss_peak_after_warm, resident_bytes());
    http->wait(std::chrono::milliseconds(16));
  }
  const auto seconds = std::chrono::duration<double>(Clock::now() - start).count();
  ::malloc_trim(0);
  const std::size_t rss_end = resident_bytes();
  const std::size_t heap_end = ::mallinfo2().uordblks;
  const int fds_during = open_fds();
  CHECK(http->in_flight() == 0);
  http.reset();
  ::close(closed_fd);
  const int fds_after = open_fds() + 1;  // closed_fd was open in the "before" count

  int missing = 0, doubled = 0, after = 0, wrong = 0;
  for (const auto& t : tally) {
    missing += t.finals == 0;
    doubled += t.finals > 1;
    after += t.events_after_final > 0;
    wrong += t.wrong > 0;
  }
  std::size_t faults = 0, cancels = 0;
  for (const auto& p : plans) {
    faults += p.kind >= Kind::refused && p.kind <= Kind::bad_redirect;
    cancels += p.kind == Kind::cancel_now || p.kind == Kind::cancel_later;
  }
  const double growth = rss_warm ? 100.0 * (static_cast<double>(rss_end) - static_cast<double>(rss_warm)) / static_cast<double>(rss_warm) : 0;
  MESSAGE("soak: " << total << " requests (" << faults << " faults, " << cancels << " cancels) in " << seconds
                   << " s; RSS after warm-up " << rss_warm / 1024 << " KiB, at the end " << rss_end / 1024
                   << " KiB (" << growth << "%), peak after warm-up " << rss_peak_after_warm / 1024
                   << " KiB; main-arena heap in use after warm-up " << heap_warm / 1024 << " KiB, at the end "
                   << heap_end / 1024 << " KiB; fds before " << fds_before << ", with the Http at the end " << fds_during
                   << ", after " << fds_after);
  CHECK(missing == 0);
  CHECK(doubled == 0);
  CHECK(after == 0);
  CHECK(wrong == 0);
  CHECK(cancels_refused == 0);
  if (sanitized())
    MESSAGE("memory growth not asserted under a sanitizer (shadow memory and quarantine)");
  else
    CHECK(growth < 5.0);
  CHECK(fds_after == fds_before);
}
