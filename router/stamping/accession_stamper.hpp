#pragma once
// The AccessionStamper decides, for one received instance, whether to stamp an Accession Number,
// and which: the study's stored decision first (one study never carries two accession numbers),
// then the existing-accession policy, then worklist matching, then the unmatched/ambiguous
// policy. Decisions are JSON for the audit log and the study record. Wrong stamping is a
// patient-safety fault: anything doubtful is held for a person, never guessed.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/config.hpp"
#include "dicom/data/stamp.hpp"
#include "dicom/data/worklist_item.hpp"
#include "rules/patient_identity.hpp"
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

// One order matching looked at, as `hold list` shows it to a person.
struct CandidateSummary {
  std::string accession;
  std::string patient_id;
  std::string patient_name;
  std::string modality;
  std::string scheduled;  // "YYYYMMDD HHMMSS"
  std::string station;    // Scheduled Station AE
  std::string status;     // SPS status
  bool kept = false;      // still in the running at the end
  std::string reason;     // why it was excluded (or "candidate", "selected by ...")
};

struct StampDecision {
  StampAction action = StampAction::Forward;
  rules::StampOutcome outcome = rules::StampOutcome::unmatched;
  std::string accession;
  dicom::data::AccessionIssuer issuer;
  std::optional<dicom::data::WorklistItem> entry;
  std::vector<std::string> reasons;
  int64_t held_since_ms = 0;  // for Hold: when the study was first held
  // The instance's patient; in a study decision, the study's patient, which every later instance
  // of the Study Instance UID must be (invariant 2). Empty in decisions of earlier versions.
  rules::PatientIdentity patient;
  // For a hold: the orders still in the running, which keep competing after they leave the
  // worklist (invariant 5), and every order considered with why it was set aside.
  std::vector<std::string> competing;
  std::vector<CandidateSummary> candidates;
  // A person's decision: who (admin socket peer credentials) and why (their words).
  std::string decided_by;
  std::string why;
  // The deciding instance's Modality and Study Date: for a study left unstamped, what an order
  // that reaches the worklist later is compared with (it may be this study's).
  std::string study_modality;
  std::string study_date;
  bool correct_patient = false;     // also rewrite the patient from `entry` (reason CORRECT)
  bool replaces_accession = false;  // a person's assign over the image's own (mismatch) accession

  [[nodiscard]] nlohmann::json to_json() const;
  [[nodiscard]] static StampDecision from_json(const nlohmann::json& j);
};

class AccessionStamper {
 public:
  explicit AccessionStamper(const config::RouterConfig& config);

  // `study_decision`: the stored decision of the instance's study, if any. `existing_accession`:
  // the instance's own (0008,0050). `rematch` ignores a stored Hold (used when re-evaluating held
  // studies after a refresh). `overrides`: what a site rule changed of [matching] for this
  // instance (date window, existing_accession, on_unmatched, on_ambiguous). `studies_of`: the
  // studies an accession is already stamped on (one order, one study).
  [[nodiscard]] StampDecision decide(
      const rules::InstanceAttributes& instance, const std::string& existing_accession,
      const std::optional<StampDecision>& study_decision,
      const std::vector<rules::CachedEntry>& worklist, int64_t now_ms, bool rematch = false,
      const rules::MatchingOverrides& overrides = {},
      const std::function<std::vector<std::string>(std::string_view)>& studies_of = {},
      const std::function<bool(std::string_view)>& known_station = {}) const;

  // The stamp request for a Stamp decision.
  [[nodiscard]] dicom::data::StampRequest stamp_request(const StampDecision& d,
                                                        const std::string& calling_ae,
                                                        int64_t now_ms) const;

  // True when the decision is one every later instance of the study must follow.
  [[nodiscard]] static bool binds_study(const StampDecision& d);
  // True for the holds of one instance that never follow nor set the study's decision.
  [[nodiscard]] static bool held_alone(const StampDecision& d);

  [[nodiscard]] const rules::MatchingPolicy& policy() const { return policy_; }

 private:
  [[nodiscard]] StampDecision decide_for_patient(
      const rules::InstanceAttributes& instance, const std::string& existing_accession,
      const std::optional<StampDecision>& study_decision,
      const std::vector<rules::CachedEntry>& worklist, int64_t now_ms, bool rematch,
      const rules::MatchingOverrides& overrides,
      const std::function<std::vector<std::string>(std::string_view)>& studies_of,
      const std::function<bool(std::string_view)>& known_station) const;
  [[nodiscard]] StampDecision follow(const rules::InstanceAttributes& instance,
                                     const std::string& existing_accession, StampDecision d,
                                     config::ExistingAccessionPolicy existing_policy,
                                     int64_t now_ms) const;
  [[nodiscard]] StampDecision from_match(const rules::InstanceAttributes& instance,
                                         const std::vector<rules::CachedEntry>& worklist,
                                         int64_t now_ms, const rules::MatchingOverrides& overrides,
                                         const rules::MatchHistory& history) const;
  [[nodiscard]] dicom::data::AccessionIssuer configured_issuer() const;
  [[nodiscard]] StampDecision apply_policy(config::UnmatchedPolicy policy, StampDecision d,
                                           int64_t now_ms) const;

  const config::RouterConfig& config_;
  rules::MatchingPolicy policy_;
};

}  // namespace acc::router
