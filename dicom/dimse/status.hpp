#pragma once
// DIMSE status values and classes (PS3.7 Annex C, PS3.4 B.2.3).
#include <cstdint>

namespace acc::dicom::dimse::status {

inline constexpr uint16_t kSuccess = 0x0000;
inline constexpr uint16_t kCancel = 0xFE00;
inline constexpr uint16_t kPending = 0xFF00;
inline constexpr uint16_t kPendingWarning = 0xFF01;
inline constexpr uint16_t kSopClassNotSupported = 0x0122;
inline constexpr uint16_t kNotAuthorized = 0x0124;
inline constexpr uint16_t kInvalidSopInstance = 0x0117;
inline constexpr uint16_t kUnrecognizedOperation = 0x0211;
inline constexpr uint16_t kProcessingFailure = 0x0110;
inline constexpr uint16_t kResourceLimitation = 0x0213;
inline constexpr uint16_t kOutOfResources = 0xA700;  // C-STORE refused: out of resources
inline constexpr uint16_t kDataSetDoesNotMatchSopClass = 0xA900;
inline constexpr uint16_t kCannotUnderstand = 0xC000;        // C-STORE error: cannot understand
inline constexpr uint16_t kCoercionOfDataElements = 0xB000;  // warning

enum class Class { Success, Warning, Failure, Cancel, Pending };

// PS3.7 C.1: warning 0001, Bxxx, 0107, 0116; failure Axxx, Cxxx, other 01xx and 02xx.
[[nodiscard]] constexpr Class classify(uint16_t s) noexcept {
  if (s == kSuccess) {
    return Class::Success;
  }
  if (s == kCancel) {
    return Class::Cancel;
  }
  if (s == kPending || s == kPendingWarning) {
    return Class::Pending;
  }
  if (s == 0x0001 || (s & 0xF000) == 0xB000 || s == 0x0107 || s == 0x0116) {
    return Class::Warning;
  }
  return Class::Failure;
}

[[nodiscard]] constexpr const char* class_name(Class c) noexcept {
  switch (c) {
    case Class::Success:
      return "success";
    case Class::Warning:
      return "warning";
    case Class::Failure:
      return "failure";
    case Class::Cancel:
      return "cancel";
    case Class::Pending:
      return "pending";
  }
  return "unknown";
}

}  // namespace acc::dicom::dimse::status
