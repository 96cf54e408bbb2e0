#include "tests/simulation/sim_driver.hpp"

#include <chrono>
#include <cstdio>
#include <future>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <utility>

#include <asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "dicom/dimse/command.hpp"
#include "dicom/net/association.hpp"
#include "queue/instance_store.hpp"
#include "router/observability/metrics.hpp"
#include "router/receive/prepare_instance.hpp"
#include "router/receive/rule_book.hpp"
#include "router/stamping/stamping_service.hpp"
#include "router/stamping/worklist_cache.hpp"
#include "rules/rule_set.hpp"
#include "tests/simulation/sim_dicom.hpp"

// Simulated time and the worklist cache: WorklistCache::absorb() stamps an entry's last_seen with
// the WALL clock, and entries(now_ms) marks it stale when now_ms - last_seen > grace_s. Simulated
// days lie in the past (2024), so no entry ever turns stale here: an order gone from the RIS
// keeps matching for the whole run, as if grace_s were infinite (the harsher case for safety).
// The generator keeps "order replaced" removals within an hour of the scan, where the daemon
// would still match the old order too (grace_s = 3600 by default).

namespace acc::sim {

namespace {

constexpr const char* kOurAe = "ACCESSIONER";
constexpr const char* kPacs = "PACS";

// The router's stamping path without the network, wired as router/server.cpp wires it.
class RouterUnderTest {
 public:
  RouterUnderTest(const config::RouterConfig& config, const std::filesystem::path& dir)
      : config_(config) {
    auto store = queue::InstanceStore::open({dir / "store", /*sync=*/false});
    if (!store) {
      throw std::runtime_error("cannot open the store: " + store.error().message());
    }
    store_ = std::move(*store);
    start();
  }
  ~RouterUnderTest() {
    stop();
    store_->close();
  }
  RouterUnderTest(const RouterUnderTest&) = delete;
  RouterUnderTest& operator=(const RouterUnderTest&) = delete;

  // A process restart: everything in memory is lost, the store stays.
  void restart() {
    stop();
    start();
  }

  struct Received {
    uint16_t status = 0;  // 0 = stored
    std::string error_comment;
    bool held = false;
    std::string outcome;     // the decision's outcome ("matched", "unmatched", ...)
    std::string patient_id;  // what matching read
  };

  // One C-STORE as StorageScp::handle_store does it.
  Received receive(const Instance& in, const std::vector<uint8_t>& data_set, uint64_t association,
                   int64_t now) {
    const dicom::net::AcceptedContext context{1, in.sop_class_uid, kExplicitVrLittleEndian};
    router::PreparedInstance p = router::prepare_instance(
        dicom::dimse::make_c_store_rq(1, in.sop_class_uid, in.sop_instance_uid), context, data_set);
    Received out;
    if (p.status != 0) {
      out.status = p.status;
      out.error_comment = p.error_comment;
      return out;
    }
    p.record.calling_ae = in.calling_ae;
    p.record.called_ae = kOurAe;
    p.record.peer_address = "10.1.0." + std::to_string(in.calling_ae.size());
    p.record.association_id = association;
    p.record.received_at_ms = now;
    router::apply_rules(p, rules_, kOurAe, now);
    if (p.status != 0) {
      out.status = p.status;
      out.error_comment = p.error_comment;
      return out;
    }
    service_->process(p, now);
    out.status = p.status;
    out.error_comment = p.error_comment;
    if (p.status != 0) {
      return out;
    }
    out.held = p.record.state == queue::RecordState::held;
    out.patient_id = p.attributes.patient_id;
    const auto decision = nlohmann::json::parse(p.record.decision_json, nullptr, false);
    if (decision.is_object()) {
      out.outcome = decision.value("outcome", std::string());
    }
    const std::string study = p.record.study_instance_uid;
    auto committed = store_->commit(std::move(p.record), std::move(p.part10));
    if (out.held) {
      service_->hold_settled(study);
    }
    if (!committed) {
      throw std::runtime_error("commit failed: " + committed.error().message());
    }
    return out;
  }

