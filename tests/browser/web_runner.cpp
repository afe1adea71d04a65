// web_runner.cpp — web_runner: runs one page of the web build in headless Chromium and turns the
// page's verdict into an exit status (the browser tests in ctest: web_conformance, web_demo).
//
//   web_runner --docroot DIR --page PATH [--timeout SECONDS] [--screenshot FILE.png]
//              [--expect TEXT]... [--chromium-arg ARG]... [--verbose]
//
// PATH is relative to DIR and may carry a query (tests/suite.html?suite=conformance_tests&doctest=--test-case=X:
// the conformance page passes each ?doctest= value to doctest). --chromium-arg adds one flag to
// Chromium's command line (the benchmark's --js-flags=--expose-gc). --verbose passes all of
// Chromium's stderr through (prefixed "chromium: ").
//
// How it works:
//   1. Checks that DIR/PATH exists (else: "build the web preset first: scripts/test.sh does").
//   2. Starts two loopback TestServers on free ports: A serves DIR under /static/ and receives
//      the page's verdict at /done?code=N (body = the page's log); B is a second origin for the
//      cross-origin (CORS) checks and serves the same endpoints.
//   3. Launches /usr/bin/chromium headless (the flags that work as root in a container without a
//      GPU or D-Bus, see run() below, with a fresh --user-data-dir in a temp dir, plus
//      --remote-debugging-port=0 when a screenshot is wanted) at
//      http://127.0.0.1:<A>/static/PATH?foreign=<B's base URL, percent-encoded>, in its own
//      process group. A reader thread drains Chromium's stderr: the page's console
//      (INFO:CONSOLE lines) goes to our stdout as "console: ..."; the rest is kept (last lines)
//      for failure messages, or passed through with --verbose.
//   4. Waits until the page reports, Chromium exits, the timeout passes or we are interrupted.
//      On a report: prints the page log, checks every --expect TEXT is in it, takes the
//      screenshot. The screenshot goes through the Chrome DevTools Protocol: the
//      "DevTools listening on ws://127.0.0.1:<port>/..." line on Chromium's stderr gives the
//      port, http://127.0.0.1:<port>/json/list the page target, a Boost.Beast websocket sends
//      Page.getLayoutMetrics and Page.captureScreenshot (the whole page, beyond the viewport),
//      and result.data is base64-decoded into FILE.png. On a timeout a screenshot is attempted
//      too (best effort), to show where the page stood.
//   5. Stops Chromium: SIGTERM to its process group, SIGKILL after 5 s, reaps it, removes the
//      profile directory; stops the servers.
//
// Exit status: the page's code (0 = pass; a code outside 1..255 becomes 1); 1 when an --expect
// text is missing from the log or the screenshot failed; 2 usage error or the docroot/page is
// missing; 124 the page did not report within --timeout; 125 Chromium exited before the page
// reported; 126 Chromium could not be started (or another internal error); 130 interrupted
// (SIGINT/SIGTERM/SIGHUP).
// Nothing here can hang: every wait is bounded.
#include <asyncload/detail/base64.hpp>
#include "testserver/test_server.hpp"

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

namespace fs = std::filesystem;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr const char* kChromium = "/usr/bin/chromium";
constexpr int kExitExpect = 1;
constexpr int kExitUsage = 2;
constexpr int kExitTimeout = 124;
constexpr int kExitChromiumGone = 125;
constexpr int kExitNoChromium = 126;
constexpr int kExitInterrupted = 130;

constexpr std::string_view kUsage =
    "usage: web_runner --docroot DIR --page PATH [--timeout SECONDS] [--screenshot FILE.png]\n"
    "                  [--expect TEXT]... [--chromium-arg ARG]... [--verbose]\n"
    "Serves DIR, opens http://127.0.0.1:<port>/static/PATH?foreign=<second origin> in headless\n"
    "Chromium and exits with the code the page reports to /done?code=N.\n";

struct Args {
  std::string docroot;
  std::string page;
  int timeout_s = 120;
  std::string screenshot;
  std::vector<std::string> expect;
  std::vector<std::string> chromium_args;  // added to Chromium's command line
  bool verbose = false;
};

