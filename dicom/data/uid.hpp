#pragma once
// UIDs from the wire are data (issue 12): checked against PS3.5 §9.1 before anything uses them,
// and never a file name unless they pass.
#include <string_view>

namespace acc::dicom::data {

// What is wrong with a UID, in PS3.5 §9.1's terms.
enum class UidFault {
  none,
  empty,
  too_long,          // over 64 characters
  empty_component,   // a leading, trailing or doubled dot
  leading_zero,      // a component of more than one digit that starts with 0
  not_digit_or_dot,  // anything else: letters, '/', spaces, control characters
};

[[nodiscard]] UidFault uid_fault(std::string_view text) noexcept;
[[nodiscard]] inline bool is_uid(std::string_view text) noexcept {
  return uid_fault(text) == UidFault::none;
}
// A short reason for a log line or a DIMSE Error Comment (at most 64 characters with a prefix).
[[nodiscard]] std::string_view describe(UidFault fault) noexcept;

}  // namespace acc::dicom::data
