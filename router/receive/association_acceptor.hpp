#pragma once
// Admission and presentation-context negotiation for incoming associations: the listener's
// "filter chain". Pure functions of the A-ASSOCIATE-RQ and the configuration, so every rule is
// unit-tested without a socket.
#include <optional>
#include <string>
#include <vector>

#include "dicom/net/association.hpp"
#include "dicom/ul/pdu.hpp"

namespace acc::router {

struct AcceptorPolicy {
  std::string ae_title;                                        // the called AE we answer to
  std::optional<std::vector<std::string>> allowed_calling_ae;  // nullopt = any
  uint32_t max_pdu_length = 131072;
};

// Why an association was refused, in words for the log and metrics.
[[nodiscard]] const char* rejection_reason(const dicom::ul::AssociateRj& rj);

// PS3.8 §7.1.1.7 admission, then PS3.8 §9.3.3.2 one answer per proposed context:
//  - application context other than DICOM's -> RJ permanent, user, reason 2;
//  - called AE not ours -> RJ permanent, user, reason 7 (called AE not recognised);
//  - calling AE not in the allow-list -> RJ permanent, user, reason 3;
//  - `at_capacity` -> RJ transient, presentation provider, reason 2 (local limit exceeded);
//  - Verification and every DCMTK storage SOP class accepted with the first proposed transfer
//    syntax DCMTK can parse (the proposer's order is its preference; pixel data passes through);
//    other abstract syntaxes -> result 3, no parseable transfer syntax -> result 4.
[[nodiscard]] dicom::net::AssociateDecision negotiate_association(const dicom::ul::AssociateRq& rq,
                                                                  const AcceptorPolicy& policy,
                                                                  bool at_capacity);

}  // namespace acc::router