std::optional<Args> parse_args(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "web_runner: %s needs a value\n", argv[i]);
        return nullptr;
      }
      return argv[++i];
    };
    if (arg == "--docroot" || arg == "--page" || arg == "--timeout" || arg == "--screenshot" ||
        arg == "--expect" || arg == "--chromium-arg") {
      const char* v = value();
      if (!v) return std::nullopt;
      if (arg == "--docroot") a.docroot = v;
      if (arg == "--page") a.page = v;
      if (arg == "--screenshot") a.screenshot = v;
      if (arg == "--expect") a.expect.emplace_back(v);
      if (arg == "--chromium-arg") a.chromium_args.emplace_back(v);
      if (arg == "--timeout") {
        char* end = nullptr;
        const long t = std::strtol(v, &end, 10);
        if (!*v || *end || t <= 0 || t > 24 * 3600) {
          std::fprintf(stderr, "web_runner: --timeout: '%s' is not a number of seconds\n", v);
          return std::nullopt;
        }
        a.timeout_s = static_cast<int>(t);
      }
    } else if (arg == "--verbose") {
      a.verbose = true;
    } else if (arg == "--help" || arg == "-h") {
      std::fwrite(kUsage.data(), 1, kUsage.size(), stdout);
      std::exit(0);
    } else {
      std::fprintf(stderr, "web_runner: unknown argument '%s'\n", argv[i]);
      return std::nullopt;
    }
  }
  if (a.docroot.empty() || a.page.empty()) {
    std::fprintf(stderr, "web_runner: --docroot and --page are required\n");
    return std::nullopt;
  }
  return a;
}

// ---- signals -------------------------------------------------------------------------------

volatile std::sig_atomic_t g_signal = 0;
extern "C" void on_signal(int signal_number) { g_signal = signal_number; }

