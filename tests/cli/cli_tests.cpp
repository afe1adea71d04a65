// cli_tests.cpp — end-to-end tests of the `asyncload` command-line tool: the built executable
// ($ASYNCLOAD_CLI) against the in-process loopback TestServer, its NDJSON parsed line by line.
#include "child_process.hpp"
#include <asyncload/detail/base64.hpp>
#include "support/game_loop.hpp"
#include "testserver/test_server.hpp"

#include <asyncload/asyncload.hpp>

#include <doctest/doctest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace asyncload::test {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

const std::vector<std::string> final_keys = {"contentLength",    "http_status", "id",
                                             "response_headers", "result",      "sizeDownloaded",
                                             "status",           "url"};
const std::vector<std::string> progress_keys = {"contentLength", "id", "sizeDownloaded", "status",
                                                "url"};

std::vector<std::string> keys_of(const json::object& obj) {
  std::vector<std::string> keys;
  for (const auto& entry : obj) keys.emplace_back(entry.key());
  std::sort(keys.begin(), keys.end());
  return keys;
}

// final_keys with `result` replaced / `extra` added, sorted.
std::vector<std::string> final_keys_with(std::initializer_list<std::string> extra,
                                         bool base64 = false) {
  std::vector<std::string> keys = final_keys;
  if (base64)
    std::replace(keys.begin(), keys.end(), std::string("result"), std::string("result_base64"));
  keys.insert(keys.end(), extra);
  std::sort(keys.begin(), keys.end());
  return keys;
}

std::string str(const json::object& obj, std::string_view key) {
  const json::value* v = obj.if_contains(key);
  REQUIRE_MESSAGE((v && v->is_string()), "no string " << key << " in " << json::serialize(obj));
  return std::string(v->get_string());
}

std::int64_t num(const json::object& obj, std::string_view key) {
  const json::value* v = obj.if_contains(key);
  REQUIRE_MESSAGE((v && v->is_number()), "no number " << key << " in " << json::serialize(obj));
  return v->to_number<std::int64_t>();
}

// The decoded bytes; fails the test when `text` is not base64.
std::string base64_decoded(std::string_view text) {
  std::optional<std::string> bytes = asyncload::detail::base64_decode(text);
  REQUIRE_MESSAGE(bytes.has_value(), "not base64: " << text.substr(0, 80));
  return *bytes;
}

// The one final line of a single-request run, checked against the common expectations.
json::object only_final(const CliResult& r) {
  INFO(r.describe());
  const auto finals = r.finals();
  REQUIRE(finals.size() == 1);
  return finals.front();
}

void check_usage_error(const std::vector<std::string>& args) {
  std::string joined;
  for (const auto& a : args) joined += " '" + a + "'";
  CAPTURE(joined);
  const CliResult r = run_cli(args);
  INFO(r.describe());
  CHECK(r.exit_code == 2);
  CHECK(r.out.empty());
  CHECK(r.err.find("asyncload: ") != std::string::npos);
  CHECK(r.err.find("usage:") != std::string::npos);
}

}  // namespace

TEST_CASE("cli: get of a binary body prints result_base64 with exactly the async_load keys") {
  const std::string u = url("/bytes/10");
  const CliResult r = run_cli({"get", u});
  INFO(r.describe());
  CHECK(r.exit_code == 0);
  CHECK(r.err.empty());  // stderr is not a terminal here: no progress bar
  const json::object e = only_final(r);
  CHECK(keys_of(e) == final_keys_with({}, /*base64=*/true));
  CHECK(num(e, "status") == 0);
  CHECK(num(e, "http_status") == 200);
  CHECK(num(e, "id") >= 0);
  CHECK(str(e, "url") == u);
  CHECK(base64_decoded(str(e, "result_base64")) == expected_bytes(0, 10));
  CHECK(num(e, "contentLength") == 10);
  CHECK(num(e, "sizeDownloaded") == 10);
  REQUIRE(e.at("response_headers").is_object());
  CHECK(e.at("response_headers").get_object().contains("content-length"));
}

