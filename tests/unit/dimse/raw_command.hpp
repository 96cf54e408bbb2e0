#pragma once
// Hand-built command sets for tests: lets a test write elements the encoder would never produce
// (wrong group, bad lengths, out-of-order tags, a lying group length).
#include <cstdint>
#include <initializer_list>
#include <string_view>
#include <vector>

namespace acc::dicom::dimse::test {

class RawCommand {
 public:
  RawCommand& element(uint16_t group, uint16_t element, std::vector<uint8_t> value) {
    put16(group);
    put16(element);
    put32(static_cast<uint32_t>(value.size()));
    bytes_.insert(bytes_.end(), value.begin(), value.end());
    return *this;
  }
  RawCommand& us(uint16_t element, uint16_t v) {
    return this->element(0, element, {static_cast<uint8_t>(v), static_cast<uint8_t>(v >> 8)});
  }
  RawCommand& text(uint16_t element, std::string_view v) {
    return this->element(0, element, std::vector<uint8_t>(v.begin(), v.end()));
  }
  // Header claiming `length` bytes, without the value (for truncation tests).
  RawCommand& header_only(uint16_t group, uint16_t element, uint32_t length) {
    put16(group);
    put16(element);
    put32(length);
    return *this;
  }
  RawCommand& raw(std::initializer_list<uint8_t> b) {
    bytes_.insert(bytes_.end(), b);
    return *this;
  }

  [[nodiscard]] std::vector<uint8_t> bytes() const { return bytes_; }
  // Prepends a (0000,0000) element whose value is the byte count that follows plus `bias`.
  [[nodiscard]] std::vector<uint8_t> with_group_length(int64_t bias = 0) const {
    RawCommand head;
    const auto n = static_cast<uint32_t>(static_cast<int64_t>(bytes_.size()) + bias);
    head.element(0, 0x0000,
                 {static_cast<uint8_t>(n), static_cast<uint8_t>(n >> 8),
                  static_cast<uint8_t>(n >> 16), static_cast<uint8_t>(n >> 24)});
    std::vector<uint8_t> out = head.bytes_;
    out.insert(out.end(), bytes_.begin(), bytes_.end());
    return out;
  }

 private:
  void put16(uint16_t v) {
    bytes_.push_back(static_cast<uint8_t>(v));
    bytes_.push_back(static_cast<uint8_t>(v >> 8));
  }
  void put32(uint32_t v) {
    put16(static_cast<uint16_t>(v));
    put16(static_cast<uint16_t>(v >> 16));
  }
  std::vector<uint8_t> bytes_;
};

}  // namespace acc::dicom::dimse::test
