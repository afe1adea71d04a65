// leaderboard.hpp — a small online-leaderboard client of the kind a game ships: post a score,
// fetch the top ten, download a player's avatar. It only fires requests and reads the events
// the game loop hands it, so the same code runs against a live server or a replayed recording
// (leaderboard_test.cpp), natively or in a browser build.
#pragma once

#include <asyncload/asyncload.hpp>

#include <optional>
#include <string>
#include <vector>

namespace leaderboard {

struct Score {
  std::string name;
  std::int64_t score = 0;
  std::string avatar;  // the avatar's path on the API server
};

class Client {
public:
  // `api`: the server's base URL, e.g. "https://staging.example.com" (no trailing '/').
  Client(asyncload::Http& http, std::string api) : http_(http), api_(std::move(api)) {}

  // Each returns the request id (-1 when refused: last_error() says why).
  asyncload::RequestId post_score(const std::string& name, std::int64_t score);
  asyncload::RequestId fetch_top();
  asyncload::RequestId fetch_avatar(const Score& who, const std::string& path);

  // Give it every event of the game loop; true when the event was one of ours.
  bool handle(const asyncload::AsyncLoad& event);

  bool busy() const { return !pending_.empty(); }
  const std::vector<Score>& top() const { return top_; }      // after fetch_top()
  std::optional<std::int64_t> rank() const { return rank_; }  // after post_score()
  const std::vector<std::string>& avatars() const { return avatars_; }  // files written
  const std::vector<std::string>& errors() const { return errors_; }    // one line each
  const std::string& last_error() const { return last_error_; }

private:
  enum class Kind { score, top, avatar };
  struct Pending {
    asyncload::RequestId id;
    Kind kind;
  };
  asyncload::RequestId track(asyncload::RequestId id, Kind kind);

  asyncload::Http& http_;
  std::string api_;
  std::vector<Pending> pending_;
  std::vector<Score> top_;
  std::optional<std::int64_t> rank_;
  std::vector<std::string> avatars_;
  std::vector<std::string> errors_;
  std::string last_error_;
};

}  // namespace leaderboard
