// The leaderboard client, headless and offline: the results screen over session.har (recorded
// from asyncload's test server, README.md), in the native and the browser profile.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "session.hpp"

#include <asyncload/replay.hpp>

#include <unistd.h>

#include <filesystem>
#include <string>

namespace {

const std::string recorded_api = "http://127.0.0.1:18080";  // where session.har was recorded

std::unique_ptr<asyncload::Http> replayed(const std::string& profile) {
  asyncload::ReplayOptions replay;
  replay.har = LEADERBOARD_HAR;
  replay.profile = profile;
  return std::make_unique<asyncload::Http>(asyncload::make_replay_backend(replay));
}

struct Dir {  // a fresh folder for the avatars
  std::filesystem::path path = std::filesystem::temp_directory_path() / ("leaderboard-" + std::to_string(::getpid()));
  Dir() { std::filesystem::create_directories(path); }
  ~Dir() { std::filesystem::remove_all(path); }
};

}  // namespace

TEST_CASE("the results screen: rank, top ten and the leader's avatar, in both profiles") {
  for (const std::string profile : {"native", "web"}) {
    CAPTURE(profile);
    Dir avatars;
    auto http = replayed(profile);
    leaderboard::Client board(*http, recorded_api);
    leaderboard::results_screen(*http, board, avatars.path.string());
    CHECK(board.errors().empty());
    CHECK(board.rank() == 3);  // 8400 is below ann's 9100 and bo's 8800
    REQUIRE(board.top().size() == 10);
    CHECK(board.top().front().name == "ann");
    CHECK(board.top().front().score == 9100);
    CHECK(board.top().back().name == "jo");
    REQUIRE(board.avatars().size() == 1);
    CHECK(board.avatars().front() == (avatars.path / "ann.png").string());
    CHECK(std::filesystem::file_size(avatars.path / "ann.png") == 1037);
    CHECK(http->in_flight() == 0);
  }
}

TEST_CASE("a request the recording does not hold fails at once, saying what it was closest to") {
  auto http = replayed("native");
  leaderboard::Client board(*http, recorded_api);
  board.fetch_top();
  board.fetch_top();  // recorded once: the second finds its entry used
  board.post_score("kim", 1);  // another body than the recorded one
  while (board.busy()) http->dispatch([&](const asyncload::AsyncLoad& e) { board.handle(e); });
  REQUIRE(board.errors().size() == 2);
  CHECK(board.errors()[0].find("served already") != std::string::npos);
  CHECK(board.errors()[1].find("(the request body differs)") != std::string::npos);
  CHECK(board.top().size() == 10);  // the first one was served
}

TEST_CASE("the browser profile refuses what a browser would") {
  auto http = replayed("web");
  leaderboard::Client board(*http, recorded_api);
  // A client that set Cookie itself would work natively and fail in the browser: caught here.
  CHECK(http->http_request(recorded_api + "/leaderboard/top", "GET", {{"Cookie", "session=1"}}, "") == -1);
  CHECK(http->last_error() == "the browser forbids the request header Cookie");
}
