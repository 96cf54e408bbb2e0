#include "rules/worklist_match.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "rules/dicom_text.hpp"

namespace acc::rules {
namespace {

using detail::parse_da;
using detail::quoted;
using detail::split_values;
using detail::trim_spaces;
using dicom::data::WorklistItem;

struct InstanceDate {
  std::int64_t days = 0;
  std::string_view value;
  const char* keyword = "";
  const char* phrase = "";
};

// A same-Patient-ID entry still in the running, pointing at its verdict.
struct Candidate {
  std::size_t verdict = 0;
  const WorklistItem* item = nullptr;  // null: remembered from the hold, gone from the cache
  std::string blocker;                 // non-empty: competes, but can never be stamped
  bool undecodable = false;            // only the Patient ID was read: its values are unknown
};

std::string entry_name(std::size_t index) {
  return "entry #" + std::to_string(index);
}

// Built by appending: `"'" + std::string` trips g++ 12's false -Wrestrict at -O3 (PR 105651).
std::string join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) {
      out += separator;
    }
    out += p;
  }
  return out;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

std::string day_count(std::int64_t days) {
  return std::to_string(days) + (days == 1 ? " day" : " days");
}

// Study Date first, then the other dates an instance carries; an invalid value counts as
// missing, and every source passed over is said in the reason.
std::optional<InstanceDate> pick_instance_date(const InstanceAttributes& in,
                                               std::vector<std::string>& reasons) {
  const InstanceDate sources[] = {
      {0, in.study_date, "StudyDate", "study date"},
      {0, in.series_date, "SeriesDate", "series date"},
      {0, in.acquisition_date, "AcquisitionDate", "acquisition date"},
      {0, in.content_date, "ContentDate", "content date"},
  };
  std::vector<std::string> skipped;
  for (const auto& source : sources) {
    const auto value = trim_spaces(source.value);
    if (value.empty()) {
      skipped.push_back(std::string(source.keyword) + " empty");
      continue;
    }
    const auto days = parse_da(value);
    if (!days) {
      skipped.push_back(std::string(source.keyword) + " " + quoted(value) +
                        " is not a valid YYYYMMDD date");
      continue;
    }
    std::string reason = "instance date: " + std::string(source.keyword) + " " + std::string(value);
    if (!skipped.empty()) {
      reason += " (" + join(skipped, "; ") + ")";
    }
    reasons.push_back(std::move(reason));
    return InstanceDate{*days, value, source.keyword, source.phrase};
  }
  reasons.push_back("no instance date to match on (" + join(skipped, "; ") + ")");
  return std::nullopt;
}

bool same_modality(std::string_view a, std::string_view b, const MatchingPolicy& policy) {
  if (a == b) {
    return true;
  }
  // Not transitive on purpose: {CR,DX} and {DX,DR} do not make CR equal to DR.
  for (const auto& group : policy.modality_aliases) {
    bool has_a = false;
    bool has_b = false;
    for (const auto& code : group) {
      const auto c = trim_spaces(code);
      has_a = has_a || c == a;
      has_b = has_b || c == b;
    }
    if (has_a && has_b) {
      return true;
    }
  }
  return false;
}

bool modality_matches(std::string_view entry_modality, std::string_view instance_modality,
                      const MatchingPolicy& policy) {
  const auto instance_values = split_values(instance_modality);
  for (const auto e : split_values(entry_modality)) {
    for (const auto i : instance_values) {
      if (same_modality(e, i, policy)) {
        return true;
      }
    }
  }
  return false;
}

bool status_never_matches(std::string_view status) {
  // Upper-cased and with the British spelling: excluding one entry too many only holds a study,
  // while stamping a cancelled order would misfile it.
  const auto s = upper(trim_spaces(status));
  return s == "CANCELED" || s == "CANCELLED";
}

// A discontinued step was started and stopped: images taken before the stop are its own, so it
// competes (another order never wins by its absence), but it is never stamped automatically.
bool status_discontinued(std::string_view status) {
  return upper(trim_spaces(status)) == "DISCONTINUED";
}

