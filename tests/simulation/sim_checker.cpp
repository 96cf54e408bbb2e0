#include "tests/simulation/sim_checker.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace acc::sim {

namespace {

// Violations described per invariant: ACC_SIM_EXAMPLES, default 3.
std::size_t examples_wanted() {
  static const std::size_t n = [] {
    const char* v = std::getenv("ACC_SIM_EXAMPLES");
    return v != nullptr && *v != '\0' ? static_cast<std::size_t>(std::strtoul(v, nullptr, 10))
                                      : std::size_t{3};
  }();
  return n;
}

const char* invariant_name(int i) {
  switch (i) {
    case 1:
      return "right patient";
    case 2:
      return "one study, one patient, one accession";
    case 3:
      return "one order, one study";
    case 4:
      return "no guessing";
  }
  return "?";
}

std::string identity_text(const std::pair<std::string, std::string>& id) {
  return "'" + id.first + "'" + (id.second.empty() ? "" : "/" + id.second);
}

}  // namespace

int InvariantChecker::study_of(const std::string& sop) const {
  const auto it = sc_.instance_by_sop.find(sop);
  return it == sc_.instance_by_sop.end()
             ? -1
             : sc_.instances[static_cast<std::size_t>(it->second)].study;
}

void InvariantChecker::violate(int invariant, int64_t at, std::string detail,
                               std::vector<int> studies) {
  violations_.push_back({invariant, at, std::move(detail), std::move(studies)});
}

void InvariantChecker::person_assigned(const std::string& study_uid, const std::string& accession) {
  person_.insert({study_uid, accession});
}

void InvariantChecker::rejected(const std::string& sop_instance_uid) {
  rejected_.insert(sop_instance_uid);
}

bool InvariantChecker::pacs_has_other(const std::string& study_uid, const std::string& patient_id,
                                      const std::string& issuer,
                                      const std::string& accession) const {
  const auto it = by_uid_.find(study_uid);
  if (it == by_uid_.end()) {
    return false;
  }
  for (const auto& [id, study] : it->second.identities) {
    if (id.first != patient_id || (!issuer.empty() && !id.second.empty() && id.second != issuer)) {
      return true;
    }
  }
  for (const auto& [acc, study] : it->second.accessions) {
    if (acc != accession) {
      return true;
    }
  }
  return false;
}

