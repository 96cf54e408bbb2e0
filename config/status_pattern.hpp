#pragma once
// A DIMSE status, or a family of them, as a site writes it in a destination's `retry_statuses`:
// "0x0110" (one status) or "0xA7xx" (each x any hex digit: here every "out of resources").
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace acc::config {

struct StatusPattern {
  uint16_t value = 0;  // the fixed digits, x digits zero
  uint16_t mask = 0;   // 0xF per fixed digit

  [[nodiscard]] bool matches(uint16_t status) const noexcept { return (status & mask) == value; }
  friend bool operator==(const StatusPattern&, const StatusPattern&) = default;
};

// "0xA7xx", "a7XX", "0x0110", "0110": four hex digits or x, with or without "0x". The error's
// detail is a sentence for a config message.
[[nodiscard]] Result<StatusPattern> parse_status_pattern(std::string_view text);
// Canonical text: "0xA7xx".
[[nodiscard]] std::string to_string(const StatusPattern& pattern);

// Failures a PACS gives when it cannot take an object now, but may later (PS3.4 B.2.3,
// PS3.7 C): 0xA7xx out of resources, 0x0110 processing failure (a PACS whose database or
// storage hiccups answers this), 0x0213 resource limitation.
[[nodiscard]] std::vector<StatusPattern> default_retry_statuses();

}  // namespace acc::config