// Every filter an entry fails, so the audit trail shows all of them, not just the first.
std::vector<std::string> filter_failures(const CachedEntry& entry,
                                         const InstanceAttributes& instance,
                                         const std::optional<InstanceDate>& date, int window,
                                         const MatchingPolicy& policy) {
  std::vector<std::string> failures;
  const WorklistItem& item = entry.item;
  if (status_never_matches(item.sps_status)) {
    failures.push_back("status " + std::string(trim_spaces(item.sps_status)));
  }
  const auto entry_modality = trim_spaces(item.modality);
  const auto instance_modality = trim_spaces(instance.modality);
  if (entry_modality.empty()) {
    failures.emplace_back("no scheduled modality");
  } else if (split_values(instance_modality).empty()) {
    failures.emplace_back("the instance has no modality");
  } else if (!modality_matches(entry_modality, instance_modality, policy)) {
    failures.push_back("modality " + std::string(entry_modality) + " ≠ " +
                       std::string(instance_modality));
  }
  const auto scheduled = trim_spaces(item.sps_start_date);
  const auto scheduled_days = parse_da(scheduled);
  if (scheduled.empty()) {
    failures.emplace_back("no scheduled date");
  } else if (!scheduled_days) {
    failures.push_back("scheduled date " + quoted(scheduled) + " is not a valid YYYYMMDD date");
  } else if (!date) {
    failures.emplace_back("no date to match on");
  } else if (const auto distance = std::llabs(*scheduled_days - date->days); distance > window) {
    failures.push_back("scheduled " + std::string(scheduled) + " is " + day_count(distance) +
                       " from " + date->phrase + " " + std::string(date->value) + " (window " +
                       std::to_string(window) + ")");
  }
  return failures;
}

std::string list_entries(const std::vector<Candidate>& candidates, const Decision& decision) {
  std::string out;
  for (const auto& c : candidates) {
    if (!out.empty()) {
      out += ", ";
    }
    const auto& v = decision.verdicts[c.verdict];
    if (v.index == kNoEntry) {
      out += "order " + v.accession;
    } else {
      out += '#';
      out += std::to_string(v.index);
    }
  }
  return out;
}

// Tie-breakers a and b: keep the entries whose value equals the instance's, when that separates
// some but not all. An empty value equals nothing, not even another empty one.
struct EqualityTieBreaker {
  const char* step;       // "tie-breaker a"
  const char* attribute;  // "Study Instance UID"
  std::string_view (*entry_value)(const WorklistItem&);
  bool show_values;  // AE titles help a person; 64-character UIDs only clutter the trail
  // An order without a value may have been performed there too (a station left empty in the
  // RIS): then the evidence for the other order says nothing against it, and is not applied.
  // A Study Instance UID only comes from the RIS, so an order without one is not the image's.
  bool empty_is_unknown;
};

