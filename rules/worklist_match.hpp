#pragma once
// Matching an incoming instance against cached Modality Worklist entries (issue 4). A pure
// function with reasons, so every rule and tie-breaker is unit-tested and every decision can be
// shown to a person: wrong stamping is a patient-safety fault, so when in doubt it says
// "ambiguous" or "unmatched", never guesses.
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dicom/data/worklist_item.hpp"
#include "rules/patient_identity.hpp"

namespace acc::rules {

// What matching reads from the instance (all trimmed strings, DICOM formats).
struct InstanceAttributes {
  std::string patient_id;
  std::string issuer_of_patient_id;
  std::string patient_name;        // (0010,0010), compared as docs/matching.md says
  std::string patient_birth_date;  // (0010,0030)
  std::string patient_sex;         // (0010,0040)
  std::string study_instance_uid;
  std::string modality;    // (0008,0060)
  std::string study_date;  // YYYYMMDD; fallbacks below when empty
  std::string series_date;
  std::string acquisition_date;
  std::string content_date;
  std::string study_time;  // of the same source as the date: shown in reasons, never decides
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
  // The RIS answered an item the cache could not decode; `item` holds only what could be read
  // (at least the Patient ID). It is never stamped, but it competes: its patient is ambiguous.
  bool undecodable = false;
};

// What the router already decided that matching must respect (invariants 3 and 5).
struct MatchHistory {
  // The Study Instance UIDs an accession is already stamped on (one order, one study). An order
  // stamped on another study than the instance's is never selected again without a person.
  std::function<std::vector<std::string>(std::string_view accession)> studies_of;
  // Accessions that were still in the running when this study was held: each keeps competing
  // after it leaves the worklist, so the other one never "matches uniquely" by attrition.
  std::vector<std::string> earlier_candidates;
  // True for an AE title a modality has called the router from. Station evidence for one order
  // is applied only when the others are scheduled on known stations (or on none): an unknown
  // station name may be the calling modality under another name. Unset: every name is known.
  std::function<bool(std::string_view station)> known_station;
};

enum class Outcome {
  Matched,    // exactly one order left, nothing speaks against it
  Ambiguous,  // more than one order left
  Unmatched,  // no order left
  Conflict,   // evidence speaks against the order(s) left: demographics, another order's Study
              // Instance UID, another scheduled station, an order that cannot be stamped
};
[[nodiscard]] const char* outcome_name(Outcome o) noexcept;  // "matched", ..., "conflict"

// An order remembered from the hold that is no longer in the cache has no entry index.
inline constexpr std::size_t kNoEntry = static_cast<std::size_t>(-1);

struct CandidateVerdict {
  std::size_t index = 0;  // into the entries given to match(), or kNoEntry
  std::string accession;  // the order's Accession Number
  bool kept = false;      // still in the running at the end
  std::string reason;     // why it was excluded, or "candidate"/"selected by ..." when kept
};

struct Decision {
  Outcome outcome = Outcome::Unmatched;
  std::optional<std::size_t> selected;     // index of the matched entry
  std::string instance_date_source;        // "StudyDate", "SeriesDate", ... or "" when none
  std::vector<CandidateVerdict> verdicts;  // one per order of the patient (and remembered ones)
  std::vector<std::string> reasons;        // the decision in steps, human readable
  // Accessions still in the running when the outcome is not Matched (with earlier_candidates):
  // what a hold remembers.
  std::vector<std::string> competing;
};

// Rules, in order (each step recorded in `reasons`; the contract is docs/matching.md):
//  1. Candidates: same Patient ID (exact after trimming; case-sensitive). Issuer of Patient ID:
//     equal where both sides name one; an entry without one is a candidate only when no entry of
//     that Patient ID names another issuer; an instance without one whose Patient ID exists
//     under two issuers is ambiguous. An undecodable entry of the patient competes.
//  2. Demographics: any candidate whose birth date, sex or family name disagrees with the
//     instance's -> Conflict (the ID may be another patient's), whatever the other entries say.
//  3. Excluded: status DISCONTINUED or CANCELED; stale (unless remembered: then it competes);
//     modality not covering the instance's (after aliases); scheduled date outside the window
//     around the instance date (Study Date, else Series, Acquisition, Content Date); no date;
//     an accession already stamped on another study.
//  4. Evidence for, applied while more than one remains and only if it leaves at least one:
//     a. Study Instance UID equal to the instance's; b. Scheduled Station AE equal to the
//     calling AE. Entries of one order (same accession, several steps) count once.
//     Time of day is never evidence: two orders left stay ambiguous.
//  5. Exactly one order left: Matched, unless evidence speaks against it -> Conflict: it cannot
//     be stamped (undecodable, left the worklist), its Scheduled Station AE names another
//     station than the calling AE, or the instance's Study Instance UID is another order's.
//     None left -> Unmatched; more -> Ambiguous.
[[nodiscard]] Decision match(const InstanceAttributes& instance,
                             std::span<const CachedEntry> entries, const MatchingPolicy& policy,
                             const MatchHistory& history = {});

// The patient an instance or an order names, for patient_identity.hpp.
[[nodiscard]] PatientIdentity patient_of(const InstanceAttributes& instance);
[[nodiscard]] PatientIdentity patient_of(const dicom::data::WorklistItem& item);

// True when the order's modality (multi-valued, aliases applied) covers the instance's.
[[nodiscard]] bool modality_covers(std::string_view order_modality,
                                   std::string_view instance_modality,
                                   const MatchingPolicy& policy);
// True when a CT or MR instance may be the anatomical part of a hybrid study ordered as PT or NM
// (PET/CT, PET/MR, SPECT/CT): such an order competes for it, and covers it once the study's
// nuclear part has matched it.
[[nodiscard]] bool is_hybrid_part(std::string_view order_modality,
                                  std::string_view instance_modality);
// Days between two DA values (|a - b|), or std::nullopt when either is not a valid date.
[[nodiscard]] std::optional<std::int64_t> days_apart(std::string_view da_a, std::string_view da_b);
// Derived and document objects (SR, KO, PR, DOC, SEG, REG, RWV, OT, ...) follow their study's
// decision whatever the order's modality; acquisition modalities must be covered by it.
[[nodiscard]] bool is_derived_modality(std::string_view modality);

// Why a RIS accession number must not be stamped, or std::nullopt if it may: empty, longer than
// 16 characters (SH), containing '*', '?' or '\\', or control characters.
[[nodiscard]] std::optional<std::string> accession_problem(std::string_view accession);

}  // namespace acc::rules
