#pragma once
// Applies accession stamping on the receive path and resolves held studies (issue 4). Everything
// here blocks (RocksDB reads, DCMTK parse and encode): call it on the work pool. On the receive
// path it is the Storage SCP's InstanceFilter.
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.hpp"
#include "config/config.hpp"
#include "queue/instance_store.hpp"
#include "router/observability/metrics.hpp"
#include "router/receive/instance_filter.hpp"
#include "router/receive/rule_book.hpp"
#include "router/stamping/accession_stamper.hpp"
#include "router/stamping/worklist_cache.hpp"

namespace acc::router {

// A person's decision on held instances (admin socket: `accessioner hold assign|release`).
struct ManualDecision {
  std::string study_uid;
  // Whose held instances: the unit of holding is (Study Instance UID, patient). Empty = the only
  // patient held under study_uid (refused when there are several).
  std::string patient_id;
  std::string accession;         // assign: the order's Accession Number
  bool correct_patient = false;  // assign: also rewrite the patient from the order (CORRECT)
  bool force = false;            // assign: an accession that is not a cached order of the patient
  std::string who;               // the admin socket's peer credentials, e.g. "alice (uid 1000)"
  std::string why;               // the operator's reason; required with force and correct_patient
};

class StampingService final : public InstanceFilter {
 public:
  // `rules` route released instances and carry per-source matching overrides and `stamp = false`.
  // `metrics` counts every decision by outcome.
  StampingService(const config::RouterConfig& config, queue::InstanceStore& store,
                  WorklistCache& worklist, const RuleBook& rules, RouterMetrics& metrics);

  // Finds held studies left by a previous run.
  void load_held();

  // Decides for a prepared instance and rewrites it: stamped object and Original Attributes, or
  // held (no delivery jobs), or rejected (p.status = kRejectStatus). Sets the audit and study
  // decision JSON on the record so they commit with the instance.
  void process(PreparedInstance& p, int64_t now_ms) override;
  // The commit of an instance process() held has finished, stored or not. Until then the held
  // instance is invisible in the store, and re-evaluation must not forget its study.
  void hold_settled(const std::string& study_uid) override;

  // Re-matches every held study against the current worklist; stamps and releases those that now
  // match; applies after_hold to those held longer than hold_s.
  void reevaluate_held(int64_t now_ms);

  // A person's decisions (admin socket): stamp every held instance of the study with `accession`,
  // or forward them unstamped. Return how many instances were released.
  // Both refuse (an error, nothing released) when nothing is held for the (study, patient) unit.
  // assign also refuses an accession that is not a cached order of the held instances' patient,
  // unless m.correct_patient (rewrite the patient from the order) or m.force, both with a reason.
  [[nodiscard]] Result<uint64_t> assign(const ManualDecision& m, int64_t now_ms);
  [[nodiscard]] Result<uint64_t> release(const ManualDecision& m, int64_t now_ms);

  // One entry per held (study, patient) unit: the patient, the instances, the decision that held
  // them, and every order considered with why it was set aside.
  [[nodiscard]] nlohmann::json held_studies() const;
  [[nodiscard]] std::size_t held_count() const;

 private:
  // The held instances of one (Study Instance UID, Patient ID) unit.
  struct HeldUnit {
    std::string study_uid;
    std::string patient_id;
    std::vector<queue::InstanceRecord> records;
  };
  [[nodiscard]] Result<HeldUnit> held_unit(const std::string& study_uid,
                                           const std::string& patient_id) const;
  std::optional<StampDecision> study_decision_locked(const std::string& study_uid) const;
  std::vector<std::string> studies_of_locked(std::string_view accession) const;
  void claim_locked(const std::string& accession, const std::string& study_uid);
  void reevaluate_unit(const std::string& study_uid, const std::string& patient_id,
                       const std::vector<rules::CachedEntry>& worklist, int64_t now_ms);
  // Stamps the data set inside a Part-10 object; std::nullopt with `why` set when it cannot.
  std::optional<std::vector<uint8_t>> stamped(const std::vector<uint8_t>& part10,
                                              const StampDecision& d, const std::string& calling_ae,
                                              int64_t now_ms, std::string& why) const;
  // Re-commits the held instances of a (study, patient) unit under decision `d` (Stamp or
  // Forward). `sets_study`: `d` becomes the study's decision (the unit is the study's patient).
  // `only`: which held records of the unit (all when empty). Caller holds release_mutex_.
  [[nodiscard]] Result<uint64_t> release_unit(const std::string& study_uid,
                                              const std::string& patient_id, StampDecision d,
                                              bool sets_study, int64_t now_ms,
                                              const std::vector<std::string>& only = {});
  nlohmann::json audit(const StampDecision& d, const queue::InstanceRecord& r,
                       int64_t now_ms) const;
  // The rules in force, evaluated on a stored (already corrected) instance: its route and
  // matching overrides when it leaves the hold. Every destination if it does not parse.
  InstancePlan plan_for(const std::vector<uint8_t>& part10, const queue::InstanceRecord& r) const;