void apply_equality(const EqualityTieBreaker& rule, std::string_view instance_value,
                    std::vector<Candidate>& remaining, Decision& decision,
                    const std::function<bool(std::string_view)>& known = {}) {
  const std::string label = std::string(rule.step) + " (" + rule.attribute + ")";
  instance_value = trim_spaces(instance_value);
  if (instance_value.empty()) {
    decision.reasons.push_back(label + ": not applied, the instance has none");
    return;
  }
  // An order whose value is unknown (gone from the cache, or undecodable) may have the
  // instance's too: evidence for another order is no evidence against it (invariant 5).
  for (const auto& c : remaining) {
    if (c.item == nullptr || c.undecodable) {
      decision.reasons.push_back(
          label + ": not applied, " + list_entries(std::vector<Candidate>{c}, decision) +
          (c.item == nullptr ? " is no longer in the worklist" : " could not be decoded") +
          " and cannot be compared");
      return;
    }
  }
  if (rule.empty_is_unknown) {
    for (const auto& c : remaining) {
      const auto value = trim_spaces(rule.entry_value(*c.item));
      if (value.empty()) {
        decision.reasons.push_back(label + ": not applied, " +
                                   list_entries(std::vector<Candidate>{c}, decision) +
                                   " names no " + rule.attribute + " and may have been done there");
        return;
      }
      // A station no modality has ever called from (a room name in the RIS) may be the calling
      // one under another name: it is no evidence against that order.
      if (known && value != instance_value && !known(value)) {
        decision.reasons.push_back(
            label + ": not applied, " + list_entries(std::vector<Candidate>{c}, decision) +
            " names " + quoted(value) + ", which no modality has called from: it may be this one");
        return;
      }
    }
  }
  std::vector<Candidate> hits;
  std::vector<Candidate> misses;
  for (const auto& c : remaining) {
    const auto value = c.item ? trim_spaces(rule.entry_value(*c.item)) : std::string_view();
    (!value.empty() && value == instance_value ? hits : misses).push_back(c);
  }
  if (hits.empty()) {
    decision.reasons.push_back(label + ": not applied, no remaining entry has the instance's");
    return;
  }
  if (misses.empty()) {
    decision.reasons.push_back(label + ": not applied, every remaining entry has the instance's");
    return;
  }
  const std::string holder = entry_name(decision.verdicts[hits.front().verdict].index);
  for (const auto& c : misses) {
    const auto value = c.item ? trim_spaces(rule.entry_value(*c.item)) : std::string_view();
    std::string reason;
    if (value.empty()) {
      reason = "no " + std::string(rule.attribute) + ", while " + holder + " has the instance's";
    } else if (rule.show_values) {
      reason = std::string(rule.attribute) + " " + quoted(value) + " ≠ " + quoted(instance_value) +
               ", which " + holder + " has";
    } else {
      reason =
          std::string(rule.attribute) + " differs from the instance's, which " + holder + " has";
    }
    decision.verdicts[c.verdict].reason = reason + " (" + rule.step + ")";
  }
  decision.reasons.push_back(label + ": kept " + list_entries(hits, decision) + ", excluded " +
                             list_entries(misses, decision));
  remaining = std::move(hits);
}

bool is_control(unsigned char c) {
  return c < 0x20 || c == 0x7F;
}

}  // namespace

const char* outcome_name(Outcome o) noexcept {
  switch (o) {
    case Outcome::Matched:
      return "matched";
    case Outcome::Ambiguous:
      return "ambiguous";
    case Outcome::Unmatched:
      return "unmatched";
    case Outcome::Conflict:
      return "conflict";
  }
  return "unmatched";
}

PatientIdentity patient_of(const InstanceAttributes& instance) {
  return {instance.patient_id, instance.issuer_of_patient_id, instance.patient_name,
          instance.patient_birth_date, instance.patient_sex};
}

PatientIdentity patient_of(const WorklistItem& item) {
  return {item.patient_id, item.issuer_of_patient_id, item.patient_name, item.patient_birth_date,
          item.patient_sex};
}

std::optional<std::int64_t> days_apart(std::string_view da_a, std::string_view da_b) {
  const auto a = parse_da(trim_spaces(da_a));
  const auto b = parse_da(trim_spaces(da_b));
  if (!a || !b) {
    return std::nullopt;
  }
  return *a > *b ? *a - *b : *b - *a;
}

bool modality_covers(std::string_view order_modality, std::string_view instance_modality,
                     const MatchingPolicy& policy) {
  return modality_matches(trim_spaces(order_modality), trim_spaces(instance_modality), policy);
}

bool is_hybrid_part(std::string_view order_modality, std::string_view instance_modality) {
  bool nuclear_order = false;
  for (const auto m : split_values(order_modality)) {
    nuclear_order = nuclear_order || m == "PT" || m == "NM";
  }
  bool anatomical_instance = false;
  for (const auto m : split_values(instance_modality)) {
    anatomical_instance = anatomical_instance || m == "CT" || m == "MR";
  }
  return nuclear_order && anatomical_instance;
}

bool is_derived_modality(std::string_view modality) {
  // PS3.3 C.7.3.1.1.1: objects made from or about the acquisition, not acquisitions themselves.
  static constexpr std::string_view kDerived[] = {
      "SR",  "KO", "PR",   "DOC",    "SEG",      "REG",      "RWV",    "OT",
      "FID", "AU", "PLAN", "RTPLAN", "RTSTRUCT", "RTRECORD", "RTDOSE", "SMR"};
  const auto m = trim_spaces(modality);
  return std::find(std::begin(kDerived), std::end(kDerived), m) != std::end(kDerived);
}