TEST_CASE("cli: get of a text body prints the exact result") {
  const std::string u = url("/status/200");
  const CliResult r = run_cli({"get", u});
  INFO(r.describe());
  CHECK(r.exit_code == 0);
  const json::object e = only_final(r);
  CHECK(keys_of(e) == final_keys);
  CHECK(num(e, "status") == 0);
  CHECK(num(e, "http_status") == 200);
  CHECK(str(e, "result") == "status 200");
  CHECK(str(e, "url") == u);
  CHECK(num(e, "sizeDownloaded") == 10);
  CHECK(str(e.at("response_headers").get_object(), "content-type").starts_with("text/plain"));
}

TEST_CASE("cli: a large text body is printed whole") {
  const CliResult r = run_cli({"get", url("/gzip")});
  INFO(r.describe());
  CHECK(r.exit_code == 0);
  CHECK(str(only_final(r), "result") == expected_gzip_text());
}

TEST_CASE("cli: several URLs give one final line each, with distinct ids") {
  const std::vector<std::string> urls = {url("/bytes/5"), url("/status/201"), url("/delay/500"),
                                         url("/echo")};
  const CliResult r = run_cli({"get", urls[0], urls[1], urls[2], urls[3]});
  INFO(r.describe());
  CHECK(r.exit_code == 0);
  const auto finals = r.finals();
  REQUIRE(finals.size() == urls.size());
  std::set<std::int64_t> ids;
  std::set<std::string> seen_urls;
  for (const auto& e : finals) {
    ids.insert(num(e, "id"));
    seen_urls.insert(str(e, "url"));
    CHECK(num(e, "status") == 0);
  }
  CHECK(ids.size() == urls.size());
  CHECK(seen_urls == std::set<std::string>(urls.begin(), urls.end()));
  // The delayed one comes last.
  CHECK(str(finals.back(), "url") == urls[2]);
}

TEST_CASE("cli: a 404 is a completed request: exit 0, http_status 404") {
  const CliResult r = run_cli({"get", url("/status/404")});
  INFO(r.describe());
  CHECK(r.exit_code == 0);
  const json::object e = only_final(r);
  CHECK(keys_of(e) == final_keys);
  CHECK(num(e, "status") == 0);
  CHECK(num(e, "http_status") == 404);
  CHECK(str(e, "result") == "status 404");
}

TEST_CASE("cli: a refused connection: status -1 with error, exit 1") {
  const CliResult r = run_cli({"get", "http://127.0.0.1:1/"});
  INFO(r.describe());
  CHECK(r.exit_code == 1);
  const json::object e = only_final(r);
  CHECK(keys_of(e) == final_keys_with({"error"}));
  CHECK(num(e, "status") == -1);
  CHECK(num(e, "http_status") == 0);
  CHECK(str(e, "result") == "");
  CHECK(!str(e, "error").empty());
}

TEST_CASE("cli: an invalid URL is refused: no event, last_error on stderr, exit 1") {
  Http http;
  REQUIRE(http.http_get("not a url") == -1);
  const std::string reason = http.last_error();
  REQUIRE(!reason.empty());

  SUBCASE("alone") {
    const CliResult r = run_cli({"get", "not a url"});
    INFO(r.describe());
    CHECK(r.exit_code == 1);
    CHECK(r.out.empty());
    CHECK(r.err.find(reason) != std::string::npos);
  }
  SUBCASE("the other requests still run") {
    const CliResult mixed = run_cli({"get", "ftp://example.com/", url("/status/200")});
    INFO(mixed.describe());
    CHECK(mixed.exit_code == 1);
    const json::object e = only_final(mixed);
    CHECK(str(e, "url") == url("/status/200"));
    CHECK(num(e, "status") == 0);
    CHECK(mixed.err.find("ftp://example.com/") != std::string::npos);
  }
}

