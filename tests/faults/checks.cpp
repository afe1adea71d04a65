#include "faults/checks.hpp"

#include "faults/probes.hpp"
#include "support/game_loop.hpp"

#include <doctest/doctest.h>

namespace asyncload::faults {

long long ms_since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

bool contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

AsyncLoad only_final(Http& http, RequestId id, std::chrono::milliseconds timeout) {
  REQUIRE_MESSAGE(id >= 0, http.last_error());
  test::Frames frames = test::run_until_final(http, {id}, {.timeout = timeout});
  frames.check_lifecycle(id);
  return frames.final_event(id);
}

void check_still_usable(Http& http) {
  const RequestId id = http.http_get(test::url("/bytes/1000"));
  REQUIRE(id >= 0);
  test::Frames frames = test::run_until_final(http, {id});
  const AsyncLoad e = frames.final_event(id);
  INFO("afterwards: " << brief(e));
  CHECK(e.status() == Status::complete);
  CHECK(e.http_status() == 200);
  CHECK(e.result() == test::expected_bytes(0, 1000));
  CHECK(http.in_flight() == 0);
}

}  // namespace asyncload::faults
