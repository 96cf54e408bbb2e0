#include "dicom/data/uid.hpp"

namespace acc::dicom::data {

UidFault uid_fault(std::string_view text) noexcept {
  if (text.empty()) {
    return UidFault::empty;
  }
  if (text.size() > 64) {
    return UidFault::too_long;
  }
  std::size_t component = 0;  // length of the component so far
  char first = 0;
  for (const char c : text) {
    if (c == '.') {
      if (component == 0) {
        return UidFault::empty_component;
      }
      component = 0;
      continue;
    }
    if (c < '0' || c > '9') {
      return UidFault::not_digit_or_dot;
    }
    if (component == 0) {
      first = c;
    } else if (first == '0') {
      return UidFault::leading_zero;
    }
    ++component;
  }
  return component == 0 ? UidFault::empty_component : UidFault::none;
}

std::string_view describe(UidFault fault) noexcept {
  switch (fault) {
    case UidFault::none:
      return "a UID";
    case UidFault::empty:
      return "no characters";
    case UidFault::too_long:
      return "over 64 characters";
    case UidFault::empty_component:
      return "an empty component";
    case UidFault::leading_zero:
      return "a component with a leading zero";
    case UidFault::not_digit_or_dot:
      return "a character other than 0-9 and .";
  }
  return "?";
}

}  // namespace acc::dicom::data
