#pragma once
// The AccessionStamper decides, for one received instance, whether to stamp an Accession Number,
// and which: the study's stored decision first (one study never carries two accession numbers),
// then the existing-accession policy, then worklist matching, then the unmatched/ambiguous
// policy. Decisions are JSON for the audit log and the study record. Wrong stamping is a
// patient-safety fault: anything doubtful is held for a person, never guessed.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/config.hpp"
#include "dicom/data/stamp.hpp"
#include "dicom/data/worklist_item.hpp"
#include "rules/rule_set.hpp"
#include "rules/stamp_outcome.hpp"
#include "rules/worklist_match.hpp"

namespace acc::router {

enum class StampAction {
  Stamp,    // write `accession` (+ issuer, request attributes) and forward
  Forward,  // forward as received
  Hold,     // store, do not forward; re-matched on every worklist refresh, or resolved by a person
  Reject,   // answer C-STORE with kRejectStatus, store nothing
};

}  // namespace acc::router

namespace acc {
template <>
struct EnumNames<router::StampAction> {
  using E = router::StampAction;
  static constexpr std::array names{std::pair{E::Stamp, std::string_view("stamp")},
                                    std::pair{E::Forward, std::string_view("forward")},
                                    std::pair{E::Hold, std::string_view("hold")},
                                    std::pair{E::Reject, std::string_view("reject")}};
};
}  // namespace acc

namespace acc::router {

// PS3.4 B.2.3 leaves 0xCxxx ("cannot understand") to the SCP for failures a resend will not cure
// without a change at the modality; 0xA9xx would wrongly blame the data set's SOP class.
inline constexpr uint16_t kRejectStatus = 0xC100;

struct StampDecision {
  StampAction action = StampAction::Forward;
  rules::StampOutcome outcome = rules::StampOutcome::unmatched;
  std::string accession;
  dicom::data::AccessionIssuer issuer;
  std::optional<dicom::data::WorklistItem> entry;
  std::vector<std::string> reasons;
  int64_t held_since_ms = 0;  // for Hold: when the study was first held

  [[nodiscard]] nlohmann::json to_json() const;
  [[nodiscard]] static StampDecision from_json(const nlohmann::json& j);
};

class AccessionStamper {
 public:
  explicit AccessionStamper(const config::RouterConfig& config);

  // `study_decision`: the stored decision of the instance's study, if any. `existing_accession`:
  // the instance's own (0008,0050). `rematch` ignores a stored Hold (used when re-evaluating held
  // studies after a refresh). `overrides`: what a site rule changed of [matching] for this
  // instance (date window, existing_accession, on_unmatched, on_ambiguous).
  [[nodiscard]] StampDecision decide(const rules::InstanceAttributes& instance,
                                     const std::string& existing_accession,
                                     const std::optional<StampDecision>& study_decision,
                                     const std::vector<rules::CachedEntry>& worklist,
                                     int64_t now_ms, bool rematch = false,
                                     const rules::MatchingOverrides& overrides = {}) const;

  // The stamp request for a Stamp decision.
  [[nodiscard]] dicom::data::StampRequest stamp_request(const StampDecision& d,
                                                        const std::string& calling_ae,
                                                        int64_t now_ms) const;

  // True when the decision is one every later instance of the study must follow.
  [[nodiscard]] static bool binds_study(const StampDecision& d);

 private:
  [[nodiscard]] StampDecision from_match(const rules::InstanceAttributes& instance,
                                         const std::vector<rules::CachedEntry>& worklist,
                                         int64_t now_ms,
                                         const rules::MatchingOverrides& overrides) const;
  [[nodiscard]] StampDecision apply_policy(config::UnmatchedPolicy policy, StampDecision d,
                                           int64_t now_ms) const;

  const config::RouterConfig& config_;
  rules::MatchingPolicy policy_;
};

}  // namespace acc::router