  // A full worklist refresh answered with `items` (the server re-evaluates after it; the driver
  // calls reevaluate() when that can change something).
  void refresh(std::vector<dicom::data::WorklistItem> items) {
    worklist_->absorb(std::move(items), /*full_refresh=*/true);
  }
  // The answer to a query on miss (one patient), then the re-evaluation it triggers.
  void patient_answer(std::vector<dicom::data::WorklistItem> items, int64_t now) {
    worklist_->absorb(std::move(items), /*full_refresh=*/false);
    service_->reevaluate_held(now);
  }
  void reevaluate(int64_t now) { service_->reevaluate_held(now); }
  [[nodiscard]] std::size_t held_count() const { return service_->held_count(); }

  [[nodiscard]] std::vector<queue::InstanceRecord> held_records() const {
    auto records = store_->list();
    if (!records) {
      throw std::runtime_error("cannot list the store: " + records.error().message());
    }
    std::vector<queue::InstanceRecord> out;
    for (auto& r : *records) {
      if (r.state == queue::RecordState::held) {
        out.push_back(std::move(r));
      }
    }
    return out;
  }

  // The outcome of the latest audited decision on a record's instance.
  [[nodiscard]] std::string last_outcome(const queue::InstanceRecord& r) const {
    auto log = store_->decisions(r.study_instance_uid);
    std::string outcome = "?";
    if (log) {
      for (const auto& entry : *log) {
        const auto d = nlohmann::json::parse(entry, nullptr, false);
        if (d.is_object() && d.value("sop_instance_uid", std::string()) == r.sop_instance_uid) {
          outcome = d.value("outcome", std::string("?"));
        }
      }
    }
    return outcome;
  }

  // `accessioner hold assign` / `hold release` by a person.
  // Empty when done, else the router's refusal.
  std::string assign(const std::string& study_uid, const std::string& patient_id,
                     const std::string& accession, bool correct_patient, bool force,
                     const std::string& why, int64_t now) {
    router::ManualDecision m;
    m.study_uid = study_uid;
    m.patient_id = patient_id;
    m.accession = accession;
    m.correct_patient = correct_patient;
    m.force = force;
    m.who = "sim";
    m.why = why;
    auto done = service_->assign(m, now);
    return done ? std::string() : done.error().message();
  }
  std::string release(const std::string& study_uid, const std::string& patient_id,
                      const std::string& why, int64_t now) {
    router::ManualDecision m;
    m.study_uid = study_uid;
    m.patient_id = patient_id;
    m.who = "sim";
    m.why = why;
    auto done = service_->release(m, now);
    return done ? std::string() : done.error().message();
  }

  // The PACS takes every pending delivery: `f` sees each object as sent, then the job completes.
  template <typename F>
  void deliver(int64_t now, F&& f) {
    queue::ForwardQueue& q = store_->forward_queue();
    while (auto job = q.lease_next(kPacs, now)) {
      auto object = store_->read_object(job->sop_instance_uid);
      if (object && *object) {
        f(**object);
      }
      std::promise<void> done;
      q.complete(*job, [&done](Result<void>) { done.set_value(); });
      done.get_future().wait();
    }
  }

 private:
  void start() {
    worklist_.emplace(io_, config_.worklist, kOurAe, *store_);
    if (auto loaded = worklist_->load(); !loaded) {
      throw std::runtime_error("worklist load failed: " + loaded.error().message());
    }
    service_.emplace(config_, *store_, *worklist_, rules_, metrics_);
    service_->load_held();
  }
  void stop() {
    service_.reset();
    worklist_.reset();
  }

  const config::RouterConfig& config_;
  asio::io_context io_;  // never run: the cache is fed by absorb() only
  std::unique_ptr<queue::InstanceStore> store_;
  router::RuleBook rules_{std::make_shared<const rules::RuleSet>(), {kPacs}};
  router::RouterMetrics metrics_{"simulation"};
  std::optional<router::WorklistCache> worklist_;
  std::optional<router::StampingService> service_;
};

// Adds the wall time of its scope to report.seconds[name].
class Timed {
 public:
  Timed(Report& r, const char* name)
      : r_(r), name_(name), start_(std::chrono::steady_clock::now()) {}
  ~Timed() {
    r_.seconds[name_] +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }
  Timed(const Timed&) = delete;
  Timed& operator=(const Timed&) = delete;

