// Conformance: resumable downloads (RequestOptions::resume), against the test server's
// /resumable files, which can cut a response short, change, shrink or ignore ranges, and log
// the Range and If-Range headers they received. Where the backend fetches files in pieces (the
// browser, Capabilities::ranged_downloads) the requests are pieces and a download resumes from
// its last whole piece. Where Capabilities::resume_downloads is false each case asserts the
// documented answer instead: every download starts at zero and an interrupted one leaves nothing
// behind.
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

constexpr std::size_t size = 3'000'000;
constexpr std::size_t cut = 1'000'000;  // where the first response stops
const RequestOptions resume{.resume = true};
// Where the backend fetches files in pieces (the browser) they are this long here, so that the
// cut falls inside the fourth; natively ignored.
constexpr std::size_t piece = 256u << 10;

Options small_pieces() {
  Options options;
  options.web_piece_bytes = piece;
  return options;
}

bool in_pieces(Http& http) { return http.capabilities().ranged_downloads; }

// The Range headers of the requests that fetch bytes [from, to) of the file: one request (no
// Range from the start, `bytes=from-` after it), or the pieces (tests/conformance/pieces.cpp).
std::vector<std::string> requests_for(Http& http, std::size_t from, std::size_t to) {
  if (!in_pieces(http)) return {from == 0 ? "" : "bytes=" + std::to_string(from) + "-"};
  std::vector<std::string> ranges;
  for (std::size_t first = from; first < to; first += piece)
    ranges.push_back("bytes=" + std::to_string(first) + "-" + std::to_string(first + piece - 1));
  return ranges;
}

// Where the interrupted download continues: where the server cut it, or, in pieces, where the
// last whole piece ended (a failed piece hands nothing over).
std::size_t resume_point(Http& http) { return in_pieces(http) ? cut / piece * piece : cut; }

// The interrupted first download's requests: up to the one the cut stopped.
std::vector<std::string> interrupted_requests(Http& http) { return requests_for(http, 0, cut + 1); }

std::vector<std::string> concat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// The If-Range each request carries: none on the first, `validator` on every later one.
std::vector<std::string> if_ranges_after_first(std::size_t requests, const std::string& validator) {
  std::vector<std::string> if_ranges(requests, validator);
  if (!if_ranges.empty()) if_ranges[0] = "";
  return if_ranges;
}

// The first download of the file, cut short by the server after `cut` bytes.
void interrupted(Http& http, const std::string& name, const fs::path& target, const RequestOptions& options = resume) {
  const AsyncLoad e = download(http, name, target, options);
  INFO(describe(e));
  CHECK(e.status() == Status::network_error);
  CHECK(e.result() == "");
  CHECK_FALSE(fs::exists(target));  // nothing half-written in its place
}

std::vector<std::string> only(std::initializer_list<std::string> names) { return names; }

bool resumes(Http& http) {
  if (http.capabilities().resume_downloads) return true;
  MESSAGE("backend " << http.capabilities().backend << " has no resume_downloads: each download starts at zero");
  return false;
}

}  // namespace

