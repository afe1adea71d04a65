// A minimal game loop with asyncload: fire requests, dispatch once per frame, react by id.
//   build/native/example_game_loop http://127.0.0.1:8080/status/200
#include <asyncload/asyncload.hpp>

#include <chrono>
#include <iostream>
#include <thread>

int main(int argc, char** argv) {
  const std::string url = argc > 1 ? argv[1] : "http://127.0.0.1:8080/bytes/100000";
  asyncload::Http http;
  const asyncload::RequestId scores = http.http_get(url);
  if (scores < 0) {
    std::cerr << "refused: " << http.last_error() << "\n";
    return 1;
  }

  bool done = false;
  auto next_frame = std::chrono::steady_clock::now();
  while (!done) {  // 60 frames a second
    http.dispatch([&](const asyncload::AsyncLoad& event) {
      if (event.id() != scores) return;
      if (event.status() == asyncload::Status::downloading) {
        std::cout << "downloading " << event.size_downloaded() << " of " << event.content_length() << "\n";
      } else if (event.status() == asyncload::Status::complete) {
        std::cout << "HTTP " << event.http_status() << ", " << event.result().size() << " bytes\n";
        done = true;
      } else {
        std::cout << "failed (" << static_cast<int>(event.status()) << "): " << event.error() << "\n";
        done = true;
      }
    });
    // ... update and draw the game here ...
    next_frame += std::chrono::microseconds(16667);
    std::this_thread::sleep_until(next_frame);
  }
}
