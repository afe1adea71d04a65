// replay_cli_tests.cpp — `asyncload ... --record FILE.har`, `--replay FILE.har`, `--profile`:
// a live session recorded against a test server of its own, replayed after that server stopped.
#include "child_process.hpp"
#include "support/files.hpp"
#include "support/game_loop.hpp"
#include "support/har_validator.hpp"
#include "testserver/test_server.hpp"

#include <doctest/doctest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <map>
#include <string>
#include <vector>

namespace asyncload::test {
namespace {

namespace json = boost::json;

std::map<std::int64_t, json::object> finals_by_id(const CliResult& r) {
  std::map<std::int64_t, json::object> out;
  for (const auto& line : r.finals()) out[line.at("id").to_number<std::int64_t>()] = line;
  return out;
}

std::vector<std::string> with(std::vector<std::string> args, std::initializer_list<std::string> more) {
  args.insert(args.end(), more);
  return args;
}

}  // namespace

TEST_CASE("cli: a session recorded live, replayed twice with the server stopped: byte-identical, the same events") {
  TempDir dir;
  const std::string har = (dir / "session.har").string();
  std::vector<std::string> get;
  CliResult live;
  {
    testserver::TestServer server;
    const std::string base = server.base_url();
    get = {"get",
           base + "/bytes/3000",           // binary: result_base64
           base + "/redirect/2",           // followed: the final response
           base + "/status/404",           // a completed exchange, status 0
           base + "/gzip",                 // decoded body, sizeDownloaded as sent
           base + "/headers?X-Game=1",     // a response header of our own
           "http://127.0.0.1:1/"};         // refused: -1
    live = run_cli(with(get, {"--record", har}));
    server.stop();
  }
  INFO(live.describe());
  CHECK(live.exit_code == 1);  // the refused one
  REQUIRE(std::filesystem::exists(har));
  CHECK(har_validator_errors(har) == "");

  const CliResult first = run_cli(with(get, {"--replay", har}));
  const CliResult second = run_cli(with(get, {"--replay", har}));
  INFO(first.describe());
  CHECK(first.exit_code == live.exit_code);
  CHECK(second.exit_code == live.exit_code);
  CHECK(first.out == second.out);  // byte-identical NDJSON
  CHECK(!first.out.empty());

  // The same final events as live, key for key (ids, statuses, bodies, headers, sizes). Live
  // ones arrive in network order, replayed ones in frame order: compared by id.
  const auto live_finals = finals_by_id(live);
  const auto replayed = finals_by_id(first);
  REQUIRE(live_finals.size() == 6);
  CHECK(replayed.size() == live_finals.size());
  for (const auto& [id, event] : live_finals) {
    CAPTURE(id);
    REQUIRE(replayed.count(id) == 1);
    CHECK(json::serialize(replayed.at(id)) == json::serialize(event));
  }
  // Progress events: timing-dependent live (how the bytes happened to arrive per frame); in a
  // replay one per progress frame (ReplayOptions::progress_frames, 1 by default) for each body.
  for (const auto& line : first.progress()) CHECK(line.at("sizeDownloaded").to_number<std::int64_t>() > 0);
}

TEST_CASE("cli: post, request with secrets and get-file, recorded and replayed") {
  TempDir dir;
  const std::string har = (dir / "calls.har").string();
  testserver::TestServer server;
  const std::string base = server.base_url();
  const std::vector<std::string> request = {"request", "PUT", base + "/status/201", "-H", "Authorization: Bearer t0ken",
                                            "--data", "level=3"};
  const std::vector<std::string> post = {"post", base + "/echo", "score=99"};
  const std::vector<std::string> get_file = {"get-file", base + "/bytes/2000", (dir / "out.bin").string()};
  for (const auto& args : {request, post, get_file}) {
    CAPTURE(args[0]);
    std::filesystem::remove(dir / "out.bin");
    const CliResult live = run_cli(with(args, {"--record", har}));
    INFO(live.describe());
    CHECK(live.exit_code == 0);
    CHECK(har_validator_errors(har) == "");
    // The recorded request header is REDACTED, so the secret never reached the file.
    if (args[0] == "request") CHECK(read_file(har).find("t0ken") == std::string::npos);
    std::filesystem::remove(dir / "out.bin");
    const CliResult replayed = run_cli(with(args, {"--replay", har}));
    INFO(replayed.describe());
    CHECK(replayed.exit_code == 0);
    CHECK(finals_by_id(replayed).begin()->second == finals_by_id(live).begin()->second);
    if (args[0] == "get-file") CHECK(read_file(dir / "out.bin") == expected_bytes(0, 2000));
  }
}

TEST_CASE("cli: --profile web refuses what the browser would, --profile native does not") {
  TempDir dir;
  const std::string har = (dir / "empty.har").string();
  write_file(har, R"({"log":{"version":"1.2","creator":{"name":"t","version":"1"},"entries":[]}})");
  const std::vector<std::string> trace = {"request", "TRACE", "http://game.test/", "--replay", har};
  const CliResult web = run_cli(with(trace, {"--profile", "web"}));
  INFO(web.describe());
  CHECK(web.exit_code == 1);
  CHECK(web.out.empty());  // refused at the call: no event
  CHECK(web.err.find("the browser forbids the HTTP method TRACE") != std::string::npos);
  const CliResult native = run_cli(trace);
  INFO(native.describe());
  CHECK(native.exit_code == 1);
  REQUIRE(native.finals().size() == 1);  // accepted, then unmatched: one -1 event
  CHECK(native.finals()[0].at("error").as_string().find("the recording has no entries") != std::string::npos);
}

TEST_CASE("cli: --record, --replay and --profile usage errors") {
  TempDir dir;
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"get", "http://game.test/", "--profile", "web"},
           {"get", "http://game.test/", "--replay", "x.har", "--profile", "ios"},
           {"serve", "--record", "x.har"},
           {"demo", "--replay", "x.har"},
           {"get", "http://game.test/", "--record", ""},
           {"get", "http://game.test/", "--replay", (dir / "missing.har").string()}}) {
    const CliResult r = run_cli(args);
    INFO(r.describe());
    CHECK(r.exit_code == 2);
    CHECK(r.out.empty());
  }
}

}  // namespace asyncload::test
