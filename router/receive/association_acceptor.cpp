#include "router/receive/association_acceptor.hpp"

#include <algorithm>

#include "dicom/data/part10.hpp"
#include "dicom/data/sop_classes.hpp"
#include "dicom/data/uid.hpp"

namespace acc::router {

using namespace acc::dicom;

const char* rejection_reason(const ul::AssociateRj& rj) {
  switch (rj.source) {
    case ul::RjSource::ServiceUser:
      switch (rj.reason) {
        case ul::rj_reason::kApplicationContextNotSupported:
          return "application_context";
        case ul::rj_reason::kCallingAeNotRecognized:
          return "calling_ae";
        case ul::rj_reason::kCalledAeNotRecognized:
          return "called_ae";
        default:
          return "no_reason";
      }
    case ul::RjSource::ServiceProviderAcse:
      return "protocol_version";
    case ul::RjSource::ServiceProviderPresentation:
      return "capacity";
  }
  return "unknown";
}

namespace {

ul::AssociateRj reject(ul::RjResult result, ul::RjSource source, uint8_t reason) {
  return ul::AssociateRj{result, source, reason};
}

// A refused context still carries its Transfer Syntax sub-item: PS3.8 Table 9-18 has one in every
// Presentation Context item of an A-ASSOCIATE-AC (its value "shall not be tested" when the result
// is not acceptance), and strict peers fail to decode an AC without it (issue 12). We echo the
// proposer's first choice that is a UID, or Implicit VR Little Endian if it proposed none: an
// empty or padding-only proposal echoed as "" would lose the sub-item again (found by the
// association_sequence fuzz target).
ul::PresentationContextAc refused(const ul::PresentationContextRq& pc, ul::PcResult result) {
  const auto first_uid = std::find_if(pc.transfer_syntaxes.begin(), pc.transfer_syntaxes.end(),
                                      [](const std::string& uid) { return data::is_uid(uid); });
  return {pc.id, result,
          first_uid == pc.transfer_syntaxes.end() ? std::string(data::kImplicitVrLittleEndian)
                                                  : *first_uid};
}

ul::PresentationContextAc answer(const ul::PresentationContextRq& pc) {
  const bool known = pc.abstract_syntax == data::kVerificationSopClass ||
                     data::is_storage_sop_class(pc.abstract_syntax);
  if (!known) {
    return refused(pc, ul::PcResult::AbstractSyntaxNotSupported);
  }
  const auto ts =
      std::find_if(pc.transfer_syntaxes.begin(), pc.transfer_syntaxes.end(),
                   [](const std::string& uid) { return data::can_parse_transfer_syntax(uid); });
  if (ts == pc.transfer_syntaxes.end()) {
    return refused(pc, ul::PcResult::TransferSyntaxesNotSupported);
  }
  return {pc.id, ul::PcResult::Acceptance, *ts};
}

}  // namespace

net::AssociateDecision negotiate_association(const ul::AssociateRq& rq,
                                             const AcceptorPolicy& policy, bool at_capacity) {
  using ul::RjResult;
  using ul::RjSource;
  if (rq.application_context != ul::kApplicationContext) {
    return reject(RjResult::RejectedPermanent, RjSource::ServiceUser,
                  ul::rj_reason::kApplicationContextNotSupported);
  }
  if (rq.called_ae != policy.ae_title) {
    return reject(RjResult::RejectedPermanent, RjSource::ServiceUser,
                  ul::rj_reason::kCalledAeNotRecognized);
  }
  if (policy.allowed_calling_ae &&
      std::find(policy.allowed_calling_ae->begin(), policy.allowed_calling_ae->end(),
                rq.calling_ae) == policy.allowed_calling_ae->end()) {
    return reject(RjResult::RejectedPermanent, RjSource::ServiceUser,
                  ul::rj_reason::kCallingAeNotRecognized);
  }
  if (at_capacity) {
    return reject(RjResult::RejectedTransient, RjSource::ServiceProviderPresentation,
                  ul::rj_reason::kLocalLimitExceeded);
  }

  ul::AssociateAc ac;
  ac.called_ae = rq.called_ae;
  ac.calling_ae = rq.calling_ae;
  ac.contexts.reserve(rq.contexts.size());
  for (const auto& pc : rq.contexts) {
    ac.contexts.push_back(answer(pc));
  }
  ac.user_info.max_pdu_length = policy.max_pdu_length;
  ac.user_info.implementation_class_uid = data::kImplementationClassUid;
  ac.user_info.implementation_version_name = data::kImplementationVersionName;
  if (rq.user_info.async_ops) {
    // We perform operations one at a time; PS3.7 D.3.3.3 lets the acceptor lower the window.
    ac.user_info.async_ops = ul::AsyncOpsWindow{1, 1};
  }
  for (const auto& role : rq.user_info.roles) {
    // The modality may act as SCU (it sends); we never take the SCU role (no C-GET here).
    ac.user_info.roles.push_back({role.sop_class_uid, role.scu_role, false});
  }
  return ac;
}

}  // namespace acc::router
