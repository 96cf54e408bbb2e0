#pragma once
// DICOM text values as worklist matching needs them: DA and TM validated and turned into numbers
// that can be subtracted, padding removed, multi-values split. Private to acc_rules.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace acc::rules::detail {

// Removes leading and trailing spaces only: DICOM pads text with spaces, and anything else at
// the edges (tabs, NULs) is part of a malformed value that must not be silently "repaired".
[[nodiscard]] std::string_view trim_spaces(std::string_view s) noexcept;

// Days since 1970-01-01 for a valid DA "YYYYMMDD" (years 0001-9999, real calendar days, leap
// years included); std::nullopt for anything else, including the ACR-NEMA "YYYY.MM.DD" form.
[[nodiscard]] std::optional<std::int64_t> parse_da(std::string_view s) noexcept;

// Microseconds since midnight for a valid TM: "HH", "HHMM", "HHMMSS" or "HHMMSS.F" with 1-6
// fraction digits (PS3.5 6.2); std::nullopt for anything else, including "HH:MM:SS".
[[nodiscard]] std::optional<std::int64_t> parse_tm(std::string_view s) noexcept;

// A distance in microseconds for people: "2 d 3 h", "1 h 30 min", "45 s", "<1 s", "0 s".
[[nodiscard]] std::string format_duration(std::int64_t microseconds);

// A value as the audit trail shows it: in single quotes.
[[nodiscard]] std::string quoted(std::string_view s);

// The values of a backslash-separated multi-valued string, each trimmed, empty ones dropped.
[[nodiscard]] std::vector<std::string_view> split_values(std::string_view s);

}  // namespace acc::rules::detail
