#include "router/stamping/stamping_service.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "common/clock.hpp"
#include "dicom/data/data_set.hpp"
#include "dicom/data/part10.hpp"
#include "dicom/data/stamp.hpp"
#include "router/receive/instance_attributes.hpp"
#include "router/receive/prepare_instance.hpp"
#include "router/stamping/stored_object_head.hpp"

namespace acc::router {

using nlohmann::json;
namespace data = dicom::data;

namespace {

// The Study Date when it is a date, else the local day of arrival: what a late order's date is
// compared with.
std::string study_date_or_today(const std::string& study_date, int64_t now_ms) {
  if (rules::days_apart(study_date, study_date)) {  // a valid DA
    return study_date;
  }
  return dicom_datetime(now_ms).substr(0, 8);
}

// A fresh match turned into a hold: the order keeps competing (invariant 5), a person decides.
void hold_as_conflict(StampDecision& d, std::string reason,
                      const std::optional<StampDecision>& study, int64_t now_ms) {
  d.reasons.push_back(std::move(reason));
  d.competing = {d.accession};
  d.action = StampAction::Hold;
  d.outcome = rules::StampOutcome::conflict;
  d.held_since_ms = study && study->held_since_ms > 0 ? study->held_since_ms : now_ms;
  d.accession.clear();
  d.entry.reset();
}

// A rule said this source is never stamped (it has its own worklist): forward as received.
StampDecision not_stamped(const rules::RuleOutcome& outcome) {
  StampDecision d;
  d.action = StampAction::Forward;
  d.outcome = rules::StampOutcome::not_stamped;
  std::string names;
  for (const auto& n : outcome.matched) {
    names += names.empty() ? "'" : ", '";
    names += n;
    names += "'";
  }
  d.reasons = {"site rules (" + names + ") say stamp = false: forwarded as received"};
  return d;
}

}  // namespace

StampingService::StampingService(const config::RouterConfig& config, queue::InstanceStore& store,
                                 WorklistCache& worklist, const RuleBook& rules,
                                 RouterMetrics& metrics)
    : config_(config),
      store_(store),
      worklist_(worklist),
      rules_(rules),
      metrics_(metrics),
      stamper_(config) {}

void StampingService::load_held() {
  auto records = store_.list();
  if (!records) {
    spdlog::error("cannot list held instances: {}", records.error().message());
    return;
  }
  auto decisions = store_.study_decisions();
  std::lock_guard lock(mutex_);
  for (const auto& r : *records) {
    if (!r.calling_ae.empty()) {
      known_stations_.insert(r.calling_ae);
    }
    if (r.state == queue::RecordState::held) {
      mark_held_locked(r.study_instance_uid, r.sop_instance_uid, /*uncommitted=*/false);
      auto& studies = held_by_patient_[r.patient_id];
      if (std::find(studies.begin(), studies.end(), r.study_instance_uid) == studies.end()) {
        studies.push_back(r.study_instance_uid);
      }
    }
  }
  if (decisions) {
    for (const auto& [study, text] : *decisions) {
      const json j = json::parse(text, nullptr, false);
      if (j.is_discarded()) {
        continue;
      }
      const StampDecision d = StampDecision::from_json(j);
      if (!d.accession.empty() && AccessionStamper::binds_study(d) &&
          d.action != StampAction::Hold) {
        claim_locked(d.accession, study);
      }
      remember_decision_locked(study, d);
      if (d.action == StampAction::Forward && d.accession.empty()) {
        for (const auto& a : d.competing) {
          claim_locked(a, study);  // released unstamped: its competitors stay its own
        }
      }
    }
  } else {
    spdlog::error("cannot read study decisions: {}", decisions.error().message());
  }
  if (!held_.empty()) {
    spdlog::warn("{} study(ies) held from a previous run: see `accessioner hold list`",
                 held_.size());
  }
}

void StampingService::mark_held_locked(const std::string& study_uid,
                                       const std::string& sop_instance_uid, bool uncommitted) {
  held_index_[study_uid].insert(sop_instance_uid);
  HeldStudy& h = held_[study_uid];
  ++h.marks;
  if (uncommitted) {
    ++h.uncommitted;
  }
}

void StampingService::hold_settled(const std::string& study_uid) {
  std::lock_guard lock(mutex_);
  if (auto it = held_.find(study_uid); it != held_.end() && it->second.uncommitted > 0) {
    --it->second.uncommitted;
  }
}

std::vector<std::string> StampingService::studies_of_locked(std::string_view accession) const {
  if (auto it = claims_.find(accession); it != claims_.end()) {
    return it->second;
  }
  return {};
}

void StampingService::claim_locked(const std::string& accession, const std::string& study_uid) {
  auto& studies = claims_[accession];
  if (std::find(studies.begin(), studies.end(), study_uid) == studies.end()) {
    studies.push_back(study_uid);
  }
}

std::string StampingService::other_held_study_locked(const std::string& patient_id,
                                                     const std::string& study_uid) const {
  if (auto it = held_by_patient_.find(patient_id); it != held_by_patient_.end()) {
    for (const auto& s : it->second) {
      if (s != study_uid) {
        return s;
      }
    }
  }
  return {};
}

void StampingService::hold_if_patient_has_held_study_locked(
    StampDecision& d, const std::string& study_uid, const std::optional<StampDecision>& study,
    int64_t now_ms) const {
  const bool fresh_match =
      d.action == StampAction::Stamp && d.outcome == rules::StampOutcome::matched &&
      !(study && study->action == StampAction::Stamp && study->accession == d.accession);
  if (!fresh_match || d.patient.patient_id.empty()) {
    return;
  }
  const std::string other = other_held_study_locked(d.patient.patient_id, study_uid);
  if (other.empty()) {
    return;
  }
  hold_as_conflict(d,
                   "conflict: study " + other + " of the same patient is held and order " +
                       d.accession + " may be its (one order, one study); a person decides",
                   study, now_ms);
}

void StampingService::remember_locked(const std::string& patient_id, DecidedStudy study) {
  if (patient_id.empty()) {
    return;
  }
  auto& studies = decided_by_patient_[patient_id];
  // The patient's decisions of long ago cannot compete with a new order: keep the recent ones.
  const int64_t keep_days = std::max<int64_t>(config_.matching.date_window_days, 1) * 2;
  std::erase_if(studies, [&](const DecidedStudy& m) {
    const auto apart = rules::days_apart(m.date, study.date);
    return (!m.study_uid.empty() && m.study_uid == study.study_uid) ||
           (apart && *apart > keep_days);
  });
  studies.push_back(std::move(study));
}

void StampingService::remember_decision_locked(const std::string& study_uid,
                                               const StampDecision& d) {
  if (d.patient.patient_id.empty() || !d.decided_by.empty() || !d.why.empty()) {
    return;  // decisions of earlier versions, and a person's, which a late order does not doubt
  }
  DecidedStudy m{study_uid, {}, d.study_modality, d.study_date, {}, {}};
  if (d.action == StampAction::Stamp && d.outcome == rules::StampOutcome::matched && d.entry) {
    m.accession = d.accession;
    m.modality = d.entry->modality;
    m.date = d.entry->sps_start_date;
  } else if (d.action != StampAction::Forward || !d.accession.empty() ||
             d.outcome == rules::StampOutcome::not_stamped) {
    return;  // held (decided later), kept or verified accessions, and studies a rule exempts
  }
  for (const auto& c : d.candidates) {
    m.orders_seen.insert(c.accession);
  }
  for (const auto& c : d.competing) {
    m.orders_seen.insert(c);
  }
  remember_locked(d.patient.patient_id, std::move(m));
}

void StampingService::hold_if_order_came_late_locked(StampDecision& d, const std::string& study_uid,
                                                     const std::optional<StampDecision>& study,
                                                     int64_t now_ms) const {
  const bool fresh_match =
      d.action == StampAction::Stamp && d.outcome == rules::StampOutcome::matched && d.entry &&
      !(study && study->action == StampAction::Stamp && study->accession == d.accession);
  if (!fresh_match || d.patient.patient_id.empty()) {
    return;
  }
  const auto it = decided_by_patient_.find(d.patient.patient_id);
  if (it == decided_by_patient_.end()) {
    return;
  }
  const auto& policy = stamper_.policy();
  for (const auto& m : it->second) {
    // A study left unstamped may be any alike order's, seen or not (its date may be a skewed
    // clock's, which excluded the order); a stamped one doubts only orders it never saw.
    if (m.study_uid == study_uid || m.accession == d.accession ||
        (!m.accession.empty() && m.orders_seen.contains(d.accession))) {
      continue;
    }
    // Could the order be m's? An order's modality against m's order's, or against the modality
    // of m's instances (a PET order covers the MR part of a PET/MR study).
    const bool alike = m.accession.empty()
                           ? rules::modality_covers(d.entry->modality, m.modality, policy) ||
                                 rules::is_hybrid_part(d.entry->modality, m.modality)
                           : rules::modality_covers(m.modality, d.entry->modality, policy) ||
                                 rules::modality_covers(d.entry->modality, m.modality, policy);
    // An unstamped study's date is its instance's: a day more for a clock on the wrong side of
    // midnight.
    const int64_t window =
        static_cast<int64_t>(config_.matching.date_window_days) + (m.accession.empty() ? 1 : 0);
    const auto apart = rules::days_apart(m.date, d.entry->sps_start_date);
    if (!alike || (apart && *apart > window)) {
      continue;
    }
    const std::string what =
        !m.refused_sop_instance_uid.empty()
            ? "an instance of the same patient was refused for lacking a Study UID (" +
                  m.refused_sop_instance_uid + ")"
            : "study " + m.study_uid + " of the same patient was " +
                  (m.accession.empty() ? std::string("forwarded unstamped")
                                       : "stamped with " + m.accession);
    hold_as_conflict(
        d,
        "conflict: " +
            (m.accession.empty() ? what + " and order " + d.accession + " may be its"
                                 : "order " + d.accession + " reached the worklist after " + what +
                                       " and may be that study's") +
            "; a person decides",
        study, now_ms);
    return;
  }
}

std::optional<StampDecision> StampingService::study_decision_locked(
    const std::string& study_uid) const {
  if (study_uid.empty()) {
    return std::nullopt;
  }
  if (auto it = memo_.find(study_uid); it != memo_.end()) {
    return it->second;
  }
  auto stored = store_.study_decision(study_uid);
  if (!stored || !*stored) {
    return std::nullopt;
  }
  const json j = json::parse(**stored, nullptr, false);
  if (j.is_discarded()) {
    return std::nullopt;
  }
  StampDecision d = StampDecision::from_json(j);
  memo_[study_uid] = d;
  return d;
}

InstancePlan StampingService::plan_for(const std::vector<uint8_t>& part10,
                                       const queue::InstanceRecord& r) const {
  auto view = data::split_part10(part10);
  if (view) {
    auto parsed = data::DataSet::parse_header(view->data_set, view->meta.transfer_syntax_uid);
    if (parsed) {
      return rules_.plan(*parsed, r.calling_ae, r.peer_address);
    }
  }
  return {{}, rules_.all_destinations()};
}

json StampingService::audit(const StampDecision& d, const queue::InstanceRecord& r,
                            int64_t now_ms) const {
  json j = d.to_json();
  j["decided_at_ms"] = now_ms;
  j["sop_instance_uid"] = r.sop_instance_uid;
  j["study_instance_uid"] = r.study_instance_uid;
  j["calling_ae"] = r.calling_ae;
  return j;
}

std::optional<std::vector<uint8_t>> StampingService::stamped(const std::vector<uint8_t>& part10,
                                                             const StampDecision& d,
                                                             const std::string& calling_ae,
                                                             int64_t now_ms,
                                                             std::string& why) const {
  auto view = data::split_part10(part10);
  if (!view) {
    why = view.error().message();
    return std::nullopt;
  }
  auto result = data::stamp_accession(view->data_set, view->meta.transfer_syntax_uid,
                                      stamper_.stamp_request(d, calling_ae, now_ms));
  if (!result) {
    why = result.error().message();
    return std::nullopt;
  }
  return data::make_part10(view->meta, result->data_set);
}

void StampingService::process(PreparedInstance& p, int64_t now_ms) {
  auto& r = p.record;
  if (p.rules.stamp && r.study_instance_uid.empty()) {
    // Type 1 in every composite IOD. Without it the instance cannot be kept consistent with its
    // study, and grouping such instances would release two patients' images together.
    p.status = kRejectStatus;
    p.error_comment = "no Study Instance UID (0020,000D): cannot stamp consistently with a study";
    metrics_.stamping_decision(rules::StampOutcome::unmatched);
    spdlog::warn("[assoc {}] reject {}: no Study Instance UID", r.association_id,
                 r.sop_instance_uid);
    // The patient had an exam here that may own an order: no other study of the patient takes
    // an order like it without a person. (In memory: forgotten at restart.)
    std::lock_guard lock(mutex_);
    DecidedStudy refused;
    refused.refused_sop_instance_uid = r.sop_instance_uid;
    refused.modality = p.attributes.modality;
    refused.date = study_date_or_today(p.attributes.study_date, now_ms);
    remember_locked(p.attributes.patient_id, std::move(refused));
    return;
  }
  StampDecision d;
  {
    std::lock_guard lock(mutex_);
    if (!r.calling_ae.empty()) {
      known_stations_.insert(r.calling_ae);
    }
    const auto study = study_decision_locked(r.study_instance_uid);
    auto attrs = p.attributes;
    attrs.calling_ae = r.calling_ae;
    if (!p.rules.stamp) {
      d = not_stamped(p.rules);
    } else {
      d = stamper_.decide(
          attrs, p.existing_accession, study, *worklist_.entries(now_ms), now_ms,
          /*rematch=*/false, p.rules.matching,
          [this](std::string_view a) { return studies_of_locked(a); },
          [this](std::string_view s) { return known_stations_.contains(s); });
      d.study_modality = attrs.modality;
      d.study_date = study_date_or_today(attrs.study_date, now_ms);
      hold_if_patient_has_held_study_locked(d, r.study_instance_uid, study, now_ms);
      hold_if_order_came_late_locked(d, r.study_instance_uid, study, now_ms);
    }
    const bool changes_study =
        AccessionStamper::binds_study(d) &&
        (!study || study->action != d.action || study->accession != d.accession ||
         study->outcome != d.outcome || study->patient != d.patient);
    if (changes_study) {
      memo_[r.study_instance_uid] = d;
      r.study_decision_json = d.to_json().dump();
      if (!d.accession.empty() && d.action != StampAction::Hold) {
        claim_locked(d.accession, r.study_instance_uid);  // a held mismatch claims nothing
      }
      remember_decision_locked(r.study_instance_uid, d);
    }
    if (d.action == StampAction::Hold) {
      mark_held_locked(r.study_instance_uid, r.sop_instance_uid, /*uncommitted=*/true);
      auto& studies = held_by_patient_[r.patient_id];
      if (std::find(studies.begin(), studies.end(), r.study_instance_uid) == studies.end()) {
        studies.push_back(r.study_instance_uid);
      }
    }
  }
  if (d.action == StampAction::Stamp) {
    std::string why;
    auto bytes = stamped(p.part10, d, r.calling_ae, now_ms, why);
    if (bytes) {
      p.part10 = std::move(*bytes);
      r.size_bytes = p.object_size();
    } else {
      // The decision stands for the study; this one instance cannot carry it: held alone, and
      // after hold_s it goes the after_hold way like any hold.
      StampDecision failed = d;
      failed.action = StampAction::Hold;
      failed.outcome = rules::StampOutcome::stamp_failed;
      failed.reasons.push_back("stamping failed: " + why);
      failed.held_since_ms = now_ms;
      d = std::move(failed);
      std::lock_guard lock(mutex_);
      mark_held_locked(r.study_instance_uid, r.sop_instance_uid, /*uncommitted=*/true);
    }
  }
  r.decision_json = audit(d, r, now_ms).dump();
  metrics_.stamping_decision(d.outcome);
  switch (d.action) {
    case StampAction::Stamp:
      spdlog::info("[assoc {}] stamp {}: accession {} ({})", r.association_id, r.sop_instance_uid,
                   d.accession, enum_name(d.outcome));
      break;
    case StampAction::Forward:
      if (AccessionStamper::binds_study(d) && d.accession.empty()) {
        spdlog::warn("[assoc {}] forward {} unstamped ({})", r.association_id, r.sop_instance_uid,
                     enum_name(d.outcome));
      }
      break;
    case StampAction::Hold:
      r.destinations.clear();
      r.state = queue::RecordState::held;
      r.held_decision_json = r.decision_json;
      if (d.outcome == rules::StampOutcome::unmatched) {
        worklist_.query_patient(p.attributes.patient_id);  // answers re-match the study
      }
      spdlog::warn("[assoc {}] hold {} of study {} ({}): {}", r.association_id, r.sop_instance_uid,
                   r.study_instance_uid, enum_name(d.outcome),
                   d.reasons.empty() ? "" : d.reasons.back());
      break;
    case StampAction::Reject:
      p.status = kRejectStatus;
      p.error_comment = "no unambiguous worklist entry (policy reject)";
      spdlog::warn("[assoc {}] reject {} ({})", r.association_id, r.sop_instance_uid,
                   enum_name(d.outcome));
      break;
  }
}

std::vector<queue::InstanceRecord> StampingService::held_records(
    const std::string& study_uid) const {
  std::vector<std::pair<std::string, std::string>> wanted;  // (study, SOP)
  {
    std::lock_guard lock(mutex_);
    for (const auto& [study, sops] : held_index_) {
      if (study_uid.empty() || study == study_uid) {
        for (const auto& sop : sops) {
          wanted.emplace_back(study, sop);
        }
      }
    }
  }
  std::vector<queue::InstanceRecord> out;
  for (const auto& [study, sop] : wanted) {
    auto found = store_.find(sop);
    if (found && *found && (*found)->state == queue::RecordState::held &&
        (*found)->study_instance_uid == study) {
      out.push_back(std::move(**found));
    }
  }
  // In arrival order, as the store lists: the first held instance of a unit decides its re-match.
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.arrival_seq < b.arrival_seq; });
  return out;
}

