// common.hpp — what every benchmark program shares: arguments, clocks, percentiles, peak RSS,
// the one-line JSON result, and the "self:" URLs the smoke tests use.
//
// Every program prints exactly one JSON object on stdout (the driver, bench/run.py, reads it)
// and exits 0 only when it counted right: every request answered 200 with the expected size.
// A URL "self:/bytes/N" starts asyncload's in-process loopback test server and points there, so a
// smoke test needs no nginx.
#pragma once

#include <testserver/test_server.hpp>

#include <boost/json.hpp>

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace bench {

using Clock = std::chrono::steady_clock;

inline double seconds_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}
inline double micros_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::micro>(b - a).count();
}

// "--name value" pairs after the program name; a bare "--name" is "1".
class Args {
public:
  Args(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
      std::string_view arg = argv[i];
      if (!arg.starts_with("--")) throw std::invalid_argument("unexpected argument: " + std::string(arg));
      std::string name(arg.substr(2));
      if (i + 1 < argc && !std::string_view(argv[i + 1]).starts_with("--")) values_[name] = argv[++i];
      else values_.insert_or_assign(name, std::string(1, '1'));
    }
  }
  std::string text(const std::string& name, std::string fallback = {}) const {
    auto found = values_.find(name);
    return found == values_.end() ? fallback : found->second;
  }
  std::string required(const std::string& name) const {
    auto found = values_.find(name);
    if (found == values_.end()) throw std::invalid_argument("missing --" + name);
    return found->second;
  }
  std::int64_t number(const std::string& name, std::int64_t fallback) const {
    auto found = values_.find(name);
    return found == values_.end() ? fallback : std::stoll(found->second);
  }
  double real(const std::string& name, double fallback) const {
    auto found = values_.find(name);
    return found == values_.end() ? fallback : std::stod(found->second);
  }

private:
  std::map<std::string, std::string> values_;
};

// "self:/path" -> the in-process test server's URL for /path (started on first use).
inline std::string resolve_url(const std::string& url) {
  if (!url.starts_with("self:")) return url;
  static auto server = [] {
    asyncload::testserver::ServerOptions options;
    options.threads = 1;
    return std::make_unique<asyncload::testserver::TestServer>(options);
  }();
  return server->base_url() + url.substr(5);
}

inline long peak_rss_kib() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;  // KiB on Linux
}

// p in [0, 100]; nearest rank on a sorted copy.
inline double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const auto rank = static_cast<std::size_t>(p / 100.0 * static_cast<double>(values.size() - 1) + 0.5);
  return values[std::min(rank, values.size() - 1)];
}

inline double cpu_seconds(int who) {
  rusage usage{};
  ::getrusage(who, &usage);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// Prints the result line and returns the exit code: 0 when `ok`. Call it on the main thread:
// it reports that thread's CPU time (the game thread's, for asyncload) and the process's.
inline int emit(boost::json::object result, bool ok, std::string_view problem = {}) {
  result["ok"] = ok;
  if (!ok) result["problem"] = problem;
  result["cpu_s"] = cpu_seconds(RUSAGE_SELF);
  result["main_thread_cpu_s"] = cpu_seconds(RUSAGE_THREAD);
  result["peak_rss_kib"] = peak_rss_kib();
  std::cout << boost::json::serialize(result) << std::endl;
  if (!ok) std::cerr << "benchmark failed: " << problem << "\n";
  return ok ? 0 : 1;
}

}  // namespace bench
