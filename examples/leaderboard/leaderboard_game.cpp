// leaderboard_game.cpp — the leaderboard client (leaderboard.hpp) in a game: post a score, show
// the top ten, download the leader's avatar, one dispatch per frame. One source, natively and in
// the browser; session.hpp is the same screen as a headless loop for the tests.
//   native:  ./leaderboard_game http://127.0.0.1:8080     (the API's base URL: `asyncload serve`)
//   web:     leaderboard_game.html talks to the page's own origin (relative URLs)
#include "leaderboard.hpp"

#include <cstdio>
#include <string>

#ifdef __EMSCRIPTEN__
#include <emscripten/emscripten.h>
#else
#include <chrono>
#include <thread>
#endif

namespace {

struct Game {
  asyncload::Http http;
  leaderboard::Client board;
  bool asked_avatar = false;
  int exit_code = -1;
  explicit Game(std::string api) : board(http, std::move(api)) {}
};
Game* game = nullptr;

void frame() {
  game->http.dispatch([](const asyncload::AsyncLoad& e) {
    game->board.handle(e);
    if (!game->asked_avatar && !game->board.top().empty()) {  // the top ten arrived: the leader's face
      game->asked_avatar = true;
      const leaderboard::Score& leader = game->board.top().front();
      game->board.fetch_avatar(leader, "avatars/" + leader.name + ".png");
    }
  });
  if (game->board.busy()) return;  // ... draw the screen as it stands ...
  const leaderboard::Client& board = game->board;
  if (board.rank()) std::printf("leaderboard: kim ranks %lld\n", static_cast<long long>(*board.rank()));
  for (std::size_t i = 0; i < board.top().size(); ++i)
    std::printf("leaderboard: %zu. %s %lld\n", i + 1, board.top()[i].name.c_str(), static_cast<long long>(board.top()[i].score));
  for (const auto& path : board.avatars()) std::printf("leaderboard: avatar saved to %s\n", path.c_str());
  for (const auto& error : board.errors()) std::printf("leaderboard: error: %s\n", error.c_str());
  const bool ok = board.errors().empty() && board.rank() && !board.avatars().empty();
  std::printf("leaderboard: %s\n", ok ? "done" : "failed");
  game->exit_code = ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  static Game the_game(argc > 1 ? argv[1] : "");  // "" on the web: URLs relative to the page
  game = &the_game;
  if (game->board.post_score("kim", 8400) < 0 || game->board.fetch_top() < 0) {
    std::printf("leaderboard: refused: %s\n", game->board.last_error().c_str());
    return 1;
  }
#ifdef __EMSCRIPTEN__
  emscripten_set_main_loop([] {
    if (game->exit_code < 0) frame();
    if (game->exit_code >= 0) emscripten_force_exit(game->exit_code);
  }, 0, false);
#else
  while (game->exit_code < 0) {
    frame();
    std::this_thread::sleep_for(std::chrono::milliseconds(16));
  }
  return game->exit_code;
#endif
}
