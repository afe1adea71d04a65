// Record, then replay, on the platform backend of the build: natively over libcurl against the
// in-process test server, in the browser (web_replay) over emscripten_fetch against the page's
// origin. The replay of a recording gives the live run's final events, key for key.
#include "har_files.hpp"

#include "support/game_loop.hpp"

#include <asyncload/replay.hpp>

#include <doctest/doctest.h>

#include <boost/json/serialize.hpp>

#include <map>
#include <string>

using namespace asyncload;
using namespace asyncload::test;

namespace {

// Each final event's map as JSON, by id.
std::map<RequestId, std::string> finals(const Frames& frames) {
  std::map<RequestId, std::string> out;
  for (const auto& e : frames.events)
    if (e.is_final()) out[e.id()] = boost::json::serialize(e.map());
  return out;
}

// The session both runs make: binary and text bodies, a redirect, a 404, a POST, a failure.
std::vector<RequestId> play(Http& http) {
  return {http.http_get(url("/bytes/700")),
          http.http_get(url("/redirect/2")),
          http.http_get(url("/status/404")),
          http.http_post_string(url("/echo"), "name=ann&score=10"),
          http.http_request(url("/headers?X-Game=1"), "PUT", {{"X-Request", "yes"}}, "body"),
          http.http_get("http://127.0.0.1:1/")};
}

}  // namespace

TEST_SUITE("replay.record_replay") {

TEST_CASE("a session recorded on this build's backend replays with the same final events") {
  TempDir dir;
  const auto har = dir / "session.har";
  std::map<RequestId, std::string> live;
  {
    Options options;
    options.record_har = har.string();
    Http http(options);
    const auto ids = play(http);
    for (auto id : ids) REQUIRE(id >= 0);
    live = finals(run_until_final(http, ids));
  }
  har::Log log;
  REQUIRE(har::read_file(har, log) == "");
  REQUIRE(log.entries.size() == 6);
  CHECK(log.entries[0].body == expected_bytes(0, 700));
  CHECK(log.entries[1].body == "redirected");
  CHECK(log.entries[3].request_body == "name=ann&score=10");
  CHECK(log.entries[5].status == Status::network_error);

  for (const std::string profile : {"native", "web"}) {
    CAPTURE(profile);
    ReplayOptions replay;
    replay.har = har.string();
    replay.profile = profile;
    Http http(make_replay_backend(replay));
    const auto ids = play(http);
    const auto replayed = finals(run_until_final(http, ids));
    CHECK(replayed == live);
  }
}

}  // TEST_SUITE
