// kill -9 of the server while storescu sends: after a restart on the same storage every
// instance storescu saw acknowledged is listed and exports intact (issue 2, test 10).
#include <gtest/gtest.h>

#include <iostream>
#include <map>
#include <random>
#include <sstream>
#include <thread>

#include "tests/integration/dcmtk_tools.hpp"
#include "tests/support/accessioner_process.hpp"
#include "tests/support/dcmtk_senders.hpp"
#include "tests/support/dicom_files.hpp"
#include "tests/support/process.hpp"
#include "tests/support/temp_dir.hpp"

namespace acc::test {
namespace {

constexpr std::size_t kInstancesPerRound = 300;

TEST(CrashRecovery, AcknowledgedInstancesSurviveKillNineAtThreeMoments) {
  TempDir scratch("acc-crash");
  AccessionerProcess server;
  server.start();

  const auto seed = std::random_device{}();
  std::mt19937 rng(seed);
  std::cout << "kill moments seed " << seed << "\n";
  // Early, middle and late in the stream, at a random point of each range.
  const std::vector<std::pair<std::size_t, std::size_t>> ranges = {{3, 60}, {60, 160}, {160, 260}};

  std::map<std::string, std::filesystem::path> acked_uids;  // all rounds: uid -> original
  for (std::size_t round = 0; round < ranges.size(); ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    const auto dir = scratch / ("round" + std::to_string(round));
    std::filesystem::create_directories(dir);
    const auto copies = make_unique_copies(kCtSmall, dir, kInstancesPerRound);
    std::map<std::string, std::string> uid_of_path;
    std::vector<std::filesystem::path> paths;
    for (const auto& c : copies) {
      paths.push_back(c.path);
      uid_of_path[c.path.string()] = c.sop_instance_uid;
    }
    // The port is read again every round: each restart binds a new one (port 0).
    const auto argv = storescu_argv(server.port(), paths);
    const std::size_t kill_after =
        std::uniform_int_distribution<std::size_t>(ranges[round].first, ranges[round].second)(rng);
    const auto log = scratch / ("storescu" + std::to_string(round) + ".log");
    ChildProcess sender = ChildProcess::spawn({.argv = argv, .log = log});

    // Poll the sender's log (with a deadline) until enough acknowledgements are in, then crash.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    std::size_t acks_at_kill = 0;
    while (std::chrono::steady_clock::now() < deadline) {
      acks_at_kill = count_occurrences(read_text(log), "Received Store Response (Success)");
      if (acks_at_kill >= kill_after || !sender.running()) {
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ASSERT_GE(acks_at_kill, kill_after) << "storescu ended or stalled first:\n"
                                        << tail(read_text(log));
    server.kill9();
    const auto sender_status = sender.wait_for(std::chrono::seconds(30));
    ASSERT_TRUE(sender_status.has_value()) << "storescu did not notice the crash";

    const auto acked = storescu_acknowledged(read_text(log));
    ASSERT_GE(acked.size(), kill_after);
    std::cout << "round " << round << ": killed after " << acks_at_kill << " acknowledgements, "
              << acked.size() << " acknowledged in the end, storescu exit " << *sender_status
              << "\n";
    for (const auto& path : acked) {
      acked_uids[uid_of_path.at(path)] = path;
    }

    server.start();
    const nlohmann::json list = server.queue_list();
    for (const auto& [uid, original] : acked_uids) {
      EXPECT_NE(find_instance(list, uid), nullptr) << "acknowledged but lost: " << original;
    }
    // Nothing else was sent: whatever is stored beyond the acknowledged ones was in flight.
    EXPECT_LE(list.size(), acked_uids.size() + round + 1);

    const auto out_dir = scratch / ("export" + std::to_string(round));
    const ToolResult exported = server.queue_export_all(out_dir);
    EXPECT_EQ(exported.exit_code, 0) << exported.output;
    for (const auto& path : acked) {
      const auto file = out_dir / (uid_of_path.at(path) + ".dcm");
      ASSERT_TRUE(std::filesystem::exists(file)) << path;
      EXPECT_EQ(canonical_dump(file), canonical_dump(path)) << path;
    }
  }
  EXPECT_EQ(server.stop(), 0);
}

}  // namespace
}  // namespace acc::test
