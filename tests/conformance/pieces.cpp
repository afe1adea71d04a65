// Conformance: http_get_file in Range pieces (Capabilities::ranged_downloads, the browser), against
// the test server's /resumable files, which answer ranges, can change between two requests or
// hang mid-response, and log the Range and If-Range headers each request carried. A small
// web_piece_bytes makes a 300 KB file five pieces. Where the backend fetches no pieces (natively:
// curl streams the body to the file) each case says so and returns.
#include "conformance/resumable_files.hpp"
#include "support/game_loop.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <vector>

using namespace asyncload;
using namespace asyncload::test;
namespace fs = std::filesystem;

namespace {

constexpr std::size_t piece = 64u << 10;
constexpr std::size_t size = 300'000;  // five pieces, the last one short

Options pieced() {
  Options options;
  options.web_piece_bytes = piece;
  return options;
}

// "bytes=a-b" of piece i, as the backend asks for it.
std::string piece_range(std::size_t i) {
  return "bytes=" + std::to_string(i * piece) + "-" + std::to_string((i + 1) * piece - 1);
}

// One http_get of /resumable/<name> to its final event (lifecycle checked): that event.
AsyncLoad get_body(Http& http, const std::string& name, Frames* frames_out = nullptr) {
  const RequestId id = http.http_get(url("/resumable/" + name));
  REQUIRE(id >= 0);
  Frames frames = run_until_final(http, {id}, {.timeout = 60s});
  frames.check_lifecycle(id);
  if (frames_out) *frames_out = frames;
  return frames.final_event(id);
}

bool pieces(Http& http) {
  if (http.capabilities().ranged_downloads) return true;
  MESSAGE("backend " << http.capabilities().backend << " fetches no pieces: one request streams to the file");
  return false;
}

}  // namespace