Result<StampingService::HeldUnit> StampingService::held_unit(const std::string& study_uid,
                                                             const std::string& patient_id) const {
  HeldUnit unit{study_uid, patient_id, {}};
  std::vector<std::string> patients;
  for (auto& r : held_records(study_uid)) {
    if (std::find(patients.begin(), patients.end(), r.patient_id) == patients.end()) {
      patients.push_back(r.patient_id);
    }
    if (!patient_id.empty() && r.patient_id != patient_id) {
      continue;
    }
    unit.records.push_back(std::move(r));
  }
  if (patient_id.empty() && patients.size() > 1) {
    std::string list;
    for (const auto& p : patients) {
      list += list.empty() ? "'" : ", '";
      list += p + "'";
    }
    return fail(Error{std::make_error_code(std::errc::invalid_argument),
                      "study " + study_uid + " has held instances of " +
                          std::to_string(patients.size()) + " patients (" + list +
                          "): say which with --patient"});
  }
  if (unit.records.empty()) {
    return fail(Error{std::make_error_code(std::errc::invalid_argument),
                      "nothing is held for study " + study_uid +
                          (patient_id.empty() ? std::string() : " and patient " + patient_id)});
  }
  unit.patient_id = unit.records.front().patient_id;
  return unit;
}

Result<uint64_t> StampingService::release_unit(const std::string& study_uid,
                                               const std::string& patient_id, StampDecision d,
                                               bool sets_study, int64_t now_ms,
                                               const std::vector<std::string>& only) {
  auto unit = held_unit(study_uid, patient_id);
  if (!unit) {
    return uint64_t{0};  // released meanwhile (by a person or the previous re-evaluation)
  }
  if (d.action == StampAction::Forward && d.accession.empty()) {
    // Released unstamped: the orders that competed for the held instances stay theirs. Nothing
    // says they were not this study's, so another study of the patient must not take them
    // without a person (a repeat scan after the first one was released unstamped).
    for (const auto& r : unit->records) {
      const json j = json::parse(r.held_decision_json, nullptr, false);
      if (j.is_object()) {
        for (const auto& a : StampDecision::from_json(j).competing) {
          if (std::find(d.competing.begin(), d.competing.end(), a) == d.competing.end()) {
            d.competing.push_back(a);
          }
        }
      }
    }
    std::lock_guard lock(mutex_);
    for (const auto& a : d.competing) {
      claim_locked(a, study_uid);
    }
  }
  if (sets_study) {
    // The new decision first: instances of the study arriving from now on follow it. One decided
    // "hold" just before, and committed after the list above, stays in held_ and is released by
    // the next re-evaluation (every 5 s) under this same decision.
    std::lock_guard lock(mutex_);
    memo_[study_uid] = d;
    if (!d.accession.empty()) {
      claim_locked(d.accession, study_uid);
    }
    remember_decision_locked(study_uid, d);
  }
  uint64_t released = 0;
  bool study_written = !sets_study;
  for (auto& r : unit->records) {
    if (!only.empty() && std::find(only.begin(), only.end(), r.sop_instance_uid) == only.end()) {
      continue;
    }
    // The head only: the bulk goes from the stored object into the new version at commit.
    auto source = store_.object_source(r.sop_instance_uid);
    if (!source || !*source) {
      if (!source) {
        spdlog::error("held {} not re-decided: {}", r.sop_instance_uid, source.error().message());
      }
      continue;
    }
    auto head = read_object_head(***source, kMaxSpooledHeadBytes);
    if (!head) {
      spdlog::error("held {} not re-decided: {}", r.sop_instance_uid, head.error().message());
      continue;
    }
    std::vector<uint8_t> part10 = std::move(head->part10);
    auto new_version = [&](std::vector<uint8_t> bytes) {
      return queue::ObjectBytes{std::move(bytes), **source, head->bulk_offset, head->bulk_length};
    };
    StampDecision applied = d;
    if (d.action == StampAction::Stamp) {
      std::string why;
      auto bytes = stamped(part10, d, r.calling_ae, now_ms, why);
      if (!bytes) {
        // Held alone with the reason, so after_hold applies to it like to any hold.
        StampDecision failed = d;
        failed.action = StampAction::Hold;
        failed.outcome = rules::StampOutcome::stamp_failed;
        failed.held_since_ms = now_ms;
        failed.reasons.push_back("stamping failed: " + why);
        spdlog::error("held {} stays held: stamping failed: {}", r.sop_instance_uid, why);
        const json held_json = audit(failed, r, now_ms);
        if (r.held_decision_json.find("\"stamp_failed\"") == std::string::npos) {
          r.decision_json = held_json.dump();
          r.held_decision_json = r.decision_json;
          r.study_decision_json = study_written ? std::string() : d.to_json().dump();
          study_written = true;
          auto committed = store_.commit(r, new_version(std::move(part10)));
          if (!committed) {
            return fail(committed.error());
          }
        }
        continue;
      }
      part10 = std::move(*bytes);
      if (d.correct_patient && d.entry) {
        r.patient_id = d.entry->patient_id;
      }
    }
    r.state = queue::RecordState::stored;
    r.destinations = plan_for(part10, r).destinations;
    r.decision_json = audit(applied, r, now_ms).dump();
    r.held_decision_json.clear();
    r.study_decision_json = study_written ? std::string() : d.to_json().dump();
    r.size_bytes = part10.size() + head->bulk_length;
    auto committed = store_.commit(r, new_version(std::move(part10)));
    if (!committed) {
      return fail(committed.error());
    }
    {
      std::lock_guard lock(mutex_);
      if (auto it = held_index_.find(study_uid); it != held_index_.end()) {
        it->second.erase(r.sop_instance_uid);
      }
    }
    study_written = true;
    ++released;
    metrics_.stamping_decision(d.outcome);
  }
  if (only.empty() && released == unit->records.size()) {
    // The patient no longer waits on this study: a fresh match for another of its studies need
    // not wait for the next re-evaluation to find that out. (A hold of the study still on its way
    // to the store keeps it listed.)
    std::lock_guard lock(mutex_);
    const auto h = held_.find(study_uid);
    auto p = held_by_patient_.find(unit->patient_id);
    if ((h == held_.end() || h->second.uncommitted == 0) && p != held_by_patient_.end()) {
      std::erase(p->second, study_uid);
    }
  }
  spdlog::info("study {} patient {} released: {} instance(s), {} ({})", study_uid, unit->patient_id,
               released, d.action == StampAction::Stamp ? "accession " + d.accession : "unstamped",
               enum_name(d.outcome));
  return released;
}

