#include <asyncload/buffer.hpp>

#include <algorithm>
#include <cstring>

namespace asyncload {

std::shared_ptr<Buffer> Buffer::make_grow(std::size_t initial_size) {
  return std::shared_ptr<Buffer>(new Buffer(Kind::grow, initial_size));
}

std::shared_ptr<Buffer> Buffer::make_fixed(std::size_t size) {
  return std::shared_ptr<Buffer>(new Buffer(Kind::fixed, size));
}

void Buffer::seek(std::size_t position) { position_ = std::min(position, bytes_.size()); }

std::string_view Buffer::view(std::size_t offset, std::size_t length) const {
  offset = std::min(offset, bytes_.size());
  length = std::min(length, bytes_.size() - offset);
  return {reinterpret_cast<const char*>(bytes_.data()) + offset, length};
}

std::size_t Buffer::write(std::string_view bytes) {
  std::size_t fits = bytes.size();
  if (position_ + bytes.size() > bytes_.size()) {
    if (kind_ == Kind::grow) {
      bytes_.resize(position_ + bytes.size());
    } else {
      fits = bytes_.size() - position_;
    }
  }
  if (fits > 0) std::memcpy(bytes_.data() + position_, bytes.data(), fits);
  position_ += fits;
  return fits;
}

}  // namespace asyncload
