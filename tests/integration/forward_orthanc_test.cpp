// Store-and-forward to Orthanc (issue 3, test 2): every instance of the sample set is either in
// Orthanc (checked over its REST API) or dead-lettered with a reason; none vanishes.
#include <gtest/gtest.h>

#include <iostream>
#include <set>

#include "tests/integration/forward_helpers.hpp"
#include "tests/support/accessioner_process.hpp"
#include "tests/support/dcmtk_senders.hpp"
#include "tests/support/dicom_files.hpp"
#include "tests/support/pacs_peers.hpp"
#include "tests/support/temp_dir.hpp"

namespace acc::test {
namespace {

using namespace std::chrono_literals;

TEST(ForwardToOrthanc, EverySampleIsInOrthancOrDeadLetteredWithAReason) {
  const auto files = select_storage_samples();
  ASSERT_GE(files.size(), 40u) << "pydicom sample set too small: is python3-pydicom installed?";
  std::set<std::string> sent_uids;
  std::vector<std::filesystem::path> paths;
  TempDir scratch("acc-fwd-orthanc");
  OrthancProcess orthanc;
  orthanc.start();
  // A refusal Orthanc reports as a retryable status must still end, so attempts are bounded.
  AccessionerProcess server({.sync = false,
                             .destinations = {{.name = "orthanc",
                                               .ae_title = OrthancProcess::ae_title(),
                                               .port = orthanc.dicom_port(),
                                               .extra = "retry_initial_s = 1\n"
                                                        "retry_max_s = 2\n"
                                                        "max_attempts = 3\n"}}});
  server.start();
  for (const auto& f : files) {
    paths.push_back(f.path);
    sent_uids.insert(f.sop_instance_uid);
  }
  const ToolResult sent = run_tool(dcmsend_argv({.port = server.port(), .files = paths}),
                                   scratch / "dcmsend.log", 120s);
  ASSERT_EQ(sent.exit_code, 0) << tail(sent.output);

  // Settled: no instance is waiting for anything but an operator (only dead jobs remain).
  nlohmann::json all;
  const bool settled = wait_until(
      [&] {
        all = server.queue_list_all();
        for (const auto& job : jobs_in(all)) {
          if (job.value("state", "") != "dead") {
            return false;
          }
        }
        return instance_uids_in(all).size() == jobs_in(all).size();
      },
      60s, 250ms);
  ASSERT_TRUE(settled) << all.dump(2) << "\n" << tail(server.log_text());

  std::set<std::string> dead;
  for (const auto& job : jobs_in(all)) {
    SCOPED_TRACE(job.dump());
    EXPECT_EQ(job.value("destination", ""), "orthanc");
    EXPECT_FALSE(job.value("last_error", "").empty()) << "dead-lettered without a reason";
    dead.insert(job.value("sop_instance_uid", ""));
  }
  // A dead-lettered instance stays stored until an operator acts.
  EXPECT_EQ(instance_uids_in(all), dead);

  const std::set<std::string> in_orthanc = orthanc.sop_instance_uids();
  std::set<std::string> accounted = in_orthanc;
  accounted.insert(dead.begin(), dead.end());
  for (const auto& uid : sent_uids) {
    EXPECT_TRUE(accounted.contains(uid)) << "vanished: neither in Orthanc nor dead: " << uid;
  }
  for (const auto& uid : dead) {
    EXPECT_FALSE(in_orthanc.contains(uid)) << "dead-lettered but in Orthanc: " << uid;
  }
  std::cout << sent_uids.size() << " unique instances: " << in_orthanc.size() << " in Orthanc, "
            << dead.size() << " dead-lettered\n";
  for (const auto& job : jobs_in(all)) {
    std::cout << "  dead " << job.value("sop_instance_uid", "") << ": "
              << job.value("last_error", "") << "\n";
  }
}

}  // namespace
}  // namespace acc::test