TEST_SUITE("conformance.resume") {

TEST_CASE("resume: an interrupted download continues where it stopped, byte-identical, asking for the rest") {
  Http http(small_pieces());
  if (!http.capabilities().file_download) return;
  TempDir dir;
  const fs::path target = dir / "pack.bin";
  control(http, "/resumable-set/continue?bytes=" + std::to_string(size) + "&cut=" + std::to_string(cut));
  interrupted(http, "continue", target);
  if (!resumes(http)) CHECK(list_tree(dir.path()).empty());

  Frames frames;
  const AsyncLoad e = download(http, "continue", target, resume, &frames);
  INFO(describe(e));
  CHECK(e.status() == Status::complete);
  CHECK(e.http_status() == 200);
  CHECK(e.result() == target.string());
  CHECK(e.size_downloaded() == static_cast<std::int64_t>(size));
  CHECK(e.content_length() == static_cast<std::int64_t>(size));
  CHECK_MESSAGE(read_file(target) == expected_resumable_bytes(1, 0, size), "the file differs from the server's");
  CHECK(list_tree(dir.path()) == only({"pack.bin"}));
  std::vector<std::string> if_ranges, encodings;
  const auto ranges = ranges_received(http, "continue", &if_ranges, &encodings);
  if (resumes(http)) {
    CHECK(ranges == concat(interrupted_requests(http), requests_for(http, resume_point(http), size)));
    CHECK(if_ranges == if_ranges_after_first(ranges.size(), "\"v1\""));
    // The bytes of the file itself, every time.
    CHECK(encodings == std::vector<std::string>(ranges.size(), "identity"));
    for (const AsyncLoad& p : frames.progress(e.id())) {  // the bar starts where the file stopped
      CHECK(p.size_downloaded() > static_cast<std::int64_t>(resume_point(http)));
      CHECK(p.content_length() == static_cast<std::int64_t>(size));
    }
  } else {
    CHECK(ranges == concat(interrupted_requests(http), requests_for(http, 0, size)));
  }
}

TEST_CASE("resume: a Last-Modified date is the validator when the server sends no ETag") {
  Http http(small_pieces());
  if (!http.capabilities().file_download) return;
  TempDir dir;
  const fs::path target = dir / "pack.bin";
  control(http, "/resumable-set/dated?validator=date&bytes=" + std::to_string(size) + "&cut=" + std::to_string(cut));
  interrupted(http, "dated", target);
  const AsyncLoad e = download(http, "dated", target, resume);
  CHECK(e.status() == Status::complete);
  CHECK(read_file(target) == expected_resumable_bytes(1, 0, size));
  std::vector<std::string> if_ranges;
  const auto ranges = ranges_received(http, "dated", &if_ranges);
  if (!resumes(http)) return;
  CHECK(ranges == concat(interrupted_requests(http), requests_for(http, resume_point(http), size)));
  CHECK(if_ranges == if_ranges_after_first(ranges.size(), "Wed, 01 Jan 2025 00:00:00 GMT"));
}

TEST_CASE("resume: after the file changed on the server the download starts over, byte-identical to the new file") {
  Http http(small_pieces());
  if (!http.capabilities().file_download) return;
  TempDir dir;
  const fs::path target = dir / "pack.bin";
  control(http, "/resumable-set/changed?bytes=" + std::to_string(size) + "&cut=" + std::to_string(cut));
  interrupted(http, "changed", target);
  constexpr std::size_t new_size = 2'500'000;
  control(http, "/resumable-set/changed?version=2&bytes=" + std::to_string(new_size));

  const AsyncLoad e = download(http, "changed", target, resume);
  INFO(describe(e));
  CHECK(e.status() == Status::complete);
  CHECK(e.http_status() == 200);
  CHECK(e.size_downloaded() == static_cast<std::int64_t>(new_size));
  CHECK(e.content_length() == static_cast<std::int64_t>(new_size));
  CHECK_MESSAGE(read_file(target) == expected_resumable_bytes(2, 0, new_size), "not the new file");
  CHECK(list_tree(dir.path()) == only({"pack.bin"}));
  std::vector<std::string> if_ranges;
  const auto ranges = ranges_received(http, "changed", &if_ranges);
  if (!resumes(http)) return;
  // Asked for the rest under the old validator; the 200 was all of the new file.
  CHECK(ranges == only({requests_for(http, resume_point(http), size).front()}));
  CHECK(if_ranges == only({"\"v1\""}));
}

TEST_CASE("resume: a server without ranges answers 200 and the download starts over") {
  Http http(small_pieces());
  if (!http.capabilities().file_download) return;
  TempDir dir;
  const fs::path target = dir / "pack.bin";
  control(http, "/resumable-set/no-ranges?ranges=0&bytes=" + std::to_string(size) + "&cut=" + std::to_string(cut));
  interrupted(http, "no-ranges", target);
  const AsyncLoad e = download(http, "no-ranges", target, resume);
  INFO(describe(e));
  CHECK(e.status() == Status::complete);
  CHECK(e.http_status() == 200);
  CHECK(e.size_downloaded() == static_cast<std::int64_t>(size));
  CHECK_MESSAGE(read_file(target) == expected_resumable_bytes(1, 0, size), "the file differs from the server's");
  CHECK(list_tree(dir.path()) == only({"pack.bin"}));
}

TEST_CASE("resume: a 416 (the file shrank to what is there) starts over without Range, one final event") {
  Http http(small_pieces());
  if (!http.capabilities().file_download) return;
  TempDir dir;
  const fs::path target = dir / "pack.bin";
  control(http, "/resumable-set/shrunk?bytes=" + std::to_string(size) + "&cut=" + std::to_string(cut));
  interrupted(http, "shrunk", target);
  const std::size_t shrunk = resume_point(http);
  control(http, "/resumable-set/shrunk?bytes=" + std::to_string(shrunk));  // same version: If-Range holds

  const AsyncLoad e = download(http, "shrunk", target, resume);  // exactly one final event
  INFO(describe(e));
  CHECK(e.status() == Status::complete);
  CHECK(e.http_status() == 200);
  CHECK(e.size_downloaded() == static_cast<std::int64_t>(shrunk));
  CHECK(read_file(target) == expected_resumable_bytes(1, 0, shrunk));
  CHECK(list_tree(dir.path()) == only({"pack.bin"}));
  const auto ranges = ranges_received(http, "shrunk");
  if (!resumes(http)) return;
  // The 416, then the fresh request.
  CHECK(ranges == concat({requests_for(http, shrunk, size).front()}, requests_for(http, 0, shrunk)));
}

TEST_CASE("resume: without resume an interrupted download leaves nothing and the next one asks for everything") {
  Http http(small_pieces());
  if (!http.capabilities().file_download) return;
  TempDir dir;
  const fs::path target = dir / "pack.bin";
  control(http, "/resumable-set/off?bytes=" + std::to_string(size) + "&cut=" + std::to_string(cut));
  interrupted(http, "off", target, {});
  CHECK(list_tree(dir.path()).empty());
  const AsyncLoad e = download(http, "off", target, {});
  CHECK(e.status() == Status::complete);
  CHECK(read_file(target) == expected_resumable_bytes(1, 0, size));
  CHECK(ranges_received(http, "off") == concat(interrupted_requests(http), requests_for(http, 0, size)));
  CHECK(list_tree(dir.path()) == only({"pack.bin"}));
}

}  // TEST_SUITE
