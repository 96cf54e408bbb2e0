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

using detail::format_duration;
using detail::parse_da;
using detail::parse_tm;
using detail::split_values;
using detail::trim_spaces;
using dicom::data::WorklistItem;

constexpr std::int64_t kMicrosPerDay = 86'400'000'000;

struct InstanceDate {
  std::int64_t days = 0;
  std::string_view value;
  const char* keyword = "";
  const char* phrase = "";
};

// A same-Patient-ID entry still in the running, pointing at its verdict.
struct Candidate {
  std::size_t verdict = 0;
  const WorklistItem* item = nullptr;
  std::int64_t scheduled_days = 0;  // valid once the entry passed the filters
};

std::string entry_name(std::size_t index) {
  return "entry #" + std::to_string(index);
}

// Built by appending: `"'" + std::string` trips g++ 12's false -Wrestrict at -O3 (PR 105651).
std::string quoted(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '\'';
  out += s;
  out += '\'';
  return out;
}

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
  return s == "DISCONTINUED" || s == "CANCELED" || s == "CANCELLED";
}

// Every filter an entry fails, so the audit trail shows all of them, not just the first.
std::vector<std::string> filter_failures(const CachedEntry& entry,
                                         const InstanceAttributes& instance,
                                         const std::optional<InstanceDate>& date, int window,
                                         const MatchingPolicy& policy,
                                         std::optional<std::int64_t>& scheduled_days) {
  std::vector<std::string> failures;
  const WorklistItem& item = entry.item;
  if (entry.stale) {
    failures.emplace_back("stale: gone from the RIS");
  }
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
  scheduled_days = parse_da(scheduled);
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
    out += '#';
    out += std::to_string(decision.verdicts[c.verdict].index);
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
};