void InvariantChecker::forwarded(const ForwardedFields& f, int64_t now, const std::string& cause) {
  ++deliveries_;
  const int si = study_of(f.sop_instance_uid);
  if (!f.parsed || si < 0) {
    violate(0, now, "forwarded object unreadable or unknown: '" + f.sop_instance_uid + "'", {});
    return;
  }
  latest_[f.sop_instance_uid] = f;
  const Study& s = sc_.studies[static_cast<std::size_t>(si)];
  const std::string truth = sc_.true_accession(s);
  const bool written = !f.accession.empty() && f.accession != s.accession;
  const std::string where =
      "SOP " + f.sop_instance_uid + " (PACS got it " + clock_text(now) + ", after " + cause + ")";

  if (written) {
    ++stamped_;
    const auto order_it = sc_.order_by_accession.find(f.accession);
    if (order_it == sc_.order_by_accession.end()) {
      violate(1, now, where + ": accession '" + f.accession + "' is no order", {si});
    } else {
      const Order& o = sc_.orders[static_cast<std::size_t>(order_it->second)];
      const Patient& op = sc_.patients[static_cast<std::size_t>(o.patient)];
      if (o.patient != s.patient) {
        violate(1, now,
                where + ": stamped " + f.accession + ", an order of patient " + op.id + "/" +
                    op.issuer + " " + op.name + ", on images of another patient",
                {si});
      } else if (f.patient_id != op.id ||
                 (!f.issuer_of_patient_id.empty() && f.issuer_of_patient_id != op.issuer)) {
        violate(1, now,
                where + ": stamped " + f.accession + " (patient " + op.id + "/" + op.issuer +
                    ") but forwarded with Patient ID " +
                    identity_text({f.patient_id, f.issuer_of_patient_id}),
                {si});
      }
    }
    // 4: the true order's accession, or nothing.
    if (f.accession != truth) {
      std::vector<int> studies = {si};
      const Study* owner = nullptr;
      for (const auto& other : sc_.studies) {
        if (other.index != si && sc_.true_accession(other) == f.accession) {
          studies.push_back(other.index);  // the study the stamped order belongs to
          owner = &other;
          break;
        }
      }
      const bool own_order_in_view =
          s.order && sc_.orders[static_cast<std::size_t>(*s.order)].listed_at(s.first_arrival_ms);
      const bool owner_in_view = owner != nullptr && owner->first_arrival_ms <= now;
      // The study the stamped order belongs to reached the router under another patient's ID
      // (a typo at its console): nothing ties it to this patient, so the order looked free.
      const bool owner_mistyped =
          owner != nullptr &&
          owner->sent.patient_id != sc_.patients[static_cast<std::size_t>(owner->patient)].id;
      // This study reused the owner's Study Instance UID, same patient: for the router and the
      // PACS they are one study, which invariant 2 makes carry one accession.
      const bool one_study_by_uid = owner != nullptr && !s.study_uid.empty() &&
                                    s.study_uid == owner->study_uid && s.patient == owner->patient;
      violate(4, now,
              where + ": stamped " + f.accession + ", true accession " +
                  (truth.empty() ? std::string("none (unordered)") : truth),
              studies);
      // An instance that follows its study's earlier undecidable stamp: invariant 2 makes the
      // study carry one accession, so the later instances must repeat the first one.
      const bool follows_undecidable = undecidable_stamps_.contains({si, f.accession});
      violations_.back().undecidable = (!own_order_in_view && !owner_in_view) || owner_mistyped ||
                                       one_study_by_uid || follows_undecidable;
      if (violations_.back().undecidable) {
        undecidable_stamps_.insert({si, f.accession});
      }
    }
  }

  if (f.study_instance_uid.empty()) {
    return;
  }
  // 2: one identity and at most one accession per Study UID.
  UidState& u = by_uid_[f.study_instance_uid];
  u.identities.emplace(std::make_pair(f.patient_id, f.issuer_of_patient_id), si);
  if (!f.accession.empty()) {
    u.accessions.emplace(f.accession, si);
  }
  if (u.identities.size() > 1 && !u.identity_reported) {
    u.identity_reported = true;
    std::string ids;
    std::vector<int> studies = {si};
    for (const auto& [id, study] : u.identities) {
      ids += (ids.empty() ? "" : ", ") + identity_text(id);
      if (study != si)
        studies.push_back(study);
    }
    violate(2, now,
            where + ": Study UID " + f.study_instance_uid + " forwarded for patients " + ids,
            studies);
  }
  if (u.accessions.size() > 1 && !u.accession_reported) {
    u.accession_reported = true;
    std::string accs;
    std::vector<int> studies = {si};
    for (const auto& [acc, study] : u.accessions) {
      accs += (accs.empty() ? "" : ", ") + acc;
      if (study != si)
        studies.push_back(study);
    }
    violate(2, now,
            where + ": Study UID " + f.study_instance_uid + " forwarded with accessions " + accs,
            studies);
  }
  // 3: an accession the router wrote, on one Study UID unless a person decided. A Study UID that
  // takes an accession already on another one is a violation when the router chose it; when a
  // person assigned it (knowingly: the router asks for --force), the contract allows it.
  if (written) {
    AccessionState& a = by_accession_[f.accession];
    const bool new_uid = a.uids.emplace(f.study_instance_uid, si).second;
    const bool by_person = person_.contains({f.study_instance_uid, f.accession});
    if (new_uid && !by_person && a.uids.size() > 1 && !a.reported) {
      a.reported = true;
      std::string uids;
      std::vector<int> studies = {si};
      for (const auto& [uid, study] : a.uids) {
        uids += (uids.empty() ? "" : ", ") + uid;
        if (study != si)
          studies.push_back(study);
      }
      violate(3, now, where + ": accession " + f.accession + " on Study UIDs " + uids, studies);
    }
  }
}