TEST_CASE("cli: usage errors exit 2 with a message and the usage") {
  const std::string u = url("/status/200");
  check_usage_error({});
  check_usage_error({"fetch", u});
  check_usage_error({"get"});
  check_usage_error({"get", u, "--bogus"});
  check_usage_error({"get", u, "--fps"});
  check_usage_error({"get", u, "--fps", "abc"});
  check_usage_error({"get", u, "--fps", "0"});
  check_usage_error({"get", u, "--fps=12x"});
  check_usage_error({"get", u, "--timeout", "-5"});
  check_usage_error({"get", u, "--connect-timeout", "99999999999999999999"});
  check_usage_error({"get", u, "--no-progress=1"});
  check_usage_error({"get", u, "--max-body", "10M"});
  check_usage_error({"get", u, "--max-body=-1"});
  check_usage_error({"get-file", u, "x", "--file-root="});
  check_usage_error({"get-file", u});
  check_usage_error({"post", u});
  check_usage_error({"post", u, "a", "b"});
  check_usage_error({"request", "GET"});
  check_usage_error({"request", "PUT", u, "-H", "no colon"});
  check_usage_error({"request", "PUT", u, "--data", "a", "--data-file", "/etc/hostname"});
  check_usage_error({"get", u, "--data", "x"});
  check_usage_error({"get", u, "--port", "80"});
  check_usage_error({"serve", "--fps", "30"});
  check_usage_error({"serve", "--port", "65536"});
  check_usage_error({"demo", "extra"});

  const CliResult help = run_cli({"--help"}, 30s, Stdout::text);
  CHECK(help.exit_code == 0);
  CHECK(help.out.find("usage:") != std::string::npos);
  CHECK(help.out.find("result_bytes") != std::string::npos);  // the demo's shortening is documented
}

TEST_CASE("cli: post sends the body as a form") {
  const CliResult r = run_cli({"post", url("/echo"), "name=ann&score=7"});
  INFO(r.describe());
  CHECK(r.exit_code == 0);
  const json::object e = only_final(r);
  CHECK(num(e, "http_status") == 200);
  const json::object echo = parse_object(str(e, "result"));
  CHECK(str(echo, "method") == "POST");
  CHECK(str(echo, "body") == "name=ann&score=7");
  CHECK(str(echo.at("headers").get_object(), "content-type") ==
        "application/x-www-form-urlencoded");
}

TEST_CASE("cli: request sends method, headers and a body") {
  SUBCASE("-H and --data") {
    const CliResult r = run_cli({"request", "PUT", url("/echo"), "-H", "X-A: b", "-H",
                                 "X-B:   c: d", "--header=X-Empty:", "--data", "x"});
    INFO(r.describe());
    CHECK(r.exit_code == 0);
    const json::object echo = parse_object(str(only_final(r), "result"));
    CHECK(str(echo, "method") == "PUT");
    CHECK(str(echo, "body") == "x");
    const json::object& headers = echo.at("headers").get_object();
    CHECK(str(headers, "x-a") == "b");
    CHECK(str(headers, "x-b") == "c: d");  // split at the first ':', leading spaces trimmed
  }

  SUBCASE("--data-file sends the file's bytes, binary") {
    TempDir dir;
    const std::string body = expected_bytes(1000, 3000);
    write_file(dir / "body.bin", body);
    const CliResult raw =
        run_cli({"request", "POST", url("/echo/raw"), "--data-file", (dir / "body.bin").string()});
    INFO(raw.describe());
    CHECK(raw.exit_code == 0);
    CHECK(base64_decoded(str(only_final(raw), "result_base64")) == body);
  }
  SUBCASE("a missing --data-file is a usage error: exit 2") {
    const CliResult missing =
        run_cli({"request", "POST", url("/echo"), "--data-file", "/nonexistent/x"});
    CHECK(missing.exit_code == 2);
    CHECK(missing.out.empty());
    CHECK(missing.err.find("/nonexistent/x") != std::string::npos);
  }
  SUBCASE("a header the library refuses: exit 1, no event") {
    const CliResult bad = run_cli({"request", "GET", url("/echo"), "-H", "Bad Name: v"});
    CHECK(bad.exit_code == 1);
    CHECK(bad.out.empty());
    CHECK(!bad.err.empty());
  }
}

