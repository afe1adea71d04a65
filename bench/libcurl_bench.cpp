// libcurl_bench — the raw libcurl multi peer: the best a curl-based runtime can do. One thread,
// curl_multi_poll, easy handles reused (so connections are), no queue, no events, no game loop.
//
//   libcurl_bench --case small   --url U --count 10000 --in-flight 64 --expect-bytes 1024
//                                [--spinner] [--options asyncload]
//   libcurl_bench --case file    --url U --out PATH [--buffer-size 102400] --expect-bytes N
//   libcurl_bench --case body    --url U --expect-bytes N      (one buffer sized by Content-Length)
//   libcurl_bench --case latency --url U --count 1000 --expect-bytes 1
//
// Every handle sets CURLOPT_NOSIGNAL (as asyncload does): without it curl installs and restores a
// SIGPIPE handler around each transfer, 4 syscalls a request. --spinner runs one more thread that
// never sleeps, as a game loop with no frame cap would, to show what that costs raw libcurl on
// this machine. --options asyncload sets the curl options asyncload's backend sets on every
// transfer (user agent, every content coding, the cookie engine, protocol limits, redirects,
// timeouts, a 100 KiB receive buffer), to tell the cost of those features apart from the cost of
// asyncload's own thread hand-off and events. Exactly one JSON line on stdout; exit 0 only when every transfer returned 200
// with the expected number of bytes.
#include "common.hpp"

#include <curl/curl.h>

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <thread>

namespace {

using bench::Clock;

struct Sink {
  std::size_t bytes = 0;
  int fd = -1;              // file case
  char* data = nullptr;     // body case
  std::size_t capacity = 0;
  CURL* easy = nullptr;
  bool failed = false;
};

size_t count_only(char*, size_t size, size_t n, void* user) {
  static_cast<Sink*>(user)->bytes += size * n;
  return size * n;
}

size_t to_file(char* data, size_t size, size_t n, void* user) {
  Sink& sink = *static_cast<Sink*>(user);
  const size_t length = size * n;
  for (size_t done = 0; done < length;) {
    const ssize_t w = ::write(sink.fd, data + done, length - done);
    if (w < 0) {
      if (errno == EINTR) continue;
      sink.failed = true;
      return 0;
    }
    done += static_cast<size_t>(w);
  }
  sink.bytes += length;
  return length;
}

// Grows like a careful runtime: one allocation of Content-Length when announced, else doubling.
size_t to_memory(char* data, size_t size, size_t n, void* user) {
  Sink& sink = *static_cast<Sink*>(user);
  const size_t length = size * n;
  if (sink.bytes + length > sink.capacity) {
    curl_off_t announced = -1;
    curl_easy_getinfo(sink.easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &announced);
    size_t want = std::max(sink.capacity * 2, sink.bytes + length);
    if (sink.capacity == 0 && announced > 0) want = std::max(want, static_cast<size_t>(announced));
    char* grown = static_cast<char*>(std::realloc(sink.data, want));
    if (!grown) {
      sink.failed = true;
      return 0;
    }
    sink.data = grown;
    sink.capacity = want;
  }
  std::memcpy(sink.data + sink.bytes, data, length);
  sink.bytes += length;
  return length;
}

// What asyncload's native backend sets on each transfer besides the URL and its callbacks
// (native/curl_transfer.cpp, CurlTransfer::configure()). The header callback only counts: asyncload also parses
// the response headers into strings, which is its own cost.
size_t ignore_header(char*, size_t size, size_t n, void*) { return size * n; }
void set_asyncload_options(CURL* easy, CURLSH* cookies) {
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_SHARE, cookies);
  curl_easy_setopt(easy, CURLOPT_COOKIEFILE, "");
  curl_easy_setopt(easy, CURLOPT_QUICK_EXIT, 1L);
  curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
  curl_easy_setopt(easy, CURLOPT_BUFFERSIZE, 100L * 1024);
  curl_easy_setopt(easy, CURLOPT_HTTP_CONTENT_DECODING, 0L);
  // User-Agent and Accept-Encoding as asyncload sends a plain GET's: one header list, built once.
  static curl_slist* const plain_get = [] {
    curl_slist* list = curl_slist_append(nullptr, "User-Agent: asyncload/0.1.0");
    return list ? curl_slist_append(list, "Accept-Encoding: gzip, deflate, br, zstd") : nullptr;
  }();
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, plain_get);
  curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(easy, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, 60000L);
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, 0L);
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &ignore_header);
}

