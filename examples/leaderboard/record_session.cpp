// leaderboard_record API OUT.har [AVATAR_DIR]: plays the results screen (session.hpp) live
// against API and records it (Options::record_har). README.md says when to run it.
#include "session.hpp"

#include <cstdio>
#include <filesystem>

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: leaderboard_record API OUT.har [AVATAR_DIR]\n");
    return 2;
  }
  const std::string avatars = argc > 3 ? argv[3] : std::filesystem::temp_directory_path().string();
  std::size_t errors = 0;
  {
    asyncload::Options options;
    options.record_har = argv[2];  // written when `http` goes, below
    asyncload::Http http(options);
    leaderboard::Client board(http, argv[1]);
    leaderboard::results_screen(http, board, avatars);
    for (const auto& error : board.errors()) std::fprintf(stderr, "leaderboard_record: %s\n", error.c_str());
    errors = board.errors().size();
  }
  if (!std::filesystem::exists(argv[2])) {
    std::fprintf(stderr, "leaderboard_record: %s was not written\n", argv[2]);
    return 1;
  }
  return errors == 0 ? 0 : 1;
}
