// The stamping simulator's scenarios (tests/simulation) through the real daemon, at small scale:
// one generated day (rare situations made frequent) replayed against `accessioner serve` in about
// a minute, with DCMTK wlmscpfs as the RIS (orders appear, change status and leave as .wl files),
// storescp as the PACS and dcmsend as the modalities; one restart midway. The four safety
// invariants (tests/simulation/sim_checker.hpp) are checked on the files storescp received.
//
//   ACC_SIM_SEED=<n>             scenario seed (default below), printed
//   ACC_SIM_DAEMON_STUDIES=<n>   studies (default 24)
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <map>
#include <set>
#include <thread>

#include "tests/integration/stamping_helpers.hpp"
#include "tests/simulation/sim_checker.hpp"
#include "tests/simulation/sim_dicom.hpp"
#include "tests/simulation/sim_model.hpp"

namespace acc::test {
namespace {

using namespace std::chrono_literals;
using sim::kSecond;

constexpr uint64_t kDefaultSeed = 20240304;
constexpr int kDefaultStudies = 24;
// The generated day is replayed in this much real time (worklist refresh 5 s, hold 10 s).
constexpr auto kReplay = 40s;
constexpr uint32_t kHoldSeconds = 10;

uint64_t env_number(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  return v == nullptr || *v == '\0' ? fallback : std::strtoull(v, nullptr, 10);
}

// 00:00 of today's local date, as the simulator's local-clock milliseconds.
int64_t today_ms() {
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  return sim::day_start(local.tm_year + 1900, local.tm_mon + 1, local.tm_mday);
}

class StampingScenarios : public ::testing::Test {
 protected:
  StampingScenarios() : ris_(worklist_) {}

  // Makes the RIS's folder hold exactly the orders the scenario lists at `t`.
  void sync_ris(const sim::Scenario& sc, int64_t t) {
    std::map<std::string, dicom::data::WorklistItem> want;
    for (auto item : sc.worklist_at(t, 1, 1)) {
      if (item.scheduled_station_ae.empty()) {
        // wlmscpfs ignores an item without Scheduled Station AE Title ("incomplete"): such an
        // order is scheduled to a station no modality calls from.
        item.scheduled_station_ae = "UNASSIGNED";
      }
      want.emplace(item.accession_number, item);
    }
    for (auto it = written_.begin(); it != written_.end();) {
      if (!want.contains(it->first)) {
        std::filesystem::remove(worklist_.folder() / (it->first + ".wl"));
        it = written_.erase(it);
      } else {
        ++it;
      }
    }
    for (const auto& [accession, item] : want) {
      auto& status = written_[accession];
      if (status != item.sps_status) {
        sim::write_worklist_file(item, worklist_.folder() / (accession + ".wl"));
        status = item.sps_status;
      }
    }
  }

