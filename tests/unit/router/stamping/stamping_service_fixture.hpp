#pragma once
// A StampingService over a real store and a worklist cache fed by absorb() (never contacted),
// with instances built in memory by DCMTK: what stamping_service*_test.cpp share.
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <asio/io_context.hpp>

#include "router/receive/prepared_instance.hpp"
#include "router/stamping/stamping_service.hpp"

namespace acc::router::testing {

// What a test instance says about itself; the rest is a fixed small CT image without pixels.
struct TestInstance {
  std::string patient_id = "P1";
  std::string patient_name = "DOE^JANE";
  std::string birth_date = "19700101";
  std::string sex = "F";
  std::string study_uid = "1.2.826.0.1.3680043.10.543.1";
  std::string study_date = "20240102";
  std::string study_time = "100000";
  std::string modality = "CT";
  std::string calling_ae = "CT01";
  std::size_t pixel_bytes = 0;  // > 0: Pixel Data (7FE0,0010) OB of this many pattern bytes
};

// An order of patient P1 (DOE^JANE, 19700101, F) on 2024-01-02.
[[nodiscard]] dicom::data::WorklistItem test_order(const std::string& accession,
                                                   const std::string& modality = "CT",
                                                   const std::string& time = "100000");

class StampingServiceFixture : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;
  // Changes to the configuration, before the service is made (hold_s 3600, after_hold forward,
  // no query on miss by default).
  virtual void configure(config::RouterConfig&) {}

  // Builds an instance and prepares it as the receive path does (not processed yet).
  PreparedInstance prepared(const TestInstance& t, int64_t now_ms);
  // The same through a receive spool, as a data set past spool_above_kb is (issue 11).
  PreparedInstance prepared_spooled(const TestInstance& t, int64_t now_ms);
  // The data set bytes `prepared` builds for `t` with this SOP Instance UID.
  [[nodiscard]] static std::vector<uint8_t> data_set_of(const TestInstance& t,
                                                        const std::string& sop_instance_uid);
  // The same, processed by the service and committed (unless refused).
  PreparedInstance receive(const TestInstance& t, int64_t now_ms);
  // A fresh service over the same store and cache, as after a restart.
  void restart();
  // The stored record of a SOP instance.
  [[nodiscard]] queue::InstanceRecord record(const std::string& sop_instance_uid) const;

  static constexpr int64_t kNow = 1'704'189'600'000;  // 2024-01-02 10:00 UTC

  std::filesystem::path dir_;
  config::RouterConfig config_;
  asio::io_context io_;
  std::unique_ptr<queue::InstanceStore> store_;
  std::optional<WorklistCache> worklist_;
  RuleBook rules_{std::make_shared<const rules::RuleSet>(), {"PACS"}};
  RouterMetrics metrics_{"test"};
  std::optional<StampingService> service_;
  int next_sop_ = 1;
};

}  // namespace acc::router::testing