namespace {

// Orders left, counting the several steps (entries) of one accession once. Entries without an
// accession are each their own order.
std::size_t distinct_orders(const std::vector<Candidate>& remaining, const Decision& decision) {
  std::vector<std::string_view> seen;
  std::size_t count = 0;
  for (const auto& c : remaining) {
    const std::string& accession = decision.verdicts[c.verdict].accession;
    if (accession.empty()) {
      ++count;
    } else if (std::find(seen.begin(), seen.end(), accession) == seen.end()) {
      seen.push_back(accession);
      ++count;
    }
  }
  return count;
}

std::vector<std::string> accessions_of(const std::vector<Candidate>& remaining,
                                       const Decision& decision) {
  std::vector<std::string> out;
  for (const auto& c : remaining) {
    const std::string& accession = decision.verdicts[c.verdict].accession;
    if (!accession.empty() && std::find(out.begin(), out.end(), accession) == out.end()) {
      out.push_back(accession);
    }
  }
  return out;
}

bool contains(const std::vector<std::string>& values, std::string_view value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

// Step 5 on the one order left: the entry to stamp, or why none may be.
struct Selection {
  const Candidate* entry = nullptr;
  std::string against;  // evidence against the order; empty when none
};

Selection select_order(const std::vector<Candidate>& remaining, const InstanceAttributes& instance,
                       std::span<const CachedEntry> entries,
                       const std::vector<std::size_t>& uid_holders, const Decision& decision) {
  Selection s;
  std::vector<std::string> blockers;
  const auto calling_ae = trim_spaces(instance.calling_ae);
  std::string other_station;
  for (const auto& c : remaining) {
    if (!c.blocker.empty()) {
      blockers.push_back(c.blocker);
      continue;
    }
    const auto station = trim_spaces(c.item->scheduled_station_ae);
    if (!station.empty() && !calling_ae.empty() && station != calling_ae) {
      other_station = std::string(station);
      continue;
    }
    s.entry = &c;
    break;
  }
  if (s.entry == nullptr) {
    s.against = !blockers.empty() ? blockers.front()
                                  : "scheduled on station " + quoted(other_station) + ", sent by " +
                                        quoted(calling_ae);
    return s;
  }
  const std::string& accession = decision.verdicts[s.entry->verdict].accession;
  for (const std::size_t h : uid_holders) {
    const WorklistItem& holder = entries[h].item;
    if (trim_spaces(holder.accession_number) != accession || accession.empty()) {
      s.against = "the instance's Study Instance UID is that of order " +
                  quoted(trim_spaces(holder.accession_number)) + " (" + entry_name(h) +
                  ", Patient ID " + quoted(trim_spaces(holder.patient_id)) + ")";
      s.entry = nullptr;
      return s;
    }
  }
  return s;
}

}  // namespace

Decision match(const InstanceAttributes& instance, std::span<const CachedEntry> entries,
               const MatchingPolicy& policy, const MatchHistory& history) {
  Decision decision;
  // Said first even when nothing can match: the date is a property of the instance.
  const auto date = pick_instance_date(instance, decision.reasons);
  decision.instance_date_source = date ? date->keyword : "";
  const auto patient_id = trim_spaces(instance.patient_id);
  if (patient_id.empty()) {
    decision.reasons.emplace_back("unmatched: the instance has no Patient ID");
    return decision;
  }
  const auto image_uid = trim_spaces(instance.study_instance_uid);

  // One pass over the cache: the patient's entries, and every order (of any patient) that
  // carries the instance's Study Instance UID, which is evidence for that order only.
  std::vector<std::size_t> same_id;
  std::vector<std::size_t> uid_holders;
  std::size_t case_only = 0;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const WorklistItem& item = entries[i].item;
    // Lengths first: a UID is longer than the small-string buffer, so reading its characters
    // costs a cache miss per entry; the length sits in the entry itself (100,000 entries: 11 ms
    // -> see benchmarks/RESULTS.md). Cache values are trimmed; one byte of padding is allowed.
    const std::size_t uid_size = item.study_instance_uid.size();
    if (!image_uid.empty() && uid_size >= image_uid.size() && uid_size <= image_uid.size() + 1 &&
        !entries[i].undecodable && trim_spaces(item.study_instance_uid) == image_uid) {
      uid_holders.push_back(i);
    }
    const auto entry_id = trim_spaces(item.patient_id);
    if (entry_id == patient_id) {
      same_id.push_back(i);
    } else if (!entry_id.empty() && upper(entry_id) == upper(patient_id)) {
      ++case_only;
    }
  }