void install_signal_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  for (int s : {SIGINT, SIGTERM, SIGHUP}) sigaction(s, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

// ---- what the page reported (set on a server thread) ---------------------------------------

struct Report {
  std::mutex mutex;
  std::condition_variable cv;
  bool done = false;
  int code = 0;
  std::string log;
};

// ---- Chromium ------------------------------------------------------------------------------

// Chromium's stderr, drained by a thread for the whole run so that Chromium never blocks on a
// full pipe (not even while we talk DevTools to it).
class ChromiumOutput {
public:
  ChromiumOutput(int fd, bool verbose) : fd_(fd), verbose_(verbose) {
    thread_ = std::thread([this] { run(); });
  }
  ~ChromiumOutput() { finish(Clock::now() + 3s); }
  ChromiumOutput(const ChromiumOutput&) = delete;
  ChromiumOutput& operator=(const ChromiumOutput&) = delete;

  // Waits until the DevTools port is known (or `until`); 0 when it never came.
  unsigned short devtools_port(Clock::time_point until) {
    std::unique_lock lock(mutex_);
    cv_.wait_until(lock, until, [&] { return devtools_port_ != 0 || eof_; });
    return devtools_port_;
  }
  bool eof() {
    std::lock_guard lock(mutex_);
    return eof_;
  }
  // Waits (bounded) until every process holding the pipe has closed it; then joins.
  void finish(Clock::time_point until) {
    if (!thread_.joinable()) return;
    {
      std::unique_lock lock(mutex_);
      cv_.wait_until(lock, until, [&] { return eof_; });
      if (!eof_) {
        stop_ = true;  // some straggler still holds the pipe: stop reading anyway
      }
    }
    if (thread_.joinable()) thread_.join();
  }
  std::vector<std::string> tail() {
    std::lock_guard lock(mutex_);
    return {tail_.begin(), tail_.end()};
  }

private:
  void run() {
    std::string pending;
    char buf[65536];
    for (;;) {
      {
        std::lock_guard lock(mutex_);
        if (stop_) break;
      }
      pollfd p{fd_, POLLIN, 0};
      const int r = ::poll(&p, 1, 100);
      if (r < 0 && errno == EINTR) continue;
      if (r == 0) continue;
      const ssize_t n = ::read(fd_, buf, sizeof buf);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n <= 0) break;
      pending.append(buf, static_cast<std::size_t>(n));
      for (std::size_t nl; (nl = pending.find('\n')) != std::string::npos;) {
        line(pending.substr(0, nl));
        pending.erase(0, nl + 1);
      }
    }
    if (!pending.empty()) line(pending);
    std::lock_guard lock(mutex_);
    eof_ = true;
    cv_.notify_all();
  }

  // One line of Chromium's stderr. Console lines look like
  //   [pid:tid:MMDD/HHMMSS.micros:INFO:CONSOLE:1] "text", source: http://... (12)
  // (older Chromium: INFO:CONSOLE(12)] "text", source: ... (12)); a message with newlines
  // continues on the following lines up to the one ending in `", source: ... (N)`.
  void line(std::string text) {
    if (!text.empty() && text.back() == '\r') text.pop_back();
    if (verbose_) {
      std::fprintf(stderr, "chromium: %s\n", text.c_str());
      std::fflush(stderr);
    }
    const auto console = text.find(":INFO:CONSOLE");
    const bool starts_console = console != std::string::npos && text.starts_with("[");
    if (starts_console || in_console_) {
      std::string message = text;
      if (starts_console) {
        const auto close = text.find("] ", console);
        message = close == std::string::npos ? text : text.substr(close + 2);
        if (message.starts_with("\"")) message.erase(0, 1);
      }
      const auto source = message.rfind("\", source: ");
      in_console_ = source == std::string::npos;
      if (source != std::string::npos) message.erase(source);
      std::lock_guard out_lock(stdout_mutex());
      std::fprintf(stdout, "console: %s\n", message.c_str());
      std::fflush(stdout);
      return;
    }
    static constexpr std::string_view devtools = "DevTools listening on ws://";
    if (const auto at = text.find(devtools); at != std::string::npos) {
      // ws://127.0.0.1:PORT/devtools/browser/<id>
      const std::string rest = text.substr(at + devtools.size());
      const auto colon = rest.find(':');
      const auto slash = rest.find('/');
      if (colon != std::string::npos && slash != std::string::npos && colon < slash) {
        const int port = std::atoi(rest.substr(colon + 1, slash - colon - 1).c_str());
        std::lock_guard lock(mutex_);
        if (port > 0 && port < 65536) devtools_port_ = static_cast<unsigned short>(port);
        cv_.notify_all();
      }
    }
    if (is_noise(text)) return;
    std::lock_guard lock(mutex_);
    tail_.push_back(std::move(text));
    if (tail_.size() > 40) tail_.pop_front();
  }

  // What headless Chromium always says in a container without D-Bus or a GPU, and the launcher
  // script's complaint about /dev/shm: left out of the failure message.
  static bool is_noise(std::string_view text) {
    static constexpr std::string_view patterns[] = {
        "dbus/",       "bluez_dbus",   "idle_linux.cc", "vaapi_wrapper.cc", "sandbox_linux.cc",
        "DevTools listening", "/usr/bin/chromium: ", "Fontconfig error"};
    if (text.find_first_not_of(" \t") == std::string_view::npos) return true;
    for (const auto p : patterns)
      if (text.find(p) != std::string_view::npos) return true;
    return false;
  }

public:
  static std::mutex& stdout_mutex() {
    static std::mutex m;
    return m;
  }

private:
  int fd_;
  bool verbose_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool eof_ = false;
  bool stop_ = false;
  bool in_console_ = false;  // touched by the reader thread only
  unsigned short devtools_port_ = 0;
  std::deque<std::string> tail_;
};

// Forks /usr/bin/chromium in its own process group with stdout+stderr on `out_fd`. The child
// dies with us (PR_SET_PDEATHSIG) should we be SIGKILLed. -1 when fork fails.
pid_t spawn_chromium(const std::vector<std::string>& args, int out_fd) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) {
    // Only async-signal-safe calls from here on: the parent has threads.
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    const int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
    ::dup2(out_fd, STDOUT_FILENO);
    ::dup2(out_fd, STDERR_FILENO);
    // The servers' sockets and our pipes must not leak into Chromium.
    if (::syscall(SYS_close_range, 3u, ~0u, 0u) != 0)
      for (int fd = 3; fd < 4096; ++fd) ::close(fd);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int s : {SIGINT, SIGTERM, SIGHUP, SIGPIPE}) ::signal(s, SIG_DFL);
    ::execv(argv[0], argv.data());
    static constexpr char msg[] = "web_runner: cannot exec /usr/bin/chromium\n";
    [[maybe_unused]] auto ignored = ::write(STDERR_FILENO, msg, sizeof msg - 1);
    ::_exit(127);
  }
  if (pid > 0) ::setpgid(pid, pid);  // also here, so a kill right away already reaches the group
  return pid;
}

