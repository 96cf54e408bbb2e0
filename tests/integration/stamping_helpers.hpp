#pragma once
// Shared pieces of the accession stamping tests (issue 4): a RIS (wlmscpfs over a WorklistDb), a
// PACS (storescp) and Accessioner between them with [worklist]/[accession]/[matching] tables;
// sending with dcmsend; reading decisions, held studies and arrivals with bounded polling.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/integration/dcmtk_tools.hpp"
#include "tests/support/accessioner_process.hpp"
#include "tests/support/dcmtk_senders.hpp"
#include "tests/support/dicom_files.hpp"
#include "tests/support/pacs_peers.hpp"
#include "tests/support/stamped_files.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/worklist_peers.hpp"

namespace acc::test {

// CT_small's Patient ID, so the default WorklistOrder is this patient's.
inline constexpr const char* kPatient = "1CT1";

// The stamping tables for a RIS at 127.0.0.1:`ris_port`. `matching`: lines of the [matching]
// table; `accession`: lines of [accession] (empty: the defaults, issuer "RIS").
struct StampingTables {
  std::string ris_ae = "RIS";
  uint16_t ris_port = 0;
  uint32_t refresh_s = 5;
  std::string worklist_extra{};
  std::string accession{};
  std::string matching{};
};

inline std::string stamping_toml(const StampingTables& t) {
  return "[worklist]\nae_title = \"" + t.ris_ae +
         "\"\nhost = \"127.0.0.1\"\nport = " + std::to_string(t.ris_port) +
         "\nrefresh_s = " + std::to_string(t.refresh_s) + "\ntimeout_s = 5\n" + t.worklist_extra +
         "\n[accession]\n" + t.accession + "\n[matching]\n" + t.matching + "\n";
}

// What the running server's worklist cache holds (`accessioner worklist status --json`).
inline std::size_t cached_worklist_entries(const AccessionerProcess& server) {
  const ToolResult r = server.command({"worklist", "status", "--json"});
  const auto brace = r.output.find('{');
  if (r.exit_code != 0 || brace == std::string::npos) {
    return 0;
  }
  const nlohmann::json j = nlohmann::json::parse(r.output.substr(brace), nullptr, false);
  return j.is_discarded() ? 0 : j.value("entries", std::size_t{0});
}

// Waits until the cache holds at least `n` entries (a refresh answered).
inline bool wait_for_worklist(const AccessionerProcess& server, std::size_t n,
                              std::chrono::milliseconds timeout = std::chrono::seconds(15)) {
  return wait_until([&] { return cached_worklist_entries(server) >= n; }, timeout,
                    std::chrono::milliseconds(200));
}

struct SendResult {
  int exit_code = -1;
  std::string output;
  std::vector<DcmsendReportEntry> report;
};

// dcmsend of `files` on one association, with its per-file report. `calling_ae`: the modality's
// AE title (empty: dcmsend's own, DCMSEND).
inline SendResult send_files(uint16_t port, const std::vector<TestInstance>& files,
                             const std::filesystem::path& scratch, const std::string& name,
                             const std::string& calling_ae = "") {
  const auto report = scratch / (name + ".report.txt");
  DcmsendCall call{.port = port, .calling_ae = calling_ae, .report = report};
  for (const auto& f : files) {
    call.files.push_back(f.path);
  }
  const ToolResult sent =
      run_tool(dcmsend_argv(call), scratch / (name + ".dcmsend.log"), std::chrono::seconds(60));
  return {sent.exit_code, sent.output, parse_dcmsend_report(read_text(report))};
}

// Sends and expects every file acknowledged with Success.
inline void send_ok(uint16_t port, const std::vector<TestInstance>& files,
                    const std::filesystem::path& scratch, const std::string& name,
                    const std::string& calling_ae = "") {
  const SendResult r = send_files(port, files, scratch, name, calling_ae);
  ASSERT_EQ(r.exit_code, 0) << tail(r.output);
  ASSERT_EQ(r.report.size(), files.size()) << tail(r.output);
  for (const auto& e : r.report) {
    EXPECT_EQ(e.dimse_status, "0x0000 (Success)") << e.filename;
  }
}

// The latest decision of `decisions list --json` for one SOP Instance UID (null if none).
inline nlohmann::json latest_decision(const nlohmann::json& decisions, const std::string& sop_uid) {
  nlohmann::json best;
  for (const auto& d : decisions) {
    if (d.is_object() && d.value("sop_instance_uid", "") == sop_uid &&
        (best.is_null() ||
         d.value("decided_at_ms", int64_t{0}) >= best.value("decided_at_ms", int64_t{0}))) {
      best = d;
    }
  }
  return best;
}

// Polls `decisions list --json` until the instance's latest decision has `outcome`; returns that
// decision, or the last one seen (null if none) when `timeout` passes.
inline nlohmann::json wait_for_outcome(const AccessionerProcess& server, const std::string& sop_uid,
                                       const std::string& outcome,
                                       std::chrono::milliseconds timeout) {
  nlohmann::json last;
  wait_until(
      [&] {
        last = latest_decision(server.decisions(), sop_uid);
        return !last.is_null() && last.value("outcome", "") == outcome;
      },
      timeout, std::chrono::milliseconds(200));
  return last;
}

// The `hold list --json` entry of a study (null if not held).
inline nlohmann::json held_study(const AccessionerProcess& server, const std::string& study_uid) {
  for (const auto& h : server.held_studies()) {
    if (h.value("study_instance_uid", "") == study_uid) {
      return h;
    }
  }
  return nullptr;
}

inline nlohmann::json wait_for_held(const AccessionerProcess& server, const std::string& study_uid,
                                    std::chrono::milliseconds timeout) {
  nlohmann::json last;
  wait_until(
      [&] {
        last = held_study(server, study_uid);
        return !last.is_null();
      },
      timeout, std::chrono::milliseconds(200));
  return last;
}

// Waits until the PACS has the instance and Accessioner no longer stores it (the C-STORE-RSP came
// back, so storescp finished writing). Returns the received file, std::nullopt after `timeout`.
inline std::optional<std::filesystem::path> wait_for_arrival(const StorescpProcess& pacs,
                                                             const AccessionerProcess& server,
                                                             const std::string& sop_uid,
                                                             std::chrono::milliseconds timeout) {
  const bool arrived = wait_until(
      [&] {
        return pacs.received_uids().contains(sop_uid) &&
               find_instance(server.queue_list(), sop_uid) == nullptr;
      },
      timeout, std::chrono::milliseconds(100));
  if (!arrived) {
    return std::nullopt;
  }
  const auto files = pacs.received_files();
  const auto it = files.find(sop_uid);
  if (it == files.end()) {
    return std::nullopt;
  }
  return it->second.path;
}

// A RIS (wlmscpfs), a PACS (storescp) and an Accessioner configured to stamp from that RIS.
class StampingFixture : public ::testing::Test {
 protected:
  StampingFixture() : ris_(worklist_) {}