  TempDir scratch_{"acc-scenarios"};
  WorklistDb worklist_;
  WlmscpfsProcess ris_;
  StorescpProcess pacs_;
  std::unique_ptr<AccessionerProcess> server_;
  std::map<std::string, std::string> written_;  // accession -> SPS status in its .wl file
};

TEST_F(StampingScenarios, FilesThePacsReceivedKeepTheSafetyInvariants) {
  sim::Params params;
  params.seed = env_number("ACC_SIM_SEED", kDefaultSeed);
  params.studies = static_cast<int>(env_number("ACC_SIM_DAEMON_STUDIES", kDefaultStudies));
  params.days = 1;
  params.block = 900;  // UIDs and accessions of their own
  params.first_day_ms = today_ms();
  params.boost = 5;  // few studies: make the rare situations frequent
  const sim::Scenario sc = sim::generate(params);
  std::cout << "daemon scenarios ACC_SIM_SEED=" << params.seed << ": " << sc.studies.size()
            << " studies, " << sc.instances.size() << " instances, " << sc.orders.size()
            << " orders\n";

  // The instances as files, in arrival order.
  const auto files = scratch_ / "instances";
  std::filesystem::create_directories(files);
  for (const auto& in : sc.instances) {
    sim::write_part10(sc, in, files / (in.sop_instance_uid + ".dcm"));
  }
  const int64_t first = sc.instances[static_cast<std::size_t>(sc.arrival_order.front())].arrives_ms;
  const int64_t last = sc.instances[static_cast<std::size_t>(sc.arrival_order.back())].arrives_ms;
  const double real_per_sim_ms = std::chrono::duration<double, std::milli>(kReplay).count() /
                                 static_cast<double>(std::max<int64_t>(last - first, 1));

  sync_ris(sc, first);
  ris_.start();
  pacs_.start();
  server_ = std::make_unique<AccessionerProcess>(AccessionerOptions{
      .extra_tables = stamping_toml({.ris_port = ris_.port(),
                                     .refresh_s = 5,
                                     .matching = "hold_s = " + std::to_string(kHoldSeconds) +
                                                 "\nafter_hold = \"forward\"\n"}),
      .destinations = {{.ae_title = pacs_.ae_title(), .port = pacs_.port()}}});
  server_->start();
  ASSERT_TRUE(wait_for_worklist(*server_, written_.size()))
      << "worklist cache never reached " << written_.size() << " entries\n"
      << tail(server_->log_text());

  // Replay: RIS changes and arrivals in simulated-time order, compressed to kReplay. Instances
  // due together from one AE share an association.
  sim::InvariantChecker checker(sc);
  std::set<std::string> rejected;
  const auto begin = std::chrono::steady_clock::now();
  const int64_t restart_at = first + (last - first) / 2;
  bool restarted = false;
  std::size_t next = 0;
  int batch = 0;
  while (next < sc.arrival_order.size()) {
    const sim::Instance& head = sc.instances[static_cast<std::size_t>(sc.arrival_order[next])];
    const auto due = begin + std::chrono::milliseconds(static_cast<int64_t>(
                                 static_cast<double>(head.arrives_ms - first) * real_per_sim_ms));
    std::this_thread::sleep_until(due);
    if (!restarted && head.arrives_ms >= restart_at) {
      restarted = true;
      ASSERT_EQ(server_->stop(), 0) << tail(server_->log_text());
      server_->start();
    }
    sync_ris(sc, head.arrives_ms);
    std::vector<TestInstance> group;
    const int64_t window = static_cast<int64_t>(500.0 / real_per_sim_ms);  // 0.5 s of real time
    while (next < sc.arrival_order.size()) {
      const sim::Instance& in = sc.instances[static_cast<std::size_t>(sc.arrival_order[next])];
      if (in.calling_ae != head.calling_ae || in.arrives_ms > head.arrives_ms + window) {
        break;
      }
      group.push_back({files / (in.sop_instance_uid + ".dcm"), in.sop_instance_uid});
      ++next;
    }
    const SendResult sent = send_files(server_->port(), group, scratch_.path(),
                                       "batch" + std::to_string(++batch), head.calling_ae);
    for (const auto& e : sent.report) {
      if (e.dimse_status.rfind("0x0000", 0) != 0) {
        rejected.insert(e.sop_instance_uid);
        checker.rejected(e.sop_instance_uid);
      }
    }
  }
  // The rest of the RIS's day, then every hold expires (after_hold = forward).
  for (const auto& o : sc.orders) {
    for (int64_t at : {o.appears_ms, o.removed_ms, o.status_change_ms}) {
      if (at > last && at != sim::kNever) {
        sync_ris(sc, at);
      }
    }
  }
  // Done when every accepted instance reached the PACS or is held, and nothing else is queued.
  std::set<std::string> held;
  const bool settled = wait_until(
      [&] {
        const auto at_pacs = pacs_.received_uids();
        held.clear();
        std::size_t queued = 0;
        const auto list = server_->queue_list();
        for (const auto& r : list) {
          if (r.value("state", std::string()) == "held") {
            held.insert(r.value("sop_instance_uid", std::string()));
          } else {
            ++queued;
          }
        }
        for (const auto& in : sc.instances) {
          const auto& uid = in.sop_instance_uid;
          if (!at_pacs.contains(uid) && !held.contains(uid) && !rejected.contains(uid)) {
            return false;
          }
        }
        return queued == 0;
      },
      std::chrono::seconds(kHoldSeconds * 2 + 30), 500ms);

  // What the PACS received is what counts.
  const int64_t end = sc.end_ms;
  for (const auto& [uid, file] : pacs_.received_files()) {
    checker.forwarded(sim::read_forwarded_file(file.path), end, "the daemon");
  }
  sim::Report report;
  report.restarts = restarted ? 1 : 0;
  checker.report(report, held, "daemon ACC_SIM_SEED=" + std::to_string(params.seed));
  // The daemon's decisions by outcome (the audit log), for the record.
  std::map<std::string, int> outcomes;
  for (const auto& d : server_->decisions()) {
    ++outcomes[d.value("outcome", std::string("?")) + "/" + d.value("action", std::string("?"))];
  }
  std::cout << "daemon decisions:";
  for (const auto& [k, n] : outcomes) {
    std::cout << " " << k << "=" << n;
  }
  std::cout << "\n";
  // Why stampable studies went unstamped (recall), a few of them.
  const auto at_pacs = pacs_.received_files();
  int shown = 0;
  for (const auto& st : sc.studies) {
    if (!st.stampable || shown >= 5) {
      continue;
    }
    const auto& in = sc.instances[static_cast<std::size_t>(st.instances.front())];
    const auto it = at_pacs.find(in.sop_instance_uid);
    if (it != at_pacs.end() &&
        sim::read_forwarded_file(it->second.path).accession == sc.true_accession(st)) {
      continue;
    }
    ++shown;
    std::cout << "  not stamped: " << sc.describe(st) << "\n    daemon: "
              << latest_decision(server_->decisions(), in.sop_instance_uid).dump() << "\n";
  }
  std::cout << report.text() << std::flush;
  EXPECT_TRUE(settled) << "instances neither forwarded nor held\n" << tail(server_->log_text());
  EXPECT_EQ(report.violations[1], 0u) << "invariant 1 (right patient): see the report above";
  EXPECT_EQ(report.violations[2], 0u) << "invariant 2 (one study, one patient, one accession)";
  EXPECT_EQ(report.violations[3], 0u) << "invariant 3 (one order, one study)";
  EXPECT_EQ(report.violations[4], 0u) << "invariant 4 (no guessing)";
  EXPECT_EQ(report.violations[0], 0u) << "files the checker could not read";
  EXPECT_GT(report.forwarded, 0u);
  EXPECT_GT(report.stampable_correct, 0u) << "nothing stamped: the scenario tested nothing";
}

}  // namespace
}  // namespace acc::test