void StampingService::reevaluate_held(int64_t now_ms) {
  // Looked at before the store is listed: a study whose held instances were all committed by now
  // shows them in the list below.
  std::map<std::string, HeldStudy> studies;
  {
    std::lock_guard lock(mutex_);
    studies = held_;
  }
  if (studies.empty()) {
    return;
  }
  const auto records = held_records();
  {
    // What is held now, as the store shows it, plus holds decided since the look (their commit
    // may not be in this listing yet): process() adds to the map, this keeps it from growing.
    std::map<std::string, std::vector<std::string>> held_now;
    for (const auto& r : records) {
      if (r.held_decision_json.find("\"stamp_failed\"") == std::string::npos) {
        auto& list = held_now[r.patient_id];
        if (std::find(list.begin(), list.end(), r.study_instance_uid) == list.end()) {
          list.push_back(r.study_instance_uid);
        }
      }
    }
    std::lock_guard lock(mutex_);
    for (const auto& [study, h] : held_) {
      if (h.uncommitted > 0) {
        for (const auto& [patient, list] : held_by_patient_) {
          if (std::find(list.begin(), list.end(), study) != list.end()) {
            auto& now_list = held_now[patient];
            if (std::find(now_list.begin(), now_list.end(), study) == now_list.end()) {
              now_list.push_back(study);
            }
          }
        }
      }
    }
    held_by_patient_ = std::move(held_now);
  }
  const auto worklist = worklist_.entries(now_ms);
  for (const auto& [study, seen] : studies) {
    std::vector<std::string> patients;
    for (const auto& r : records) {
      if (r.study_instance_uid == study &&
          std::find(patients.begin(), patients.end(), r.patient_id) == patients.end()) {
        patients.push_back(r.patient_id);
      }
    }
    if (patients.empty()) {
      // Nothing held in the store. Forget the study only if no hold of it was still on its way
      // to the store when we looked, and none was decided since.
      std::lock_guard lock(mutex_);
      auto it = held_.find(study);
      if (it != held_.end() && seen.uncommitted == 0 && it->second.uncommitted == 0 &&
          it->second.marks == seen.marks) {
        held_.erase(it);
        held_index_.erase(study);
      }
      continue;
    }
    for (const auto& patient : patients) {
      reevaluate_unit(study, patient, *worklist, now_ms);
    }
  }
}

