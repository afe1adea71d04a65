// Integrity of bodies: what a hostile or broken server sends must never reach the game as a
// complete exchange unless it is one. A compressed body is complete only when its stream ended,
// a response framed two ways is refused, trailer fields are not headers, and a protocol switch
// nobody asked for is a failure. Each case serves its bytes from a RawServer and checks the
// event the game gets, what is on disk, and that the same Http goes on working.
#include "faults/checks.hpp"
#include "faults/probes.hpp"
#include "faults/raw_server.hpp"
#include "support/encoders.hpp"
#include "support/game_loop.hpp"
#include "support/process_probes.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace asyncload;
using namespace asyncload::test;
using namespace asyncload::faults;
namespace fs = std::filesystem;

namespace {

// Text that compresses well but not to nothing: about 240 KB.
std::string sample_text() {
  std::string text;
  for (int i = 1; i <= 5000; ++i) text += "asyncload integrity line " + std::to_string(i) + " of a compressed body\n";
  return text;
}

struct Coding {
  std::string name;  // as in Content-Encoding
  std::string (*encode)(std::string_view, bool fast);
};

const std::vector<Coding>& codings() {
  // br and zstd where this build decodes them (not the Windows build: README "Windows").
  static const std::vector<Coding> all = [] {
    std::vector<Coding> built = {{"gzip", gzip_encode}, {"deflate", zlib_encode}};
    if (brotli_zstd_built) built.insert(built.end(), {{"br", brotli_encode}, {"zstd", zstd_encode}});
    return built;
  }();
  return all;
}

std::string compressed_response(std::string_view coding, std::string_view body) {
  return "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Encoding: " + std::string(coding) +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + std::string(body);
}

// http_get_file onto an existing good file must leave it exactly as it was, and nothing beside it.
void check_file_kept(Http& http, const std::string& from) {
  TempDir dir;
  write_file(dir / "save.bin", "previous");
  const auto f = only_final(http, http.http_get_file(from, (dir / "save.bin").string()));
  INFO("http_get_file: " << brief(f));
  CHECK(f.failed());
  CHECK(f.result() == "");
  CHECK(read_file(dir / "save.bin") == "previous");
  CHECK(list_tree(dir.path()) == std::vector<std::string>{"save.bin"});
}

}  // namespace

TEST_SUITE("faults.integrity") {

TEST_CASE("a compressed body cut short, with a Content-Length that matches what was sent: -1, the old file kept") {
  const std::string text = sample_text();
  Http http;
  for (const auto& coding : codings()) {
    const std::string encoded = coding.encode(text, false);
    struct Cut {
      std::string what;
      std::string body;
    };
    const std::vector<Cut> cuts = {
        {"a tenth of the stream", encoded.substr(0, encoded.size() / 10)},
        {"all but its last byte", encoded.substr(0, encoded.size() - 1)},
    };
    for (const auto& cut : cuts) {
      CAPTURE(coding.name);
      CAPTURE(cut.what);
      RawServer server(script::answer(compressed_response(coding.name, cut.body)));
      const auto e = only_final(http, http.http_get(server.url("/cut")));
      INFO(brief(e));
      CHECK(e.status() == Status::network_error);
      CHECK(e.http_status() == 200);
      CHECK(e.result() == "");
      CHECK(contains(e.error(), "truncated"));
      // Bytes as sent: the whole (short) body arrived as announced.
      CHECK(e.content_length() == static_cast<std::int64_t>(cut.body.size()));
      CHECK(e.size_downloaded() == static_cast<std::int64_t>(cut.body.size()));
      check_file_kept(http, server.url("/cut"));
    }
  }
  check_still_usable(http);
}

TEST_CASE("a complete compressed body of each coding decodes byte-identical, sizes count bytes as sent") {
  const std::string text = sample_text();
  std::vector<Coding> cases = codings();
  cases.push_back({"deflate", raw_deflate_encode});  // no zlib wrapper: browsers accept it too
  Http http;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const auto& coding = cases[i];
    CAPTURE(coding.name);
    CAPTURE(i);
    const std::string encoded = coding.encode(text, false);
    RawServer server(script::answer(compressed_response(coding.name, encoded)));
    const auto e = only_final(http, http.http_get(server.url("/whole")));
    INFO(brief(e));
    CHECK(e.status() == Status::complete);
    CHECK(e.http_status() == 200);
    CHECK(e.result().size() == text.size());
    CHECK(e.result() == text);
    CHECK(e.header("content-encoding") == coding.name);
    CHECK(e.content_length() == static_cast<std::int64_t>(encoded.size()));
    CHECK(e.size_downloaded() == static_cast<std::int64_t>(encoded.size()));

    TempDir dir;
    write_file(dir / "save.txt", "previous");
    const auto f = only_final(http, http.http_get_file(server.url("/whole"), (dir / "save.txt").string()));
    INFO("http_get_file: " << brief(f));
    CHECK(f.status() == Status::complete);
    CHECK(read_file(dir / "save.txt") == text);
    CHECK(list_tree(dir.path()) == std::vector<std::string>{"save.txt"});
  }
  // An empty body with a coding has no stream to end: it is an empty body.
  RawServer empty(script::answer(compressed_response("gzip", "")));
  const auto e = only_final(http, http.http_get(empty.url("/empty")));
  INFO(brief(e));
  CHECK(e.status() == Status::complete);
  CHECK(e.result() == "");
  check_still_usable(http);
}

