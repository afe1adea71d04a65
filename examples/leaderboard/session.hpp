// session.hpp — the game's results screen, as a headless loop: post the player's score, fetch
// the top ten, then download the leader's avatar. record_session.cpp runs it live with
// Options::record_har; leaderboard_test.cpp runs it over the recording.
#pragma once

#include "leaderboard.hpp"

#include <chrono>
#include <string>

namespace leaderboard {

inline void results_screen(asyncload::Http& http, Client& board, const std::string& avatar_dir,
                           int max_frames = 10000) {
  board.post_score("kim", 8400);
  board.fetch_top();
  bool asked = false;
  for (int frame = 0; board.busy() && frame < max_frames; ++frame) {
    http.wait(std::chrono::milliseconds(16));  // a windowed game draws here instead
    http.dispatch([&](const asyncload::AsyncLoad& e) {
      board.handle(e);
      if (!asked && !board.top().empty()) {  // the top ten arrived: show the leader's face
        asked = true;
        board.fetch_avatar(board.top().front(), avatar_dir + "/" + board.top().front().name + ".png");
      }
    });
  }
}

}  // namespace leaderboard
