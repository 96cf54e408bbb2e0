#pragma once
// Private big-endian cursor and writer for the PDU codec. The reader never reads past its span:
// every accessor is guarded by a `has()` check at the call site, which the decoder turns into a
// UlErrc, so no read depends on a length claim that was not first bounded.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace acc::dicom::ul::detail {

class ByteReader {
 public:
  explicit ByteReader(std::span<const uint8_t> bytes) noexcept : bytes_(bytes) {}

  [[nodiscard]] std::size_t remaining() const noexcept { return bytes_.size() - pos_; }
  [[nodiscard]] bool empty() const noexcept { return pos_ == bytes_.size(); }
  [[nodiscard]] bool has(std::size_t n) const noexcept { return remaining() >= n; }

  // Preconditions for all below: has(n) for the n bytes consumed.
  uint8_t u8() noexcept { return bytes_[pos_++]; }
  uint16_t u16() noexcept {
    const auto v = static_cast<uint16_t>((bytes_[pos_] << 8) | bytes_[pos_ + 1]);
    pos_ += 2;
    return v;
  }
  uint32_t u32() noexcept {
    const uint32_t v = (uint32_t{bytes_[pos_]} << 24) | (uint32_t{bytes_[pos_ + 1]} << 16) |
                       (uint32_t{bytes_[pos_ + 2]} << 8) | uint32_t{bytes_[pos_ + 3]};
    pos_ += 4;
    return v;
  }
  std::span<const uint8_t> take(std::size_t n) noexcept {
    auto out = bytes_.subspan(pos_, n);
    pos_ += n;
    return out;
  }
  std::span<const uint8_t> rest() noexcept { return take(remaining()); }
  void skip(std::size_t n) noexcept { pos_ += n; }

 private:
  std::span<const uint8_t> bytes_;
  std::size_t pos_ = 0;
};

class ByteWriter {
 public:
  explicit ByteWriter(std::vector<uint8_t>& out) noexcept : out_(out) {}

  void u8(uint8_t v) { out_.push_back(v); }
  void u16(uint16_t v) {
    out_.push_back(static_cast<uint8_t>(v >> 8));
    out_.push_back(static_cast<uint8_t>(v));
  }
  void u32(uint32_t v) {
    u16(static_cast<uint16_t>(v >> 16));
    u16(static_cast<uint16_t>(v));
  }
  void zeros(std::size_t n) { out_.insert(out_.end(), n, uint8_t{0}); }
  void bytes(std::span<const uint8_t> b) { out_.insert(out_.end(), b.begin(), b.end()); }
  void bytes(std::string_view s) { out_.insert(out_.end(), s.begin(), s.end()); }

  [[nodiscard]] std::size_t position() const noexcept { return out_.size(); }

  // Overwrites a length field reserved earlier with the number of bytes written since `from`.
  // Values that do not fit are clamped: callers keep items under 64 KiB (UIDs <= 64 chars), and a
  // clamped length at least never makes a peer read beyond the PDU.
  void patch_u16(std::size_t at, std::size_t from) {
    const std::size_t n = out_.size() - from;
    const auto v = static_cast<uint16_t>(n > 0xFFFF ? 0xFFFF : n);
    out_[at] = static_cast<uint8_t>(v >> 8);
    out_[at + 1] = static_cast<uint8_t>(v);
  }
  void patch_u32(std::size_t at, std::size_t from) {
    const std::size_t n = out_.size() - from;
    const auto v = static_cast<uint32_t>(n > 0xFFFFFFFFu ? 0xFFFFFFFFu : n);
    out_[at] = static_cast<uint8_t>(v >> 24);
    out_[at + 1] = static_cast<uint8_t>(v >> 16);
    out_[at + 2] = static_cast<uint8_t>(v >> 8);
    out_[at + 3] = static_cast<uint8_t>(v);
  }

 private:
  std::vector<uint8_t>& out_;
};

}  // namespace acc::dicom::ul::detail
