// Unit tests of the native backend's content decoder (native/content_decoding.hpp), fed the
// ways a connection only sometimes does: one byte at a time, stacked codings, several zstd
// frames, garbage after the end, a sink that refuses. faults.integrity covers it end to end.
#include "support/encoders.hpp"

#include "native/content_decoding.hpp"

#include <doctest/doctest.h>

#include <stdexcept>
#include <string>
#include <vector>

using namespace asyncload::test;
using asyncload::native::ContentDecoder;
using asyncload::native::accepted_encodings;
using asyncload::native::make_content_decoder;

namespace {

std::string sample_text() {
  std::string text;
  for (int i = 1; i <= 3000; ++i) text += "decoder line " + std::to_string(i) + "\n";
  return text;
}

struct Decoded {
  bool ok = true;       // every decode() call returned true
  std::string body;
  std::string truncation;  // truncation() at the end
  std::string failure;  // failure() at the end
};

// Feeds `encoded` in pieces of `step` bytes.
Decoded decode(std::string_view coding, std::string_view encoded, std::size_t step) {
  auto decoder = make_content_decoder(coding);
  REQUIRE(decoder);
  Decoded result;
  for (std::size_t at = 0; at < encoded.size() && result.ok; at += step) {
    result.ok = decoder->decode(encoded.substr(at, step), [&](std::string_view piece) {
      CHECK(piece.size() <= ContentDecoder::piece_bytes);
      result.body += piece;
      return true;
    });
  }
  result.truncation = decoder->truncation();
  result.failure = decoder->failure();
  return result;
}

struct Coding {
  std::string name;
  std::string (*encode)(std::string_view, bool);
};

// Every coding this build decodes (the Windows build has no brotli or zstd: README "Windows").
const std::vector<Coding> all_codings = [] {
  std::vector<Coding> codings = {{"gzip", gzip_encode}, {"deflate", zlib_encode}, {"deflate", raw_deflate_encode}};
  if (brotli_zstd_built) codings.insert(codings.end(), {{"br", brotli_encode}, {"zstd", zstd_encode}});
  return codings;
}();

}  // namespace

TEST_CASE("every coding decodes whole, one byte at a time, and says when it was cut short") {
  const std::string text = sample_text();
  for (std::size_t i = 0; i < all_codings.size(); ++i) {
    const auto& coding = all_codings[i];
    CAPTURE(coding.name);
    CAPTURE(i);
    const std::string encoded = coding.encode(text, false);
    for (std::size_t step : {encoded.size(), std::size_t{1}}) {
      CAPTURE(step);
      const auto whole = decode(coding.name, encoded, step);
      CHECK(whole.ok);
      CHECK(whole.body == text);
      CHECK(whole.truncation == "");
      const auto cut = decode(coding.name, encoded.substr(0, encoded.size() - 1), step);
      CHECK(cut.ok);
      CHECK(cut.truncation == "truncated " + coding.name + " stream");
    }
  }
}

TEST_CASE("an empty body with a coding is complete, a lone first byte is a cut stream") {
  const std::string text = sample_text();
  for (const auto& coding : all_codings) {
    CAPTURE(coding.name);
    const auto decoder = make_content_decoder(coding.name);
    REQUIRE(decoder);
    CHECK(decoder->truncation() == "");  // no byte came: nothing to end
    const auto one = decode(coding.name, coding.encode(text, false).substr(0, 1), 1);
    CHECK(one.ok);
    CHECK(one.body == "");
    CHECK(one.truncation == "truncated " + coding.name + " stream");
  }
}

// Skipped where brotli and zstd are not built in (brotli_zstd_built: the Windows build).
TEST_CASE("stacked codings are undone last first, each stream must end" * doctest::skip(!brotli_zstd_built)) {
  const std::string text = sample_text();
  const std::string gzip_then_br = brotli_encode(gzip_encode(text, false), false);
  const auto whole = decode("gzip, br", gzip_then_br, 1000);
  CHECK(whole.ok);
  CHECK(whole.body == text);
  CHECK(whole.truncation == "");
  const auto split_headers = decode("gzip,BR", gzip_then_br, 7);  // as two headers joined, any case
  CHECK(split_headers.body == text);
  const auto cut = decode("gzip, br", gzip_then_br.substr(0, gzip_then_br.size() / 2), 1000);
  CHECK(cut.ok);
  CHECK(cut.truncation.find("truncated") == 0);

  // The outer stream ends but the inner one was cut before it was compressed.
  const std::string gzip = gzip_encode(text, false);
  const std::string inner_cut = zstd_encode(gzip.substr(0, gzip.size() - 3), false);
  const auto inner = decode("gzip, zstd", inner_cut, 1000);
  CHECK(inner.truncation == "truncated gzip stream");
}

