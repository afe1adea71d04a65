/// @file
/// asyncload/buffer.hpp — a GameMaker-style byte buffer for http_request's buffer mode.
///
/// A Buffer is a block of bytes with a seek position (tell), like GameMaker's buffer_grow and
/// buffer_fixed. http_request looks at the seek position when the call is made:
/// @code{.unparsed}
///   tell() == 0  the response body is written into the buffer at offset 0 (a grow buffer grows
///                to fit, a fixed buffer keeps only what fits) and the seek position is left at
///                the number of bytes written;
///   tell() >  0  bytes [0, tell()) are sent as the request body.
/// @endcode
/// asyncload touches a buffer only on the game thread, inside Http::dispatch(). It keeps a weak
/// reference while the request runs, so the game may drop its buffer at any time.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>
#include <vector>

namespace asyncload {

/// A block of bytes with a seek position, like GameMaker's buffer_grow and buffer_fixed
/// (buffer.hpp says what http_request does with it).
class Buffer {
public:
  /// How a write past the end behaves.
  enum class Kind {
    grow,   ///< the buffer grows to fit (buffer_grow)
    fixed   ///< only what fits is written (buffer_fixed)
  };

  static std::shared_ptr<Buffer> make_grow(std::size_t initial_size);  ///< a grow buffer, zeroed
  static std::shared_ptr<Buffer> make_fixed(std::size_t size);         ///< a fixed buffer, zeroed

  Kind kind() const { return kind_; }                ///< grow or fixed
  std::size_t size() const { return bytes_.size(); }  ///< bytes held
  std::size_t tell() const { return position_; }     ///< the seek position
  void seek(std::size_t position);                  ///< clamped to size()
  std::byte* data() { return bytes_.data(); }        ///< the bytes, size() of them
  const std::byte* data() const { return bytes_.data(); }  ///< the bytes, size() of them
  /// Bytes [offset, offset + length) as text, clamped to size().
  std::string_view view(std::size_t offset, std::size_t length) const;

  /// Writes at the seek position and advances it. A grow buffer grows to fit; a fixed buffer
  /// writes what fits. Returns the number of bytes written.
  std::size_t write(std::string_view bytes);

private:
  Buffer(Kind kind, std::size_t size) : kind_(kind), bytes_(size) {}

  Kind kind_;
  std::vector<std::byte> bytes_;
  std::size_t position_ = 0;
};

}  // namespace asyncload