void StampingService::reevaluate_unit(const std::string& study, const std::string& patient_id,
                                      const std::vector<rules::CachedEntry>& worklist,
                                      int64_t now_ms) {
  // Under release_mutex_ from the look to the release: a person's decision taken meanwhile is
  // seen here, never overwritten by an automatic one decided from what was there before.
  std::lock_guard release(release_mutex_);
  auto unit = held_unit(study, patient_id);
  if (!unit) {
    return;
  }
  const auto hold_s = static_cast<int64_t>(config_.matching.hold_s) * 1000;
  // Instances held alone: conflicts wait for a person; stamp failures take after_hold.
  std::vector<std::string> failed_due;
  const queue::InstanceRecord* first = nullptr;
  for (const auto& r : unit->records) {
    const json j = json::parse(r.held_decision_json, nullptr, false);
    const StampDecision h = j.is_object() ? StampDecision::from_json(j) : StampDecision{};
    if (h.action == StampAction::Hold && AccessionStamper::held_alone(h)) {
      if (h.outcome == rules::StampOutcome::stamp_failed && now_ms - h.held_since_ms >= hold_s) {
        failed_due.push_back(r.sop_instance_uid);
      }
      continue;
    }
    if (first == nullptr) {
      first = &r;
    }
  }
  if (!failed_due.empty() && config_.matching.after_hold == config::AfterHoldPolicy::forward) {
    StampDecision f;
    f.action = StampAction::Forward;
    f.outcome = rules::StampOutcome::released;
    f.reasons = {"stamp could not be written for " + std::to_string(config_.matching.hold_s) +
                 " s; after_hold = forward (unstamped)"};
    auto released = release_unit(study, patient_id, f, /*sets_study=*/false, now_ms, failed_due);
    if (!released) {
      spdlog::error("study {}: release failed: {}", study, released.error().message());
    }
  }
  if (first == nullptr) {
    return;
  }
  std::optional<StampDecision> stored;
  {
    std::lock_guard lock(mutex_);
    stored = study_decision_locked(study);
  }
  if (stored && stored->outcome == rules::StampOutcome::quarantined) {
    return;  // only a person releases a quarantined study
  }
  // Looked at every few seconds while the study is held: a check of the whole object within the
  // last minutes is enough to trust its attributes (a release checks every object whole again).
  auto source =
      store_.object_source(first->sop_instance_uid, queue::InstanceStore::ObjectCheck::recent);
  if (!source || !*source) {
    return;
  }
  auto head = read_object_head(***source, kMaxSpooledHeadBytes);
  if (!head) {
    return;
  }
  auto view = data::split_part10(head->part10);
  if (!view) {
    return;
  }
  auto parsed = data::DataSet::parse_header(view->data_set, view->meta.transfer_syntax_uid);
  if (!parsed) {
    return;
  }
  auto attrs = instance_attributes(*parsed);
  attrs.calling_ae = first->calling_ae;
  const InstancePlan plan = rules_.plan(*parsed, first->calling_ae, first->peer_address);
  StampDecision d;
  if (!plan.outcome.stamp) {
    d = not_stamped(plan.outcome);
  } else {
    std::lock_guard lock(mutex_);
    d = stamper_.decide(
        attrs, parsed->summary().accession_number, stored, worklist, now_ms,
        /*rematch=*/true, plan.outcome.matching,
        [this](std::string_view a) { return studies_of_locked(a); },
        [this](std::string_view s) { return known_stations_.contains(s); });
    d.study_modality = attrs.modality;
    d.study_date = study_date_or_today(attrs.study_date, now_ms);
    hold_if_patient_has_held_study_locked(d, study, stored, now_ms);
    hold_if_order_came_late_locked(d, study, stored, now_ms);
  }
  // Only the instances held by the study's own decision go with it; those held alone stay.
  std::vector<std::string> with_study;
  for (const auto& r : unit->records) {
    const json j = json::parse(r.held_decision_json, nullptr, false);
    const StampDecision h = j.is_object() ? StampDecision::from_json(j) : StampDecision{};
    if (!(h.action == StampAction::Hold && AccessionStamper::held_alone(h))) {
      with_study.push_back(r.sop_instance_uid);
    }
  }
  if (AccessionStamper::held_alone(d)) {
    return;  // e.g. the study's decision is now another patient's: a person decides
  }
  if (d.action == StampAction::Stamp || d.action == StampAction::Forward) {
    d.reasons.insert(d.reasons.begin(), "re-matched after being held");
    auto released =
        release_unit(study, patient_id, d, AccessionStamper::binds_study(d), now_ms, with_study);
    if (!released) {
      spdlog::error("study {}: release failed: {}", study, released.error().message());
    }
    return;
  }
  if (d.action == StampAction::Hold && stored && d.competing.size() > stored->competing.size()) {
    // More orders compete than the stored decision remembers: remember them across restarts
    // (invariant 5), by re-committing the first held instance with the wider decision.
    StampDecision wider = *stored;
    wider.competing = d.competing;
    {
      std::lock_guard lock(mutex_);
      memo_[study] = wider;
    }
    queue::InstanceRecord r = *first;
    r.study_decision_json = wider.to_json().dump();
    r.decision_json.clear();
    // The same object again, copied from itself (its head is in `head`, the rest in `source`).
    auto committed =
        store_.commit(std::move(r), queue::ObjectBytes{std::move(head->part10), **source,
                                                       head->bulk_offset, head->bulk_length});
    if (!committed) {
      spdlog::error("study {}: cannot store its competing orders: {}", study,
                    committed.error().message());
    }
  }
  const int64_t held_since = stored && stored->held_since_ms > 0 ? stored->held_since_ms : now_ms;
  if (now_ms - held_since < hold_s) {
    return;
  }
  if (config_.matching.after_hold == config::AfterHoldPolicy::forward) {
    StampDecision f;
    f.action = StampAction::Forward;
    f.outcome = rules::StampOutcome::released;
    f.patient = d.patient;
    f.reasons = {"held for " + std::to_string(config_.matching.hold_s) +
                 " s without a match; after_hold = forward (unstamped)"};
    // What the last look saw: the orders still competing stay this study's (one order, one
    // study), and an order that comes later is compared with this study (a late order).
    f.competing = d.competing;
    if (stored) {
      for (const auto& a : stored->competing) {
        if (std::find(f.competing.begin(), f.competing.end(), a) == f.competing.end()) {
          f.competing.push_back(a);
        }
      }
    }
    f.candidates = d.candidates;
    f.study_modality = d.study_modality;
    f.study_date = d.study_date;
    auto released = release_unit(study, patient_id, f, /*sets_study=*/true, now_ms, with_study);
    if (!released) {
      spdlog::error("study {}: release failed: {}", study, released.error().message());
    }
  } else if (!stored || stored->outcome != rules::StampOutcome::quarantined) {
    StampDecision q = stored ? *stored : d;
    q.action = StampAction::Hold;
    q.outcome = rules::StampOutcome::quarantined;
    q.reasons.push_back("held for " + std::to_string(config_.matching.hold_s) +
                        " s without a match; after_hold = quarantine: a person decides");
    metrics_.stamping_decision(q.outcome);
    std::lock_guard lock(mutex_);
    memo_[study] = q;
    spdlog::error("study {} quarantined: `accessioner hold assign|release` decides", study);
  }
}