void apply_equality(const EqualityTieBreaker& rule, std::string_view instance_value,
                    std::vector<Candidate>& remaining, Decision& decision) {
  const std::string label = std::string(rule.step) + " (" + rule.attribute + ")";
  instance_value = trim_spaces(instance_value);
  if (instance_value.empty()) {
    decision.reasons.push_back(label + ": not applied, the instance has none");
    return;
  }
  std::vector<Candidate> hits;
  std::vector<Candidate> misses;
  for (const auto& c : remaining) {
    const auto value = trim_spaces(rule.entry_value(*c.item));
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
    const auto value = trim_spaces(rule.entry_value(*c.item));
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

// Tie-breaker c. Only applied when the instance and every remaining entry have a valid time: an
// entry without one could be the closest, so no other may win over it.
void apply_closest_time(std::string_view instance_time, const InstanceDate& date,
                        std::vector<Candidate>& remaining, Decision& decision) {
  const std::string label = "tie-breaker c (closest scheduled time)";
  instance_time = trim_spaces(instance_time);
  const auto instance_micros = parse_tm(instance_time);
  if (!instance_micros) {
    decision.reasons.push_back(label + ": not applied, the instance time " +
                               (instance_time.empty() ? std::string("is empty")
                                                      : quoted(instance_time) + " is not valid"));
    return;
  }
  const std::int64_t instance_at = date.days * kMicrosPerDay + *instance_micros;
  std::vector<std::int64_t> distances;
  std::vector<Candidate> untimed;
  for (const auto& c : remaining) {
    const auto micros = parse_tm(trim_spaces(c.item->sps_start_time));
    if (!micros) {
      untimed.push_back(c);
      continue;
    }
    distances.push_back(std::llabs(c.scheduled_days * kMicrosPerDay + *micros - instance_at));
  }
  if (!untimed.empty()) {
    decision.reasons.push_back(label + ": not applied, " + list_entries(untimed, decision) +
                               " without a valid scheduled time cannot be compared");
    return;
  }
  const auto closest = *std::min_element(distances.begin(), distances.end());
  std::vector<Candidate> nearest;
  for (std::size_t i = 0; i < remaining.size(); ++i) {
    if (distances[i] == closest) {
      nearest.push_back(remaining[i]);
    }
  }
  if (nearest.size() > 1) {
    decision.reasons.push_back(label + ": not applied, " + list_entries(nearest, decision) +
                               " are equally close (" + format_duration(closest) + ")");
    return;
  }
  const std::string winner = entry_name(decision.verdicts[nearest.front().verdict].index);
  std::vector<Candidate> excluded;
  for (std::size_t i = 0; i < remaining.size(); ++i) {
    if (distances[i] == closest) {
      continue;
    }
    const WorklistItem& item = *remaining[i].item;
    decision.verdicts[remaining[i].verdict].reason =
        "scheduled " + std::string(trim_spaces(item.sps_start_date)) + " " +
        std::string(trim_spaces(item.sps_start_time)) + " is " + format_duration(distances[i]) +
        " from the instance, " + winner + " is closer (" + format_duration(closest) +
        ") (tie-breaker c)";
    excluded.push_back(remaining[i]);
  }
  decision.reasons.push_back(label + ": kept " + list_entries(nearest, decision) + " (" +
                             format_duration(closest) + " from the instance), excluded " +
                             list_entries(excluded, decision));
  remaining = std::move(nearest);
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
  }
  return "unmatched";
}

Decision match(const InstanceAttributes& instance, std::span<const CachedEntry> entries,
               const MatchingPolicy& policy) {
  Decision decision;
  // Said first even when nothing can match: the date is a property of the instance.
  const auto date = pick_instance_date(instance, decision.reasons);
  decision.instance_date_source = date ? date->keyword : "";
  const auto patient_id = trim_spaces(instance.patient_id);
  if (patient_id.empty()) {
    decision.reasons.emplace_back("unmatched: the instance has no Patient ID");
    return decision;
  }

  // Step 1: same Patient ID, and same issuer when both name one.
  const auto issuer = trim_spaces(instance.issuer_of_patient_id);
  std::vector<Candidate> remaining;
  std::size_t issuer_mismatches = 0;
  std::size_t case_only = 0;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const WorklistItem& item = entries[i].item;
    const auto entry_id = trim_spaces(item.patient_id);
    if (entry_id != patient_id) {
      if (!entry_id.empty() && upper(entry_id) == upper(patient_id)) {
        ++case_only;
      }
      continue;
    }
    decision.verdicts.push_back(CandidateVerdict{i, false, {}});
    const auto entry_issuer = trim_spaces(item.issuer_of_patient_id);
    if (!issuer.empty() && !entry_issuer.empty() && entry_issuer != issuer) {
      decision.verdicts.back().reason =
          "Issuer of Patient ID " + quoted(entry_issuer) + " ≠ " + quoted(issuer);
      ++issuer_mismatches;
      continue;
    }
    remaining.push_back(Candidate{decision.verdicts.size() - 1, &item, 0});
  }
  std::string step1 = "step 1: " + std::to_string(decision.verdicts.size()) + " of " +
                      std::to_string(entries.size()) +
                      " entries have the Patient ID (exact, case-sensitive)";
  if (issuer_mismatches > 0) {
    step1 +=
        ", " + std::to_string(issuer_mismatches) + " of them with another Issuer of Patient ID";
  }
  decision.reasons.push_back(std::move(step1));
  if (case_only > 0) {
    decision.reasons.push_back(
        std::to_string(case_only) + (case_only == 1 ? " other entry has" : " other entries have") +
        " the same Patient ID up to letter case; not candidates, Patient IDs are case-sensitive");
  }
  if (remaining.empty()) {
    decision.reasons.emplace_back("unmatched: no worklist entry for this patient");
    return decision;
  }

  // Step 2: filters.
  int window = policy.date_window_days;
  if (window < 0) {
    decision.reasons.push_back("date window " + std::to_string(window) + " is negative; 0 used");
    window = 0;
  }
  std::vector<Candidate> passed;
  for (auto& c : remaining) {
    std::optional<std::int64_t> scheduled_days;
    const auto failures = filter_failures(entries[decision.verdicts[c.verdict].index], instance,
                                          date, window, policy, scheduled_days);
    if (!failures.empty()) {
      decision.verdicts[c.verdict].reason = join(failures, "; ");
      continue;
    }
    c.scheduled_days = *scheduled_days;
    passed.push_back(c);
  }
  std::string step2 =
      "step 2: " + std::to_string(passed.size()) + " of " + std::to_string(remaining.size()) +
      " candidates pass the stale, status, modality and date filters (modality " +
      (trim_spaces(instance.modality).empty() ? std::string("none")
                                              : std::string(trim_spaces(instance.modality))) +
      ", window " + std::to_string(window) + ")";
  decision.reasons.push_back(std::move(step2));
  remaining = std::move(passed);

  // Step 3: tie-breakers, each only while more than one remains.
  std::string selected_by = "the filters (the only candidate left)";
  const EqualityTieBreaker uid_rule{
      "tie-breaker a", "Study Instance UID",
      [](const WorklistItem& w) -> std::string_view { return w.study_instance_uid; }, false};
  const EqualityTieBreaker ae_rule{
      "tie-breaker b", "Scheduled Station AE",
      [](const WorklistItem& w) -> std::string_view { return w.scheduled_station_ae; }, true};
  if (remaining.size() > 1) {
    apply_equality(uid_rule, instance.study_instance_uid, remaining, decision);
    selected_by = "Study Instance UID";
  }
  if (remaining.size() > 1) {
    apply_equality(ae_rule, instance.calling_ae, remaining, decision);
    selected_by = "Scheduled Station AE equal to the calling AE";
  }
  if (remaining.size() > 1) {
    apply_closest_time(instance.study_time, *date, remaining, decision);
    selected_by = "closest scheduled time";
  }

  // Step 4.
  for (const auto& c : remaining) {
    decision.verdicts[c.verdict].kept = true;
    decision.verdicts[c.verdict].reason =
        remaining.size() == 1 ? "selected by " + selected_by : "candidate";
  }
  if (remaining.empty()) {
    decision.outcome = Outcome::Unmatched;
    decision.reasons.emplace_back("unmatched: every entry for this patient was excluded");
  } else if (remaining.size() == 1) {
    decision.outcome = Outcome::Matched;
    decision.selected = decision.verdicts[remaining.front().verdict].index;
    decision.reasons.push_back("matched: " + entry_name(*decision.selected) + ", selected by " +
                               selected_by);
  } else {
    decision.outcome = Outcome::Ambiguous;
    decision.reasons.push_back("ambiguous: " + list_entries(remaining, decision) +
                               " remain after every rule; nothing is stamped");
  }
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
