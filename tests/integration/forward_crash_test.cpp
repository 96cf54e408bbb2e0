// kill -9 of the server at random moments while storescu sends and the server forwards (issue 3,
// test 4): after restarts and re-sending what was not acknowledged, every instance storescu saw
// acknowledged reaches the PACS, and the queue drains.
#include <gtest/gtest.h>

#include <iostream>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "tests/integration/dcmtk_tools.hpp"
#include "tests/integration/forward_helpers.hpp"
#include "tests/support/accessioner_process.hpp"
#include "tests/support/dicom_files.hpp"
#include "tests/support/pacs_peers.hpp"
#include "tests/support/temp_dir.hpp"

namespace acc::test {
namespace {

using namespace std::chrono_literals;

constexpr std::size_t kInstances = 500;
constexpr std::size_t kKills = 6;

TEST(ForwardCrash, AcknowledgedInstancesReachThePacsDespiteKillNineDuringSendAndForward) {
  TempDir scratch("acc-fwd-crash");
  const auto copies = make_unique_copies(kCtSmall, scratch.path(), kInstances);
  std::map<std::string, std::string> uid_of_path;
  for (const auto& c : copies) {
    uid_of_path[c.path.string()] = c.sop_instance_uid;
  }
  StorescpProcess pacs;
  pacs.start();
  AccessionerProcess server(
      {.destinations = {destination_to(pacs, "pacs", "retry_initial_s = 1\nretry_max_s = 2\n")}});
  server.start();

  const auto seed = std::random_device{}();
  std::mt19937 rng(seed);
  std::cout << "kill moments seed " << seed << "\n";
  const auto start = std::chrono::steady_clock::now();

  std::set<std::string> acked;  // SOP Instance UIDs
  std::vector<std::filesystem::path> remaining = paths_of(copies);
  for (std::size_t round = 0; round <= kKills; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    const bool last = round == kKills;
    const auto log = scratch / ("storescu" + std::to_string(round) + ".log");
    ChildProcess sender =
        ChildProcess::spawn({.argv = storescu_argv(server.port(), remaining), .log = log});
    if (last) {
      const auto status = sender.wait_for(120s);
      ASSERT_TRUE(status.has_value()) << "storescu did not finish";
      EXPECT_EQ(*status, 0) << tail(read_text(log));
    } else {
      // Somewhere in the first part of what is left, so every round sends something.
      const std::size_t kill_after = std::uniform_int_distribution<std::size_t>(
          1, std::max<std::size_t>(2, remaining.size() / (kKills - round + 1)))(rng);
      std::size_t acks = 0;
      const bool reached = wait_until(
          [&] {
            acks = count_occurrences(read_text(log), "Received Store Response (Success)");
            return acks >= kill_after || !sender.running();
          },
          60s, 1ms);
      ASSERT_TRUE(reached && acks >= kill_after) << "storescu stalled or ended first:\n"
                                                 << tail(read_text(log));
      server.kill9();
      ASSERT_TRUE(sender.wait_for(30s).has_value()) << "storescu did not notice the crash";
    }
    std::size_t acked_now = 0;
    for (const auto& path : storescu_acknowledged(read_text(log))) {
      acked.insert(uid_of_path.at(path));
      ++acked_now;
    }
    std::erase_if(remaining, [&](const std::filesystem::path& p) {
      return acked.contains(uid_of_path.at(p.string()));
    });
    std::cout << "round " << round << ": " << acked_now << " acknowledged, " << remaining.size()
              << " left, " << pacs.received_uids().size() << " at the PACS\n";
    if (!last) {
      server.start();
    }
  }
  EXPECT_TRUE(remaining.empty());
  EXPECT_EQ(acked.size(), kInstances);

  const nlohmann::json left = wait_until_drained(server, 60s);
  EXPECT_TRUE(left.at("jobs").empty()) << left.dump(2);
  EXPECT_TRUE(left.at("instances").empty());
  const auto at_pacs = pacs.received_uids();
  std::size_t missing = 0;
  for (const auto& uid : acked) {
    if (!at_pacs.contains(uid)) {
      ++missing;
      ADD_FAILURE() << "acknowledged but not at the PACS: " << uid;
    }
  }
  std::size_t duplicates = 0;
  for (const auto& [uid, n] : pacs.store_counts()) {
    duplicates += n - 1;
  }
  std::cout << acked.size() << " acknowledged, " << missing << " missing at the PACS, "
            << duplicates << " delivered twice (at-least-once across crashes), "
            << seconds_since(start) << " s\n";
  EXPECT_EQ(server.stop(), 0);
}

}  // namespace
}  // namespace acc::test