TEST_SUITE("conformance.pieces") {

TEST_CASE("pieces: a file of several pieces is byte-identical, one final event, progress over the whole file") {
  Http http(pieced());
  if (!pieces(http)) return;
  TempDir dir;
  const fs::path target = dir / "pack.bin";
  control(http, "/resumable-set/pieces?bytes=" + std::to_string(size));
  Frames frames;
  const AsyncLoad e = download(http, "pieces", target, {}, &frames);  // one final, progress non-decreasing
  const RequestId id = e.id();
  INFO(describe(e));
  CHECK(e.status() == Status::complete);
  CHECK(e.http_status() == 200);
  CHECK(e.url() == url("/resumable/pieces"));
  CHECK(e.result() == target.string());
  CHECK(e.size_downloaded() == static_cast<std::int64_t>(size));
  CHECK(e.content_length() == static_cast<std::int64_t>(size));
  CHECK(e.header("etag") == "\"v1\"");  // the first response's headers
  CHECK_MESSAGE(read_file(target) == expected_resumable_bytes(1, 0, size), "the file differs from the server's");
  CHECK(list_tree(dir.path()) == std::vector<std::string>{"pack.bin"});

  const auto progress = frames.progress(id);
  CHECK_FALSE(progress.empty());
  for (const AsyncLoad& p : progress) {  // the whole file's figures from the first piece on
    CHECK(p.size_downloaded() <= static_cast<std::int64_t>(size));
    CHECK(p.content_length() == static_cast<std::int64_t>(size));
  }

  std::vector<std::string> if_ranges;
  CHECK(ranges_received(http, "pieces", &if_ranges) ==
        std::vector<std::string>{piece_range(0), piece_range(1), piece_range(2), piece_range(3), piece_range(4)});
  CHECK(if_ranges == std::vector<std::string>{"", "\"v1\"", "\"v1\"", "\"v1\"", "\"v1\""});
}

TEST_CASE("pieces: a server without ranges gets one request, its 200 is the whole file") {
  Http http(pieced());
  if (!pieces(http)) return;
  TempDir dir;
  const fs::path target = dir / "pack.bin";
  control(http, "/resumable-set/pieces-no-ranges?ranges=0&bytes=" + std::to_string(size));
  const AsyncLoad e = download(http, "pieces-no-ranges", target);
  INFO(describe(e));
  CHECK(e.status() == Status::complete);
  CHECK(e.http_status() == 200);
  CHECK(e.size_downloaded() == static_cast<std::int64_t>(size));
  CHECK(read_file(target) == expected_resumable_bytes(1, 0, size));
  std::vector<std::string> if_ranges;
  CHECK(ranges_received(http, "pieces-no-ranges", &if_ranges) == std::vector<std::string>{piece_range(0)});
}

TEST_CASE("pieces: a file that changes between pieces starts over with the new file's 200") {
  Http http(pieced());
  if (!pieces(http)) return;
  TempDir dir;
  const fs::path target = dir / "pack.bin";
  // Version 2 from the third request on: If-Range "v1" no longer holds, the server sends all of v2.
  control(http, "/resumable-set/pieces-changed?change_after=2&bytes=" + std::to_string(size));
  const AsyncLoad e = download(http, "pieces-changed", target);
  INFO(describe(e));
  CHECK(e.status() == Status::complete);
  CHECK(e.http_status() == 200);
  CHECK(e.size_downloaded() == static_cast<std::int64_t>(size));
  CHECK(e.content_length() == static_cast<std::int64_t>(size));
  CHECK(e.header("etag") == "\"v2\"");  // the response the file now comes from
  CHECK_MESSAGE(read_file(target) == expected_resumable_bytes(2, 0, size), "not the new file alone");
  CHECK(list_tree(dir.path()) == std::vector<std::string>{"pack.bin"});
  std::vector<std::string> if_ranges;
  CHECK(ranges_received(http, "pieces-changed", &if_ranges) ==
        std::vector<std::string>{piece_range(0), piece_range(1), piece_range(2)});
  CHECK(if_ranges == std::vector<std::string>{"", "\"v1\"", "\"v1\""});
}

TEST_CASE("pieces: http_cancel in the middle of a later piece: one -3, no file left") {
  Http http(pieced());
  if (!pieces(http)) return;
  TempDir dir;
  const fs::path target = dir / "pack.bin";
  // The third piece stops after 1000 bytes, and the connection stays open.
  control(http, "/resumable-set/pieces-cancel?hang=1&cut=" + std::to_string(2 * piece + 1000) + "&bytes=" + std::to_string(size));
  const RequestId id = http.http_get_file(url("/resumable/pieces-cancel"), target.string());
  REQUIRE(id >= 0);
  const auto into_third_piece = static_cast<std::int64_t>(2 * piece);
  Frames frames;
  run_until(http, frames, [&](const Frames& f) {
    for (const AsyncLoad& p : f.progress(id))
      if (p.size_downloaded() > into_third_piece) return true;
    return f.has_final(id);
  }, {.timeout = 60s});
  REQUIRE_FALSE(frames.has_final(id));
  CHECK(http.http_cancel(id));
  run_until_final(http, frames, {id});
  frames.check_lifecycle(id);
  const AsyncLoad e = frames.final_event(id);
  CHECK(e.status() == Status::cancelled);
  CHECK(list_tree(dir.path()).empty());
  std::vector<std::string> if_ranges;
  CHECK(ranges_received(http, "pieces-cancel", &if_ranges) ==
        std::vector<std::string>{piece_range(0), piece_range(1), piece_range(2)});
}

TEST_CASE("pieces: the stall timeout counts per piece, and a stalled piece fails the download with -2") {
  Options options = pieced();
  options.stall_timeout = 1500ms;  // longer than a piece takes on loopback, shorter than the test
  Http http(options);
  if (!pieces(http)) return;
  TempDir dir;
  const fs::path target = dir / "pack.bin";
  control(http, "/resumable-set/pieces-stall?hang=1&cut=" + std::to_string(3 * piece + 1000) + "&bytes=" + std::to_string(size));
  const AsyncLoad e = download(http, "pieces-stall", target);
  INFO(describe(e));
  CHECK(e.status() == Status::timeout);
  CHECK(e.size_downloaded() >= static_cast<std::int64_t>(3 * piece));  // the pieces that arrived count
  CHECK(list_tree(dir.path()).empty());
}

TEST_CASE("pieces: a large http_get body is fetched in pieces once its first head shows it, byte-identical") {
  Http http(pieced());
  if (!pieces(http)) return;
  control(http, "/resumable-set/body-pieces?bytes=" + std::to_string(size));
  Frames frames;
  const AsyncLoad e = get_body(http, "body-pieces", &frames);
  INFO(describe(e));
  CHECK(e.status() == Status::complete);
  CHECK(e.http_status() == 200);
  CHECK(e.url() == url("/resumable/body-pieces"));
  CHECK(e.size_downloaded() == static_cast<std::int64_t>(size));
  CHECK(e.content_length() == static_cast<std::int64_t>(size));
  CHECK(e.header("etag") == "\"v1\"");
  CHECK_MESSAGE(e.result() == expected_resumable_bytes(1, 0, size), "the body differs from the server's");
  for (const AsyncLoad& p : frames.progress(e.id())) CHECK(p.content_length() == static_cast<std::int64_t>(size));
  // The first request, without Range, is stopped at its head; then the pieces under its ETag.
  std::vector<std::string> if_ranges;
  CHECK(ranges_received(http, "body-pieces", &if_ranges) ==
        std::vector<std::string>{"", piece_range(0), piece_range(1), piece_range(2), piece_range(3), piece_range(4)});
  CHECK(if_ranges == std::vector<std::string>{"", "\"v1\"", "\"v1\"", "\"v1\"", "\"v1\"", "\"v1\""});
}

TEST_CASE("pieces: an http_get body of one piece or less, or from a server without ranges, is one request") {
  Http http(pieced());
  if (!pieces(http)) return;
  control(http, "/resumable-set/body-small?bytes=" + std::to_string(piece));
  control(http, "/resumable-set/body-no-ranges?ranges=0&bytes=" + std::to_string(size));
  const AsyncLoad small = get_body(http, "body-small");
  const AsyncLoad whole = get_body(http, "body-no-ranges");
  CHECK(small.status() == Status::complete);
  CHECK(small.result() == expected_resumable_bytes(1, 0, piece));
  CHECK(whole.status() == Status::complete);
  CHECK(whole.result() == expected_resumable_bytes(1, 0, size));
  CHECK(ranges_received(http, "body-small") == std::vector<std::string>{""});
  CHECK(ranges_received(http, "body-no-ranges") == std::vector<std::string>{""});
}

TEST_CASE("pieces: an http_get body over max_body_bytes fails with -5 at its head, before any piece") {
  Options options = pieced();
  options.max_body_bytes = 2 * piece;
  Http http(options);
  if (!pieces(http)) return;
  control(http, "/resumable-set/body-too-large?bytes=" + std::to_string(size));
  const AsyncLoad e = get_body(http, "body-too-large");
  CHECK(e.status() == Status::too_large);
  CHECK(e.result() == "");
  CHECK(ranges_received(http, "body-too-large") == std::vector<std::string>{""});  // no piece asked for
}

}  // TEST_SUITE