TEST_CASE("cli: get-file writes the file and reports its path") {
  TempDir dir;
  const std::string target = (dir / "sub" / "dir" / "file.bin").string();
  const CliResult r = run_cli({"get-file", url("/bytes/300000"), target});
  INFO(r.describe());
  CHECK(r.exit_code == 0);
  const json::object e = only_final(r);
  CHECK(keys_of(e) == final_keys);
  CHECK(num(e, "status") == 0);
  CHECK(str(e, "result") == target);
  CHECK(num(e, "sizeDownloaded") == 300000);
  CHECK(read_file(target) == expected_bytes(0, 300000));
}

TEST_CASE("cli: progress lines for a slow drip, none with --no-progress") {
  const std::string u = url("/drip?bytes=20000&chunks=10&interval_ms=60");
  SUBCASE("default") {
    const CliResult r = run_cli({"get", u});
    INFO(r.describe());
    CHECK(r.exit_code == 0);
    const auto progress = r.progress();
    CHECK(progress.size() >= 3);
    std::int64_t last = -1;
    for (const auto& p : progress) {
      CHECK(keys_of(p) == progress_keys);
      CHECK(str(p, "url") == u);
      CHECK(num(p, "contentLength") == 20000);
      CHECK(num(p, "sizeDownloaded") >= last);
      last = num(p, "sizeDownloaded");
    }
    REQUIRE(!r.lines.empty());
    CHECK(num(r.lines.back(), "status") == 0);  // the final line comes last
    CHECK(base64_decoded(str(only_final(r), "result_base64")) == expected_bytes(0, 20000));
  }
  SUBCASE("--no-progress") {
    const CliResult r = run_cli({"get", "--no-progress", u});
    INFO(r.describe());
    CHECK(r.exit_code == 0);
    CHECK(r.progress().empty());
    CHECK(r.lines.size() == 1);
  }
}

TEST_CASE("cli: --timeout against a hanging server: status -2, exit 1") {
  const CliResult r = run_cli({"get", "--timeout", "200", url("/hang")});
  INFO(r.describe());
  CHECK(r.exit_code == 1);
  const json::object e = only_final(r);
  CHECK(num(e, "status") == -2);
  CHECK(keys_of(e) == final_keys_with({"error"}));
  CHECK(r.elapsed < 10s);
}

TEST_CASE("cli: stdout is flushed line by line") {
  // The quick request's final line must reach the pipe long before the slow one ends (a line
  // buffered until exit would come after 3 s).
  Child child({"get", url("/status/200"), url("/delay/3000")});
  json::object first = parse_object(child.read_line());
  if (num(first, "status") == 1) first = parse_object(child.read_line());  // its progress line
  const auto first_final_after = child.elapsed();
  CHECK(str(first, "url") == url("/status/200"));
  CHECK(num(first, "status") == 0);
  CHECK(first_final_after < 2000ms);
  const CliResult r = child.finish();
  CHECK(r.exit_code == 0);
  CHECK(r.elapsed >= 3000ms);
}

TEST_CASE("cli: SIGINT stops a run with exit 130") {
  // A drip of 10 s: its first progress line shows the game loop runs (handlers installed).
  Child child({"get", url("/drip?bytes=100&chunks=100&interval_ms=100")});
  CHECK(parse_object(child.read_line()).at("status") == 1);
  child.signal(SIGINT);
  const CliResult r = child.finish();
  INFO(r.describe());
  CHECK(r.exit_code == 130);
  CHECK(r.elapsed < 5s);
  CHECK(r.finals().empty());
}

TEST_CASE("cli: demo shows every kind of event and exits 0") {
  const CliResult r = run_cli({"demo"}, 60s);
  INFO(r.describe());
  CHECK(r.exit_code == 0);
  const auto finals = r.finals();
  CHECK(finals.size() == 8);
  std::set<std::int64_t> ids;
  int refused = 0, not_found = 0, shortened = 0, base64 = 0;
  for (const auto& e : finals) {
    ids.insert(num(e, "id"));
    if (num(e, "status") == -1) ++refused;
    if (num(e, "http_status") == 404) ++not_found;
    if (e.contains("result_bytes")) {
      ++shortened;
      CHECK(e.contains("result_head"));
      CHECK(!e.contains("result"));
      CHECK(num(e, "result_bytes") > 200);
    }
    if (e.contains("result_base64")) ++base64;
    if (const auto* result = e.if_contains("result")) CHECK(result->get_string().size() <= 200);
  }
  CHECK(ids.size() == finals.size());
  CHECK(refused == 1);
  CHECK(not_found == 1);
  CHECK(shortened >= 2);  // /echo's JSON, /gzip
  CHECK(base64 == 1);     // /bytes/32
  CHECK(!r.progress().empty());
  CHECK(r.err.find("every event arrived as expected") != std::string::npos);
  CHECK(r.err.find("UNEXPECTED") == std::string::npos);
}

