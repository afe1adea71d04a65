// dispatch_bench — what one dispatch() costs the game thread (Google Benchmark).
//
//   nothing_ready/in_flight:N      N requests in flight on the scripted backend, nothing ready
//   nothing_ready_curl/in_flight:N N requests in flight on the real libcurl backend (against a
//                                  loopback socket that never answers), nothing ready
//   ready/events:N                 N final events ready (200, 1 KiB body, 6 headers); the
//                                  handler is empty, so the time is the delivery itself
//   ready_with_progress/events:N   the same with each request's progress event too (2 per request)
//   ready_curl/events:N            N real 1 KiB GETs on the libcurl backend, all finished (their
//                                  final events queued by the I/O thread), then one dispatch():
//                                  what the scripted figure leaves out (the events were made on
//                                  another core: cold caches, memory freed across threads).
//                                  Server: --url URL (a 1 KiB resource), else the in-process
//                                  test server's /bytes/1024
//
// Time per event = 1 / items_per_second (CPU time). The scripted backend reports finals on this
// thread while the timing is paused, so what the core does in EventQueue::report_final() (building the
// response_headers object) is left out, as it runs on the I/O thread natively. Extra flag:
// --smoke (a quick run for ctest). Exits 1 if a dispatch() delivered a different number of
// events than expected.
#include <asyncload/asyncload.hpp>
#include "support/scripted_backend.hpp"
#include <testserver/test_server.hpp>

#include <benchmark/benchmark.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace asyncload;

std::atomic<bool> miscounted{false};

void fail(benchmark::State& state, const std::string& why) {
  miscounted = true;
  state.SkipWithError(why.c_str());
}

// Requests on the scripted backend that never finish: the core's request table holds them.
void nothing_ready(benchmark::State& state) {
  auto backend = std::make_unique<ScriptedBackend>();
  Http http(std::move(backend));
  for (std::int64_t i = 0; i < state.range(0); ++i) http.http_get("http://127.0.0.1:9/never");
  std::size_t delivered = 0;
  for (auto _ : state) {
    delivered += http.dispatch([&](const AsyncLoad& e) { benchmark::DoNotOptimize(&e); });
  }
  if (delivered != 0 || http.in_flight() != static_cast<std::size_t>(state.range(0)))
    fail(state, "something was delivered");
}
BENCHMARK(nothing_ready)->ArgName("in_flight")->Arg(0)->Arg(10000);

// A loopback listening socket that is never accept()ed: the kernel completes the handshakes
// (up to the backlog), curl sends its requests and waits for answers that never come.
class BlackHole {
public:
  BlackHole() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(fd_, 1024);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    url_ = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/never";
  }
  ~BlackHole() { ::close(fd_); }
  const std::string& url() const { return url_; }

private:
  int fd_ = -1;
  std::string url_;
};

void nothing_ready_curl(benchmark::State& state) {
  BlackHole hole;
  Options options;
  options.progress_events = false;
  Http http(options);
  for (std::int64_t i = 0; i < state.range(0); ++i) http.http_get(hole.url());
  // Let the I/O thread take the requests and settle in curl_multi_poll.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  std::size_t delivered = 0;
  for (auto _ : state) {
    delivered += http.dispatch([&](const AsyncLoad& e) { benchmark::DoNotOptimize(&e); });
  }
  if (delivered != 0) fail(state, "something was delivered: " + std::to_string(delivered));
}
BENCHMARK(nothing_ready_curl)->ArgName("in_flight")->Arg(10000)->UseRealTime();

// N requests finish (outside the timing), then one dispatch() delivers all of them.
void ready(benchmark::State& state, bool with_progress) {
  const auto n = state.range(0);
  const std::string body(1024, 'x');
  const Headers headers = {{"Server", "nginx/1.22.1"}, {"Date", "Mon, 01 Jan 2024 00:00:00 GMT"},
                           {"Content-Type", "application/octet-stream"}, {"Content-Length", "1024"},
                           {"Connection", "keep-alive"}, {"ETag", "\"65a1b2c3-400\""}};
  auto backend = std::make_unique<ScriptedBackend>();
  ScriptedBackend* script = backend.get();
  Options options;
  options.progress_events = with_progress;
  Http http(std::move(backend), options);
  const std::size_t expected = static_cast<std::size_t>(with_progress ? 2 * n : n);
  std::vector<RequestId> ids(static_cast<std::size_t>(n));
  std::int64_t events = 0;
  for (auto _ : state) {
    state.PauseTiming();
    for (auto& id : ids) id = http.http_get("http://127.0.0.1/1k.bin");
    for (auto id : ids) script->respond(id, 200, body, headers);
    state.ResumeTiming();
    const std::size_t delivered = http.dispatch([&](const AsyncLoad& e) { benchmark::DoNotOptimize(&e); });
    if (delivered != expected) {
      fail(state, "delivered " + std::to_string(delivered) + " of " + std::to_string(expected));
      break;
    }
    events += static_cast<std::int64_t>(delivered);
  }
  state.SetItemsProcessed(events);
}
BENCHMARK_CAPTURE(ready, finals, false)->ArgName("events")->Arg(1000);
BENCHMARK_CAPTURE(ready, with_progress, true)->ArgName("events")->Arg(1000);

