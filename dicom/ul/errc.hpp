#pragma once
// Errors of the sans-I/O Upper Layer. Each maps to the A-ABORT reason we send (PS3.8 §9.3.8).
#include <cstdint>
#include <system_error>

namespace acc::dicom::ul {

enum class UlErrc {
  ok = 0,
  truncated,                    // fewer bytes than a length field promised
  unrecognized_pdu,             // PDU type not 0x01..0x07
  unexpected_pdu,               // PDU not legal in the current state
  invalid_pdu_length,           // length field inconsistent with the PDU type or its content
  pdu_too_large,                // length claim above the negotiated / absolute maximum
  unrecognized_pdu_parameter,   // mandatory item missing or of an unknown kind where one is needed
  unexpected_pdu_parameter,     // item where it must not be (e.g. two application contexts)
  invalid_pdu_parameter_value,  // item content malformed (UID > 64 chars, even PC ID, PDV < 2
                                // bytes)
};

// PS3.8 Table 9-26 A-ABORT reasons for source 2 (service provider).
enum class AbortReason : uint8_t {
  NotSpecified = 0,
  UnrecognizedPdu = 1,
  UnexpectedPdu = 2,
  UnrecognizedPduParameter = 4,
  UnexpectedPduParameter = 5,
  InvalidPduParameterValue = 6,
};

const std::error_category& ul_category() noexcept;
inline std::error_code make_error_code(UlErrc e) noexcept {
  return {static_cast<int>(e), ul_category()};
}

// The A-ABORT reason that tells the peer why its bytes were refused.
AbortReason abort_reason_for(const std::error_code& ec) noexcept;

}  // namespace acc::dicom::ul

template <>
struct std::is_error_code_enum<acc::dicom::ul::UlErrc> : std::true_type {};