TEST_CASE("a body that its coding cannot decode: -1, the old file kept") {
  const std::string text = sample_text();
  struct Case {
    std::string what;
    std::string coding;
    std::string body;
  };
  std::string gzip_bad_check = gzip_encode(text, false);
  gzip_bad_check[gzip_bad_check.size() - 6] ^= 0x55;  // inside the CRC-32 of the trailer
  std::string zlib_bad_check = zlib_encode(text, false);
  zlib_bad_check[zlib_bad_check.size() - 2] ^= 0x55;  // inside the Adler-32 of the trailer
  std::vector<Case> cases = {
      {"gzip with a wrong CRC-32", "gzip", gzip_bad_check},
      {"gzip that is no gzip", "gzip", "this is plain text, not gzip"},
      {"deflate with a wrong Adler-32", "deflate", zlib_bad_check},
      {"deflate with a reserved block type", "deflate", std::string(64, '\xff')},
  };
  if (brotli_zstd_built) {
    std::string brotli_bad_window = brotli_encode(text, false);
    brotli_bad_window[0] = 0x11;  // a reserved window size (RFC 7932 9.1)
    std::string zstd_bad_magic = zstd_encode(text, false);
    zstd_bad_magic[0] ^= 0x01;
    cases.push_back({"brotli with a reserved window size", "br", brotli_bad_window});
    cases.push_back({"zstd with a wrong magic number", "zstd", zstd_bad_magic});
  }
  Http http;
  for (const auto& c : cases) {
    CAPTURE(c.what);
    RawServer server(script::answer(compressed_response(c.coding, c.body)));
    const auto e = only_final(http, http.http_get(server.url("/corrupt")));
    INFO(brief(e));
    CHECK(e.status() == Status::network_error);
    CHECK(e.http_status() == 200);
    CHECK(e.result() == "");
    CHECK_FALSE(e.error().empty());
    check_file_kept(http, server.url("/corrupt"));
  }
  check_still_usable(http);
}

TEST_CASE("a decompression bomb stops at max_body_bytes with -5: memory never nears the decoded size") {
  Options options;
  options.max_body_bytes = 1 << 20;  // 1 MiB
  Http http(options);
  const std::string zeros(128u << 20, '\0');  // 128 MiB decoded
  for (const auto& coding : codings()) {
    if (coding.name == "deflate") continue;  // the same inflater as gzip
    CAPTURE(coding.name);
    const std::string bomb = coding.encode(zeros, true);
    RawServer server(script::answer(compressed_response(coding.name, bomb)));
    reset_peak_resident();
    const auto before = resident_bytes();
    const auto e = only_final(http, http.http_get(server.url("/bomb")));
    const auto grown = peak_resident_bytes() - std::min(before, peak_resident_bytes());
    INFO(brief(e));
    MESSAGE(coding.name << " bomb of " << bomb.size() << " bytes: peak resident growth " << grown / 1024 << " KiB");
    CHECK(e.status() == Status::too_large);
    CHECK(e.result() == "");
    CHECK(contains(e.error(), "max_body_bytes"));
    // Decoding stopped at the limit: the transfer ended long before the bomb was read.
    if (bomb.size() > (512u << 10)) CHECK(e.size_downloaded() < e.content_length());
    CHECK(grown < (sanitized() ? 96u : 24u) * 1024 * 1024);
  }
  check_still_usable(http);
}

