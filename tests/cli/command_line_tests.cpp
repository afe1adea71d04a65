// command_line_tests.cpp — parse_command_line() on its own: it is a pure function, so these
// cases call it directly instead of spawning the tool.
#include "asyncload/command_line.hpp"

#include <doctest/doctest.h>

#include <string>
#include <variant>
#include <vector>

namespace asyncload::cli {
namespace {

using namespace std::chrono_literals;

Command parse_ok(const std::vector<std::string>& args) {
  const ParseResult result = parse_command_line(args);
  if (const auto* error = std::get_if<UsageError>(&result))
    FAIL("unexpected usage error: " << error->message);
  return std::get<Command>(result);
}

std::string parse_error(const std::vector<std::string>& args) {
  const ParseResult result = parse_command_line(args);
  REQUIRE(std::holds_alternative<UsageError>(result));
  const std::string message = std::get<UsageError>(result).message;
  CHECK(!message.empty());
  CHECK(message.find('\n') == std::string::npos);
  return message;
}

}  // namespace

TEST_CASE("parse_command_line: commands and their operands") {
  const Command get = parse_ok({"get", "http://a/", "http://b/"});
  CHECK(get.verb == Verb::get);
  CHECK(get.urls == std::vector<std::string>{"http://a/", "http://b/"});
  CHECK(get.fps == 60);
  CHECK(get.progress_events);
  CHECK(!get.connect_timeout);
  CHECK(!get.stall_timeout);
  CHECK(!get.total_timeout);

  const Command file = parse_ok({"get-file", "http://a/x", "out/x.bin"});
  CHECK(file.verb == Verb::get_file);
  CHECK(file.urls == std::vector<std::string>{"http://a/x"});
  CHECK(file.path == "out/x.bin");

  const Command post = parse_ok({"post", "http://a/", "a=1&b=2"});
  CHECK(post.verb == Verb::post);
  CHECK(post.body == "a=1&b=2");

  const Command request = parse_ok({"request", "PATCH", "http://a/"});
  CHECK(request.verb == Verb::request);
  CHECK(request.method == "PATCH");
  CHECK(request.urls == std::vector<std::string>{"http://a/"});
  CHECK(request.body.empty());
  CHECK(!request.data_file);

  CHECK(parse_ok({"demo"}).verb == Verb::demo);
  CHECK(parse_ok({"serve"}).verb == Verb::serve);
  CHECK(parse_ok({"serve"}).port == 0);
  CHECK(parse_ok({"serve", "--port", "8080"}).port == 8080);
  CHECK(!parse_ok({"serve"}).docroot);
  CHECK(parse_ok({"serve", "--docroot", "build/web"}).docroot ==
        std::optional<std::string>("build/web"));
  CHECK(parse_ok({"serve", "--docroot=/srv/www", "--port=0"}).docroot ==
        std::optional<std::string>("/srv/www"));
  CHECK(parse_ok({"--help"}).verb == Verb::help);
  CHECK(parse_ok({"get", "http://a/", "-h"}).verb == Verb::help);
  CHECK(parse_ok({"help"}).verb == Verb::help);
}

TEST_CASE("parse_command_line: common options, both spellings, anywhere") {
  const Command c = parse_ok({"--fps", "30", "get", "http://a/", "--no-progress",
                              "--connect-timeout=1500", "--stall-timeout", "0", "--timeout=250"});
  CHECK(c.fps == 30);
  CHECK(!c.progress_events);
  CHECK(c.connect_timeout == 1500ms);
  CHECK(c.stall_timeout == 0ms);
  CHECK(c.total_timeout == 250ms);
  CHECK(parse_ok({"demo", "--fps", "1000"}).fps == 1000);
}

TEST_CASE("parse_command_line: --max-body and --file-root, for the library's Options") {
  const Command none = parse_ok({"get", "http://a/"});
  CHECK(!none.max_body_bytes);
  CHECK(!none.file_root);

  const Command c = parse_ok({"get-file", "--max-body", "1048576", "http://a/", "x.bin",
                              "--file-root", "downloads"});
  CHECK(c.max_body_bytes == std::optional<std::size_t>(1048576));
  CHECK(c.file_root == std::optional<std::string>("downloads"));
  CHECK(parse_ok({"get", "http://a/", "--max-body=0"}).max_body_bytes ==
        std::optional<std::size_t>(0));
  CHECK(parse_ok({"get", "http://a/", "--max-body=9223372036854775807"}).max_body_bytes ==
        std::optional<std::size_t>(9223372036854775807ULL));
  CHECK(parse_ok({"demo", "--file-root=/srv/games"}).file_root ==
        std::optional<std::string>("/srv/games"));
}

TEST_CASE("parse_command_line: --ca-file, for Options::ca_file") {
  CHECK(!parse_ok({"get", "https://a/"}).ca_file);
  CHECK(parse_ok({"get", "https://a/", "--ca-file", "test-ca.pem"}).ca_file ==
        std::optional<std::string>("test-ca.pem"));
  CHECK(parse_ok({"post", "--ca-file=/etc/x.pem", "https://a/", "b"}).ca_file ==
        std::optional<std::string>("/etc/x.pem"));
  CHECK(parse_error({"get", "u", "--ca-file="}).find("--ca-file") != std::string::npos);
  CHECK(parse_error({"get", "u", "--ca-file", "a", "--ca-file", "b"}).find("--ca-file") !=
        std::string::npos);
  CHECK(parse_error({"serve", "--ca-file", "a"}).find("--ca-file") != std::string::npos);
}

TEST_CASE("parse_command_line: request headers and bodies") {
  const Command c = parse_ok({"request", "PUT", "http://a/", "-H", "X-A: b", "--header",
                              "X-B:\t  c: d", "--header=X-C:", "-H", "X-D:e", "--data", "x"});
  using H = std::pair<std::string, std::string>;
  CHECK(c.headers == std::vector<H>{{"X-A", "b"}, {"X-B", "c: d"}, {"X-C", ""}, {"X-D", "e"}});
  CHECK(c.body == "x");

  const Command f = parse_ok({"request", "POST", "http://a/", "--data-file", "body.bin"});
  CHECK(f.data_file == std::optional<std::string>("body.bin"));
  CHECK(f.body.empty());

  // `--` ends the options: a body or a header-looking operand is taken as it is.
  const Command p = parse_ok({"post", "--", "http://a/", "--data"});
  CHECK(p.body == "--data");
  CHECK(parse_ok({"post", "http://a/", "-"}).body == "-");
  CHECK(parse_ok({"request", "POST", "http://a/", "--data="}).body.empty());
}

TEST_CASE("parse_command_line: usage errors") {
  CHECK(parse_error({}).find("missing command") != std::string::npos);
  CHECK(parse_error({"fetch"}).find("'fetch'") != std::string::npos);
  CHECK(parse_error({"get"}).find("URL") != std::string::npos);
  CHECK(parse_error({"get", "u", "--bogus"}).find("'--bogus'") != std::string::npos);
  CHECK(parse_error({"get", "u", "--fps"}).find("needs a value") != std::string::npos);
  for (const char* bad :
       {"0", "-1", "+5", " 5", "5 ", "1001", "abc", "", "99999999999999999999999"})
    CHECK(parse_error({"get", "u", "--fps", bad}).find("--fps") != std::string::npos);
  for (const char* bad : {"-1", "x", "1.5", "86400001"})
    CHECK(parse_error({"get", "u", "--timeout", bad}).find("--timeout") != std::string::npos);
  for (const char* bad : {"-1", "+1", "1k", "1.5", "1e6", " 1", "1 ", "", "0x10",
                          "9223372036854775808", "99999999999999999999"})
    CHECK(parse_error({"get", "u", "--max-body", bad}).find("--max-body") != std::string::npos);
  CHECK(parse_error({"get", "u", "--max-body"}).find("needs a value") != std::string::npos);
  CHECK(parse_error({"get-file", "u", "p", "--file-root="}).find("--file-root") !=
        std::string::npos);
  CHECK(parse_error({"get-file", "u", "p", "--file-root", "a", "--file-root", "b"})
            .find("--file-root") != std::string::npos);
  CHECK(parse_error({"serve", "--max-body", "5"}).find("--max-body") != std::string::npos);
  CHECK(parse_error({"serve", "--file-root", "d"}).find("--file-root") != std::string::npos);
  parse_error({"get", "u", "--no-progress=yes"});
  parse_error({"get-file", "u"});
  parse_error({"get-file", "u", "p", "q"});
  parse_error({"post", "u"});
  parse_error({"request", "GET"});
  parse_error({"request", "GET", "u", "extra"});
  parse_error({"request", "GET", "u", "-H", "no-colon"});
  parse_error({"request", "GET", "u", "--data", "a", "--data", "b"});
  parse_error({"request", "GET", "u", "--data", "a", "--data-file", "f"});
  parse_error({"get", "u", "-H", "A: b"});
  parse_error({"post", "u", "b", "--data-file", "f"});
  parse_error({"get", "u", "--port", "1"});
  parse_error({"serve", "--port", "65536"});
  parse_error({"serve", "--port", "-1"});
  parse_error({"serve", "--timeout", "5"});
  parse_error({"serve", "extra"});
  CHECK(parse_error({"get", "u", "--docroot", "d"}).find("--docroot") != std::string::npos);
  CHECK(parse_error({"demo", "--docroot", "d"}).find("--docroot") != std::string::npos);
  parse_error({"serve", "--docroot"});
  parse_error({"serve", "--docroot="});
  parse_error({"serve", "--docroot", "a", "--docroot", "b"});
  parse_error({"demo", "extra"});
  parse_error({"help", "extra"});
  parse_error({"--fps", "30"});  // options but no command
}

TEST_CASE("parse_command_line: a usage error shows what was typed, escaped by printable()") {
  // ESC, a C1 CSI (U+009B), a lone 0x9B byte and invalid UTF-8 would drive a terminal or garble
  // it if echoed raw; a newline would split the message.
  CHECK(parse_error({"get\x1b[2J\nx"}) == "unknown command 'get\\x1b[2J\\nx'");
  CHECK(parse_error({"get", "u", "--fps", "1\xc2\x9b" "2J"}) ==
        "--fps: '1\\u009b2J' is not a number between 1 and 1000");
  CHECK(parse_error({"get", "u", "--timeout", "\x9b\xff"}).find("'\\x9b\\xff'") !=
        std::string::npos);
  CHECK(parse_error({"request", "GET", "u", "-H", "\xe2\x80\xae"}).find("'\\u202e'") !=
        std::string::npos);
}

TEST_CASE("parse_command_line: --resume, for get-file only") {
  CHECK_FALSE(parse_ok({"get-file", "http://a/", "x.bin"}).resume);
  CHECK(parse_ok({"get-file", "http://a/", "x.bin", "--resume"}).resume);
  CHECK(parse_ok({"get-file", "--resume", "http://a/", "x.bin"}).resume);
  CHECK(parse_error({"get", "http://a/", "--resume"}).find("--resume applies only to get-file") != std::string::npos);
  CHECK(parse_error({"demo", "--resume"}).find("--resume") != std::string::npos);
  CHECK(parse_error({"get-file", "http://a/", "x.bin", "--resume=yes"}).find("takes no value") != std::string::npos);
}

TEST_CASE("parse_command_line: --record, --replay and --profile on the request commands") {
  const Command replay = parse_ok({"post", "http://a/", "x", "--replay", "s.har", "--profile=web"});
  CHECK(replay.replay_har == "s.har");
  CHECK(replay.profile == "web");
  CHECK_FALSE(replay.record_har.has_value());
  CHECK(parse_ok({"get-file", "http://a/", "x.bin", "--record", "r.har"}).record_har == "r.har");
  CHECK(parse_ok({"request", "GET", "http://a/", "--replay", "s.har"}).profile == "native");
  CHECK(parse_error({"get", "http://a/", "--profile", "web"}).find("only with --replay") != std::string::npos);
  CHECK(parse_error({"get", "http://a/", "--replay", "s", "--profile", "ios"}).find("neither native nor web") !=
        std::string::npos);
  CHECK(parse_error({"get", "http://a/", "--record", "a", "--record", "b"}).find("give it once") != std::string::npos);
  CHECK(parse_error({"serve", "--replay", "s.har"}).find("apply only to get") != std::string::npos);
  CHECK(parse_ok({"demo", "--record", "s.har"}).record_har == "s.har");  // recorded, not replayable
  CHECK(parse_error({"demo", "--replay", "s.har"}).find("apply only to get") != std::string::npos);
}

TEST_CASE("parse_command_line: the usage text names every command and option") {
  const std::string_view usage = usage_text();
  for (const char* word : {"get URL", "get-file URL PATH", "post URL BODY", "request METHOD URL",
                           "demo", "serve [--port N] [--docroot DIR]", "--fps", "--no-progress",
                           "--connect-timeout", "--stall-timeout", "--timeout",
                           "--max-body BYTES", "--file-root DIR", "--ca-file FILE", "--resume", "-H", "--data TEXT",
                           "--data-file FILE", "result_base64", "result_bytes", "result_head",
                           "--record FILE.har", "--replay FILE.har", "--profile native|web"})
    CHECK_MESSAGE(usage.find(word) != std::string_view::npos, word);
}

}  // namespace asyncload::cli