TEST_CASE("cli: serve prints its URL, serves, and stops on SIGTERM") {
  Child child({"serve", "--port", "0"});
  const std::string base = child.read_line();
  REQUIRE(base.starts_with("http://127.0.0.1:"));

  Http http;
  const RequestId id = http.http_get(base + "/status/200");
  REQUIRE(id >= 0);
  const Frames frames = run_until_final(http, {id});
  const AsyncLoad& e = frames.final_event(id);
  CHECK(e.status() == Status::complete);
  CHECK(e.http_status() == 200);
  CHECK(e.result() == "status 200");

  child.signal(SIGTERM);
  const CliResult r = child.finish();
  INFO(r.describe());
  CHECK(r.exit_code == 0);
}

TEST_CASE("cli: serve --docroot serves the folder under /static/ and announces the demo page") {
  TempDir docroot;
  write_file(docroot / "examples/demo.html", "<!doctype html><title>demo</title>");
  write_file(docroot / "hello.txt", "hello from the docroot");
  Child child({"serve", "--docroot", docroot.path().string()});
  const std::string base = child.read_line();
  REQUIRE(base.starts_with("http://127.0.0.1:"));

  Http http;
  const RequestId file = http.http_get(base + "/static/hello.txt");
  const RequestId page = http.http_get(base + "/static/examples/demo.html");
  // A page reporting its result: the log is printed on serve's stderr, escaped line by line.
  const RequestId done =
      http.http_post_string(base + "/done?code=3", "line one\nline two\x1b[2J\xc2\x9b");
  REQUIRE(file >= 0);
  REQUIRE(page >= 0);
  REQUIRE(done >= 0);
  const Frames frames = run_until_final(http, {file, page, done});
  CHECK(frames.final_event(file).http_status() == 200);
  CHECK(frames.final_event(file).result() == "hello from the docroot");
  CHECK(frames.final_event(file).header("content-type") == "text/plain");
  CHECK(frames.final_event(page).header("content-type") == "text/html");
  CHECK(frames.final_event(done).http_status() == 200);
  CHECK(frames.final_event(done).result() == "ok");

  child.signal(SIGTERM);
  const CliResult r = child.finish(Stdout::text);
  INFO(r.describe());
  CHECK(r.exit_code == 0);
  CHECK(r.err.find(base + "/static/examples/demo.html") != std::string::npos);
  CHECK(r.err.find("/done?code=3") != std::string::npos);
  CHECK(r.err.find("  | line two\\x1b[2J\\u009b\n") != std::string::npos);
  CHECK(r.err.find('\x1b') == std::string::npos);
}

TEST_CASE("cli: serve --docroot that is not a directory: exit 2") {
  TempDir dir;
  const CliResult r = run_cli({"serve", "--docroot", (dir / "missing").string()},
                              std::chrono::seconds(30), Stdout::text);
  INFO(r.describe());
  CHECK(r.exit_code == 2);
  CHECK(r.err.find("not a directory") != std::string::npos);
}

// --- hardening (issue 10, callers) ------------------------------------------------------------

namespace {

// stderr must hold none of these bytes raw: a newline would split the message (a forged log
// line), ESC and the C1 CSI (U+009B, or a lone 0x9B byte) would drive the terminal.
void check_no_raw_controls(const CliResult& r, std::size_t expected_lines) {
  INFO(r.describe());
  CHECK(r.err.find('\x1b') == std::string::npos);
  CHECK(r.err.find('\r') == std::string::npos);
  CHECK(r.err.find('\x9b') == std::string::npos);  // also the second byte of U+009B in UTF-8
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == static_cast<long>(expected_lines));
}

}  // namespace