void InvariantChecker::report(Report& r, const std::set<std::string>& held,
                              const std::string& seed_text) const {
  r.studies += sc_.studies.size();
  r.instances += sc_.instances.size();
  r.rejected += rejected_.size();
  r.forwarded += latest_.size();
  r.deliveries += deliveries_;
  r.held_at_end += held.size();
  r.stamped_by_router += stamped_;
  for (const auto& in : sc_.instances) {
    const bool got = latest_.contains(in.sop_instance_uid);
    if (!got && !held.contains(in.sop_instance_uid) && !rejected_.contains(in.sop_instance_uid)) {
      ++r.never_forwarded;
    }
    const Study& s = sc_.studies[static_cast<std::size_t>(in.study)];
    if (held.contains(in.sop_instance_uid)) {
      for (Kind k : s.kinds)
        ++r.held_kinds[kind_name(k)];
    }
    if (!s.stampable)
      continue;
    ++r.stampable;
    if (got) {
      const auto& f = latest_.at(in.sop_instance_uid);
      if (!f.accession.empty() && f.accession == sc_.true_accession(s)) {
        ++r.stampable_correct;
      }
    }
  }
  for (int k = 0; k < kKindCount; ++k) {
    r.kind_counts[static_cast<std::size_t>(k)] += sc_.kind_counts[static_cast<std::size_t>(k)];
  }
  std::vector<const Violation*> ordered;
  for (const auto& v : violations_)
    ordered.push_back(&v);
  std::stable_sort(ordered.begin(), ordered.end(),
                   [](const Violation* a, const Violation* b) { return a->at_ms < b->at_ms; });
  for (const Violation* v : ordered) {
    const auto i = static_cast<std::size_t>(std::clamp(v->invariant, 0, 4));
    if (v->undecidable) {
      ++r.undecidable[i];
      if (r.undecidable_examples.size() < examples_wanted()) {
        std::string text = "invariant " + std::to_string(v->invariant) + ", undecidable, " +
                           seed_text + ": " + v->detail;
        for (std::size_t n = 0; n < v->studies.size() && n < 2; ++n) {
          text += "\n      " + sc_.describe(sc_.studies[static_cast<std::size_t>(v->studies[n])]);
        }
        r.undecidable_examples.push_back(std::move(text));
      }
      continue;
    }
    ++r.violations[i];
    std::set<std::string> kinds;
    for (int st : v->studies) {
      for (Kind k : sc_.studies[static_cast<std::size_t>(st)].kinds)
        kinds.insert(kind_name(k));
    }
    for (const auto& k : kinds)
      ++r.violation_kinds[k];
    std::string text = "invariant " + std::to_string(v->invariant) + " (" +
                       invariant_name(v->invariant) + "), " + seed_text + ": " + v->detail;
    for (std::size_t n = 0; n < v->studies.size() && n < 2; ++n) {
      text += "\n      " + sc_.describe(sc_.studies[static_cast<std::size_t>(v->studies[n])]);
    }
    if (r.examples[i].size() < examples_wanted())
      r.examples[i].push_back(text);
    if (r.first_violation.empty())
      r.first_violation = text;
  }
}

void Report::add(const Report& o) {
  studies += o.studies;
  instances += o.instances;
  rejected += o.rejected;
  forwarded += o.forwarded;
  deliveries += o.deliveries;
  held_at_end += o.held_at_end;
  never_forwarded += o.never_forwarded;
  stampable += o.stampable;
  stampable_correct += o.stampable_correct;
  stamped_by_router += o.stamped_by_router;
  for (const auto& e : o.undecidable_examples) {
    if (undecidable_examples.size() < examples_wanted()) {
      undecidable_examples.push_back(e);
    }
  }
  manual_assigns += o.manual_assigns;
  manual_releases += o.manual_releases;
  manual_refused += o.manual_refused;
  manual_forced += o.manual_forced;
  restarts += o.restarts;
  reevaluations += o.reevaluations;
  refreshes += o.refreshes;
  for (const auto& [k, v] : o.held_outcomes)
    held_outcomes[k] += v;
  for (const auto& [k, v] : o.reject_reasons)
    reject_reasons[k] += v;
  for (const auto& [k, v] : o.refusals)
    refusals[k] += v;
  for (const auto& [k, v] : o.seconds)
    seconds[k] += v;
  for (std::size_t i = 0; i < violations.size(); ++i) {
    violations[i] += o.violations[i];
    undecidable[i] += o.undecidable[i];
    for (const auto& e : o.examples[i]) {
      if (examples[i].size() < examples_wanted())
        examples[i].push_back(e);
    }
  }
  if (first_violation.empty())
    first_violation = o.first_violation;
  for (const auto& [k, n] : o.violation_kinds)
    violation_kinds[k] += n;
  for (const auto& [k, n] : o.held_kinds)
    held_kinds[k] += n;
  for (std::size_t k = 0; k < kind_counts.size(); ++k)
    kind_counts[k] += o.kind_counts[k];
}