std::string describe_wait_status(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status))
    return std::string("was killed by signal ") + std::to_string(WTERMSIG(status)) + " (" +
           strsignal(WTERMSIG(status)) + ")";
  return "ended (wait status " + std::to_string(status) + ")";
}

// SIGTERM to the group, SIGKILL after `grace`; reaps the main process. Idempotent.
void stop_chromium(pid_t pid, std::optional<int>& wait_status, std::chrono::milliseconds grace) {
  if (pid <= 0 || wait_status) {
    if (pid > 0) ::kill(-pid, SIGKILL);  // stragglers of a browser that already exited
    return;
  }
  ::kill(-pid, SIGTERM);
  const auto until = Clock::now() + grace;
  int status = 0;
  while (Clock::now() < until) {
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      wait_status = status;
      break;
    }
    std::this_thread::sleep_for(20ms);
  }
  ::kill(-pid, SIGKILL);  // whatever of the group is left (renderers, zygote, gpu process)
  if (!wait_status) {
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    wait_status = status;
  }
}

// ---- the screenshot over the DevTools protocol ---------------------------------------------

asio::awaitable<std::string> http_get_local(unsigned short port, std::string target) {
  auto ex = co_await asio::this_coro::executor;
  beast::tcp_stream stream(ex);
  stream.expires_after(10s);
  co_await stream.async_connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port),
                                asio::use_awaitable);
  http::request<http::empty_body> req{http::verb::get, target, 11};
  req.set(http::field::host, "127.0.0.1:" + std::to_string(port));
  co_await http::async_write(stream, req, asio::use_awaitable);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  co_await http::async_read(stream, buffer, res, asio::use_awaitable);
  if (res.result_int() != 200)
    throw std::runtime_error(target + " answered " + std::to_string(res.result_int()));
  co_return res.body();
}

std::string command_text(int id, const std::string& method, json::object params) {
  json::object message{{"id", id}, {"method", method}, {"params", std::move(params)}};
  return json::serialize(message);
}

class Cdp {
public:
  explicit Cdp(asio::any_io_executor ex) : ws_(ex) {}

  asio::awaitable<void> connect(unsigned short port, std::string path) {
    beast::get_lowest_layer(ws_).expires_after(10s);
    co_await beast::get_lowest_layer(ws_).async_connect(
        tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), asio::use_awaitable);
    beast::get_lowest_layer(ws_).expires_never();
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
    ws_.read_message_max(512u << 20);
    co_await ws_.async_handshake("127.0.0.1:" + std::to_string(port), path, asio::use_awaitable);
  }

  // Sends one command and returns its "result" (throws on "error").
  asio::awaitable<json::object> call(std::string method, json::object params = {}) {
    const int id = ++next_id_;
    const std::string text = command_text(id, method, std::move(params));
    co_await ws_.async_write(asio::buffer(text), asio::use_awaitable);
    for (;;) {
      beast::flat_buffer buffer;
      co_await ws_.async_read(buffer, asio::use_awaitable);
      json::value reply = json::parse(beast::buffers_to_string(buffer.data()));
      const auto* obj = reply.if_object();
      if (!obj) continue;
      const auto* reply_id = obj->if_contains("id");
      if (!reply_id || !reply_id->is_int64() || reply_id->as_int64() != id) continue;  // events
      if (const auto* error = obj->if_contains("error"))
        throw std::runtime_error(method + " failed: " + json::serialize(*error));
      const auto* result = obj->if_contains("result");
      co_return result && result->is_object() ? result->as_object() : json::object{};
    }
  }

  asio::awaitable<void> close() {
    beast::error_code ec;
    co_await ws_.async_close(websocket::close_code::normal,
                             asio::redirect_error(asio::use_awaitable, ec));
  }

private:
  websocket::stream<beast::tcp_stream> ws_;
  int next_id_ = 0;
};

double number_of(const json::object& obj, std::string_view key, double fallback) {
  const auto* v = obj.if_contains(key);
  if (!v) return fallback;
  if (v->is_double()) return v->as_double();
  if (v->is_int64()) return static_cast<double>(v->as_int64());
  if (v->is_uint64()) return static_cast<double>(v->as_uint64());
  return fallback;
}

