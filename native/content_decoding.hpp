// native/content_decoding.hpp — the response body's Content-Encoding, decoded by asyncload
// rather than by libcurl, because libcurl does not check that a compressed stream ended: a gzip
// body cut short with a matching Content-Length would be handed over as complete. zlib, brotli
// and zstd each say whether their stream ended; a body is complete only when every one did.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace asyncload::native {

// The Accept-Encoding asyncload sends: exactly the codings make_content_decoder() decodes.
// Without brotli and zstd (the Windows build: Debian builds neither for MinGW), gzip and deflate.
#if defined(ASYNCLOAD_BROTLI_ZSTD)
inline constexpr const char* accepted_encodings = "gzip, deflate, br, zstd";
#else
inline constexpr const char* accepted_encodings = "gzip, deflate";
#endif

class ContentDecoder {
public:
  // Takes one decoded piece; false stops decoding at once (the sink refused it).
  using Output = std::function<bool(std::string_view)>;
  // Pieces are at most this long: decoding never runs ahead of the sink, so a body over
  // max_body_bytes stops within one piece of the limit however well it compresses.
  static constexpr std::size_t piece_bytes = 32 * 1024;

  virtual ~ContentDecoder() = default;
  // Decodes the next bytes of the body as sent. false when the stream is corrupt (failure()
  // says why) or `out` refused a piece.
  virtual bool decode(std::string_view encoded, const Output& out) = 0;
  // Why decode() found the stream corrupt; "" when it did not.
  virtual std::string failure() const = 0;
  // At the end of the body: "" when every stream ended (or no byte came: an empty body), else
  // why the body is incomplete ("truncated gzip stream").
  virtual std::string truncation() const = 0;
};

// A decoder for a Content-Encoding value ("gzip", "br", "gzip, zstd": codings in the order they
// were applied; several headers joined with ", "). Null when nothing needs decoding ("" or
// "identity"). Throws std::invalid_argument naming a coding it cannot decode.
std::unique_ptr<ContentDecoder> make_content_decoder(std::string_view content_encoding);

}  // namespace asyncload::native