  // Step 1: the patient's orders, issuer by issuer.
  const auto issuer = trim_spaces(instance.issuer_of_patient_id);
  std::vector<std::string_view> issuers;
  for (const std::size_t i : same_id) {
    const auto entry_issuer = trim_spaces(entries[i].item.issuer_of_patient_id);
    if (!entry_issuer.empty() &&
        std::find(issuers.begin(), issuers.end(), entry_issuer) == issuers.end()) {
      issuers.push_back(entry_issuer);
    }
  }
  std::string other_issuer;
  for (const auto i : issuers) {
    if (i != issuer) {
      other_issuer = std::string(i);
    }
  }
  std::vector<Candidate> remaining;
  std::size_t issuer_mismatches = 0;
  for (const std::size_t i : same_id) {
    const WorklistItem& item = entries[i].item;
    decision.verdicts.push_back(
        CandidateVerdict{i, std::string(trim_spaces(item.accession_number)), false, {}});
    const auto entry_issuer = trim_spaces(item.issuer_of_patient_id);
    if (!issuer.empty() && !entry_issuer.empty() && entry_issuer != issuer) {
      decision.verdicts.back().reason =
          "Issuer of Patient ID " + quoted(entry_issuer) + " ≠ " + quoted(issuer);
      ++issuer_mismatches;
      continue;
    }
    if (!issuer.empty() && entry_issuer.empty() && !other_issuer.empty()) {
      decision.verdicts.back().reason =
          "no Issuer of Patient ID, while this Patient ID exists "
          "under issuer " +
          quoted(other_issuer) + " too";
      ++issuer_mismatches;
      continue;
    }
    remaining.push_back(Candidate{decision.verdicts.size() - 1, &item, {}});
  }
  std::string step1 = "step 1: " + std::to_string(decision.verdicts.size()) + " of " +
                      std::to_string(entries.size()) +
                      " entries have the Patient ID (exact, case-sensitive)";
  if (issuer_mismatches > 0) {
    step1 += ", " + std::to_string(issuer_mismatches) + " of them not under the instance's issuer";
  }
  decision.reasons.push_back(std::move(step1));
  if (case_only > 0) {
    decision.reasons.push_back(
        std::to_string(case_only) + (case_only == 1 ? " other entry has" : " other entries have") +
        " the same Patient ID up to letter case; not candidates, Patient IDs are case-sensitive");
  }
  if (issuer.empty() && issuers.size() >= 2) {
    std::vector<std::string> names;
    for (const auto i : issuers) {
      names.push_back(quoted(i));
    }
    for (auto& v : decision.verdicts) {
      v.reason = "the instance names no Issuer of Patient ID and this Patient ID exists under " +
                 join(names, ", ");
    }
    decision.outcome = Outcome::Ambiguous;
    decision.competing = accessions_of(remaining, decision);
    decision.reasons.push_back("ambiguous: Patient ID " + quoted(patient_id) +
                               " exists under issuers " + join(names, ", ") +
                               " and the instance names none");
    return decision;
  }
  if (remaining.empty() && history.earlier_candidates.empty()) {
    decision.reasons.emplace_back("unmatched: no worklist entry for this patient");
    return decision;
  }