// (Outside the coroutine: GCC 12 rejects these initializer lists inside one.)
json::object screenshot_params(double width, double height) {
  json::object clip{{"x", 0}, {"y", 0}, {"width", width}, {"height", height}, {"scale", 1}};
  return json::object{{"format", "png"}, {"captureBeyondViewport", true}, {"clip", std::move(clip)}};
}

json::object viewport_params(int width, int height) {
  return json::object{{"width", width}, {"height", height}, {"deviceScaleFactor", 1}, {"mobile", false}};
}

bool is_png(const std::string& bytes) {
  static constexpr std::string_view signature = "\x89PNG\r\n\x1a\n";
  return std::string_view(bytes).starts_with(signature);
}

asio::awaitable<std::string> capture_png(unsigned short port, std::string page_prefix) {
  // The page target: the one showing our page (the only page there is, normally).
  const json::value targets = json::parse(co_await http_get_local(port, "/json/list"));
  std::string ws_url;
  for (const auto& t : targets.as_array()) {
    const auto& o = t.as_object();
    const auto* type = o.if_contains("type");
    const auto* url = o.if_contains("url");
    const auto* ws = o.if_contains("webSocketDebuggerUrl");
    if (!type || !ws || type->as_string() != "page") continue;
    const bool ours = url && std::string_view(url->as_string()).starts_with(page_prefix);
    if (ours || ws_url.empty()) ws_url = std::string(ws->as_string());
    if (ours) break;
  }
  if (ws_url.empty()) throw std::runtime_error("no page target in /json/list");
  // ws://127.0.0.1:PORT/devtools/page/<id>
  const auto path_at = ws_url.find('/', std::string_view("ws://").size());
  if (!ws_url.starts_with("ws://") || path_at == std::string::npos)
    throw std::runtime_error("unexpected webSocketDebuggerUrl " + ws_url);

  Cdp cdp(co_await asio::this_coro::executor);
  co_await cdp.connect(port, ws_url.substr(path_at));
  // A desktop-sized viewport (headless starts at about 800x600), then the whole page, not just
  // the viewport: its CSS content size, captured beyond the viewport.
  co_await cdp.call("Emulation.setDeviceMetricsOverride", viewport_params(1024, 768));
  const json::object metrics = co_await cdp.call("Page.getLayoutMetrics");
  double width = 800, height = 600;
  static constexpr std::string_view size_keys[] = {"cssContentSize", "contentSize"};
  for (const std::string_view key : size_keys) {
    if (const auto* size = metrics.if_contains(key); size && size->is_object()) {
      width = number_of(size->as_object(), "width", width);
      height = number_of(size->as_object(), "height", height);
      break;
    }
  }
  width = std::min(std::max(width, 1.0), 4000.0);
  height = std::min(std::max(height, 1.0), 8000.0);
  const json::object shot = co_await cdp.call("Page.captureScreenshot", screenshot_params(width, height));
  co_await cdp.close();
  const auto* data = shot.if_contains("data");
  if (!data || !data->is_string()) throw std::runtime_error("Page.captureScreenshot: no data");
  auto png = asyncload::detail::base64_decode(data->as_string());
  if (!png || !is_png(*png))
    throw std::runtime_error("Page.captureScreenshot: data is not a base64 PNG");
  co_return *png;
}

// Writes the screenshot to `file`; "" on success, else why not. Bounded to 30 s.
std::string take_screenshot(ChromiumOutput& chromium, const std::string& page_prefix,
                            const std::string& file) {
  const unsigned short port = chromium.devtools_port(Clock::now() + 5s);
  if (port == 0) return "Chromium never printed its DevTools port";
  asio::io_context ioc;
  std::optional<std::string> png;
  std::string error = "timed out";
  asio::co_spawn(ioc, capture_png(port, page_prefix),
                 [&](std::exception_ptr e, std::string result) {
                   if (e) {
                     try {
                       std::rethrow_exception(e);
                     } catch (const std::exception& ex) {
                       error = ex.what();
                     }
                   } else {
                     png = std::move(result);
                   }
                 });
  ioc.run_for(30s);
  if (!png) return "DevTools: " + error;
  std::error_code ec;
  if (const auto dir = fs::path(file).parent_path(); !dir.empty()) fs::create_directories(dir, ec);
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(png->data(), static_cast<std::streamsize>(png->size()));
  out.close();
  if (!out) return "cannot write " + file;
  return "";
}

