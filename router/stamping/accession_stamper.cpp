#include "router/stamping/accession_stamper.hpp"

#include <ctime>

#include <fmt/format.h>

#include "common/clock.hpp"
#include "router/stamping/worklist_cache.hpp"

namespace acc::router {

using nlohmann::json;
namespace data = dicom::data;

namespace {

using config::ExistingAccessionPolicy;
using config::UnmatchedPolicy;
using rules::StampOutcome;

StampOutcome outcome_of(rules::Outcome m) {
  switch (m) {
    case rules::Outcome::Matched:
      return StampOutcome::matched;
    case rules::Outcome::Ambiguous:
      return StampOutcome::ambiguous;
    case rules::Outcome::Unmatched:
      return StampOutcome::unmatched;
  }
  return StampOutcome::unmatched;
}

}  // namespace

json StampDecision::to_json() const {
  json j = {{"action", enum_name(action)},
            {"outcome", enum_name(outcome)},
            {"accession", accession},
            {"issuer",
             {{"local_namespace", issuer.local_namespace},
              {"universal_id", issuer.universal_id},
              {"universal_id_type", issuer.universal_id_type}}},
            {"reasons", reasons},
            {"held_since_ms", held_since_ms}};
  if (entry) {
    j["entry"] = router::to_json(*entry);
  }
  return j;
}

StampDecision StampDecision::from_json(const json& j) {
  StampDecision d;
  // A stored decision this version cannot read is followed as the most careful one: a hold.
  d.action = parse_enum<StampAction>(j.value("action", std::string())).value_or(StampAction::Hold);
  d.outcome =
      parse_enum<StampOutcome>(j.value("outcome", std::string())).value_or(StampOutcome::unmatched);
  d.accession = j.value("accession", std::string());
  if (j.contains("issuer") && j["issuer"].is_object()) {
    const auto& i = j["issuer"];
    d.issuer = {i.value("local_namespace", std::string()), i.value("universal_id", std::string()),
                i.value("universal_id_type", std::string())};
  }
  if (j.contains("entry") && j["entry"].is_object()) {
    d.entry = worklist_item_from_json(j["entry"]);
  }
  if (j.contains("reasons") && j["reasons"].is_array()) {
    for (const auto& r : j["reasons"]) {
      if (r.is_string()) {
        d.reasons.push_back(r);
      }
    }
  }
  d.held_since_ms = j.value("held_since_ms", int64_t{0});
  return d;
}

AccessionStamper::AccessionStamper(const config::RouterConfig& config) : config_(config) {
  policy_.date_window_days = static_cast<int>(config.matching.date_window_days);
  policy_.modality_aliases = config.matching.modality_aliases;
}

bool AccessionStamper::binds_study(const StampDecision& d) {
  // A kept/verified accession belongs to the instance, not to a worklist decision.
  return d.outcome != StampOutcome::kept && d.outcome != StampOutcome::verified &&
         d.outcome != StampOutcome::not_stamped && d.action != StampAction::Reject;
}

StampDecision AccessionStamper::apply_policy(UnmatchedPolicy policy, StampDecision d,
                                             int64_t now_ms) const {
  switch (policy) {
    case UnmatchedPolicy::forward:
      d.action = StampAction::Forward;
      d.reasons.push_back("policy: forward unstamped");
      break;
    case UnmatchedPolicy::reject:
      d.action = StampAction::Reject;
      d.reasons.push_back("policy: reject the C-STORE");
      break;
    case UnmatchedPolicy::hold:
      d.action = StampAction::Hold;
      d.held_since_ms = now_ms;
      d.reasons.push_back("policy: hold for re-matching or a person's decision");
      break;
  }
  return d;
}

StampDecision AccessionStamper::from_match(const rules::InstanceAttributes& instance,
                                           const std::vector<rules::CachedEntry>& worklist,
                                           int64_t now_ms,
                                           const rules::MatchingOverrides& overrides) const {
  rules::Decision m;
  if (overrides.date_window_days) {
    rules::MatchingPolicy policy = policy_;
    policy.date_window_days = static_cast<int>(*overrides.date_window_days);
    m = rules::match(instance, worklist, policy);
  } else {
    m = rules::match(instance, worklist, policy_);
  }
  StampDecision d;
  d.outcome = outcome_of(m.outcome);
  d.reasons = m.reasons;
  // Why each same-patient order was set aside: what a person needs to resolve a hold.
  for (const auto& v : m.verdicts) {
    if (!v.kept) {
      const auto& w = worklist[v.index].item;
      d.reasons.push_back(
          "order " +
          (w.accession_number.empty() ? "#" + std::to_string(v.index) : w.accession_number) +
          " excluded: " + v.reason);
    }
  }
  if (m.outcome == rules::Outcome::Ambiguous) {
    return apply_policy(overrides.on_ambiguous.value_or(config_.matching.on_ambiguous),
                        std::move(d), now_ms);
  }
  if (m.outcome == rules::Outcome::Unmatched) {
    return apply_policy(overrides.on_unmatched.value_or(config_.matching.on_unmatched),
                        std::move(d), now_ms);
  }
  const data::WorklistItem& item = worklist[*m.selected].item;
  if (auto problem = rules::accession_problem(item.accession_number)) {
    // A matched order whose accession cannot be written is held: never stamp garbage.
    d.outcome = StampOutcome::invalid_accession;
    d.reasons.push_back("RIS accession number not stamped: " + *problem);
    d.action = StampAction::Hold;
    d.held_since_ms = now_ms;
    return d;
  }
  d.action = StampAction::Stamp;
  d.accession = item.accession_number;
  if (item.accession_issuer && (!item.accession_issuer->local_namespace.empty() ||
                                !item.accession_issuer->universal_id.empty())) {
    d.issuer = *item.accession_issuer;
    d.reasons.push_back("issuer from the worklist entry");
  } else {
    d.issuer = {config_.accession.issuer_local_namespace, config_.accession.issuer_universal_id,
                config_.accession.issuer_universal_id_type};
    d.reasons.push_back("issuer from [accession] (the RIS returned none)");
  }
  d.entry = item;
  return d;
}

StampDecision AccessionStamper::decide(const rules::InstanceAttributes& instance,
                                       const std::string& existing_accession,
                                       const std::optional<StampDecision>& study_decision,
                                       const std::vector<rules::CachedEntry>& worklist,
                                       int64_t now_ms, bool rematch,
                                       const rules::MatchingOverrides& overrides) const {
  const ExistingAccessionPolicy existing_policy =
      overrides.existing_accession.value_or(config_.matching.existing_accession);
  if (!existing_accession.empty() && existing_policy == ExistingAccessionPolicy::keep) {
    StampDecision d;
    d.outcome = StampOutcome::kept;
    d.accession = existing_accession;
    d.reasons.push_back("instance carries an Accession Number; policy keep");
    return d;
  }
  if (study_decision && !(rematch && study_decision->action == StampAction::Hold)) {
    StampDecision d = *study_decision;
    d.reasons = {"follows the study's decision (" +
                 std::string(enum_name(study_decision->outcome)) + ")"};
    if (d.action == StampAction::Stamp && !existing_accession.empty() &&
        existing_accession != d.accession && existing_policy == ExistingAccessionPolicy::verify) {
      d.action = StampAction::Hold;
      d.outcome = StampOutcome::mismatch;
      d.held_since_ms = now_ms;
      d.reasons.push_back("instance accession '" + existing_accession +
                          "' differs from the study's '" + d.accession + "'");
    }
    return d;
  }
  StampDecision d = from_match(instance, worklist, now_ms, overrides);
  if (!existing_accession.empty() && existing_policy == ExistingAccessionPolicy::verify) {
    if (d.action == StampAction::Stamp && d.accession == existing_accession) {
      d.action = StampAction::Forward;
      d.outcome = StampOutcome::verified;
      d.reasons.push_back("instance accession agrees with the worklist");
    } else if (d.action == StampAction::Stamp) {
      d.action = StampAction::Hold;
      d.outcome = StampOutcome::mismatch;
      d.held_since_ms = now_ms;
      d.reasons.push_back("instance accession '" + existing_accession +
                          "' differs from the worklist's '" + d.accession + "'");
    } else {
      d.action = StampAction::Forward;
      d.outcome = StampOutcome::kept;
      d.reasons.push_back("could not verify against the worklist; kept as received");
    }
  } else if (!existing_accession.empty() && existing_policy == ExistingAccessionPolicy::overwrite &&
             d.action == StampAction::Stamp && d.accession != existing_accession) {
    d.outcome = StampOutcome::overwritten;
    d.reasons.push_back("replaces the instance's '" + existing_accession + "' (policy overwrite)");
  }
  if (study_decision && study_decision->action == StampAction::Hold &&
      d.action == StampAction::Hold) {
    d.held_since_ms = study_decision->held_since_ms;  // the hold clock runs from the first hold
  }
  return d;
}

data::StampRequest AccessionStamper::stamp_request(const StampDecision& d,
                                                   const std::string& calling_ae,
                                                   int64_t now_ms) const {
  data::StampRequest r;
  r.accession_number = d.accession;
  r.issuer = d.issuer;
  if (d.entry) {
    r.requested_procedure_id = d.entry->requested_procedure_id;
    r.requested_procedure_description = d.entry->requested_procedure_description;
    r.sps_id = d.entry->sps_id;
    r.sps_description = d.entry->sps_description;
    r.study_instance_uid = d.entry->study_instance_uid;
  }
  r.modifying_system = config_.server.ae_title;
  r.source_of_previous_values = calling_ae;
  r.reason = "COERCE";
  r.modification_datetime = dicom_datetime(now_ms);
  return r;
}

}  // namespace acc::router