  // Step 2: demographics. One disagreeing order is enough to doubt the Patient ID itself.
  const PatientIdentity image = patient_of(instance);
  std::vector<std::string> disagreements;
  for (const auto& c : remaining) {
    if (entries[decision.verdicts[c.verdict].index].undecodable) {
      continue;
    }
    const auto conflicts = demographic_conflicts(image, patient_of(*c.item));
    if (!conflicts.empty()) {
      decision.verdicts[c.verdict].reason = "another patient? " + join(conflicts, "; ");
      disagreements.push_back(entry_name(decision.verdicts[c.verdict].index) + ": " +
                              join(conflicts, "; "));
    }
  }
  if (!disagreements.empty()) {
    decision.outcome = Outcome::Conflict;
    decision.competing = accessions_of(remaining, decision);
    decision.reasons.push_back(
        "step 2: the instance's demographics disagree with the "
        "patient's orders (" +
        join(disagreements, " | ") + ")");
    decision.reasons.emplace_back(
        "conflict: the Patient ID may be another patient's; a person decides");
    return decision;
  }
  decision.reasons.emplace_back("step 2: demographics agree (or are absent on one side)");

  // Step 3: filters.
  int window = policy.date_window_days;
  if (window < 0) {
    decision.reasons.push_back("date window " + std::to_string(window) + " is negative; 0 used");
    window = 0;
  }
  std::vector<Candidate> passed;
  for (auto& c : remaining) {
    auto& verdict = decision.verdicts[c.verdict];
    const CachedEntry& entry = entries[verdict.index];
    if (entry.undecodable) {
      c.blocker = "the RIS sent an order of this patient that could not be decoded (" +
                  entry_name(verdict.index) + ")";
      verdict.reason = "undecodable: competes, never stamped";
      c.undecodable = true;
      passed.push_back(c);
      continue;
    }
    auto failures = filter_failures(entry, instance, date, window, policy);
    // A PET or SPECT order of the patient that fails on modality alone: this CT or MR may be the
    // attenuation-correction or anatomical part of a PET/CT, PET/MR or SPECT/CT study, which
    // arrives first as often as not. It competes (never stamped on this instance): a plain CT
    // order of the same day must not take the hybrid study.
    bool hybrid = false;
    if (failures.size() == 1 &&
        !modality_matches(trim_spaces(entry.item.modality), trim_spaces(instance.modality),
                          policy) &&
        is_hybrid_part(entry.item.modality, instance.modality)) {
      failures.clear();
      hybrid = true;
    }
    if (history.studies_of && !verdict.accession.empty()) {
      for (const auto& study : history.studies_of(verdict.accession)) {
        if (study != image_uid) {
          failures.push_back("already stamped on study " + study + " (one order, one study)");
          break;
        }
      }
    }
    const bool remembered = contains(history.earlier_candidates, verdict.accession);
    if (entry.stale && (!remembered || !failures.empty())) {
      failures.emplace_back("stale: gone from the RIS");
    }
    if (!failures.empty()) {
      verdict.reason = join(failures, "; ");
      continue;
    }
    if (entry.stale) {
      c.blocker = "order " + quoted(verdict.accession) +
                  " competed when the study was held and has left the worklist since";
      verdict.reason = "left the worklist during the hold: competes, never stamped";
    } else if (status_discontinued(entry.item.sps_status)) {
      c.blocker = "order " + quoted(verdict.accession) +
                  " was discontinued: images taken before the stop are its own";
      verdict.reason = "status DISCONTINUED: competes, never stamped";
    } else if (hybrid) {
      c.blocker = "order " + quoted(verdict.accession) + " is for " +
                  std::string(trim_spaces(entry.item.modality)) + " the same day: this " +
                  std::string(trim_spaces(instance.modality)) +
                  " may be part of a hybrid (PET/CT, PET/MR, SPECT/CT) study";
      verdict.reason = "hybrid study partner (" + std::string(trim_spaces(entry.item.modality)) +
                       "): competes, never stamped on this " +
                       std::string(trim_spaces(instance.modality));
    }
    passed.push_back(c);
  }
  // Orders remembered from the hold that the cache no longer has at all.
  for (const auto& accession : history.earlier_candidates) {
    const bool known =
        std::any_of(decision.verdicts.begin(), decision.verdicts.end(),
                    [&](const CandidateVerdict& v) { return v.accession == accession; });
    if (!known) {
      decision.verdicts.push_back(
          CandidateVerdict{kNoEntry, accession, false,
                           "left the worklist during the hold: competes, never stamped"});
      passed.push_back(Candidate{decision.verdicts.size() - 1, nullptr,
                                 "order " + quoted(accession) +
                                     " competed when the study was held and is no longer in "
                                     "the worklist"});
    }
  }
  decision.reasons.push_back(
      "step 3: " + std::to_string(passed.size()) + " of " +
      std::to_string(decision.verdicts.size()) +
      " orders pass the status, stale, modality, date and one-study filters (modality " +
      (trim_spaces(instance.modality).empty() ? std::string("none")
                                              : std::string(trim_spaces(instance.modality))) +
      ", window " + std::to_string(window) + ")");
  remaining = std::move(passed);

