#include "dicom/ul/decode_util.hpp"

#include <cstdio>

namespace acc::dicom::ul::detail {

namespace {

constexpr std::size_t kItemHeaderLength = 4;

bool is_pad(uint8_t c) {
  return c == ' ' || c == '\0';
}

}  // namespace

std::string hex(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%02X", v);
  return buf;
}

std::string to_string(std::span<const uint8_t> b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

std::string trim_ae(std::span<const uint8_t> b) {
  std::size_t first = 0;
  std::size_t last = b.size();
  while (first < last && is_pad(b[first])) {
    ++first;
  }
  while (last > first && is_pad(b[last - 1])) {
    --last;
  }
  return to_string(b.subspan(first, last - first));
}

std::span<const uint8_t> strip_trailing_pad(std::span<const uint8_t> b) {
  std::size_t n = b.size();
  while (n > 0 && is_pad(b[n - 1])) {
    --n;
  }
  return b.first(n);
}

[[nodiscard]] Result<std::string> read_uid(std::span<const uint8_t> b, const char* what) {
  const auto uid = strip_trailing_pad(b);
  if (uid.size() > kMaxUidLength) {
    // UL_DECODE_ERR_26: UID longer than 64 characters
    return fail(UlErrc::invalid_pdu_parameter_value,
                std::string(what) + " UID of " + std::to_string(uid.size()) + " characters");
  }
  return to_string(uid);
}

[[nodiscard]] Result<Item> next_item(ByteReader& r, const char* parent) {
  if (!r.has(kItemHeaderLength)) {
    // UL_DECODE_ERR_10: item header overruns its parent
    return fail(UlErrc::invalid_pdu_length, std::string("item header overruns ") + parent);
  }
  Item item;
  item.type = r.u8();
  r.skip(1);
  const uint16_t length = r.u16();
  if (!r.has(length)) {
    // UL_DECODE_ERR_11: item body overruns its parent
    return fail(UlErrc::invalid_pdu_length,
                "item " + hex(item.type) + " of " + std::to_string(length) + " bytes overruns " +
                    parent + " (" + std::to_string(r.remaining()) + " left)");
  }
  item.body = r.take(length);
  return item;
}

}  // namespace acc::dicom::ul::detail