std::string small_url;  // --url, else the in-process test server

// The platform backend, with a count of the final events it reported, so that the benchmark
// can wait (untimed) until all of them are queued.
class CountingBackend final : public Backend, private Events {
public:
  CountingBackend() : inner_(make_platform_backend()) {}
  void bind(Events& events, const BackendSettings& settings) override {
    events_ = &events;
    inner_->bind(*this, settings);
  }
  Capabilities capabilities() const override { return inner_->capabilities(); }
  std::string refusal(const Transfer& transfer) const override { return inner_->refusal(transfer); }
  void start(Transfer transfer) override { inner_->start(std::move(transfer)); }
  void cancel(RequestId id) override { inner_->cancel(id); }
  void release(std::unique_ptr<Spent> spent) override { inner_->release(std::move(spent)); }
  bool files_ready() const override { return inner_->files_ready(); }
  bool persist(RequestId id, const std::string& path) override { return inner_->persist(id, path); }
  ~CountingBackend() override { inner_.reset(); }

  void wait_for_finals(std::int64_t n) {
    std::unique_lock lock(mutex_);
    finished_.wait(lock, [&] { return finals_ >= n; });
    finals_ -= n;
  }

private:
  void progress(RequestId id, std::int64_t size, std::int64_t length) override { events_->progress(id, size, length); }
  void report_final(Outcome outcome) override {
    events_->report_final(std::move(outcome));
    std::lock_guard lock(mutex_);
    ++finals_;
    finished_.notify_all();
  }
  void persisted(RequestId id, std::string error) override { events_->persisted(id, std::move(error)); }

  std::unique_ptr<Backend> inner_;
  Events* events_ = nullptr;
  std::mutex mutex_;
  std::condition_variable finished_;
  std::int64_t finals_ = 0;
};

void ready_curl(benchmark::State& state) {
  static std::unique_ptr<testserver::TestServer> server;
  if (small_url.empty()) {
    server = std::make_unique<testserver::TestServer>();
    small_url = server->base_url() + "/bytes/1024";
  }
  const auto n = state.range(0);
  auto backend = std::make_unique<CountingBackend>();
  CountingBackend* counting = backend.get();
  Http http(std::move(backend));
  std::int64_t events = 0;
  for (auto _ : state) {
    state.PauseTiming();
    for (std::int64_t i = 0; i < n; ++i) http.http_get(small_url);
    counting->wait_for_finals(n);
    state.ResumeTiming();
    std::size_t finals = 0;
    const std::size_t delivered = http.dispatch([&](const AsyncLoad& e) {
      benchmark::DoNotOptimize(&e);
      finals += e.status() == Status::complete && e.http_status() == 200 && e.result().size() == 1024;
    });
    if (finals != static_cast<std::size_t>(n)) {
      fail(state, "delivered " + std::to_string(finals) + " good finals of " + std::to_string(n) + " (" +
                      std::to_string(delivered) + " events)");
      break;
    }
    events += static_cast<std::int64_t>(delivered);
  }
  state.SetItemsProcessed(events);
}
BENCHMARK(ready_curl)->ArgName("events")->Arg(1000);

}  // namespace

int main(int argc, char** argv) {
  // --smoke: one quick pass of each (ctest), same checks.
  std::vector<char*> args;
  static char min_time[] = "--benchmark_min_time=0.001";
  for (int i = 0; i < argc; ++i) {
    if (std::strcmp(argv[i], "--smoke") == 0) args.push_back(min_time);
    else if (std::strncmp(argv[i], "--url=", 6) == 0) small_url = argv[i] + 6;
    else args.push_back(argv[i]);
  }
  int count = static_cast<int>(args.size());
  benchmark::Initialize(&count, args.data());
  if (benchmark::ReportUnrecognizedArguments(count, args.data())) return 2;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  if (miscounted) std::cerr << "dispatch_bench: an event count was wrong\n";
  return miscounted ? 1 : 0;
}