  const config::RouterConfig& config_;
  queue::InstanceStore& store_;
  WorklistCache& worklist_;
  const RuleBook& rules_;
  RouterMetrics& metrics_;
  AccessionStamper stamper_;

  // One lock for study decisions: two associations delivering the same study at once must get
  // the same decision, so look-up, decision and memo update happen under it.
  mutable std::mutex mutex_;
  // One release at a time (a person's assign on one work-pool thread, the 5 s re-evaluation on
  // another): each lists the held instances itself, so the second sees what the first released
  // and does not commit (and deliver) the same instances again. Taken before mutex_, never inside.
  std::mutex release_mutex_;
  mutable std::map<std::string, StampDecision> memo_;  // study UID -> decision (store cache)
  // Accession -> the studies it is stamped on (one order, one study), from the stored study
  // decisions at load_held() and every binding decision since.
  std::map<std::string, std::vector<std::string>, std::less<>> claims_;
  // Patient ID -> studies with instances held for the worklist or a person (stamp failures
  // aside). A new match for another study of the patient is held too: the held study may be the
  // order's (a repeat scan must not take the order of a first scan that is waiting).
  std::map<std::string, std::vector<std::string>> held_by_patient_;
  // Patient ID -> the studies the machine decided (stamped by worklist matching, forwarded
  // unstamped, or refused without a Study UID), with the patient's orders matching saw then. An
  // order that reached the worklist later may be such a study's own (a late order), so it is not
  // stamped on another study of the patient without a person (invariant 4).
  struct DecidedStudy {
    std::string study_uid;  // empty for a refused instance
    std::string accession;  // empty: left unstamped
    std::string modality;   // the order's Modality, or the instance's when unstamped
    std::string date;       // the order's SPS Start Date, or the instance's Study Date
    std::set<std::string, std::less<>> orders_seen;
    std::string refused_sop_instance_uid;  // an instance refused for lacking a Study UID
  };
  std::map<std::string, std::vector<DecidedStudy>, std::less<>> decided_by_patient_;
  // Remembers a machine decision of a study (no-op for a person's and for holds).
  void remember_decision_locked(const std::string& study_uid, const StampDecision& d);
  void remember_locked(const std::string& patient_id, DecidedStudy study);
  // Holds a fresh worklist match that may be another decided study's order (under mutex_): one
  // that reached the worklist after another study of the patient was stamped, or any order when
  // another study of the patient went out unstamped or was refused; in each case only when that
  // study is alike (modality, dates within the window).
  void hold_if_order_came_late_locked(StampDecision& d, const std::string& study_uid,
                                      const std::optional<StampDecision>& study,
                                      int64_t now_ms) const;
  // Calling AE titles modalities have sent from (store records at start, then every instance):
  // station evidence trusts only these names (rules::MatchHistory::known_station).
  std::set<std::string, std::less<>> known_stations_;
  // The first other held study of the patient, or "" (under mutex_).
  [[nodiscard]] std::string other_held_study_locked(const std::string& patient_id,
                                                    const std::string& study_uid) const;
  // Holds a fresh worklist match when another study of the patient is held (under mutex_).
  void hold_if_patient_has_held_study_locked(StampDecision& d, const std::string& study_uid,
                                             const std::optional<StampDecision>& study,
                                             int64_t now_ms) const;

  // Studies with held instances. A study leaves only when the store shows none held, no held
  // instance of it is between process() and its commit, and none was marked since the look.
  struct HeldStudy {
    uint64_t marks = 0;        // holds decided for this study, ever
    uint32_t uncommitted = 0;  // holds decided whose commit has not finished
  };
  std::map<std::string, HeldStudy> held_;
  // Study UID -> SOP Instance UIDs held under it (a superset: an entry whose record the store no
  // longer shows held is skipped, and dropped with its study). Held instances are looked up by
  // it, one record each, instead of listing the whole store for every held unit every 5 s.
  std::map<std::string, std::set<std::string>> held_index_;
  void mark_held_locked(const std::string& study_uid, const std::string& sop_instance_uid,
                        bool uncommitted);
  // The records the store shows held, of one study or (empty) of every study with holds.
  [[nodiscard]] std::vector<queue::InstanceRecord> held_records(
      const std::string& study_uid = {}) const;
};

}  // namespace acc::router
