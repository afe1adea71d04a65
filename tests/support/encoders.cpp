#include "support/encoders.hpp"

#include <zlib.h>
#if defined(ASYNCLOAD_BROTLI_ZSTD)
#include <brotli/encode.h>
#include <zstd.h>
#endif

#include <stdexcept>

namespace asyncload::test {
namespace {

// windowBits: 15 + 16 gzip wrapper, 15 zlib wrapper, -15 none.
std::string deflate_with(std::string_view text, int window_bits, bool fast) {
  z_stream z{};
  if (deflateInit2(&z, fast ? Z_BEST_SPEED : Z_BEST_COMPRESSION, Z_DEFLATED, window_bits, 9, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("deflateInit2 failed");
  std::string out(deflateBound(&z, static_cast<uLong>(text.size())), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  z.avail_in = static_cast<uInt>(text.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int result = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  if (result != Z_STREAM_END) throw std::runtime_error("deflate did not finish");
  return out;
}

}  // namespace

std::string gzip_encode(std::string_view text, bool fast) { return deflate_with(text, 15 + 16, fast); }
std::string zlib_encode(std::string_view text, bool fast) { return deflate_with(text, 15, fast); }
std::string raw_deflate_encode(std::string_view text, bool fast) { return deflate_with(text, -15, fast); }

#if defined(ASYNCLOAD_BROTLI_ZSTD)
std::string brotli_encode(std::string_view text, bool fast) {
  std::string out(BrotliEncoderMaxCompressedSize(text.size()), '\0');
  std::size_t size = out.size();
  if (!BrotliEncoderCompress(fast ? 1 : BROTLI_DEFAULT_QUALITY, BROTLI_DEFAULT_WINDOW, BROTLI_MODE_TEXT, text.size(),
                             reinterpret_cast<const uint8_t*>(text.data()), &size,
                             reinterpret_cast<uint8_t*>(out.data())))
    throw std::runtime_error("BrotliEncoderCompress failed");
  out.resize(size);
  return out;
}

std::string zstd_encode(std::string_view text, bool fast) {
  std::string out(ZSTD_compressBound(text.size()), '\0');
  const std::size_t size = ZSTD_compress(out.data(), out.size(), text.data(), text.size(), fast ? 1 : 19);
  if (ZSTD_isError(size)) throw std::runtime_error(ZSTD_getErrorName(size));
  out.resize(size);
  return out;
}

#else
std::string brotli_encode(std::string_view, bool) { throw std::logic_error("built without brotli"); }
std::string zstd_encode(std::string_view, bool) { throw std::logic_error("built without zstd"); }
#endif

}  // namespace asyncload::test