TEST_CASE("identity and no coding need no decoder, unknown or too many codings are refused") {
  CHECK_FALSE(make_content_decoder(""));
  CHECK_FALSE(make_content_decoder("identity"));
  CHECK_FALSE(make_content_decoder(" Identity , "));
  CHECK(make_content_decoder("x-gzip"));
  try {
    make_content_decoder("gzip, compress");
    FAIL("compress was accepted");
  } catch (const std::invalid_argument& e) {
    CHECK(std::string(e.what()).find("compress") != std::string::npos);
  }
  CHECK_THROWS_AS(make_content_decoder("gzip, gzip, gzip, gzip, gzip, gzip"), std::invalid_argument);
  CHECK(make_content_decoder("gzip, gzip, gzip, gzip, gzip"));
  if (!brotli_zstd_built) {  // a coding left out of this build is refused by name, not passed through
    CHECK_THROWS_AS(make_content_decoder("br"), std::invalid_argument);
    CHECK_THROWS_AS(make_content_decoder("zstd"), std::invalid_argument);
  }
}

TEST_CASE("Accept-Encoding names exactly the codings this build decodes") {
  const std::string accepted = accepted_encodings;
  CHECK(accepted.find("gzip") != std::string::npos);
  CHECK(accepted.find("deflate") != std::string::npos);
  CHECK((accepted.find("br") != std::string::npos) == brotli_zstd_built);
  CHECK((accepted.find("zstd") != std::string::npos) == brotli_zstd_built);
}

TEST_CASE("bytes after the end of a gzip stream are ignored") {
  const std::string text = sample_text();
  const auto gzip = decode("gzip", gzip_encode(text, false) + "trailing garbage", 100);
  CHECK(gzip.ok);
  CHECK(gzip.body == text);
  CHECK(gzip.truncation == "");
}

// Skipped where brotli and zstd are not built in (brotli_zstd_built: the Windows build).
TEST_CASE("bytes after the end of a brotli stream are ignored, zstd frames follow each other" *
          doctest::skip(!brotli_zstd_built)) {
  const std::string text = sample_text();
  const auto br = decode("br", brotli_encode(text, false) + "trailing garbage", 100);
  CHECK(br.ok);
  CHECK(br.body == text);

  const std::string second = "a second frame";
  const std::string frames = zstd_encode(text, false) + zstd_encode(second, false);
  const auto both = decode("zstd", frames, 100);
  CHECK(both.ok);
  CHECK(both.body == text + second);
  CHECK(both.truncation == "");
  const auto cut = decode("zstd", frames.substr(0, frames.size() - 2), 100);
  CHECK(cut.truncation == "truncated zstd stream");
}

TEST_CASE("a corrupt stream fails with a reason naming its coding, and stays failed") {
  const auto decoder = make_content_decoder("gzip");
  const auto keep = [](std::string_view) { return true; };
  CHECK_FALSE(decoder->decode("not gzip at all", keep));
  CHECK(decoder->failure().find("gzip") == 0);
  CHECK_FALSE(decoder->decode(gzip_encode("fine", false), keep));
}

TEST_CASE("a sink that refuses stops decoding at once: no piece after the refused one") {
  const std::string zeros(64u << 20, '\0');  // 64 MiB that compress to almost nothing
  for (const auto& coding : all_codings) {
    CAPTURE(coding.name);
    const std::string bomb = coding.encode(zeros, true);
    const auto decoder = make_content_decoder(coding.name);
    std::size_t bytes = 0;
    const bool ok = decoder->decode(bomb, [&](std::string_view piece) {
      bytes += piece.size();
      return bytes < (1u << 20);  // refuses the piece that reaches 1 MiB
    });
    CHECK_FALSE(ok);
    CHECK(decoder->failure() == "");  // not corrupt: refused
    CHECK(bytes >= (1u << 20));
    CHECK(bytes < (1u << 20) + ContentDecoder::piece_bytes);
  }
}

