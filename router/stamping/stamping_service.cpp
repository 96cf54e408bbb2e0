#include "router/stamping/stamping_service.hpp"

#include <spdlog/spdlog.h>

#include "dicom/data/data_set.hpp"
#include "dicom/data/part10.hpp"
#include "dicom/data/stamp.hpp"
#include "router/receive/instance_attributes.hpp"

namespace acc::router {

using nlohmann::json;
namespace data = dicom::data;

namespace {

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
  std::lock_guard lock(mutex_);
  for (const auto& r : *records) {
    if (r.state == queue::RecordState::held) {
      mark_held_locked(r.study_instance_uid, /*uncommitted=*/false);
    }
  }
  if (!held_.empty()) {
    spdlog::warn("{} study(ies) held from a previous run: see `accessioner hold list`",
                 held_.size());
  }
}

void StampingService::mark_held_locked(const std::string& study_uid, bool uncommitted) {
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
    auto parsed = data::DataSet::parse(view->data_set, view->meta.transfer_syntax_uid);
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
  StampDecision d;
  {
    std::lock_guard lock(mutex_);
    const auto study = study_decision_locked(r.study_instance_uid);
    auto attrs = p.attributes;
    attrs.calling_ae = r.calling_ae;
    if (!p.rules.stamp) {
      d = not_stamped(p.rules);
    } else {
      d = stamper_.decide(attrs, p.existing_accession, study, *worklist_.entries(now_ms), now_ms,
                          /*rematch=*/false, p.rules.matching);
    }
    const bool changes_study = AccessionStamper::binds_study(d) && !r.study_instance_uid.empty() &&
                               (!study || study->action != d.action ||
                                study->accession != d.accession || study->outcome != d.outcome);
    if (changes_study) {
      memo_[r.study_instance_uid] = d;
      r.study_decision_json = d.to_json().dump();
    }
    if (d.action == StampAction::Hold) {
      mark_held_locked(r.study_instance_uid, /*uncommitted=*/true);
    }
  }
  if (d.action == StampAction::Stamp) {
    std::string why;
    auto bytes = stamped(p.part10, d, r.calling_ae, now_ms, why);
    if (bytes) {
      p.part10 = std::move(*bytes);
      r.size_bytes = p.part10.size();
    } else {
      // The decision stands for the study; this one instance cannot carry it: hold it.
      d.action = StampAction::Hold;
      d.reasons.push_back("stamping failed: " + why);
      d.held_since_ms = now_ms;
      std::lock_guard lock(mutex_);
      mark_held_locked(r.study_instance_uid, /*uncommitted=*/true);
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
      if (AccessionStamper::binds_study(d)) {
        spdlog::warn("[assoc {}] forward {} unstamped ({})", r.association_id, r.sop_instance_uid,
                     enum_name(d.outcome));
      }
      break;
    case StampAction::Hold:
      r.destinations.clear();
      r.state = queue::RecordState::held;
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

[[nodiscard]] Result<uint64_t> StampingService::release_study(const std::string& study_uid,
                                                              StampDecision d, int64_t now_ms) {
  std::lock_guard release(release_mutex_);
  {
    // The new decision first: instances of the study arriving from now on follow it. One decided
    // "hold" just before, and committed after the list below, stays in held_ and is released by
    // the next re-evaluation (every 5 s) under this same decision.
    std::lock_guard lock(mutex_);
    memo_[study_uid] = d;
  }
  auto records = store_.list();
  if (!records) {
    return fail(records.error());
  }
  uint64_t released = 0;
  bool study_written = false;
  for (auto& r : *records) {
    if (r.state != queue::RecordState::held || r.study_instance_uid != study_uid) {
      continue;
    }
    auto object = store_.read_object(r.sop_instance_uid);
    if (!object || !*object) {
      continue;
    }
    std::vector<uint8_t> part10 = std::move(**object);
    if (d.action == StampAction::Stamp) {
      std::string why;
      auto bytes = stamped(part10, d, r.calling_ae, now_ms, why);
      if (!bytes) {
        spdlog::error("held {} stays held: stamping failed: {}", r.sop_instance_uid, why);
        continue;
      }
      part10 = std::move(*bytes);
    }
    r.state = queue::RecordState::stored;
    r.destinations = plan_for(part10, r).destinations;
    r.decision_json = audit(d, r, now_ms).dump();
    r.study_decision_json = study_written ? std::string() : d.to_json().dump();
    r.size_bytes = part10.size();
    auto committed = store_.commit(r, std::move(part10));
    if (!committed) {
      return fail(committed.error());
    }
    study_written = true;
    ++released;
    metrics_.stamping_decision(d.outcome);
  }
  spdlog::info("study {} released: {} instance(s), {} ({})", study_uid, released,
               d.action == StampAction::Stamp ? "accession " + d.accession : "unstamped",
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
  auto records = store_.list();
  if (!records) {
    return;
  }
  const auto worklist = worklist_.entries(now_ms);
  for (const auto& [study, seen] : studies) {
    const queue::InstanceRecord* first = nullptr;
    for (const auto& r : *records) {
      if (r.state == queue::RecordState::held && r.study_instance_uid == study) {
        first = &r;
        break;
      }
    }
    std::optional<StampDecision> stored;
    {
      std::lock_guard lock(mutex_);
      stored = study_decision_locked(study);
    }
    if (first == nullptr) {
      // Nothing held in the store. Forget the study only if no hold of it was still on its way
      // to the store when we looked, and none was decided since.
      std::lock_guard lock(mutex_);
      auto it = held_.find(study);
      if (it != held_.end() && seen.uncommitted == 0 && it->second.uncommitted == 0 &&
          it->second.marks == seen.marks) {
        held_.erase(it);
      }
      continue;
    }
    if (stored && stored->outcome == rules::StampOutcome::quarantined) {
      continue;  // only a person releases a quarantined study
    }
    auto object = store_.read_object(first->sop_instance_uid);
    if (!object || !*object) {
      continue;
    }
    auto view = data::split_part10(**object);
    if (!view) {
      continue;
    }
    auto parsed = data::DataSet::parse(view->data_set, view->meta.transfer_syntax_uid);
    if (!parsed) {
      continue;
    }
    auto attrs = instance_attributes(*parsed);
    attrs.calling_ae = first->calling_ae;
    const InstancePlan plan = rules_.plan(*parsed, first->calling_ae, first->peer_address);
    StampDecision d =
        plan.outcome.stamp
            ? stamper_.decide(attrs, parsed->summary().accession_number, stored, *worklist, now_ms,
                              /*rematch=*/true, plan.outcome.matching)
            : not_stamped(plan.outcome);
    if (d.action == StampAction::Stamp || d.action == StampAction::Forward) {
      d.reasons.insert(d.reasons.begin(), "re-matched after being held");
      auto released = release_study(study, d, now_ms);
      if (!released) {
        spdlog::error("study {}: release failed: {}", study, released.error().message());
      }
      continue;
    }
    const int64_t held_since = stored && stored->held_since_ms > 0 ? stored->held_since_ms : now_ms;
    if (now_ms - held_since < static_cast<int64_t>(config_.matching.hold_s) * 1000) {
      continue;
    }
    if (config_.matching.after_hold == config::AfterHoldPolicy::forward) {
      StampDecision f;
      f.action = StampAction::Forward;
      f.outcome = rules::StampOutcome::released;
      f.reasons = {"held for " + std::to_string(config_.matching.hold_s) +
                   " s without a match; after_hold = forward (unstamped)"};
      auto released = release_study(study, f, now_ms);
      if (!released) {
        spdlog::error("study {}: release failed: {}", study, released.error().message());
      }
    } else {
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
}

[[nodiscard]] Result<uint64_t> StampingService::assign(const std::string& study_uid,
                                                       const std::string& accession,
                                                       int64_t now_ms) {
  if (auto problem = rules::accession_problem(accession)) {
    return fail(Error{std::make_error_code(std::errc::invalid_argument), *problem});
  }
  StampDecision d;
  d.action = StampAction::Stamp;
  d.outcome = rules::StampOutcome::manual;
  d.accession = accession;
  d.issuer = {config_.accession.issuer_local_namespace, config_.accession.issuer_universal_id,
              config_.accession.issuer_universal_id_type};
  d.reasons = {"assigned by a person (accessioner hold assign)"};
  return release_study(study_uid, d, now_ms);
}

[[nodiscard]] Result<uint64_t> StampingService::release(const std::string& study_uid,
                                                        int64_t now_ms) {
  StampDecision d;
  d.action = StampAction::Forward;
  d.outcome = rules::StampOutcome::released;
  d.reasons = {"released unstamped by a person (accessioner hold release)"};
  return release_study(study_uid, d, now_ms);
}

json StampingService::held_studies() const {
  json out = json::array();
  auto records = store_.list();
  if (!records) {
    return out;
  }
  std::map<std::string, json> by_study;
  for (const auto& r : *records) {
    if (r.state != queue::RecordState::held) {
      continue;
    }
    auto& s = by_study[r.study_instance_uid];
    if (s.is_null()) {
      s = {{"study_instance_uid", r.study_instance_uid},
           {"patient_id", r.patient_id},
           {"calling_ae", r.calling_ae},
           {"instances", 0}};
    }
    s["instances"] = s["instances"].get<int>() + 1;
  }
  std::lock_guard lock(mutex_);
  for (auto& [study, s] : by_study) {
    if (auto d = study_decision_locked(study)) {
      s["outcome"] = enum_name(d->outcome);
      s["held_since_ms"] = d->held_since_ms;
      s["reasons"] = d->reasons;
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