std::string Report::text() const {
  char line[512];
  std::string out;
  std::snprintf(
      line, sizeof line,
      "studies %llu, instances %llu (rejected %llu), forwarded %llu (%llu deliveries, "
      "%llu with an accession the router wrote), held at the end %llu, never forwarded "
      "%llu\n",
      static_cast<unsigned long long>(studies), static_cast<unsigned long long>(instances),
      static_cast<unsigned long long>(rejected), static_cast<unsigned long long>(forwarded),
      static_cast<unsigned long long>(deliveries),
      static_cast<unsigned long long>(stamped_by_router),
      static_cast<unsigned long long>(held_at_end),
      static_cast<unsigned long long>(never_forwarded));
  out += line;
  std::snprintf(line, sizeof line,
                "restarts %llu, person: %llu assign(s) (%llu forced), %llu release(s), %llu "
                "refused\n",
                static_cast<unsigned long long>(restarts),
                static_cast<unsigned long long>(manual_assigns),
                static_cast<unsigned long long>(manual_forced),
                static_cast<unsigned long long>(manual_releases),
                static_cast<unsigned long long>(manual_refused));
  out += line;
  if (!held_outcomes.empty()) {
    out += "held at the end by outcome:";
    for (const auto& [k, v] : held_outcomes)
      out += " " + k + "=" + std::to_string(v);
    out += "\n";
  }
  for (const auto& [k, v] : reject_reasons) {
    out += "rejected " + std::to_string(v) + "x: " + k + "\n";
  }
  for (const auto& [k, v] : refusals) {
    out += "person refused " + std::to_string(v) + "x: " + k + "\n";
  }
  out += "time in router calls (summed over threads):";
  for (const auto& [k, v] : seconds) {
    std::snprintf(line, sizeof line, " %s %.1f s", k.c_str(), v);
    out += line;
  }
  out += " (" + std::to_string(refreshes) + " refreshes, " + std::to_string(reevaluations) +
         " re-evaluations)\n";
  std::snprintf(line, sizeof line,
                "violations: 1 right patient %llu, 2 one study/one patient/one accession %llu, "
                "3 one order/one study %llu, 4 no guessing %llu, unreadable %llu\n",
                static_cast<unsigned long long>(violations[1]),
                static_cast<unsigned long long>(violations[2]),
                static_cast<unsigned long long>(violations[3]),
                static_cast<unsigned long long>(violations[4]),
                static_cast<unsigned long long>(violations[0]));
  out += line;
  std::snprintf(line, sizeof line,
                "undecidable wrong stamps (not asserted; see docs/matching.md): invariant 3 %llu, "
                "invariant 4 %llu\n",
                static_cast<unsigned long long>(undecidable[3]),
                static_cast<unsigned long long>(undecidable[4]));
  out += line;
  std::snprintf(line, sizeof line, "recall %.3f (%llu of %llu stampable instances stamped right)\n",
                recall(), static_cast<unsigned long long>(stampable_correct),
                static_cast<unsigned long long>(stampable));
  out += line;
  const auto top = [&out](const char* title, const std::map<std::string, uint64_t>& counts) {
    if (counts.empty())
      return;
    std::vector<std::pair<uint64_t, std::string>> sorted;
    for (const auto& [k, n] : counts)
      sorted.emplace_back(n, k);
    std::sort(sorted.rbegin(), sorted.rend());
    out += title;
    for (std::size_t i = 0; i < sorted.size() && i < 12; ++i) {
      out += " " + sorted[i].second + "=" + std::to_string(sorted[i].first);
    }
    out += "\n";
  };
  top("situations in violating studies:", violation_kinds);
  top("situations of instances held at the end:", held_kinds);
  for (std::size_t i = 0; i < examples.size(); ++i) {
    for (const auto& e : examples[i])
      out += "  - " + e + "\n";
  }
  for (const auto& e : undecidable_examples) {
    out += "  - " + e + "\n";
  }
  return out;
}

}  // namespace acc::sim
