/// @file
/// asyncload/replay.hpp — deterministic headless runs: serve a recorded session (a HAR 1.2 file,
/// Options::record_har) with no network, its time counted in dispatch() calls, on the
/// capabilities of the native or the browser backend.
///
/// @code
///   asyncload::ReplayOptions replay{.har = "tests/data/leaderboard.har", .profile = "web"};
///   asyncload::Http http(asyncload::make_replay_backend(replay));
///   auto id = http.http_get("https://api.example.com/top10");  // served from the recording
///   while (http.in_flight()) http.dispatch(handler);           // done after response_frames
/// @endcode
///
/// Matching. A request takes the first unused entry with the same method and URL (and body,
/// unless match_body is false); query parameters named in ignore_query are left out of the
/// comparison on both sides. Identical requests take their entries in recorded order, and each
/// entry serves once. A request no entry matches fails with -1 (no network is ever touched) and
/// its error names the closest recorded entry and how it differs.
///
/// Time. A request's final event is ready `response_frames` dispatch() calls after the call that
/// started it (a call made inside a handler counts from the next dispatch()); its body arrives
/// over the `progress_frames` dispatches before that, in equal parts, each reported as progress.
/// The event stream is therefore a pure function of the HAR, these options and the game's calls.
/// Http::wait() never blocks over a replay: no time passes between dispatches.
///
/// What a recorded entry replays as:
///   - a response: status 0 with its status code, headers and body (the body goes through the
///     request's sink as on a real backend: http_get_file writes the temporary file and renames it
///     at delivery, buffer mode fills the buffer, max_body_bytes applies); a redirect is replayed
///     as recorded: the final response the recording saw (the hops are not in the file);
///   - a failure (_asyncload_status -1, -2, -4, -5): that status and its _asyncload_error, after
///     the same frames;
///   - a cancelled or unfinished request (_asyncload_status -3): -1, since the recording holds no
///     response (the game that cancelled it live cancels it in the replay too);
///   - a body the recording left out (_asyncload_body_omitted, over record_max_body_bytes): -1.
/// Timeouts: a total_timeout shorter than the entry's recorded time, or a stall_timeout shorter
/// than its recorded wait for the response (timings.wait), ends it with -2 at the frame its
/// response would have been ready. http_cancel works as on a real backend.
///
/// Profiles: capabilities() is exactly the chosen backend's but for its `backend` name
/// ("replay:curl", "replay:emscripten_fetch"), so the core behaves as on that platform: in the
/// web profile the browser's call-time refusals apply (forbidden methods and headers, a body with
/// GET or HEAD), relative URLs are accepted (resolved against page_url), there is no connect
/// timeout and no redirect limit, and at most 6 requests run per origin (more wait, in order,
/// before their frames start counting). max_connections is honoured in both.
#pragma once

#include <asyncload/backend.hpp>

#include <memory>
#include <string>
#include <vector>

namespace asyncload {

/// What make_replay_backend() serves and how (replay.hpp says what each entry replays as).
struct ReplayOptions {
  std::string har;                   ///< the HAR 1.2 file to serve (Options::record_har writes one)
  std::string profile = "native";    ///< "native" (curl's capabilities) or "web" (emscripten_fetch's)
  int response_frames = 2;           ///< dispatch() calls from a call to its final event (>= 1)
  int progress_frames = 1;           ///< of those, how many before it deliver body and progress
                                     ///< (0 = the body arrives with the final event; < response_frames)
  bool match_body = true;            ///< a request body must equal the recorded one
  std::vector<std::string> ignore_query;  ///< query parameter names left out of matching (a nonce)
  std::string page_url;              ///< web profile: what relative URLs resolve against; "" = the
                                     ///< origin of the first recorded entry
};

/// A backend serving `options.har`. Throws std::runtime_error when the file cannot be read or is
/// not a HAR, or the profile is neither "native" nor "web": a test's setup error, not an event.
std::unique_ptr<Backend> make_replay_backend(const ReplayOptions& options);

}  // namespace asyncload
