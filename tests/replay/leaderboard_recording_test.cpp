// examples/leaderboard recorded live against the in-process test server, then replayed from that
// recording in both profiles: what its checked-in session.har holds is what a recording of this
// build makes, and the example's replay tests pass over it.
#include "har_files.hpp"

#include "support/game_loop.hpp"

#include <asyncload/replay.hpp>

#include <doctest/doctest.h>

#include "session.hpp"

using namespace asyncload;
using namespace asyncload::test;

TEST_SUITE("replay.leaderboard") {

TEST_CASE("the leaderboard session recorded live replays with the same results in both profiles") {
  TempDir dir;
  const auto har = dir / "leaderboard.har";
  std::filesystem::create_directories(dir / "live");
  std::vector<leaderboard::Score> live_top;
  {
    Options options;
    options.record_har = har.string();
    Http http(options);
    leaderboard::Client board(http, server_url());
    leaderboard::results_screen(http, board, (dir / "live").string());
    REQUIRE(board.errors().empty());
    CHECK(board.rank() == 3);
    live_top = board.top();
  }
  CHECK(har_validator_errors(har) == "");
  CHECK(har_entries(har).size() == 3);  // the score, the top ten, the avatar
  for (const std::string profile : {"native", "web"}) {
    CAPTURE(profile);
    std::filesystem::create_directories(dir / profile);
    ReplayOptions replay;
    replay.har = har.string();
    replay.profile = profile;
    Http http(make_replay_backend(replay));
    leaderboard::Client board(http, server_url());
    leaderboard::results_screen(http, board, (dir / profile).string());
    CHECK(board.errors().empty());
    CHECK(board.rank() == 3);
    REQUIRE(board.top().size() == live_top.size());
    for (std::size_t i = 0; i < live_top.size(); ++i) CHECK(board.top()[i].name == live_top[i].name);
    CHECK(read_file(dir / profile / "ann.png") == read_file(dir / "live" / "ann.png"));
    CHECK(read_file(dir / profile / "ann.png") == expected_bytes(0, 1037));
  }
}

}  // TEST_SUITE