TEST_CASE("cli: a refused URL, method or header name is printed escaped, one line each") {
  const std::string forged = "\nasyncload: forged line\x1b[2J";
  SUBCASE("URL") {
    const CliResult r = run_cli({"get", "http://127.0.0.1/\x1b]0;title\x07" + forged});
    check_no_raw_controls(r, 1);
    CHECK(r.exit_code == 1);
    CHECK(r.out.empty());
    CHECK(r.err.starts_with("asyncload: http://127.0.0.1/\\x1b]0;title\\x07\\nasyncload: forged "
                            "line\\x1b[2J: invalid URL"));
  }
  SUBCASE("method") {
    const CliResult r = run_cli({"request", "GE\x1b[31mT" + forged, url("/echo")});
    check_no_raw_controls(r, 1);
    CHECK(r.exit_code == 1);
    CHECK(r.out.empty());
    CHECK(r.err.starts_with("asyncload: GE\\x1b[31mT\\nasyncload: forged line\\x1b[2J " +
                            url("/echo") + ": invalid HTTP method"));
  }
  SUBCASE("header name with a C1 CSI, which the library's own reason escapes already") {
    const CliResult r = run_cli({"request", "GET", url("/echo"), "-H", "X\xc2\x9b" "2J: v"});
    check_no_raw_controls(r, 1);
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("X\\xC2\\x9B2J") != std::string::npos);
  }
  SUBCASE("several refusals: still one line each, and the good request runs") {
    const CliResult r = run_cli({"get", "a\nb", "\xff\x9b" "c", url("/status/200")});
    check_no_raw_controls(r, 2);
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("asyncload: a\\nb: ") != std::string::npos);
    CHECK(r.err.find("asyncload: \\xff\\x9bc: ") != std::string::npos);
    CHECK(num(only_final(r), "status") == 0);
  }
}

TEST_CASE("cli: a --data-file that cannot be read is a usage error and nothing is sent") {
  // A server of its own, counting what reaches /done: the tool must not send anything.
  std::atomic<int> requests_seen{0};
  testserver::ServerOptions options;
  options.on_done = [&](int, std::string) { ++requests_seen; };
  testserver::TestServer server(options);
  const std::string done = server.base_url() + "/done?code=0";
  TempDir dir;

  SUBCASE("a readable file is sent (the count works)") {
    write_file(dir / "body.txt", "log");
    const CliResult r = run_cli({"request", "POST", done, "--data-file", (dir / "body.txt").string()});
    INFO(r.describe());
    CHECK(r.exit_code == 0);
    CHECK(requests_seen == 1);
  }
  SUBCASE("a directory, a missing file, a file whose read fails: exit 2, no request") {
    // The directory's read fails with EISDIR, the missing file's open with ENOENT, and
    // /proc/self/mem's read at offset 0 with EIO (even for root, who reads a mode-000 file).
    for (const std::string unreadable :
         {dir.path().string(), (dir / "missing").string(), std::string("/proc/self/mem")}) {
      CAPTURE(unreadable);
      const CliResult r = run_cli({"request", "POST", done, "--data-file", unreadable});
      INFO(r.describe());
      CHECK(r.exit_code == 2);
      CHECK(r.out.empty());
      CHECK(r.err.find("--data-file '" + unreadable + "' cannot be read") != std::string::npos);
      CHECK(requests_seen == 0);
    }
  }
}

TEST_CASE("cli: --max-body: a larger body fails with -5, exit 1, one that fits completes") {
  const CliResult over = run_cli({"get", "--max-body", "4096", url("/bytes/5000")});
  INFO(over.describe());
  CHECK(over.exit_code == 1);
  const json::object e = only_final(over);
  CHECK(num(e, "status") == -5);
  CHECK(str(e, "error").find("max_body_bytes") != std::string::npos);

  const CliResult fits = run_cli({"get", "--max-body=5000", url("/bytes/5000")});
  INFO(fits.describe());
  CHECK(fits.exit_code == 0);
  CHECK(num(only_final(fits), "sizeDownloaded") == 5000);
}

