// Replay (<asyncload/replay.hpp>): each case writes the recording it serves (har_files.hpp) and
// drives an Http over make_replay_backend frame by frame. No network: the URLs are not served by
// anything (game.test is reserved, RFC 6761).
#include "har_files.hpp"

#include "support/game_loop.hpp"

#include <asyncload/detail/profiles.hpp>
#include <asyncload/replay.hpp>

#include <doctest/doctest.h>

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <string>

using namespace asyncload;
using namespace asyncload::test;

namespace {

constexpr std::string_view base = "http://game.test";
std::string at(std::string_view path) { return std::string(base) + std::string(path); }

// A recording in a temporary directory and an Http serving it.
struct Replay {
  TempDir dir;
  std::filesystem::path har = dir / "session.har";
  ReplayOptions options;
  Options http_options;

  explicit Replay(std::vector<har::Entry> entries) {
    write_har(har, std::move(entries));
    options.har = har.string();
  }
  std::unique_ptr<Http> http() const {
    ReplayOptions o = options;
    return std::make_unique<Http>(make_replay_backend(o), http_options);
  }
};

bool same_booleans(const Capabilities& a, const Capabilities& b) {
  return a.progress_events == b.progress_events && a.response_headers == b.response_headers && a.cancel == b.cancel &&
         a.connect_timeout == b.connect_timeout && a.stall_timeout == b.stall_timeout &&
         a.total_timeout == b.total_timeout && a.file_download == b.file_download && a.crossorigin == b.crossorigin &&
         a.redirect_limit == b.redirect_limit && a.relative_urls == b.relative_urls &&
         a.blocking_wait == b.blocking_wait && a.connections_per_host == b.connections_per_host &&
         a.resume_downloads == b.resume_downloads && a.ranged_downloads == b.ranged_downloads;
}

}  // namespace

