#include "content_decoding.hpp"

#include <asyncload/detail/text.hpp>

#include <zlib.h>
#if defined(ASYNCLOAD_BROTLI_ZSTD)
#include <brotli/decode.h>
#include <zstd.h>
#endif

#include <algorithm>
#include <array>
#include <new>
#include <stdexcept>
#include <vector>

namespace asyncload::native {
namespace {

// More stages than any real server stacks; each costs a decoder's memory (curl's limit too).
constexpr std::size_t max_codings = 5;
// RFC 9659 3: a zstd content coding never needs a window over 8 MiB; refusing larger ones keeps
// a hostile frame from reserving up to 2 GiB.
constexpr int zstd_window_log_max = 23;

// What the three libraries share here: a stream that says where it ends.
class StreamDecoder : public ContentDecoder {
public:
  explicit StreamDecoder(std::string name) : name_(std::move(name)) {}

  bool decode(std::string_view encoded, const Output& out) final {
    if (!failure_.empty()) return false;
    // Bytes after the end of a gzip, deflate or brotli stream are ignored, as Chromium does
    // (some servers append garbage after the gzip trailer).
    if (encoded.empty() || ignore_rest_) return true;
    received_ = true;
    return step(encoded, out);
  }
  std::string failure() const final { return failure_; }
  std::string truncation() const final {
    return at_end_ || !received_ ? std::string() : "truncated " + name_ + " stream";
  }

protected:
  // Decodes all of `encoded` (or up to the end of the stream), one piece at a time.
  virtual bool step(std::string_view encoded, const Output& out) = 0;
  bool fail(std::string_view why) {
    failure_ = name_ + " stream corrupt: " + std::string(why.empty() ? "undecodable data" : why);
    return false;
  }
  bool hand_out(std::size_t produced, const Output& out) {
    return produced == 0 || out(std::string_view(piece_.data(), produced));
  }

  std::array<char, ContentDecoder::piece_bytes> piece_;
  bool at_end_ = false;       // the bytes so far end exactly at the end of a stream
  bool ignore_rest_ = false;  // and whatever follows is not part of it

private:
  std::string name_;
  std::string failure_;
  bool received_ = false;
};

// gzip, and deflate: zlib-wrapped as RFC 9110 says, or raw as some servers send it. Browsers
// accept both and tell them apart by the two-byte zlib header; so does this.
class ZlibDecoder final : public StreamDecoder {
public:
  explicit ZlibDecoder(bool gzip) : StreamDecoder(gzip ? "gzip" : "deflate"), gzip_(gzip) {}
  ~ZlibDecoder() override {
    if (open_) inflateEnd(&z_);
  }

private:
  bool step(std::string_view encoded, const Output& out) override {
    if (!open_ && !open(encoded)) return true;  // deflate's second byte is still to come
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(encoded.data()));
    z_.avail_in = static_cast<uInt>(encoded.size());
    for (;;) {
      z_.next_out = reinterpret_cast<Bytef*>(piece_.data());
      z_.avail_out = static_cast<uInt>(piece_.size());
      const int result = inflate(&z_, Z_NO_FLUSH);
      if (result == Z_NEED_DICT) return fail("needs a preset dictionary");
      if (result != Z_OK && result != Z_STREAM_END && result != Z_BUF_ERROR)
        return fail(z_.msg ? z_.msg : "");
      const std::size_t produced = piece_.size() - z_.avail_out;
      if (!hand_out(produced, out)) return false;
      if (result == Z_STREAM_END) {
        at_end_ = ignore_rest_ = true;
        return true;
      }
      if (z_.avail_in == 0 && z_.avail_out != 0) return true;  // every byte in, every byte out
      if (result == Z_BUF_ERROR && produced == 0) return fail("no progress");
    }
  }

  // Opens the inflater for the stream's wrapper; false while deflate's header is incomplete.
  // May point `encoded` at the bytes held back meanwhile.
  bool open(std::string_view& encoded) {
    int window_bits = 15 + 16;  // the gzip wrapper
    if (!gzip_) {
      if (held_.size() + encoded.size() < 2) {
        held_.append(encoded);
        return false;
      }
      if (!held_.empty()) encoded = held_.append(encoded);
      const auto first = static_cast<unsigned char>(encoded[0]);
      const auto second = static_cast<unsigned char>(encoded[1]);
      const bool zlib_header = (first & 0x0f) == Z_DEFLATED && ((first << 8) | second) % 31 == 0;
      window_bits = zlib_header ? 15 : -15;
    }
    if (inflateInit2(&z_, window_bits) != Z_OK) throw std::bad_alloc();
    open_ = true;
    return true;
  }

