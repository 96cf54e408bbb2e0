#include "router/stamping/accession_stamper.hpp"

#include <algorithm>
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
    case rules::Outcome::Conflict:
      return StampOutcome::conflict;
  }
  return StampOutcome::unmatched;
}

json patient_json(const rules::PatientIdentity& p) {
  return {{"patient_id", p.patient_id},
          {"issuer_of_patient_id", p.issuer_of_patient_id},
          {"patient_name", p.patient_name},
          {"birth_date", p.birth_date},
          {"sex", p.sex}};
}

rules::PatientIdentity patient_from_json(const json& j) {
  if (!j.is_object()) {
    return {};
  }
  return {j.value("patient_id", std::string()), j.value("issuer_of_patient_id", std::string()),
          j.value("patient_name", std::string()), j.value("birth_date", std::string()),
          j.value("sex", std::string())};
}

json candidate_json(const CandidateSummary& c) {
  return {{"accession", c.accession},
          {"patient_id", c.patient_id},
          {"patient_name", c.patient_name},
          {"modality", c.modality},
          {"scheduled", c.scheduled},
          {"station", c.station},
          {"status", c.status},
          {"kept", c.kept},
          {"reason", c.reason}};
}

CandidateSummary candidate_from_json(const json& j) {
  CandidateSummary c;
  if (!j.is_object()) {
    return c;
  }
  c.accession = j.value("accession", std::string());
  c.patient_id = j.value("patient_id", std::string());
  c.patient_name = j.value("patient_name", std::string());
  c.modality = j.value("modality", std::string());
  c.scheduled = j.value("scheduled", std::string());
  c.station = j.value("station", std::string());
  c.status = j.value("status", std::string());
  c.kept = j.value("kept", false);
  c.reason = j.value("reason", std::string());
  return c;
}

std::vector<std::string> strings_from_json(const json& j, const char* key) {
  std::vector<std::string> out;
  if (j.contains(key) && j[key].is_array()) {
    for (const auto& v : j[key]) {
      if (v.is_string()) {
        out.push_back(v);
      }
    }
  }
  return out;
}

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) {
    out += out.empty() ? "" : "; ";
    out += p;
  }
  return out;
}

