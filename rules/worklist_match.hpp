#pragma once
// Matching an incoming instance against cached Modality Worklist entries (issue 4). A pure
// function with reasons, so every rule and tie-breaker is unit-tested and every decision can be
// shown to a person: wrong stamping is a patient-safety fault, so when in doubt it says
// "ambiguous" or "unmatched", never guesses.
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dicom/data/worklist_item.hpp"

namespace acc::rules {

// What matching reads from the instance (all trimmed strings, DICOM formats).
struct InstanceAttributes {
  std::string patient_id;
  std::string issuer_of_patient_id;
  std::string study_instance_uid;
  std::string modality;    // (0008,0060)
  std::string study_date;  // YYYYMMDD; fallbacks below when empty
  std::string series_date;
  std::string acquisition_date;
  std::string content_date;
  std::string study_time;  // HHMMSS[.f] of the same source as the date, for closeness
  std::string calling_ae;
};

struct MatchingPolicy {
  int date_window_days = 0;  // |scheduled date - instance date| <= window (0 = same day)
  // Modality aliases: each group is a set of codes treated as equal, e.g. {"PT","PET"},
  // {"CR","DX"}. Matching is case-sensitive on the codes themselves (DICOM CS is upper case).
  std::vector<std::vector<std::string>> modality_aliases;
};

// An entry in the cache with its bookkeeping.
struct CachedEntry {
  dicom::data::WorklistItem item;
  bool stale = false;  // disappeared from the RIS beyond the grace period: never matches
};

enum class Outcome { Matched, Ambiguous, Unmatched };
[[nodiscard]] const char* outcome_name(Outcome o) noexcept;  // "matched", "ambiguous", "unmatched"

struct CandidateVerdict {
  std::size_t index = 0;  // into the entries given to match()
  bool kept = false;      // survived every filter and tie-breaker
  std::string reason;     // why it was excluded, or "candidate"/"selected by ..." when kept
};

struct Decision {
  Outcome outcome = Outcome::Unmatched;
  std::optional<std::size_t> selected;     // index of the matched entry
  std::string instance_date_source;        // "StudyDate", "SeriesDate", ... or "" when none
  std::vector<CandidateVerdict> verdicts;  // one per entry that shared the Patient ID
  std::vector<std::string> reasons;        // the decision in steps, human readable
};

// Rules, in order (each step recorded in `reasons`):
//  1. Candidates: same Patient ID (exact after trimming leading/trailing spaces; case-sensitive,
//     see docs); when both sides carry an Issuer of Patient ID, they must be equal too.
//  2. Excluded: stale entries; SPS status DISCONTINUED or CANCELED (COMPLETED still matches, for
//     late series); modality not equal (after aliases) to the instance's; scheduled date outside
//     the window around the instance date (Study Date, else Series, Acquisition, Content Date);
//     no instance date at all -> every candidate is excluded ("no date to match on").
//     An entry with no modality or no date never matches.
//  3. Tie-breakers while more than one remains, each applied only if it leaves at least one:
//     a. Study Instance UID equal to the instance's;
//     b. Scheduled Station AE equal to the calling AE;
//     c. closest scheduled date+time to the instance date+time, only if strictly closer than
//        every other (a tie stays ambiguous).
//  4. Exactly one left -> Matched; none -> Unmatched; more -> Ambiguous.
[[nodiscard]] Decision match(const InstanceAttributes& instance,
                             std::span<const CachedEntry> entries, const MatchingPolicy& policy);

// Why a RIS accession number must not be stamped, or std::nullopt if it may: empty, longer than
// 16 characters (SH), containing '*', '?' or '\\', or control characters.
[[nodiscard]] std::optional<std::string> accession_problem(std::string_view accession);

}  // namespace acc::rules