TEST_CASE("cli: get-file --resume continues an interrupted download") {
  TempDir dir;
  const std::string target = (dir / "pack.bin").string();
  const CliResult set = run_cli({"get", url("/resumable-set/cli?bytes=2000000&cut=700000")});
  REQUIRE(set.exit_code == 0);
  const CliResult cut = run_cli({"get-file", url("/resumable/cli"), target, "--resume"});
  INFO(cut.describe());
  CHECK(cut.exit_code == 1);
  CHECK(num(only_final(cut), "status") == -1);
  const CliResult rest = run_cli({"get-file", "--resume", url("/resumable/cli"), target});
  INFO(rest.describe());
  CHECK(rest.exit_code == 0);
  const json::object e = only_final(rest);
  CHECK(num(e, "http_status") == 200);
  CHECK(num(e, "sizeDownloaded") == 2000000);
  CHECK(read_file(target) == expected_resumable_bytes(1, 0, 2000000));
  const CliResult log = run_cli({"get", url("/resumable-log/cli")});
  REQUIRE(log.exit_code == 0);
  CHECK(str(only_final(log), "result") ==
        R"([{"range":"","if_range":"","accept_encoding":"identity"},)"
        R"({"range":"bytes=700000-","if_range":"\"v1\"","accept_encoding":"identity"}])");
}

TEST_CASE("cli: get-file --resume continues after the tool was killed mid-download") {
  TempDir dir;
  const std::string target = (dir / "pack.bin").string();
  // The server sends 600000 bytes, then nothing more, holding the connection open.
  REQUIRE(run_cli({"get", url("/resumable-set/killed?bytes=2000000&cut=600000&hang=1")}).exit_code == 0);
  {
    Child tool({"get-file", url("/resumable/killed"), target, "--resume"});
    // Its progress says the 600000 bytes were handed to the file; then the game dies.
    for (;;) {
      const json::object e = json::parse(tool.read_line()).as_object();
      REQUIRE(num(e, "status") == 1);
      if (num(e, "sizeDownloaded") == 600000) break;
    }
    tool.signal(SIGKILL);
    CHECK(tool.finish().signal == SIGKILL);
  }
  CHECK_FALSE(std::filesystem::exists(target));
  const CliResult rest = run_cli({"get-file", url("/resumable/killed"), target, "--resume"});
  INFO(rest.describe());
  CHECK(rest.exit_code == 0);
  CHECK(num(only_final(rest), "sizeDownloaded") == 2000000);
  CHECK(read_file(target) == expected_resumable_bytes(1, 0, 2000000));
  const CliResult log = run_cli({"get", url("/resumable-log/killed")});
  REQUIRE(log.exit_code == 0);
  CHECK(str(only_final(log), "result").find(R"("range":"bytes=600000-")") != std::string::npos);
  CHECK(list_tree(dir.path()) == std::vector<std::string>{"pack.bin"});
}

TEST_CASE("cli: --file-root confines get-file") {
  TempDir dir;
  const std::filesystem::path root = dir / "root";
  std::filesystem::create_directories(root);

  SUBCASE("a relative target lands under the root") {
    const CliResult r =
        run_cli({"get-file", "--file-root", root.string(), url("/bytes/1000"), "saves/slot1.bin"});
    INFO(r.describe());
    CHECK(r.exit_code == 0);
    const std::filesystem::path landed = std::filesystem::weakly_canonical(root / "saves/slot1.bin");
    CHECK(str(only_final(r), "result") == landed.string());
    CHECK(read_file(landed) == expected_bytes(0, 1000));
    CHECK(!std::filesystem::exists("saves/slot1.bin"));  // not beside the test's working folder
  }
  SUBCASE("a target escaping the root is refused: exit 1, no event, no file") {
    for (const std::string target : {std::string("../outside.bin"), (dir / "outside.bin").string()}) {
      CAPTURE(target);
      const CliResult r =
          run_cli({"get-file", url("/bytes/1000"), target, "--file-root=" + root.string()});
      INFO(r.describe());
      CHECK(r.exit_code == 1);
      CHECK(r.out.empty());
      CHECK(r.err.find("outside the file root") != std::string::npos);
      CHECK(!std::filesystem::exists(dir / "outside.bin"));
    }
  }
}

}  // namespace asyncload::test