TEST_CASE("two different Content-Length values: -1, nothing handed out, the old file kept") {
  // RFC 9112 6.3: a response whose length is given two ways is an unrecoverable error (Chromium:
  // ERR_RESPONSE_HEADERS_MULTIPLE_CONTENT_LENGTH). The server sends the larger count of bytes
  // and closes, so whichever value a client picks, it sees a complete response.
  struct Case {
    std::string what;
    std::string length_headers;
  };
  const std::vector<Case> cases = {
      {"larger first", "Content-Length: 10\r\nContent-Length: 5\r\n"},
      {"smaller first", "Content-Length: 5\r\nContent-Length: 10\r\n"},
      {"as one list", "Content-Length: 5, 10\r\n"},
  };
  Http http;
  for (const auto& c : cases) {
    CAPTURE(c.what);
    RawServer server(script::answer("HTTP/1.1 200 OK\r\n" + c.length_headers + "Connection: close\r\n\r\n0123456789"));
    const auto e = only_final(http, http.http_get(server.url("/two-lengths")));
    INFO(brief(e));
    CHECK(e.status() == Status::network_error);
    CHECK(e.result() == "");
    CHECK(contains(e.error(), "Content-Length"));
    check_file_kept(http, server.url("/two-lengths"));
  }
  check_still_usable(http);
}

TEST_CASE("a Content-Length repeated with the same value is one length (RFC 9110 8.6, as Chromium)") {
  const std::vector<std::string> repeats = {
      "Content-Length: 5\r\nContent-Length: 5\r\n",
      "Content-Length: 5, 5\r\n",
  };
  Http http;
  for (const auto& headers : repeats) {
    CAPTURE(headers);
    RawServer server(script::answer("HTTP/1.1 200 OK\r\n" + headers + "\r\nhello"));
    const auto e = only_final(http, http.http_get(server.url("/same-length")));
    INFO(brief(e));
    CHECK(e.status() == Status::complete);
    CHECK(e.http_status() == 200);
    CHECK(e.result() == "hello");
    CHECK(e.content_length() == 5);
  }
  check_still_usable(http);
}

TEST_CASE("trailer fields after a chunked body never reach response_headers") {
  // RFC 9110 6.5.1: trailers must not be merged into the header section; browsers never show them.
  RawServer server(script::answer(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checksum, X-Tag\r\nX-Tag: header\r\n"
      "Connection: close\r\n\r\n"
      "5\r\nhello\r\n6\r\n world\r\n0\r\nX-Checksum: abc123\r\nX-Tag: trailer\r\n\r\n"));
  Http http;
  const auto e = only_final(http, http.http_get(server.url("/trailers")));
  INFO(brief(e));
  CHECK(e.status() == Status::complete);
  CHECK(e.http_status() == 200);
  CHECK(e.result() == "hello world");
  CHECK(e.header("x-tag") == "header");
  CHECK_FALSE(e.response_headers().contains("x-checksum"));
  CHECK(e.header("trailer") == "X-Checksum, X-Tag");  // the announcement is a header
  CHECK(e.header("transfer-encoding") == "chunked");

  TempDir dir;
  const auto f = only_final(http, http.http_get_file(server.url("/trailers"), (dir / "t.txt").string()));
  INFO(brief(f));
  CHECK(f.status() == Status::complete);
  CHECK_FALSE(f.response_headers().contains("x-checksum"));
  CHECK(read_file(dir / "t.txt") == "hello world");
  check_still_usable(http);
}

TEST_CASE("an unsolicited 101 Switching Protocols: -1 with a reason, no body, the old file kept") {
  // asyncload never asks for an upgrade: a 101 leaves the connection speaking something else.
  RawServer server(script::answer(
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"
      "\x81\x05hello, raw bytes of another protocol"));
  Http http;
  const auto e = only_final(http, http.http_get(server.url("/upgrade")));
  INFO(brief(e));
  CHECK(e.status() == Status::network_error);
  CHECK(e.result() == "");
  CHECK(contains(e.error(), "101"));
  check_file_kept(http, server.url("/upgrade"));
  check_still_usable(http);
}

}  // TEST_SUITE