long http_code(CURL* easy) {
  long code = 0;
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
  return code;
}

int many_small(const bench::Args& args) {
  const std::string url = bench::resolve_url(args.required("url"));
  const auto count = args.number("count", 10000);
  const auto in_flight = args.number("in-flight", 64);
  const auto expect = static_cast<std::size_t>(args.number("expect-bytes", 1024));

  std::atomic<bool> spinning{args.number("spinner", 0) != 0};
  std::thread spinner([&] {
    while (spinning.load(std::memory_order_relaxed)) {
    }
  });
  const bool like_asyncload = args.text("options") == "asyncload";
  CURLSH* cookies = curl_share_init();
  curl_share_setopt(cookies, CURLSHOPT_SHARE, CURL_LOCK_DATA_COOKIE);
  const auto start = Clock::now();
  CURLM* multi = curl_multi_init();
  std::vector<Sink> sinks(static_cast<std::size_t>(in_flight));
  std::int64_t started = 0, good = 0, bad = 0;
  auto launch = [&](Sink& sink) {
    if (!sink.easy) {
      sink.easy = curl_easy_init();
      curl_easy_setopt(sink.easy, CURLOPT_NOSIGNAL, 1L);
      curl_easy_setopt(sink.easy, CURLOPT_URL, url.c_str());
      curl_easy_setopt(sink.easy, CURLOPT_WRITEFUNCTION, &count_only);
      curl_easy_setopt(sink.easy, CURLOPT_WRITEDATA, &sink);
      curl_easy_setopt(sink.easy, CURLOPT_PRIVATE, &sink);
      if (like_asyncload) set_asyncload_options(sink.easy, cookies);
    }
    sink.bytes = 0;
    curl_multi_add_handle(multi, sink.easy);
    ++started;
  };
  for (auto& sink : sinks)
    if (started < count) launch(sink);
  int running = 1;
  while (good + bad < count) {
    curl_multi_perform(multi, &running);
    int left = 0;
    while (CURLMsg* message = curl_multi_info_read(multi, &left)) {
      if (message->msg != CURLMSG_DONE) continue;
      Sink* sink = nullptr;
      curl_easy_getinfo(message->easy_handle, CURLINFO_PRIVATE, &sink);
      const bool ok = message->data.result == CURLE_OK && http_code(sink->easy) == 200 && sink->bytes == expect;
      (ok ? good : bad)++;
      curl_multi_remove_handle(multi, sink->easy);
      if (started < count) launch(*sink);
    }
    if (good + bad < count) curl_multi_poll(multi, nullptr, 0, 1000, nullptr);
  }
  for (auto& sink : sinks) curl_easy_cleanup(sink.easy);
  curl_multi_cleanup(multi);
  curl_share_cleanup(cookies);
  const double seconds = bench::seconds_between(start, Clock::now());
  spinning = false;
  spinner.join();
  return bench::emit({{"case", "small"}, {"tool", "libcurl"}, {"requests", count}, {"seconds", seconds},
                      {"req_per_s", static_cast<double>(count) / seconds}},
                     bad == 0, "a transfer failed or had the wrong size");
}

// Runs one easy handle to completion in a multi (as a runtime would); returns its CURLcode.
CURLcode run_one(CURLM* multi, CURL* easy) {
  curl_multi_add_handle(multi, easy);
  CURLcode result = CURLE_OK;
  for (bool done = false; !done;) {
    int running = 0;
    curl_multi_perform(multi, &running);
    int left = 0;
    while (CURLMsg* message = curl_multi_info_read(multi, &left)) {
      if (message->msg == CURLMSG_DONE && message->easy_handle == easy) {
        result = message->data.result;
        done = true;
      }
    }
    if (!done) curl_multi_poll(multi, nullptr, 0, 1000, nullptr);
  }
  curl_multi_remove_handle(multi, easy);
  return result;
}