  // Starts the RIS and the PACS (once) and an Accessioner with these [matching] lines; waits
  // until its cache holds `expected_entries` orders.
  void start(const std::string& matching = "", std::size_t expected_entries = 1,
             const std::string& accession = "") {
    if (!peers_started_) {
      ris_.start();
      pacs_.start();
      peers_started_ = true;
    }
    server_ = std::make_unique<AccessionerProcess>(AccessionerOptions{
        .extra_tables =
            stamping_toml({.ris_port = ris_.port(), .accession = accession, .matching = matching}),
        .destinations = {{.ae_title = pacs_.ae_title(), .port = pacs_.port()}}});
    server_->start();
    ASSERT_TRUE(wait_for_worklist(*server_, expected_entries))
        << "worklist cache never reached " << expected_entries << " entries\n"
        << tail(server_->log_text()) << "\nwlmscpfs:\n"
        << tail(ris_.log_text());
  }

  // A CT_small copy for patient 1CT1 taken today, without accession, in study `study_uid`.
  TestInstance ct(const std::string& name, const std::string& study_uid,
                  InstanceSpec spec = {}) const {
    if (!spec.patient_id) {
      spec.patient_id = kPatient;
    }
    if (!spec.study_date) {
      spec.study_date = local_date(0);
    }
    if (!spec.accession) {
      spec.accession = "";
    }
    spec.study_instance_uid = study_uid;
    return make_instance(kCtSmall, scratch_ / "instances", name, spec);
  }

  void send(const std::vector<TestInstance>& files, const std::string& name) {
    send_ok(server_->port(), files, scratch_.path(), name);
  }

  // Diagnostics for a failed wait.
  [[nodiscard]] std::string logs() const {
    return "accessioner:\n" + tail(server_->log_text()) + "\nwlmscpfs:\n" +
           tail(ris_.log_text(), 1500);
  }

  TempDir scratch_{"acc-stamp"};
  WorklistDb worklist_;
  WlmscpfsProcess ris_;
  StorescpProcess pacs_;
  std::unique_ptr<AccessionerProcess> server_;
  bool peers_started_ = false;
};

}  // namespace acc::test
