#pragma once
// How an association ended or why an operation on it failed. Transport errors keep their
// asio/system error_code; these cover the DICOM-level outcomes.
#include <system_error>

namespace acc::dicom::net {

enum class AssocErrc {
  ok = 0,
  released,                 // orderly A-RELEASE completed
  peer_aborted,             // the peer sent A-ABORT
  connection_closed,        // TCP closed without release (A-P-ABORT)
  timed_out,                // idle, ARTIM or operation timeout; we aborted
  protocol_error,           // the peer violated PS3.8/PS3.7; we sent A-ABORT
  rejected,                 // A-ASSOCIATE-RJ (ours or theirs)
  no_presentation_context,  // nothing acceptable for the SOP class / transfer syntax
  invalid_state,            // local primitive not allowed now (a bug in the caller)
  resolve_failed,
  connect_failed,
  no_progress,       // the peer sent less than min_progress_bytes in a progress_window; we aborted
  peer_not_reading,  // a PDU we sent was not taken within the operation timeout; we closed
  tls_handshake_failed,  // DICOM TLS: no handshake (bad or missing certificate, plain DICOM, ...)
  tls_peer_not_allowed,  // DICOM TLS: the client certificate's subject is not allowed
};

const std::error_category& assoc_category() noexcept;
inline std::error_code make_error_code(AssocErrc e) noexcept {
  return {static_cast<int>(e), assoc_category()};
}

}  // namespace acc::dicom::net

template <>
struct std::is_error_code_enum<acc::dicom::net::AssocErrc> : std::true_type {};