TEST_SUITE("replay.backend") {

TEST_CASE("a response is ready response_frames dispatches after its call, its body over progress_frames") {
  Replay replay({entry("GET", at("/scores"), 200, std::string(4000, 's'), {{"Content-Type", "text/plain"}})});
  replay.options.response_frames = 3;
  replay.options.progress_frames = 2;
  auto http = replay.http();
  const auto id = http->http_get(at("/scores"));
  REQUIRE(id >= 0);
  Frames frames;
  run_frames(*http, frames, 5);
  REQUIRE(frames.events.size() == 3);
  CHECK(frames.events[0].status() == Status::downloading);
  CHECK(frames.events[0].size_downloaded() == 2000);
  CHECK(frames.events[0].content_length() == 4000);
  CHECK(frames.frame_of[0] == 0);
  CHECK(frames.events[1].size_downloaded() == 4000);
  CHECK(frames.frame_of[1] == 1);
  const auto& done = frames.events[2];
  CHECK(frames.frame_of[2] == 2);
  CHECK(done.status() == Status::complete);
  CHECK(done.http_status() == 200);
  CHECK(done.result() == std::string(4000, 's'));
  CHECK(done.header("content-type") == "text/plain");
  CHECK(done.url() == at("/scores"));
  CHECK(http->in_flight() == 0);
  frames.check_lifecycle(id);
}

TEST_CASE("a call made in a handler counts its frames from the next dispatch, and wait() never sleeps") {
  Replay replay({entry("GET", at("/a"), 200, "a"), entry("GET", at("/b"), 200, "b")});
  replay.options.response_frames = 2;
  replay.options.progress_frames = 0;
  auto http = replay.http();
  RequestId b = -1;
  http->http_get(at("/a"));
  Frames frames;
  LoopOptions loop;
#if !defined(__EMSCRIPTEN__)  // (the browser's loop sleeps between frames whatever wait() does)
  loop.frame_interval = std::chrono::milliseconds(60000);  // would hang the case if wait() slept
#endif
  loop.on_event = [&](const AsyncLoad& e) {
    if (e.result() == "a") b = http->http_get(at("/b"));
  };
  run_frames(*http, frames, 4, loop);
  REQUIRE(frames.events.size() == 2);  // progress_frames 0: no progress events
  CHECK(frames.frame_of[0] == 1);
  CHECK(frames.events[1].id() == b);
  CHECK(frames.frame_of[1] == 3);
}

TEST_CASE("identical requests take their entries in recorded order, each once") {
  Replay replay({entry("GET", at("/turn"), 200, "first"), entry("GET", at("/turn"), 200, "second")});
  auto http = replay.http();
  const auto one = http->http_get(at("/turn"));
  const auto two = http->http_get(at("/turn"));
  const auto three = http->http_get(at("/turn"));
  Frames frames = run_until_final(*http, {one, two, three});
  CHECK(frames.final_event(one).result() == "first");
  CHECK(frames.final_event(two).result() == "second");
  const auto third = frames.final_event(three);
  CHECK(third.status() == Status::network_error);
  CHECK(third.http_status() == 0);
  CHECK(third.error().find("2 recorded entries were served already") != std::string_view::npos);
}

TEST_CASE("an unmatched request fails with -1 naming the closest entry and what differs") {
  Replay replay({entry("GET", at("/scores?top=10"), 200, "[]"), entry("POST", at("/score"), 200, "ok")});
  replay.options.response_frames = 1;
  auto http = replay.http();
  const auto typo = http->http_get(at("/scores?top=11"));
  const auto method = http->http_request(at("/score"), "PUT", {}, "");
  Frames frames = run_until_final(*http, {typo, method});
  const auto t = frames.final_event(typo);
  INFO(describe(t));
  CHECK(t.status() == Status::network_error);
  CHECK(t.error().find("GET http://game.test/scores?top=11") != std::string_view::npos);
  CHECK(t.error().find("closest: entry 0, GET http://game.test/scores?top=10 (the URL differs)") != std::string_view::npos);
  const auto m = frames.final_event(method);
  CHECK(m.error().find("closest: entry 1, POST http://game.test/score (the method differs)") != std::string_view::npos);
  CHECK(frames.frame_of[0] == 0);  // after response_frames, like any other answer
}

TEST_CASE("match_body and ignore_query") {
  har::Entry post = entry("POST", at("/score"), 200, "saved");
  post.request_body = "name=ann&score=10";
  har::Entry nonce = entry("GET", at("/top?nonce=1&n=10"), 200, "top");
  Replay replay({post, nonce});
  SUBCASE("the body must match by default, and the error says it differs") {
    auto http = replay.http();
    const auto id = http->http_post_string(at("/score"), "name=ann&score=11");
    const auto query = http->http_get(at("/top?nonce=2&n=10"));
    Frames frames = run_until_final(*http, {id, query});
    CHECK(frames.final_event(id).error().find("(the request body differs)") != std::string_view::npos);
    CHECK(frames.final_event(query).status() == Status::network_error);
  }
  SUBCASE("match_body false, ignore_query {nonce}") {
    replay.options.match_body = false;
    replay.options.ignore_query = {"nonce"};
    auto http = replay.http();
    const auto id = http->http_post_string(at("/score"), "name=ann&score=11");
    const auto query = http->http_get(at("/top?nonce=2&n=10"));
    const auto other = http->http_get(at("/top?nonce=2&n=11"));
    Frames frames = run_until_final(*http, {id, query, other});
    CHECK(frames.final_event(id).result() == "saved");
    CHECK(frames.final_event(query).result() == "top");
    CHECK(frames.final_event(other).status() == Status::network_error);
  }
}

TEST_CASE("http_get_file: a temporary file beside the target, renamed at delivery") {
  std::string bytes;
  for (int i = 0; i < 3000; ++i) bytes += static_cast<char>(i * 7);
  Replay replay({entry("GET", at("/avatar.png"), 200, bytes), entry("GET", at("/missing.png"), 404, "no")});
  replay.options.response_frames = 3;
  replay.options.progress_frames = 2;
  TempDir out;
  const auto target = out / "avatars" / "ann.png";
  write_file(out / "old.png", "old");
  auto http = replay.http();
  const auto id = http->http_get_file(at("/avatar.png"), target.string());
  const auto missing = http->http_get_file(at("/missing.png"), (out / "old.png").string());
  Frames frames;
  run_frames(*http, frames, 2);
  CHECK(!std::filesystem::exists(target));  // in its temporary file until the final event
  const auto during = list_tree(out.path());
  CHECK(std::count_if(during.begin(), during.end(), [](const std::string& p) { return p.starts_with("avatars/.asyncload-"); }) == 1);
  run_frames(*http, frames, 1);
  const auto done = frames.final_event(id);
  CHECK(done.status() == Status::complete);
  CHECK(done.result() == target.string());
  CHECK(read_file(target) == bytes);
  CHECK(frames.final_event(missing).http_status() == 404);
  CHECK(read_file(out / "old.png") == "old");
  CHECK(list_tree(out.path()) == std::vector<std::string>{"avatars", "avatars/ann.png", "old.png"});
}

TEST_CASE("buffer mode fills the buffer, max_body_bytes still applies") {
  Replay replay({entry("GET", at("/blob"), 200, "0123456789"), entry("GET", at("/huge"), 200, std::string(5000, 'h'))});
  replay.http_options.max_body_bytes = 1000;
  auto http = replay.http();
  auto buffer = Buffer::make_fixed(4);
  const auto id = http->http_request(at("/blob"), "GET", {}, buffer);
  const auto huge = http->http_get(at("/huge"));
  Frames frames = run_until_final(*http, {id, huge});
  CHECK(frames.final_event(id).result_bytes() == 10);
  CHECK(buffer->view(0, 4) == "0123");
  CHECK(frames.final_event(huge).status() == Status::too_large);
}

TEST_CASE("cancel: one -3, nothing else, the file target untouched") {
  Replay replay({entry("GET", at("/slow"), 200, "x"), entry("GET", at("/file"), 200, "new")});
  replay.options.response_frames = 4;
  TempDir out;
  write_file(out / "save.dat", "old");
  auto http = replay.http();
  const auto id = http->http_get(at("/slow"));
  const auto file = http->http_get_file(at("/file"), (out / "save.dat").string());
  Frames frames;
  run_frames(*http, frames, 2);
  CHECK(http->http_cancel(id));
  CHECK(http->http_cancel(file));
  run_frames(*http, frames, 6);
  CHECK(frames.final_event(id).status() == Status::cancelled);
  CHECK(frames.final_event(file).status() == Status::cancelled);
  frames.check_lifecycle(id);
  CHECK(read_file(out / "save.dat") == "old");
  CHECK(list_tree(out.path()) == std::vector<std::string>{"save.dat"});
}

TEST_CASE("timeouts: a recorded -2 replays as -2, a total_timeout shorter than the recorded time fires") {
  har::Entry slow = entry("GET", at("/slow"), 200, "late");
  slow.time_ms = 1500;
  slow.wait_ms = 1400;
  slow.receive_ms = 100;
  har::Entry timed_out = entry("GET", at("/hang"), 0, "");
  timed_out.status = Status::timeout;
  timed_out.error = "total timeout after 200 ms";
  har::Entry refused = entry("GET", at("/down"), 0, "");
  refused.status = Status::network_error;
  refused.error = "Could not connect to server";
  Replay replay({slow, slow, slow, timed_out, refused});
  auto http = replay.http();
  const auto fires = http->http_get(at("/slow"), RequestOptions{.total_timeout = std::chrono::milliseconds(1000)});
  const auto stalls = http->http_get(at("/slow"), RequestOptions{.stall_timeout = std::chrono::milliseconds(1000)});
  const auto in_time = http->http_get(at("/slow"), RequestOptions{.total_timeout = std::chrono::milliseconds(2000)});
  const auto hang = http->http_get(at("/hang"));
  const auto down = http->http_get(at("/down"));
  Frames frames = run_until_final(*http, {fires, stalls, in_time, hang, down});
  CHECK(frames.final_event(fires).status() == Status::timeout);
  CHECK(frames.final_event(fires).error().find("took 1500 ms") != std::string_view::npos);
  CHECK(frames.final_event(stalls).status() == Status::timeout);
  CHECK(frames.final_event(in_time).result() == "late");
  CHECK(frames.final_event(hang).status() == Status::timeout);
  CHECK(frames.final_event(hang).error() == "total timeout after 200 ms");
  CHECK(frames.final_event(down).status() == Status::network_error);
  CHECK(frames.final_event(down).error() == "Could not connect to server");
  // All after the same frames: replay time does not depend on the recorded milliseconds.
  for (auto id : {fires, stalls, in_time, hang, down}) CHECK(frames.final_frame(id) == frames.final_frame(fires));
}

TEST_CASE("redirects as recorded: the final response under the requested URL, or the 3xx itself") {
  Replay replay({entry("GET", at("/redirect/2"), 200, "redirected"),
                 entry("GET", at("/moved"), 302, "", {{"Location", "/elsewhere"}})});
  auto http = replay.http();
  const auto followed = http->http_get(at("/redirect/2"));
  const auto stopped = http->http_get(at("/moved"));
  Frames frames = run_until_final(*http, {followed, stopped});
  CHECK(frames.final_event(followed).result() == "redirected");
  CHECK(frames.final_event(followed).url() == at("/redirect/2"));
  CHECK(frames.final_event(stopped).http_status() == 302);
  CHECK(frames.final_event(stopped).header("location") == "/elsewhere");
}

TEST_CASE("an entry with no response or no body replays as -1 saying why") {
  har::Entry cancelled = entry("GET", at("/c"), 0, "");
  cancelled.status = Status::cancelled;
  cancelled.error = "cancelled by http_cancel";
  har::Entry omitted = entry("GET", at("/big"), 200, "");
  omitted.body_omitted = true;
  Replay replay({cancelled, omitted});
  auto http = replay.http();
  const auto c = http->http_get(at("/c"));
  const auto big = http->http_get(at("/big"));
  Frames frames = run_until_final(*http, {c, big});
  CHECK(frames.final_event(c).status() == Status::network_error);
  CHECK(frames.final_event(c).error().find("holds no response (cancelled by http_cancel)") != std::string_view::npos);
  CHECK(frames.final_event(big).error().find("holds no body") != std::string_view::npos);
}

TEST_CASE("the same recording and calls give the same events, every run") {
  std::vector<har::Entry> entries;
  for (int i = 0; i < 20; ++i) entries.push_back(entry("GET", at("/n/" + std::to_string(i % 5)), 200, std::string(100 + i, 'x')));
  Replay replay(entries);
  replay.options.response_frames = 4;
  replay.options.progress_frames = 3;
  replay.http_options.max_connections = 3;
  auto run = [&] {
    auto http = replay.http();
    std::vector<RequestId> ids;
    for (int i = 0; i < 20; ++i) ids.push_back(http->http_get(at("/n/" + std::to_string(i % 5))));
    Frames frames = run_until_final(*http, ids);
    std::string stream;
    for (std::size_t i = 0; i < frames.events.size(); ++i)
      stream += std::to_string(frames.frame_of[i]) + " " + boost::json::serialize(frames.events[i].map()) + "\n";
    return stream;
  };
  const std::string first = run();
  CHECK(first == run());
  CHECK(first.find("\"sizeDownloaded\":119") != std::string::npos);
}

TEST_CASE("profiles: capabilities exactly those of the curl and emscripten_fetch backends") {
  Replay replay({});
  auto native = replay.http();
  CHECK(native->capabilities().backend == "replay:curl");
  CHECK(same_booleans(native->capabilities(), detail::curl_capabilities()));
  replay.options.profile = "web";
  auto web = replay.http();
  CHECK(web->capabilities().backend == "replay:emscripten_fetch");
  CHECK(same_booleans(web->capabilities(), detail::emscripten_fetch_capabilities(Options{}.web_piece_bytes, false)));
  replay.http_options.web_piece_bytes = 0;
  CHECK(same_booleans(replay.http()->capabilities(), detail::emscripten_fetch_capabilities(0, false)));
  replay.options.profile = "ios";
  CHECK_THROWS_WITH_AS(replay.http(), doctest::Contains("neither"), std::runtime_error);
}

TEST_CASE("web profile: the browser's call-time refusals, relative URLs, 6 requests per origin") {
  std::vector<har::Entry> entries;
  for (int i = 0; i < 8; ++i) entries.push_back(entry("GET", at("/tile"), 200, "t"));
  entries.push_back(entry("GET", at("/config.json"), 200, "{}"));
  Replay replay(entries);
  replay.options.response_frames = 2;
  replay.options.progress_frames = 0;
  SUBCASE("native: the calls are accepted") {
    auto http = replay.http();
    CHECK(http->http_request(at("/tile"), "GET", {{"Cookie", "a=b"}}, "") >= 0);
    CHECK(http->http_request(at("/tile"), "GET", {}, "body") >= 0);
    CHECK(http->http_request(at("/tile"), "TRACE", {}, "") >= 0);
    CHECK(http->http_get("config.json") == -1);  // no page to resolve against
  }
  SUBCASE("web: refused as in the browser") {
    replay.options.profile = "web";
    auto http = replay.http();
    CHECK(http->http_request(at("/tile"), "GET", {{"Cookie", "a=b"}}, "") == -1);
    CHECK(http->last_error() == "the browser forbids the request header Cookie");
    CHECK(http->http_request(at("/tile"), "GET", {}, "body") == -1);
    CHECK(http->last_error() == "the browser sends no body with GET");
    CHECK(http->http_request(at("/tile"), "TRACE", {}, "") == -1);
    CHECK(http->http_request(at("/tile"), "GET", {{"Sec-Fetch-Mode", "x"}}, "") == -1);
    std::vector<RequestId> tiles;
    for (int i = 0; i < 8; ++i) tiles.push_back(http->http_get(at("/tile")));
    const auto config = http->http_get("config.json");  // against the recording's origin
    tiles.push_back(config);
    Frames frames = run_until_final(*http, tiles);
    CHECK(frames.final_event(config).result() == "{}");
    CHECK(frames.final_event(config).url() == "config.json");
    for (int i = 0; i < 6; ++i) CHECK(frames.final_frame(tiles[static_cast<std::size_t>(i)]) == 1);
    CHECK(frames.final_frame(tiles[6]) == 3);  // the 7th and 8th waited for a free connection
    CHECK(frames.final_frame(tiles[7]) == 3);
    CHECK(frames.final_frame(config) == 3);  // the same origin: it waited too
  }
}

TEST_CASE("Options::progress_events false: no progress events in replay either") {
  Replay replay({entry("GET", at("/a"), 200, std::string(1000, 'a'))});
  replay.options.response_frames = 5;
  replay.options.progress_frames = 4;
  replay.http_options.progress_events = false;
  auto http = replay.http();
  const auto id = http->http_get(at("/a"));
  Frames frames = run_until_final(*http, {id});
  CHECK(frames.events.size() == 1);
}

TEST_CASE("a recording that is not a HAR is a setup error") {
  TempDir dir;
  write_file(dir / "bad.har", "{\"log\": {\"entries\": [{\"time\": 1}]}}");
  ReplayOptions options;
  options.har = (dir / "bad.har").string();
  CHECK_THROWS_WITH_AS(make_replay_backend(options), doctest::Contains("entry 0: entry has no \"startedDateTime\""),
                       std::runtime_error);
  options.har = (dir / "missing.har").string();
  CHECK_THROWS_WITH_AS(make_replay_backend(options), doctest::Contains("cannot read"), std::runtime_error);
}

}  // TEST_SUITE