namespace {

Error refused(std::string why) {
  return Error{std::make_error_code(std::errc::invalid_argument), std::move(why)};
}

// The patients of a unit's held instances, as the decisions that held them recorded.
std::vector<rules::PatientIdentity> held_patients(
    const std::vector<queue::InstanceRecord>& records) {
  std::vector<rules::PatientIdentity> out;
  for (const auto& r : records) {
    const json j = json::parse(r.held_decision_json, nullptr, false);
    rules::PatientIdentity p;
    if (j.is_object()) {
      p = StampDecision::from_json(j).patient;
    }
    if (p.patient_id.empty()) {
      p.patient_id = r.patient_id;  // held by an earlier version: the ID is all we know
    }
    if (std::find(out.begin(), out.end(), p) == out.end()) {
      out.push_back(std::move(p));
    }
  }
  return out;
}

std::string describe(const rules::PatientIdentity& p) {
  std::string out = "'" + p.patient_id + "'";
  if (!p.issuer_of_patient_id.empty()) {
    out += " (issuer " + p.issuer_of_patient_id + ")";
  }
  if (!p.patient_name.empty()) {
    out += " " + p.patient_name;
  }
  if (!p.birth_date.empty()) {
    out += " born " + p.birth_date;
  }
  return out;
}

}  // namespace