 private:
  Report& r_;
  const char* name_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace

config::RouterConfig default_router_config() {
  config::RouterConfig c;
  c.server.ae_title = kOurAe;
  c.worklist.enabled = true;
  c.worklist.ae_title = "RIS";
  c.worklist.host = "127.0.0.1";
  c.worklist.port = 1;  // never contacted
  c.worklist.days_before = 1;
  c.worklist.days_after = 1;
  c.worklist.query_on_miss = false;  // emulated by the driver (synchronously)
  config::DestinationConfig pacs;
  pacs.name = kPacs;
  pacs.ae_title = "PACS";
  pacs.host = "127.0.0.1";
  pacs.port = 1;  // delivery is simulated through the forward queue
  c.destinations.push_back(pacs);
  return c;
}

void run_scenario(const Scenario& sc, const DriverOptions& o, InvariantChecker& checker,
                  Report& report) {
  RouterUnderTest router(o.router, o.dir);
  Rng person(sc.params.seed ^ (0x5EED0000ULL + static_cast<uint64_t>(sc.params.block)));
  const int64_t hold_ms = static_cast<int64_t>(o.router.matching.hold_s) * kSecond;
  const int64_t refresh_ms =
      std::max<int64_t>(1, static_cast<int64_t>(o.router.worklist.refresh_s)) * kSecond;

  // The worklist cache as the server keeps it: a full refresh every refresh_s (60 s), so at any
  // time t it holds the RIS as of the last refresh tick (plus query-on-miss answers). Absorbing
  // every minute costs too much; the driver materialises the refresh only when somebody looks:
  // before an instance whose Patient ID has orders that changed, before re-evaluations and a
  // person's decisions. Matching only considers orders of the instance's Patient ID, so the
  // decisions are those of a cache refreshed every minute.
  int64_t last_refresh = sc.start_ms;
  int64_t restarted_at = sc.start_ms;  // the refresh timer starts with the server
  auto refresh_tick = [&](int64_t t) {
    return restarted_at + (t - restarted_at) / refresh_ms * refresh_ms;
  };
  auto refresh_at = [&](int64_t at) {
    const Timed timed(report, "refresh");
    ++report.refreshes;
    router.refresh(sc.worklist_at(at, o.days_before, o.days_after));
    last_refresh = at;
  };
  // The cache as of t, for matching `patient_id` ("" = for everybody).
  auto cache_for = [&](int64_t t, const std::string& patient_id) {
    const int64_t at = refresh_tick(t);
    if (at > last_refresh && sc.ris_changed(last_refresh, at, patient_id)) {
      refresh_at(at);
    }
  };

  // The server also re-evaluates held studies every 5 s and after every worklist answer. With
  // the same worklist and no hold expired that decides nothing new, and each re-evaluation costs
  // O(held units x store records), so the driver re-evaluates (on a 10-minute tick) only when
  // something could change: an order of a held Patient ID changed, a hold expired, the router
  // restarted, or 4 hours passed (a safety net for causes not modelled here, such as a person's
  // decision on another study). Hence it tracks what is held.
  std::map<std::string, std::string> held_sops;  // SOP -> Patient ID it was held under
  std::map<std::string, int> held_patients;      // Patient ID -> held SOPs
  std::multimap<int64_t, std::string> expiries;  // when a unit's hold_s ends -> one of its SOPs
  std::set<std::pair<std::string, std::string>> units_seen;  // (Study UID, Patient ID) held
  int64_t last_reevaluation = sc.start_ms;
  int64_t last_look = sc.start_ms;  // RIS changes up to here were considered for re-evaluation

  auto forget_held = [&](const std::string& sop) {
    const auto it = held_sops.find(sop);
    if (it != held_sops.end()) {
      if (--held_patients[it->second] == 0) {
        held_patients.erase(it->second);
      }
      held_sops.erase(it);
    }
  };
  auto deliver = [&](int64_t now, const std::string& cause) {
    const Timed timed(report, "deliver+check");
    router.deliver(now, [&](const std::vector<uint8_t>& object) {
      const ForwardedFields f = read_forwarded(object);
      forget_held(f.sop_instance_uid);
      checker.forwarded(f, now, cause);
    });
  };
  auto reevaluate = [&](int64_t t) {
    cache_for(t, "");
    const Timed timed(report, "re-evaluate");
    ++report.reevaluations;
    router.reevaluate(t);
    last_reevaluation = t;
  };

  // A person looks at `hold list` and resolves some held (study, patient) groups from the truth:
  // assign the true order's accession (correcting the patient when the images name the wrong
  // one), or release an unordered study unstamped. Groups mixing truth studies are left alone.
  auto person_round = [&](int64_t t) {
    cache_for(t, "");
    const Timed timed(report, "person");
    std::map<std::pair<std::string, std::string>, std::set<int>> groups;
    for (const auto& r : router.held_records()) {
      const auto it = sc.instance_by_sop.find(r.sop_instance_uid);
      if (it != sc.instance_by_sop.end()) {
        groups[{r.study_instance_uid, r.patient_id}].insert(
            sc.instances[static_cast<std::size_t>(it->second)].study);
      }
    }
    for (const auto& [key, studies] : groups) {
      const auto& [uid, patient_id] = key;
      if (!person.chance(o.person_diligence) || uid.empty() || studies.size() != 1) {
        continue;
      }
      const Study& s = sc.studies[static_cast<std::size_t>(*studies.begin())];
      if (s.study_uid != s.own_uid ||
          checker.pacs_has_other(uid, patient_id, s.sent.issuer, sc.true_accession(s))) {
        // Another patient's Study UID, or the PACS already has this study under another patient
        // or accession: no decision here makes that right (the modality has to resend, the PACS
        // be corrected). A careful person leaves it held.
        continue;
      }
      std::string refused;
      if (s.order) {
        const Order& order = sc.orders[static_cast<std::size_t>(*s.order)];
        if (order.appears_ms > t) {
          continue;  // not in the RIS yet: the person cannot know the accession
        }
        const std::string accession = sc.true_accession(s);
        const Patient& truth = sc.patients[static_cast<std::size_t>(s.patient)];
        const bool wrong_patient = s.sent.patient_id != truth.id ||
                                   (!s.sent.issuer.empty() && s.sent.issuer != truth.issuer) ||
                                   s.has(Kind::demographics_typo);
        const std::string why = wrong_patient
                                    ? "images name the wrong patient (typo at the modality)"
                                    : "checked against the RIS";
        refused = router.assign(uid, patient_id, accession, wrong_patient, false, why, t);
        if (!refused.empty() && refused.find("force") != std::string::npos) {
          // The router does not know the order (not cached, or another patient's): the person
          // has seen it in the RIS and insists.
          refused = router.assign(uid, patient_id, accession, wrong_patient, true,
                                  "order " + accession + " verified in the RIS; " + why, t);
          if (refused.empty()) {
            ++report.manual_forced;
          }
        }
        if (refused.empty()) {
          checker.person_assigned(uid, accession);
          ++report.manual_assigns;
        }
      } else {
        refused = router.release(uid, patient_id, "no order exists for this exam", t);
        if (refused.empty()) {
          ++report.manual_releases;
        }
      }
      if (!refused.empty()) {
        ++report.manual_refused;
        // The reason without the UIDs and IDs in it, so equal refusals add up.
        std::string reason;
        bool digits = false;
        for (char c : refused) {
          const bool d = (c >= '0' && c <= '9') || c == '.';
          if (!d) {
            reason += c;
          } else if (!digits) {
            reason += '#';
          }
          digits = d;
        }
        ++report.refusals[(s.order ? "assign: " : "release: ") + reason.substr(0, 160)];
      }
    }
  };

  // The hold timer's tick: re-evaluate when it can change something (see above).
  auto tick = [&](int64_t t) {
    bool need = t - last_reevaluation >= 4 * kHour;
    // (An order leaving the RIS changes nothing here: the cache never forgets, see the top.)
    for (const auto& id : sc.changed_patient_ids(last_look, refresh_tick(t), false)) {
      need = need || held_patients.contains(id);
    }
    last_look = refresh_tick(t);
    while (!expiries.empty() && expiries.begin()->first <= t) {
      need = need || held_sops.contains(expiries.begin()->second);
      expiries.erase(expiries.begin());
    }
    if (need && router.held_count() > 0) {
      reevaluate(t);
    }
  };

  refresh_at(sc.start_ms);
  std::map<std::string, int64_t> last_patient_query;
  std::size_t next_arrival = 0;
  std::size_t next_restart = 0;
  std::size_t next_person = 0;
  int64_t next_tick = sc.start_ms + o.hold_tick_ms;
  uint64_t association = 0;
  for (;;) {
    const int64_t ta =
        next_arrival < sc.arrival_order.size()
            ? sc.instances[static_cast<std::size_t>(sc.arrival_order[next_arrival])].arrives_ms
            : kNever;
    const int64_t tr = next_restart < sc.restarts.size() ? sc.restarts[next_restart] : kNever;
    const int64_t tp =
        next_person < sc.person_rounds.size() ? sc.person_rounds[next_person] : kNever;
    const int64_t tt = next_tick <= sc.end_ms ? next_tick : kNever;
    const int64_t t = std::min({ta, tr, tp, tt});
    if (t == kNever) {
      break;
    }
    std::string cause;
    if (t == tt) {
      cause = "a worklist refresh / hold timer";
      tick(t);
      next_tick += o.hold_tick_ms;
    } else if (t == tr) {
      cause = "a restart";
      {
        const Timed timed(report, "restart");
        router.restart();
      }
      restarted_at = t;
      refresh_at(t);  // the server's first refresh runs at start, and re-evaluates
      if (router.held_count() > 0) {
        reevaluate(t);
      }
      ++report.restarts;
      ++next_restart;
    } else if (t == tp) {
      cause = "a person's hold decisions";
      person_round(t);
      ++next_person;
    } else {
      const Instance& in = sc.instances[static_cast<std::size_t>(sc.arrival_order[next_arrival++])];
      cause = "arrival of " + in.sop_instance_uid;
      const Study& study = sc.studies[static_cast<std::size_t>(in.study)];
      cache_for(t, study.sent.patient_id);
      std::vector<uint8_t> data_set;
      {
        const Timed timed(report, "encode");
        data_set = encode_data_set(sc, in);
      }
      RouterUnderTest::Received got;
      {
        const Timed timed(report, "receive");
        got = router.receive(in, data_set, ++association, t);
      }
      if (got.status != 0) {
        checker.rejected(in.sop_instance_uid);
        char status[16];
        std::snprintf(status, sizeof status, "0x%04X", got.status);
        ++report.reject_reasons[std::string(status) + " " + got.error_comment];
      } else if (got.held) {
        if (held_sops.emplace(in.sop_instance_uid, got.patient_id).second) {
          ++held_patients[got.patient_id];
        }
        // The hold clock of a (study, patient) runs from its first hold.
        if (units_seen.insert({study.study_uid, got.patient_id}).second) {
          expiries.emplace(t + hold_ms + kSecond, in.sop_instance_uid);
        }
        // Query on miss: the RIS answers for this patient within a second (once a minute). An
        // answer with nothing the cache lacks only re-evaluates: skipped.
        auto& last = last_patient_query[got.patient_id];
        if (got.outcome == "unmatched" && !got.patient_id.empty() &&
            (last == 0 || t - last >= kMinute) && sc.ris_changed(last_refresh, t, got.patient_id)) {
          last = t;
          const Timed timed(report, "query-on-miss");
          ++report.reevaluations;
          router.patient_answer(sc.worklist_at(t, o.days_before, o.days_after, got.patient_id), t);
          last_reevaluation = t;
        }
      }
    }
    deliver(t, cause);
  }
  // After the last day: the holds expire and after_hold decides.
  const int64_t expiry = sc.end_ms + hold_ms + kMinute;
  reevaluate(expiry);
  deliver(expiry, "the final hold expiry");
  reevaluate(expiry + kMinute);
  deliver(expiry + kMinute, "the final hold expiry");

  std::set<std::string> held;
  for (const auto& r : router.held_records()) {
    held.insert(r.sop_instance_uid);
    ++report.held_outcomes[router.last_outcome(r)];
  }
  checker.report(report, held,
                 "ACC_SIM_SEED=" + std::to_string(sc.params.seed) + " block " +
                     std::to_string(sc.params.block));
}

}  // namespace acc::sim
