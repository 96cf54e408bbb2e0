#pragma once
// Applies accession stamping on the receive path and resolves held studies (issue 4). Everything
// here blocks (RocksDB reads, DCMTK parse and encode): call it on the work pool. On the receive
// path it is the Storage SCP's InstanceFilter.
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
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
  [[nodiscard]] Result<uint64_t> assign(const std::string& study_uid, const std::string& accession,
                                        int64_t now_ms);
  [[nodiscard]] Result<uint64_t> release(const std::string& study_uid, int64_t now_ms);

  [[nodiscard]] nlohmann::json held_studies() const;
  [[nodiscard]] std::size_t held_count() const;

 private:
  std::optional<StampDecision> study_decision_locked(const std::string& study_uid) const;
  // Stamps the data set inside a Part-10 object; std::nullopt with `why` set when it cannot.
  std::optional<std::vector<uint8_t>> stamped(const std::vector<uint8_t>& part10,
                                              const StampDecision& d, const std::string& calling_ae,
                                              int64_t now_ms, std::string& why) const;
  // Re-commits the held instances of a study under decision `d` (Stamp or Forward).
  [[nodiscard]] Result<uint64_t> release_study(const std::string& study_uid, StampDecision d,
                                               int64_t now_ms);
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

  // Studies with held instances. A study leaves only when the store shows none held, no held
  // instance of it is between process() and its commit, and none was marked since the look.
  struct HeldStudy {
    uint64_t marks = 0;        // holds decided for this study, ever
    uint32_t uncommitted = 0;  // holds decided whose commit has not finished
  };
  std::map<std::string, HeldStudy> held_;
  void mark_held_locked(const std::string& study_uid, bool uncommitted);
};

}  // namespace acc::router