int one_big(const bench::Args& args, bool file) {
  const std::string url = bench::resolve_url(args.required("url"));
  const auto expect = args.number("expect-bytes", -1);
  const char* name = file ? "file" : "body";

  const auto start = Clock::now();
  CURLM* multi = curl_multi_init();
  Sink sink;
  sink.easy = curl_easy_init();
  curl_easy_setopt(sink.easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(sink.easy, CURLOPT_URL, url.c_str());
  curl_easy_setopt(sink.easy, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(sink.easy, CURLOPT_BUFFERSIZE, static_cast<long>(args.number("buffer-size", 100 * 1024)));
  if (file) {
    const std::string out = args.required("out");
    sink.fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (sink.fd < 0) return bench::emit({{"case", name}}, false, "cannot open " + out);
    curl_easy_setopt(sink.easy, CURLOPT_WRITEFUNCTION, &to_file);
  } else {
    curl_easy_setopt(sink.easy, CURLOPT_WRITEFUNCTION, &to_memory);
  }
  const CURLcode result = run_one(multi, sink.easy);
  if (sink.fd >= 0) ::close(sink.fd);
  const bool ok = result == CURLE_OK && http_code(sink.easy) == 200 && !sink.failed &&
                  (expect < 0 || static_cast<std::int64_t>(sink.bytes) == expect);
  curl_easy_cleanup(sink.easy);
  curl_multi_cleanup(multi);
  const double seconds = bench::seconds_between(start, Clock::now());
  const auto bytes = static_cast<std::int64_t>(sink.bytes);
  std::free(sink.data);  // after the clock, like asyncload's body which the game keeps
  return bench::emit({{"case", name}, {"tool", "libcurl"}, {"bytes", bytes}, {"seconds", seconds},
                      {"mb_per_s", static_cast<double>(bytes) / seconds / 1e6}},
                     ok, std::string("curl: ") + curl_easy_strerror(result));
}

// Sequential 1-byte GETs on a warm connection: from adding the handle to curl reporting it done.
int latency(const bench::Args& args) {
  const std::string url = bench::resolve_url(args.required("url"));
  const auto count = args.number("count", 1000);
  const auto expect = static_cast<std::size_t>(args.number("expect-bytes", 1));

  CURLM* multi = curl_multi_init();
  Sink sink;
  sink.easy = curl_easy_init();
  curl_easy_setopt(sink.easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(sink.easy, CURLOPT_URL, url.c_str());
  curl_easy_setopt(sink.easy, CURLOPT_WRITEFUNCTION, &count_only);
  curl_easy_setopt(sink.easy, CURLOPT_WRITEDATA, &sink);
  std::vector<double> samples;
  std::int64_t bad = 0;
  for (std::int64_t i = -1; i < count; ++i) {  // i == -1: the warm-up request (connect)
    sink.bytes = 0;
    const auto t0 = Clock::now();
    const CURLcode result = run_one(multi, sink.easy);
    const auto t1 = Clock::now();
    if (result != CURLE_OK || http_code(sink.easy) != 200 || sink.bytes != expect) ++bad;
    else if (i >= 0) samples.push_back(bench::micros_between(t0, t1));
  }
  curl_easy_cleanup(sink.easy);
  curl_multi_cleanup(multi);
  return bench::emit({{"case", "latency"}, {"tool", "libcurl"}, {"requests", samples.size()},
                      {"median_us", bench::percentile(samples, 50)}, {"p90_us", bench::percentile(samples, 90)},
                      {"p99_us", bench::percentile(samples, 99)}, {"max_us", bench::percentile(samples, 100)}},
                     bad == 0 && !samples.empty(), "a transfer failed or had the wrong size");
}

}  // namespace

int main(int argc, char** argv) try {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  const bench::Args args(argc, argv);
  const std::string which = args.required("case");
  if (which == "small") return many_small(args);
  if (which == "file") return one_big(args, true);
  if (which == "body") return one_big(args, false);
  if (which == "latency") return latency(args);
  std::cerr << "unknown --case " << which << "\n";
  return 2;
} catch (const std::exception& e) {
  std::cerr << "libcurl_bench: " << e.what() << "\n";
  return 2;
}