Result<uint64_t> StampingService::assign(const ManualDecision& m, int64_t now_ms) {
  if (auto problem = rules::accession_problem(m.accession)) {
    return fail(refused(*problem));
  }
  if ((m.force || m.correct_patient) && m.why.empty()) {
    return fail(refused("--force and --correct-patient need a --reason"));
  }
  std::lock_guard release(release_mutex_);
  auto unit = held_unit(m.study_uid, m.patient_id);
  if (!unit) {
    return fail(unit.error());
  }
  const auto patients = held_patients(unit->records);
  // The order the accession belongs to, among the cached ones.
  std::optional<data::WorklistItem> order;
  for (const auto& e : *worklist_.entries(now_ms)) {
    if (!e.undecodable && e.item.accession_number == m.accession) {
      order = e.item;
      break;
    }
  }
  StampDecision d;
  d.action = StampAction::Stamp;
  d.outcome = rules::StampOutcome::manual;
  d.accession = m.accession;
  d.issuer = {config_.accession.issuer_local_namespace, config_.accession.issuer_universal_id,
              config_.accession.issuer_universal_id_type};
  d.decided_by = m.who;
  d.why = m.why;
  d.patient = patients.front();
  for (const auto& r : unit->records) {
    if (r.held_decision_json.find("\"mismatch\"") != std::string::npos) {
      d.replaces_accession = true;  // the image's own accession is replaced: CORRECT
    }
  }
  d.reasons = {"assigned by " + (m.who.empty() ? std::string("a person") : m.who) +
               " (accessioner hold assign)" + (m.why.empty() ? "" : ": " + m.why)};
  if (!order) {
    if (!m.force) {
      return fail(refused("accession " + m.accession +
                          " is not a cached worklist order: check it, or --force --reason"));
    }
    if (m.correct_patient) {
      return fail(refused("--correct-patient needs a cached order to take the patient from"));
    }
    d.reasons.push_back("forced: not a cached worklist order");
  } else {
    if (order->accession_issuer && (!order->accession_issuer->local_namespace.empty() ||
                                    !order->accession_issuer->universal_id.empty())) {
      d.issuer = *order->accession_issuer;
    }
    d.entry = order;
    const rules::PatientIdentity order_patient = rules::patient_of(*order);
    std::vector<std::string> differences;
    for (const auto& p : patients) {
      for (const auto& c : rules::identity_conflicts(p, order_patient)) {
        differences.push_back(describe(p) + ": " + c);
      }
    }
    if (!differences.empty()) {
      if (m.correct_patient) {
        d.correct_patient = true;
        d.patient = order_patient;
        d.reasons.push_back("patient corrected from the order to " + describe(order_patient) +
                            " (reason CORRECT)");
      } else if (m.force) {
        d.reasons.push_back("forced although the order's patient differs");
      } else {
        std::string list;
        for (const auto& x : differences) {
          list += list.empty() ? "" : "; ";
          list += x;
        }
        return fail(refused("order " + m.accession + " is patient " + describe(order_patient) +
                            "'s; the held instances are not (" + list +
                            "): --correct-patient rewrites the patient from the order, "
                            "--force stamps anyway; both need --reason"));
      }
    }
  }
  {
    // One order, one study (invariant 3): a second study takes an order only when the person
    // says so knowingly, e.g. the first study took it by mistake and is corrected in the PACS.
    std::lock_guard lock(mutex_);
    std::vector<std::string> others;
    for (const auto& other : studies_of_locked(m.accession)) {
      if (other != m.study_uid) {
        others.push_back(other);
      }
    }
    if (!others.empty()) {
      std::string list;
      for (const auto& o : others) {
        list += (list.empty() ? "" : ", ") + o;
      }
      if (!m.force) {
        return fail(refused("accession " + m.accession + " is already on study " + list +
                            " (one order, one study): --force --reason if this study is the "
                            "order's too"));
      }
      d.reasons.push_back("forced although the accession is on study " + list);
    }
  }
  std::optional<StampDecision> stored;
  {
    std::lock_guard lock(mutex_);
    stored = study_decision_locked(m.study_uid);
  }
  // The unit is the study's own patient unless the study's decision names another one.
  const bool sets_study = !stored || stored->patient.patient_id.empty() ||
                          rules::identity_conflicts(patients.front(), stored->patient).empty();
  spdlog::warn("hold assign: study {} patient {} accession {} by {}: {}", m.study_uid,
               unit->patient_id, m.accession, m.who, m.why);
  return release_unit(m.study_uid, unit->patient_id, d, sets_study, now_ms);
}