StampDecision held(StampOutcome outcome, int64_t now_ms, std::string reason) {
  StampDecision d;
  d.action = StampAction::Hold;
  d.outcome = outcome;
  d.held_since_ms = now_ms;
  d.reasons.push_back(std::move(reason));
  return d;
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
  if (!patient.patient_id.empty()) {
    j["patient"] = patient_json(patient);
  }
  if (!competing.empty()) {
    j["competing"] = competing;
  }
  if (!candidates.empty()) {
    json list = json::array();
    for (const auto& c : candidates) {
      list.push_back(candidate_json(c));
    }
    j["candidates"] = std::move(list);
  }
  if (!decided_by.empty() || !why.empty()) {
    j["decided_by"] = decided_by;
    j["why"] = why;
  }
  if (correct_patient) {
    j["correct_patient"] = true;
  }
  if (!study_modality.empty() || !study_date.empty()) {
    j["study"] = {{"modality", study_modality}, {"date", study_date}};
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
  d.reasons = strings_from_json(j, "reasons");
  d.held_since_ms = j.value("held_since_ms", int64_t{0});
  if (j.contains("patient")) {
    d.patient = patient_from_json(j["patient"]);
  }
  d.competing = strings_from_json(j, "competing");
  if (j.contains("candidates") && j["candidates"].is_array()) {
    for (const auto& c : j["candidates"]) {
      d.candidates.push_back(candidate_from_json(c));
    }
  }
  d.decided_by = j.value("decided_by", std::string());
  d.why = j.value("why", std::string());
  d.correct_patient = j.value("correct_patient", false);
  if (j.contains("study") && j["study"].is_object()) {
    d.study_modality = j["study"].value("modality", std::string());
    d.study_date = j["study"].value("date", std::string());
  }
  return d;
}

AccessionStamper::AccessionStamper(const config::RouterConfig& config) : config_(config) {
  policy_.date_window_days = static_cast<int>(config.matching.date_window_days);
  policy_.modality_aliases = config.matching.modality_aliases;
}

bool AccessionStamper::held_alone(const StampDecision& d) {
  return d.action == StampAction::Hold &&
         (d.outcome == StampOutcome::study_conflict ||
          d.outcome == StampOutcome::modality_conflict || d.outcome == StampOutcome::stamp_failed);
}

bool AccessionStamper::binds_study(const StampDecision& d) {
  // A kept or verified accession binds too: a later instance of the study (a dose report
  // without an accession) carries the same one, never another order's.
  return d.outcome != StampOutcome::not_stamped && d.action != StampAction::Reject &&
         !held_alone(d);
}

data::AccessionIssuer AccessionStamper::configured_issuer() const {
  return {config_.accession.issuer_local_namespace, config_.accession.issuer_universal_id,
          config_.accession.issuer_universal_id_type};
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
                                           const rules::MatchingOverrides& overrides,
                                           const rules::MatchHistory& history) const {
  rules::Decision m;
  std::string narrowed;
  if (overrides.date_window_days) {
    rules::MatchingPolicy policy = policy_;
    // A rule's window is held to the query window, like [matching]'s (config check): beyond it
    // the cache lacks orders that would compete.
    const auto query_window =
        static_cast<int64_t>(std::min(config_.worklist.days_before, config_.worklist.days_after));
    auto window = static_cast<int64_t>(*overrides.date_window_days);
    if (window > query_window) {
      narrowed = "the rule's date_window_days " + std::to_string(window) +
                 " is narrowed to the worklist query window " + std::to_string(query_window);
      window = query_window;
    }
    policy.date_window_days = static_cast<int>(window);
    m = rules::match(instance, worklist, policy, history);
  } else {
    m = rules::match(instance, worklist, policy_, history);
  }
  if (!narrowed.empty()) {
    m.reasons.insert(m.reasons.begin(), narrowed);
  }
  StampDecision d;
  d.outcome = outcome_of(m.outcome);
  d.reasons = m.reasons;
  d.competing = history.earlier_candidates;
  for (const auto& a : m.competing) {
    if (std::find(d.competing.begin(), d.competing.end(), a) == d.competing.end()) {
      d.competing.push_back(a);
    }
  }
  // Every order of the patient and why it was set aside: what a person needs to resolve a hold.
  for (const auto& v : m.verdicts) {
    CandidateSummary c;
    c.accession = v.accession;
    c.kept = v.kept;
    c.reason = v.reason;
    if (v.index != rules::kNoEntry) {
      const auto& w = worklist[v.index].item;
      c.patient_id = w.patient_id;
      c.patient_name = w.patient_name;
      c.modality = w.modality;
      c.scheduled = w.sps_start_date + (w.sps_start_time.empty() ? "" : " " + w.sps_start_time);
      c.station = w.scheduled_station_ae;
      c.status = worklist[v.index].undecodable ? "UNDECODABLE" : w.sps_status;
    }
    if (!v.kept) {
      d.reasons.push_back("order " +
                          (v.accession.empty() ? "#" + std::to_string(v.index) : v.accession) +
                          " excluded: " + v.reason);
    }
    d.candidates.push_back(std::move(c));
  }
  if (m.outcome == rules::Outcome::Ambiguous || m.outcome == rules::Outcome::Conflict) {
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
  d.competing.clear();
  d.accession = item.accession_number;
  if (item.accession_issuer && (!item.accession_issuer->local_namespace.empty() ||
                                !item.accession_issuer->universal_id.empty())) {
    d.issuer = *item.accession_issuer;
    d.reasons.push_back("issuer from the worklist entry");
  } else {
    d.issuer = configured_issuer();
    d.reasons.push_back("issuer from [accession] (the RIS returned none)");
  }
  d.entry = item;
  return d;
}

StampDecision AccessionStamper::follow(const rules::InstanceAttributes& instance,
                                       const std::string& existing_accession, StampDecision d,
                                       ExistingAccessionPolicy existing_policy,
                                       int64_t now_ms) const {
  const std::string followed = std::string(enum_name(d.outcome));
  d.reasons = {"follows the study's decision (" + followed + ")"};
  d.candidates.clear();
  d.competing.clear();
  if (d.action == StampAction::Stamp && d.entry && !rules::is_derived_modality(instance.modality) &&
      !rules::modality_covers(d.entry->modality, instance.modality, policy_) &&
      !rules::is_hybrid_part(d.entry->modality, instance.modality)) {
    // A PET/CT's PT part after its CT part took a CT order: the order does not cover it.
    return held(StampOutcome::modality_conflict, now_ms,
                "acquisition modality '" + instance.modality +
                    "' is not covered by the modality '" + d.entry->modality + "' of order " +
                    d.accession +
                    ", which the study's earlier instances carry; held alone, a person decides");
  }
  const bool modality_accession =
      d.outcome == StampOutcome::kept || d.outcome == StampOutcome::verified;
  if (d.action == StampAction::Forward && modality_accession && !d.accession.empty()) {
    if (existing_accession.empty()) {
      // A dose report or key image without an accession in a study whose first instance came
      // with one: the same accession, never another order's.
      d.action = StampAction::Stamp;
      if (d.issuer.local_namespace.empty() && d.issuer.universal_id.empty()) {
        d.issuer = configured_issuer();
      }
      d.reasons.push_back("stamped with the accession the study's instances carry (" + d.accession +
                          ")");
      return d;
    }
    if (existing_accession != d.accession) {
      StampDecision h = held(StampOutcome::mismatch, now_ms,
                             "instance accession '" + existing_accession +
                                 "' differs from the study's '" + d.accession + "'");
      h.patient = d.patient;
      return h;
    }
    return d;
  }
  if (d.action == StampAction::Stamp && !existing_accession.empty() &&
      existing_accession != d.accession && existing_policy != ExistingAccessionPolicy::overwrite) {
    d.action = StampAction::Hold;
    d.outcome = StampOutcome::mismatch;
    d.held_since_ms = now_ms;
    d.reasons.push_back("instance accession '" + existing_accession +
                        "' differs from the study's '" + d.accession + "'");
  }
  return d;
}

StampDecision AccessionStamper::decide(
    const rules::InstanceAttributes& instance, const std::string& existing_accession,
    const std::optional<StampDecision>& study_decision,
    const std::vector<rules::CachedEntry>& worklist, int64_t now_ms, bool rematch,
    const rules::MatchingOverrides& overrides,
    const std::function<std::vector<std::string>(std::string_view)>& studies_of,
    const std::function<bool(std::string_view)>& known_station) const {
  StampDecision d = decide_for_patient(instance, existing_accession, study_decision, worklist,
                                       now_ms, rematch, overrides, studies_of, known_station);
  d.patient = rules::patient_of(instance);
  return d;
}

StampDecision AccessionStamper::decide_for_patient(
    const rules::InstanceAttributes& instance, const std::string& existing_accession,
    const std::optional<StampDecision>& study_decision,
    const std::vector<rules::CachedEntry>& worklist, int64_t now_ms, bool rematch,
    const rules::MatchingOverrides& overrides,
    const std::function<std::vector<std::string>(std::string_view)>& studies_of,
    const std::function<bool(std::string_view)>& known_station) const {
  const ExistingAccessionPolicy existing_policy =
      overrides.existing_accession.value_or(config_.matching.existing_accession);
  // Decisions of earlier versions name no patient: they are followed (their accession is the
  // study's, and matching afresh could find another order once theirs left the worklist), and
  // the first instance after the upgrade records the study's patient.
  const bool followable = study_decision && binds_study(*study_decision);
  if (followable && !study_decision->patient.patient_id.empty()) {
    const auto conflicts =
        rules::identity_conflicts(rules::patient_of(instance), study_decision->patient);
    if (!conflicts.empty()) {
      return held(StampOutcome::study_conflict, now_ms,
                  "Study Instance UID conflict: another patient than the study's (" +
                      join(conflicts) + "); held alone, a person decides");
    }
  }
  if (!existing_accession.empty() && existing_policy == ExistingAccessionPolicy::keep) {
    if (followable && !study_decision->accession.empty() &&
        study_decision->accession != existing_accession) {
      return held(StampOutcome::mismatch, now_ms,
                  "instance accession '" + existing_accession + "' differs from the study's '" +
                      study_decision->accession + "' (policy keep)");
    }
    StampDecision d;
    d.outcome = StampOutcome::kept;
    d.accession = existing_accession;
    d.reasons.push_back("instance carries an Accession Number; policy keep");
    return d;
  }
  // A hold of matching (ambiguous, conflict, unmatched) is not followed: each later instance is
  // matched on its own, with the hold's competitors, because a later part may carry what the
  // first lacked (the PT part of a PET/CT whose CT part came first). Quarantine, mismatch and
  // invalid-accession holds are followed: a person decides them.
  const bool matching_hold = study_decision && study_decision->action == StampAction::Hold &&
                             (study_decision->outcome == StampOutcome::ambiguous ||
                              study_decision->outcome == StampOutcome::conflict ||
                              study_decision->outcome == StampOutcome::unmatched);
  if (followable && !((rematch || matching_hold) && study_decision->action == StampAction::Hold)) {
    return follow(instance, existing_accession, *study_decision, existing_policy, now_ms);
  }
  rules::MatchHistory history;
  history.studies_of = studies_of;
  history.known_station = known_station;
  if (study_decision && study_decision->action == StampAction::Hold) {
    history.earlier_candidates = study_decision->competing;
  }
  StampDecision d = from_match(instance, worklist, now_ms, overrides, history);
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
      d.accession = existing_accession;
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
    r.requested_procedure_codes = d.entry->requested_procedure_codes;
    if (d.correct_patient) {
      r.correct_patient = data::StampRequest::PatientCorrection{
          d.entry->patient_id, d.entry->issuer_of_patient_id, d.entry->patient_name,
          d.entry->patient_birth_date, d.entry->patient_sex};
    }
  }
  r.modifying_system = config_.server.ae_title;
  r.source_of_previous_values = calling_ae;
  // PS3.3 C.12.1.1.9: COERCE when the value comes from a worklist or master index (a person's
  // choice of order included), CORRECT when a wrong value is replaced: policy overwrite, a
  // person's assign over the image's own accession, or a patient corrected from the order.
  const bool correction = d.outcome == StampOutcome::overwritten || d.correct_patient ||
                          (d.outcome == StampOutcome::manual && d.replaces_accession);
  r.reason = correction ? "CORRECT" : "COERCE";
  r.modification_datetime = dicom_datetime(now_ms);
  return r;
}

}  // namespace acc::router
