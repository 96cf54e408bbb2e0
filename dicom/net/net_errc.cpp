#include "dicom/net/net_errc.hpp"

#include "common/error_category.hpp"

namespace acc::dicom::net {
namespace {
const char* describe(AssocErrc e) {
  switch (e) {
    case AssocErrc::ok:
      return "ok";
    case AssocErrc::released:
      return "association released";
    case AssocErrc::peer_aborted:
      return "peer aborted the association";
    case AssocErrc::connection_closed:
      return "connection closed without release";
    case AssocErrc::timed_out:
      return "timed out";
    case AssocErrc::protocol_error:
      return "protocol error, association aborted";
    case AssocErrc::rejected:
      return "association rejected";
    case AssocErrc::no_presentation_context:
      return "no accepted presentation context";
    case AssocErrc::invalid_state:
      return "operation not allowed in this association state";
    case AssocErrc::resolve_failed:
      return "cannot resolve host";
    case AssocErrc::connect_failed:
      return "cannot connect";
    case AssocErrc::no_progress:
      return "no progress: too few bytes from the peer in the progress window, association aborted";
    case AssocErrc::tls_handshake_failed:
      return "TLS handshake failed";
    case AssocErrc::tls_peer_not_allowed:
      return "TLS peer not allowed";
    case AssocErrc::peer_not_reading:
      return "peer not reading: a PDU we sent was not taken within the operation timeout, "
             "connection closed";
  }
  return "unknown association error";
}
}  // namespace

const std::error_category& assoc_category() noexcept {
  static const EnumCategory<AssocErrc, describe> category("dicom.assoc");
  return category;
}

}  // namespace acc::dicom::net