Result<uint64_t> StampingService::release(const ManualDecision& m, int64_t now_ms) {
  std::lock_guard release(release_mutex_);
  auto unit = held_unit(m.study_uid, m.patient_id);
  if (!unit) {
    return fail(unit.error());
  }
  const auto patients = held_patients(unit->records);
  StampDecision d;
  d.action = StampAction::Forward;
  d.outcome = rules::StampOutcome::released;
  d.decided_by = m.who;
  d.why = m.why;
  d.patient = patients.front();
  d.reasons = {"released unstamped by " + (m.who.empty() ? std::string("a person") : m.who) +
               " (accessioner hold release)" + (m.why.empty() ? "" : ": " + m.why)};
  std::optional<StampDecision> stored;
  {
    std::lock_guard lock(mutex_);
    stored = study_decision_locked(m.study_uid);
  }
  const bool sets_study = !stored || stored->patient.patient_id.empty() ||
                          rules::identity_conflicts(patients.front(), stored->patient).empty();
  spdlog::warn("hold release: study {} patient {} by {}: {}", m.study_uid, unit->patient_id, m.who,
               m.why);
  return release_unit(m.study_uid, unit->patient_id, d, sets_study, now_ms);
}

json StampingService::held_studies() const {
  json out = json::array();
  std::map<std::pair<std::string, std::string>, json> units;
  for (const auto& r : held_records()) {
    auto& s = units[{r.study_instance_uid, r.patient_id}];
    const json j = json::parse(r.held_decision_json, nullptr, false);
    const StampDecision h = j.is_object() ? StampDecision::from_json(j) : StampDecision{};
    if (s.is_null()) {
      s = {{"study_instance_uid", r.study_instance_uid},
           {"patient_id", r.patient_id},
           {"calling_ae", r.calling_ae},
           {"instances", 0},
           {"held_since_ms", h.held_since_ms > 0 ? h.held_since_ms : r.received_at_ms}};
      if (!h.patient.patient_id.empty()) {
        s["patient"] = {{"patient_id", h.patient.patient_id},
                        {"issuer_of_patient_id", h.patient.issuer_of_patient_id},
                        {"patient_name", h.patient.patient_name},
                        {"birth_date", h.patient.birth_date},
                        {"sex", h.patient.sex}};
      }
    }
    s["instances"] = s["instances"].get<int>() + 1;
    if (j.is_object()) {
      // The latest decision of the unit: what a person sees and decides on.
      s["outcome"] = enum_name(h.outcome);
      s["reasons"] = h.reasons;
      s["candidates"] = j.value("candidates", json::array());
    }
  }
  std::lock_guard lock(mutex_);
  for (auto& [key, s] : units) {
    if (auto d = study_decision_locked(key.first)) {
      if (!s.contains("outcome")) {
        s["outcome"] = enum_name(d->outcome);
        s["reasons"] = d->reasons;
      }
      if (d->outcome == rules::StampOutcome::quarantined) {
        s["outcome"] = enum_name(d->outcome);
      }
    }
    out.push_back(s);
  }
  return out;
}

std::size_t StampingService::held_count() const {
  std::lock_guard lock(mutex_);
  return held_.size();
}

}  // namespace acc::router
