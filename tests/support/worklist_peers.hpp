#pragma once
// A Modality Worklist for stamping tests (issue 4): orders written as .wl files with dump2dcm, and
// DCMTK's wlmscpfs serving them on a free loopback port (started with retries, see
// peer_start.hpp). wlmscpfs re-reads its folder on every query, so a test can add or remove
// orders while everything runs.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace acc::test {

// A local calendar date as DICOM DA, `day_offset` days from today (the worklist cache and the
// matching rules use local dates too).
[[nodiscard]] std::string local_date(int day_offset = 0);

struct AccessionIssuerValues {
  std::string local_namespace{};
  std::string universal_id{};
  std::string universal_id_type{};
};

// One order (one Scheduled Procedure Step).
struct WorklistOrder {
  std::string accession = "ACC123";
  std::string patient_id = "1CT1";
  // CT_small's name: demographics that disagree hold the study (issue 10).
  std::string patient_name = "CompressedSamples^CT1";
  std::string study_instance_uid = "1.2.3.4.5.6.7";
  std::string requested_procedure_id = "RP1";
  std::string requested_procedure_description = "CT chest";
  std::string modality = "CT";
  // dcmsend's own calling AE, which the tests send from: an order scheduled on another station
  // than the sender's is evidence against it (issue 10). Type 1 in a worklist: never empty.
  std::string station_ae = "DCMSEND";
  std::string date{};  // SPS Start Date; empty = today
  std::string time = "101000";
  std::string sps_id = "SPS1";
  std::string sps_description = "chest";
  std::string status = "SCHEDULED";
  // Issuer of Accession Number Sequence in the .wl file (wlmscpfs never returns it).
  std::optional<AccessionIssuerValues> issuer{};
};

// A directory of .wl files. `ae_subdir`: wlmscpfs serves DIR/<called AE>/ (with a lockfile);
// Orthanc's plugin serves DIR itself (empty `ae_subdir`).
class WorklistDb {
 public:
  explicit WorklistDb(std::string ae_subdir = "RIS");
  WorklistDb(const WorklistDb&) = delete;
  WorklistDb& operator=(const WorklistDb&) = delete;

  // The directory a server is pointed at (wlmscpfs -dfp, Orthanc "Database").
  [[nodiscard]] const std::filesystem::path& root() const noexcept { return dir_.path(); }
  // Where the .wl files are.
  [[nodiscard]] std::filesystem::path folder() const;

  // Writes `name`.wl (dump2dcm to a temporary name, then a rename, so a concurrent query never
  // reads half a file). Throws std::runtime_error if dump2dcm fails.
  void add(const std::string& name, const WorklistOrder& order) const;
  void remove(const std::string& name) const;

 private:
  TempDir dir_;
  std::string ae_subdir_;
};

// wlmscpfs -s (single process: nothing forked to clean up) serving a WorklistDb.
class WlmscpfsProcess {
 public:
  explicit WlmscpfsProcess(const WorklistDb& db);
  WlmscpfsProcess(const WlmscpfsProcess&) = delete;
  WlmscpfsProcess& operator=(const WlmscpfsProcess&) = delete;

  // Starts and waits until it listens (throws std::runtime_error if not within 10 s). Moves to
  // another free port if the chosen one was taken meanwhile, unless port() was read before (a
  // [worklist] table points at it): then it keeps the port.
  void start();
  void stop();

  // Reading the port pins it (see start()).
  [[nodiscard]] uint16_t port() const noexcept {
    port_given_out_ = true;
    return port_;
  }
  [[nodiscard]] std::string log_text() const { return read_text(log_dir_ / "wlmscpfs.log"); }

 private:
  const WorklistDb& db_;
  TempDir log_dir_;
  uint16_t port_;
  mutable bool port_given_out_ = false;  // set by port(): from then on start() keeps port_
  ChildProcess child_;
};

}  // namespace acc::test