// A private temp directory for Chromium's profile, removed at scope end.
class ProfileDir {
public:
  ProfileDir() {
    std::string pattern = (fs::temp_directory_path() / "asyncload-chromium-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp: " + std::string(strerror(errno)));
    path_ = pattern;
  }
  ~ProfileDir() {
    std::error_code ec;
    for (int attempt = 0; attempt < 5; ++attempt) {  // a dying child may still write into it
      fs::remove_all(path_, ec);
      if (!ec && !fs::exists(path_)) return;
      std::this_thread::sleep_for(100ms);
    }
  }
  ProfileDir(const ProfileDir&) = delete;
  ProfileDir& operator=(const ProfileDir&) = delete;
  const fs::path& path() const { return path_; }

private:
  fs::path path_;
};

void print_tail(ChromiumOutput& chromium) {
  const auto tail = chromium.tail();
  if (tail.empty()) return;
  std::fprintf(stderr, "web_runner: Chromium's last stderr lines (console lines excluded):\n");
  for (const auto& l : tail) std::fprintf(stderr, "  | %s\n", l.c_str());
}

int run(const Args& args) {
  // 1. The build must be there.
  // PATH may carry a query of its own (tests/suite.html?suite=...&doctest=...); ?foreign= is added.
  const std::string page_path = args.page.substr(0, args.page.find('?'));
  const fs::path page_file = fs::path(args.docroot) / page_path;
  std::error_code ec;
  if (!fs::is_directory(args.docroot, ec) || !fs::is_regular_file(page_file, ec)) {
    std::fprintf(stderr,
                 "web_runner: %s not found (docroot %s%s): build the web preset first: "
                 "scripts/test.sh does\n",
                 page_file.string().c_str(), args.docroot.c_str(),
                 fs::is_directory(args.docroot, ec) ? "" : " is missing");
    return kExitUsage;
  }
  if (::access(kChromium, X_OK) != 0) {
    std::fprintf(stderr, "web_runner: %s is missing (apt-get install chromium)\n", kChromium);
    return kExitNoChromium;
  }

  // 2. The two origins.
  Report report;
  asyncload::testserver::ServerOptions a_options;
  a_options.docroot = args.docroot;
  a_options.threads = 2;
  a_options.on_done = [&report](int code, std::string log) {
    std::lock_guard lock(report.mutex);
    if (report.done) return;  // the first verdict counts
    report.done = true;
    report.code = code;
    report.log = std::move(log);
    report.cv.notify_all();
  };
  asyncload::testserver::TestServer origin_a(a_options);
  asyncload::testserver::TestServer origin_b;
  const std::string page_prefix = origin_a.base_url() + "/static/" + page_path;
  const std::string page_url = origin_a.base_url() + "/static/" + args.page +
                               (args.page.find('?') == std::string::npos ? "?" : "&") +
                               "foreign=" + boost::urls::encode(origin_b.base_url(), boost::urls::unreserved_chars);

  // 3. Chromium.
  ProfileDir profile;
  std::vector<std::string> argv = {kChromium,
                                   "--headless=new",
                                   "--no-sandbox",
                                   "--disable-gpu",
                                   "--no-first-run",
                                   "--disable-background-networking",
                                   "--disable-component-update",
                                   "--disable-sync",
                                   "--disable-quic",
                                   "--user-data-dir=" + profile.path().string(),
                                   "--enable-logging=stderr",
                                   "--v=0"};
  if (!args.screenshot.empty()) argv.emplace_back("--remote-debugging-port=0");
  argv.insert(argv.end(), args.chromium_args.begin(), args.chromium_args.end());
  argv.push_back(page_url);

  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    std::perror("web_runner: pipe");
    return kExitNoChromium;
  }
  std::printf("web_runner: origin A %s (docroot %s), origin B %s\nweb_runner: opening %s\n",
              origin_a.base_url().c_str(), args.docroot.c_str(), origin_b.base_url().c_str(),
              page_url.c_str());
  std::fflush(stdout);
  const auto started = Clock::now();
  const pid_t pid = spawn_chromium(argv, pipe_fds[1]);
  ::close(pipe_fds[1]);
  if (pid < 0) {
    std::perror("web_runner: fork");
    ::close(pipe_fds[0]);
    return kExitNoChromium;
  }
  std::optional<int> wait_status;
  ChromiumOutput chromium(pipe_fds[0], args.verbose);
  // Whatever happens below (an exception included), Chromium is stopped before the reader
  // thread is joined and the profile directory removed.
  struct Stopper {
    pid_t pid;
    std::optional<int>& wait_status;
    ~Stopper() { stop_chromium(pid, wait_status, 5s); }
  } stopper{pid, wait_status};

  // 4. Wait for the verdict, bounded.
  enum class Outcome { reported, timeout, chromium_gone, interrupted } outcome;
  const auto deadline = started + std::chrono::seconds(args.timeout_s);
  for (;;) {
    {
      std::unique_lock lock(report.mutex);
      if (report.cv.wait_for(lock, 100ms, [&] { return report.done; })) {
        outcome = Outcome::reported;
        break;
      }
    }
    if (g_signal) {
      outcome = Outcome::interrupted;
      break;
    }
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      wait_status = status;
      // A report may have raced with the exit.
      std::unique_lock lock(report.mutex);
      outcome = report.cv.wait_for(lock, 500ms, [&] { return report.done; }) ? Outcome::reported
                                                                              : Outcome::chromium_gone;
      break;
    }
    if (Clock::now() >= deadline) {
      outcome = Outcome::timeout;
      break;
    }
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - started).count();

  int exit_code = 0;
  switch (outcome) {
    case Outcome::reported: {
      std::lock_guard out_lock(ChromiumOutput::stdout_mutex());
      std::printf("---- page log (reported code %d after %.1f s) ----\n%s%s---- end of page log ----\n",
                  report.code, seconds, report.log.c_str(),
                  report.log.empty() || report.log.back() == '\n' ? "" : "\n");
      std::fflush(stdout);
      exit_code = report.code == 0 ? 0 : (report.code >= 1 && report.code <= 255 ? report.code : 1);
      for (const auto& text : args.expect) {
        if (report.log.find(text) == std::string::npos) {
          std::fprintf(stderr, "web_runner: FAIL: the page log lacks the expected text \"%s\"\n",
                       text.c_str());
          if (exit_code == 0) exit_code = kExitExpect;
        }
      }
      break;
    }
    case Outcome::timeout:
      std::fprintf(stderr,
                   "web_runner: FAIL: the page did not report to /done within %d s (%s)\n",
                   args.timeout_s, page_url.c_str());
      exit_code = kExitTimeout;
      break;
    case Outcome::chromium_gone:
      std::fprintf(stderr, "web_runner: FAIL: Chromium %s after %.1f s, before the page reported\n",
                   describe_wait_status(*wait_status).c_str(), seconds);
      exit_code = kExitChromiumGone;
      break;
    case Outcome::interrupted:
      std::fprintf(stderr, "web_runner: interrupted by signal %d\n", static_cast<int>(g_signal));
      exit_code = kExitInterrupted;
      break;
  }

  // The screenshot: after a verdict (required), or after a timeout (best effort, for diagnosis).
  if (!args.screenshot.empty() && (outcome == Outcome::reported || outcome == Outcome::timeout)) {
    const std::string why = take_screenshot(chromium, page_prefix, args.screenshot);
    if (why.empty()) {
      std::printf("web_runner: screenshot %s\n", args.screenshot.c_str());
    } else {
      std::fprintf(stderr, "web_runner: %sno screenshot: %s\n",
                   outcome == Outcome::reported ? "FAIL: " : "", why.c_str());
      if (exit_code == 0) exit_code = kExitExpect;
    }
  }
  if (outcome != Outcome::reported) print_tail(chromium);

  // 5. Stop Chromium and its helpers, then drain and close its output.
  stop_chromium(pid, wait_status, 5s);
  chromium.finish(Clock::now() + 3s);
  ::close(pipe_fds[0]);
  std::printf("web_runner: %s (exit %d)\n", exit_code == 0 ? "PASS" : "FAIL", exit_code);
  std::fflush(stdout);
  return exit_code;
}

}  // namespace

int main(int argc, char** argv) {
  const auto args = parse_args(argc, argv);
  if (!args) {
    std::fprintf(stderr, "%.*s", static_cast<int>(kUsage.size()), kUsage.data());
    return kExitUsage;
  }
  install_signal_handlers();
  try {
    return run(*args);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "web_runner: %s\n", e.what());
    return kExitNoChromium;
  }
}