  // Step 4: evidence for, each only while more than one order remains.
  std::string selected_by = "the filters (the only order left)";
  const EqualityTieBreaker uid_rule{
      "tie-breaker a", "Study Instance UID",
      [](const WorklistItem& w) -> std::string_view { return w.study_instance_uid; }, false, false};
  const EqualityTieBreaker ae_rule{
      "tie-breaker b", "Scheduled Station AE",
      [](const WorklistItem& w) -> std::string_view { return w.scheduled_station_ae; }, true, true};
  if (distinct_orders(remaining, decision) > 1) {
    apply_equality(uid_rule, instance.study_instance_uid, remaining, decision);
    selected_by = "Study Instance UID";
  }
  if (distinct_orders(remaining, decision) > 1) {
    apply_equality(ae_rule, instance.calling_ae, remaining, decision, history.known_station);
    selected_by = "Scheduled Station AE equal to the calling AE";
  }

  // Step 5.
  for (const auto& c : remaining) {
    decision.verdicts[c.verdict].kept = true;
    if (c.blocker.empty()) {
      decision.verdicts[c.verdict].reason = "candidate";
    }
  }
  const std::size_t orders = distinct_orders(remaining, decision);
  if (orders == 0) {
    decision.outcome = Outcome::Unmatched;
    decision.reasons.emplace_back("unmatched: every order of this patient was excluded");
    return decision;
  }
  if (orders > 1) {
    decision.outcome = Outcome::Ambiguous;
    decision.competing = accessions_of(remaining, decision);
    decision.reasons.push_back("ambiguous: " + list_entries(remaining, decision) +
                               " remain after every rule; time of day is no evidence, nothing "
                               "is stamped");
    return decision;
  }
  const Selection s = select_order(remaining, instance, entries, uid_holders, decision);
  if (s.entry == nullptr) {
    decision.outcome = Outcome::Conflict;
    decision.competing = accessions_of(remaining, decision);
    for (const auto& c : remaining) {
      decision.verdicts[c.verdict].reason = "evidence against: " + s.against;
    }
    decision.reasons.push_back("conflict: one order left, but " + s.against);
    return decision;
  }
  decision.outcome = Outcome::Matched;
  decision.selected = decision.verdicts[s.entry->verdict].index;
  decision.verdicts[s.entry->verdict].reason = "selected by " + selected_by;
  decision.reasons.push_back("matched: " + entry_name(*decision.selected) + ", selected by " +
                             selected_by);
  return decision;
}

std::optional<std::string> accession_problem(std::string_view accession) {
  accession = trim_spaces(accession);
  if (accession.empty()) {
    return "empty accession number";
  }
  // SH counts characters, and the text is UTF-8 here: count every byte that starts one.
  std::size_t characters = 0;
  for (const char c : accession) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) {
      ++characters;
    }
  }
  if (characters > 16) {
    return "longer than 16 characters";
  }
  if (accession.find_first_of("*?") != std::string_view::npos) {
    return "contains a wildcard";
  }
  if (accession.find('\\') != std::string_view::npos) {
    return "contains a backslash (multi-valued)";
  }
  if (std::any_of(accession.begin(), accession.end(),
                  [](char c) { return is_control(static_cast<unsigned char>(c)); })) {
    return "contains control characters";
  }
  return std::nullopt;
}

}  // namespace acc::rules
