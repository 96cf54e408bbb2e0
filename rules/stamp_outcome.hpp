#pragma once
// Why an instance was (or was not) stamped: the vocabulary of the decision audit log, of
// `accessioner hold list` and `decisions list`, and of the metric
// accessioner_stamping_decisions_total{outcome}. One table (common/enum_names.hpp) serves all of
// them, so the label set is exactly the set of outcomes the code can produce.
#include <array>
#include <string_view>
#include <utility>

#include "common/enum_names.hpp"

namespace acc::rules {

enum class StampOutcome {
  matched,            // exactly one order: stamped
  ambiguous,          // several orders: policy on_ambiguous
  unmatched,          // no order: policy on_unmatched
  kept,               // the instance's own accession, policy keep (or could not verify)
  verified,           // the instance's own accession agrees with the worklist
  mismatch,           // the instance's own accession disagrees: held
  overwritten,        // the worklist's accession replaced the instance's (policy overwrite)
  invalid_accession,  // the order's accession cannot be written as SH: held
  manual,             // a person assigned the accession (hold assign)
  released,           // forwarded unstamped after a hold (a person, or after_hold = forward)
  not_stamped,        // a site rule said stamp = false
  quarantined,        // held past hold_s with after_hold = quarantine: a person decides
  conflict,           // one order left but evidence against it (demographics, station, another
                      // order's Study UID, left the worklist): policy on_ambiguous
  study_conflict,     // the instance's patient differs from its study's: held alone, never
                      // released without a person (the PACS would merge two patients)
  modality_conflict,  // an acquisition modality the study's order does not cover: held alone
  stamp_failed,       // the accession could not be written (character set): held, after_hold
};

}  // namespace acc::rules

namespace acc {

template <>
struct EnumNames<rules::StampOutcome> {
  using E = rules::StampOutcome;
  static constexpr std::array names{
      std::pair{E::matched, std::string_view("matched")},
      std::pair{E::ambiguous, std::string_view("ambiguous")},
      std::pair{E::unmatched, std::string_view("unmatched")},
      std::pair{E::kept, std::string_view("kept")},
      std::pair{E::verified, std::string_view("verified")},
      std::pair{E::mismatch, std::string_view("mismatch")},
      std::pair{E::overwritten, std::string_view("overwritten")},
      std::pair{E::invalid_accession, std::string_view("invalid_accession")},
      std::pair{E::manual, std::string_view("manual")},
      std::pair{E::released, std::string_view("released")},
      std::pair{E::not_stamped, std::string_view("not_stamped")},
      std::pair{E::quarantined, std::string_view("quarantined")},
      std::pair{E::conflict, std::string_view("conflict")},
      std::pair{E::study_conflict, std::string_view("study_conflict")},
      std::pair{E::modality_conflict, std::string_view("modality_conflict")},
      std::pair{E::stamp_failed, std::string_view("stamp_failed")},
  };
};

}  // namespace acc
