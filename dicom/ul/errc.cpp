#include "dicom/ul/errc.hpp"

#include "common/error_category.hpp"

namespace acc::dicom::ul {

namespace {

const char* describe(UlErrc e) {
  switch (e) {
    case UlErrc::ok:
      return "ok";
    case UlErrc::truncated:
      return "truncated PDU";
    case UlErrc::unrecognized_pdu:
      return "unrecognized PDU type";
    case UlErrc::unexpected_pdu:
      return "PDU not expected in the current state";
    case UlErrc::invalid_pdu_length:
      return "invalid PDU or item length";
    case UlErrc::pdu_too_large:
      return "PDU larger than the negotiated maximum";
    case UlErrc::unrecognized_pdu_parameter:
      return "mandatory PDU item missing";
    case UlErrc::unexpected_pdu_parameter:
      return "unexpected PDU item";
    case UlErrc::invalid_pdu_parameter_value:
      return "invalid PDU item value";
  }
  return "unknown upper layer error";
}

}  // namespace

const std::error_category& ul_category() noexcept {
  static const EnumCategory<UlErrc, &describe> category("dicom.ul");
  return category;
}

AbortReason abort_reason_for(const std::error_code& ec) noexcept {
  if (ec.category() != ul_category()) {
    return AbortReason::NotSpecified;
  }
  switch (static_cast<UlErrc>(ec.value())) {
    case UlErrc::unrecognized_pdu:
      return AbortReason::UnrecognizedPdu;
    case UlErrc::unexpected_pdu:
      return AbortReason::UnexpectedPdu;
    case UlErrc::unrecognized_pdu_parameter:
      return AbortReason::UnrecognizedPduParameter;
    case UlErrc::unexpected_pdu_parameter:
      return AbortReason::UnexpectedPduParameter;
    case UlErrc::truncated:
    case UlErrc::invalid_pdu_length:
    case UlErrc::pdu_too_large:
    case UlErrc::invalid_pdu_parameter_value:
      return AbortReason::InvalidPduParameterValue;
    case UlErrc::ok:
      break;
  }
  return AbortReason::NotSpecified;
}

}  // namespace acc::dicom::ul