  bool gzip_;
  bool open_ = false;
  std::string held_;  // deflate's first byte, until the second tells the wrapper
  z_stream z_{};
};

#if defined(ASYNCLOAD_BROTLI_ZSTD)
class BrotliDecoder final : public StreamDecoder {
public:
  BrotliDecoder() : StreamDecoder("br"), state_(BrotliDecoderCreateInstance(nullptr, nullptr, nullptr)) {
    if (!state_) throw std::bad_alloc();
  }
  ~BrotliDecoder() override { BrotliDecoderDestroyInstance(state_); }

private:
  bool step(std::string_view encoded, const Output& out) override {
    auto next_in = reinterpret_cast<const uint8_t*>(encoded.data());
    std::size_t available_in = encoded.size();
    for (;;) {
      auto next_out = reinterpret_cast<uint8_t*>(piece_.data());
      std::size_t available_out = piece_.size();
      const auto result =
          BrotliDecoderDecompressStream(state_, &available_in, &next_in, &available_out, &next_out, nullptr);
      if (result == BROTLI_DECODER_RESULT_ERROR)
        return fail(BrotliDecoderErrorString(BrotliDecoderGetErrorCode(state_)));
      if (!hand_out(piece_.size() - available_out, out)) return false;
      if (result == BROTLI_DECODER_RESULT_SUCCESS) {
        at_end_ = ignore_rest_ = true;
        return true;
      }
      if (result == BROTLI_DECODER_RESULT_NEEDS_MORE_INPUT) return true;
    }
  }

  BrotliDecoderState* state_;
};

// A zstd body may hold several frames (RFC 8878 3.1): it is complete when its last one ended.
class ZstdDecoder final : public StreamDecoder {
public:
  ZstdDecoder() : StreamDecoder("zstd"), stream_(ZSTD_createDStream()) {
    if (!stream_) throw std::bad_alloc();
    ZSTD_DCtx_setParameter(stream_, ZSTD_d_windowLogMax, zstd_window_log_max);
  }
  ~ZstdDecoder() override { ZSTD_freeDStream(stream_); }

private:
  bool step(std::string_view encoded, const Output& out) override {
    ZSTD_inBuffer in{encoded.data(), encoded.size(), 0};
    for (;;) {
      ZSTD_outBuffer piece{piece_.data(), piece_.size(), 0};
      const std::size_t result = ZSTD_decompressStream(stream_, &piece, &in);
      if (ZSTD_isError(result)) return fail(ZSTD_getErrorName(result));
      if (!hand_out(piece.pos, out)) return false;
      at_end_ = result == 0;  // a frame ended and everything it holds was handed out
      if (in.pos == in.size && piece.pos < piece.size) return true;
    }
  }

  ZSTD_DStream* stream_;
};
#endif  // ASYNCLOAD_BROTLI_ZSTD

// Codings stacked by the server: the last one applied is undone first, each stage feeding the next.
class StackedDecoder final : public ContentDecoder {
public:
  explicit StackedDecoder(std::vector<std::unique_ptr<ContentDecoder>> stages) : stages_(std::move(stages)) {}

  bool decode(std::string_view encoded, const Output& out) override { return feed(0, encoded, out); }
  std::string failure() const override { return first_of(&ContentDecoder::failure); }
  std::string truncation() const override { return first_of(&ContentDecoder::truncation); }

private:
  bool feed(std::size_t stage, std::string_view bytes, const Output& out) {
    if (stage == stages_.size()) return out(bytes);
    return stages_[stage]->decode(bytes, [&](std::string_view piece) { return feed(stage + 1, piece, out); });
  }
  std::string first_of(std::string (ContentDecoder::*reason)() const) const {
    for (const auto& stage : stages_)
      if (std::string why = (*stage.*reason)(); !why.empty()) return why;
    return {};
  }

  std::vector<std::unique_ptr<ContentDecoder>> stages_;  // in decoding order
};

std::unique_ptr<ContentDecoder> decoder_for(const std::string& coding) {
  if (coding == "gzip" || coding == "x-gzip") return std::make_unique<ZlibDecoder>(true);
  if (coding == "deflate") return std::make_unique<ZlibDecoder>(false);
#if defined(ASYNCLOAD_BROTLI_ZSTD)
  if (coding == "br") return std::make_unique<BrotliDecoder>();
  if (coding == "zstd") return std::make_unique<ZstdDecoder>();
#endif
  throw std::invalid_argument("unsupported Content-Encoding \"" + coding + "\" (asyncload decodes " +
                              accepted_encodings + ")");
}

}  // namespace

std::unique_ptr<ContentDecoder> make_content_decoder(std::string_view content_encoding) {
  std::vector<std::unique_ptr<ContentDecoder>> stages;
  for (std::size_t begin = 0; begin <= content_encoding.size();) {
    const std::size_t comma = std::min(content_encoding.find(',', begin), content_encoding.size());
    const std::string coding = detail::to_lower(detail::trim(content_encoding.substr(begin, comma - begin)));
    begin = comma + 1;
    if (coding.empty() || coding == "identity") continue;
    if (stages.size() == max_codings)
      throw std::invalid_argument("more than " + std::to_string(max_codings) + " content codings");
    stages.push_back(decoder_for(coding));
  }
  if (stages.empty()) return nullptr;
  if (stages.size() == 1) return std::move(stages.front());
  std::reverse(stages.begin(), stages.end());
  return std::make_unique<StackedDecoder>(std::move(stages));
}

}  // namespace asyncload::native
