// checks.hpp — what nearly every fault case asks: the one final event of a request, whether a
// reason names something, and whether the same Http still works afterwards.
#pragma once

#include <asyncload/asyncload.hpp>

#include <chrono>
#include <string_view>

namespace asyncload::faults {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

long long ms_since(Clock::time_point start);

bool contains(std::string_view text, std::string_view part);

// Runs frames until `id` (which must not be -1) has its final event, checks its lifecycle
// (progress before one final event) and returns that event.
AsyncLoad only_final(Http& http, RequestId id, std::chrono::milliseconds timeout = 60s);

// The same Http still completes an ordinary request, and nothing is left in flight.
void check_still_usable(Http& http);

}  // namespace asyncload::faults
