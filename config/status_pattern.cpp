#include "config/status_pattern.hpp"

namespace acc::config {

Result<StatusPattern> parse_status_pattern(std::string_view text) {
  std::string_view digits = text;
  if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) {
    digits.remove_prefix(2);
  }
  const auto refused = [&] {
    return fail(std::errc::invalid_argument,
                "\"" + std::string(text) +
                    "\" is not a DIMSE status: four hex digits, each may be x for any "
                    "(e.g. \"0x0110\", \"0xA7xx\")");
  };
  if (digits.size() != 4) {
    return refused();
  }
  StatusPattern pattern;
  for (const char c : digits) {
    pattern.value = static_cast<uint16_t>(pattern.value << 4);
    pattern.mask = static_cast<uint16_t>(pattern.mask << 4);
    if (c == 'x' || c == 'X') {
      continue;
    }
    unsigned nibble = 0;
    if (c >= '0' && c <= '9') {
      nibble = static_cast<unsigned>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      nibble = static_cast<unsigned>(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
      nibble = static_cast<unsigned>(c - 'A' + 10);
    } else {
      return refused();
    }
    pattern.value = static_cast<uint16_t>(pattern.value | nibble);
    pattern.mask = static_cast<uint16_t>(pattern.mask | 0xF);
  }
  return pattern;
}

std::string to_string(const StatusPattern& pattern) {
  std::string out = "0x";
  for (int shift = 12; shift >= 0; shift -= 4) {
    if (((pattern.mask >> shift) & 0xF) == 0) {
      out += 'x';
    } else {
      out += "0123456789ABCDEF"[(pattern.value >> shift) & 0xF];
    }
  }
  return out;
}

std::vector<StatusPattern> default_retry_statuses() {
  return {{0xA700, 0xFF00}, {0x0110, 0xFFFF}, {0x0213, 0xFFFF}};
}

}  // namespace acc::config
