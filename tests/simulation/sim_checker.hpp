#pragma once
// The safety invariants, checked on everything the router forwards (what the PACS receives),
// against the scenario's truth:
//  1. Right patient: an accession the router wrote belongs to an order of the instance's TRUE
//     patient, and the forwarded Patient ID (and issuer, when sent) is that order's.
//  2. One study, one patient, one accession: the forwarded instances of one Study Instance UID
//     carry one patient identity (Patient ID + issuer) and at most one non-empty accession.
//  3. One order, one study: an accession the router wrote is on forwarded instances of one Study
//     Instance UID only, unless a person assigned it.
//  4. No guessing: an accession the router wrote is the instance's TRUE order's (an unordered
//     instance is never stamped).
// "The router wrote" = the forwarded accession is non-empty and differs from what the modality
// sent. Instances without a Study Instance UID are checked by 1 and 4 only.
#include <array>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "tests/simulation/sim_dicom.hpp"
#include "tests/simulation/sim_model.hpp"

namespace acc::sim {

struct Violation {
  int invariant = 0;  // 1..4
  int64_t at_ms = 0;  // when the PACS got the instance that showed it
  std::string detail;
  std::vector<int> studies;  // the truth studies involved (first = the one that broke it)
  // No router could have told (counted apart, not asserted): (a) when the study arrived its own
  // order was not in the worklist (or it had none) and the study the stamped order belongs to
  // had not arrived yet, so the only order in view was another exam's; (b) that other study was
  // sent under a mistyped Patient ID, so nothing tied it to this patient; (c) this study reused
  // that study's Study Instance UID for the same patient: one study to the router and the PACS.
  bool undecidable = false;
};

// Totals of one run (several blocks add up).
struct Report {
  uint64_t studies = 0;
  uint64_t instances = 0;
  uint64_t rejected = 0;           // C-STORE refused: never stored nor forwarded
  uint64_t forwarded = 0;          // distinct SOP Instance UIDs the PACS received
  uint64_t deliveries = 0;         // including repeats of the same instance
  uint64_t held_at_end = 0;        // instances still held after the final after_hold
  uint64_t never_forwarded = 0;    // accepted but neither forwarded nor held at the end
  uint64_t stampable = 0;          // instances of stampable studies
  uint64_t stampable_correct = 0;  // ... forwarded with their true accession
  uint64_t stamped_by_router = 0;  // forwarded instances carrying an accession the router wrote
  uint64_t manual_assigns = 0;
  uint64_t manual_releases = 0;
  uint64_t manual_refused = 0;  // the router refused a person's decision
  uint64_t manual_forced = 0;   // assigns that needed `force` (order not cached for the patient)
  uint64_t restarts = 0;
  uint64_t reevaluations = 0;                      // reevaluate_held() calls
  uint64_t refreshes = 0;                          // full worklist refreshes absorbed
  std::map<std::string, uint64_t> held_outcomes;   // held at the end, by the hold's outcome
  std::map<std::string, uint64_t> reject_reasons;  // refused C-STOREs, by status and comment
  std::map<std::string, uint64_t>
      refusals;  // a person's decisions the router refused  // reevaluate_held() calls (refreshes,
                 // query answers, ticks)
  // Wall time spent per kind of router call, seconds (where the run's time goes).
  std::map<std::string, double> seconds;
  std::array<uint64_t, 5> violations{};   // [1..4]
  std::array<uint64_t, 5> undecidable{};  // [1..4] wrong with nothing to tell
  std::vector<std::string> undecidable_examples;
  std::array<std::vector<std::string>, 5> examples;  // first few of each, described
  std::string first_violation;                       // the earliest, with its study
  std::map<std::string, uint64_t> violation_kinds;   // kind -> violations whose studies had it
  std::map<std::string, uint64_t> held_kinds;        // kind -> instances held at the end
  std::vector<int> kind_counts = std::vector<int>(kKindCount, 0);

  void add(const Report& other);
  [[nodiscard]] double recall() const {
    return stampable == 0 ? 0.0
                          : static_cast<double>(stampable_correct) / static_cast<double>(stampable);
  }
  [[nodiscard]] std::string text() const;
};

class InvariantChecker {
 public:
  explicit InvariantChecker(const Scenario& sc) : sc_(sc) {}

  // The PACS received this object at `now`; `cause` names what released it (an arrival, a
  // worklist refresh, a person's decision...), shown with a violation.
  void forwarded(const ForwardedFields& f, int64_t now, const std::string& cause);
  // A person assigned `accession` to `study_uid` (exempt from invariant 3).
  void person_assigned(const std::string& study_uid, const std::string& accession);
  void rejected(const std::string& sop_instance_uid);
  // Whether the PACS has instances of `study_uid` under another patient, or with an accession
  // other than `accession` (what a careful person checks before releasing a held study).
  [[nodiscard]] bool pacs_has_other(const std::string& study_uid, const std::string& patient_id,
                                    const std::string& issuer, const std::string& accession) const;

  // Adds this block's counts to `r`; `held` = SOP Instance UIDs still held at the end.
  void report(Report& r, const std::set<std::string>& held, const std::string& seed_text) const;

 private:
  void violate(int invariant, int64_t at, std::string detail, std::vector<int> studies);
  [[nodiscard]] int study_of(const std::string& sop) const;

  const Scenario& sc_;
  std::vector<Violation> violations_;
  std::map<std::string, ForwardedFields> latest_;  // SOP UID -> last version received
  uint64_t deliveries_ = 0;
  uint64_t stamped_ = 0;
  std::set<std::string> rejected_;
  // Invariant 2: per Study UID, identities and accessions seen (with a study that brought each).
  struct UidState {
    std::map<std::pair<std::string, std::string>, int> identities;
    std::map<std::string, int> accessions;
    bool identity_reported = false;
    bool accession_reported = false;
  };
  std::map<std::string, UidState> by_uid_;
  // Invariant 3: per router-written accession, the Study UIDs that carry it (and a study each).
  struct AccessionState {
    std::map<std::string, int> uids;
    bool reported = false;
  };
  std::map<std::string, AccessionState> by_accession_;
  std::set<std::pair<std::string, std::string>> person_;      // (study UID, accession)
  std::set<std::pair<int, std::string>> undecidable_stamps_;  // (study, accession) stamped so
};

}  // namespace acc::sim
