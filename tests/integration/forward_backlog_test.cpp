// Store-and-forward with a backlog (issue 3, tests 3, 7 and 8): a PACS that is down while
// instances arrive gets each of them exactly once when it comes up; a down destination does not
// hold up another one; SIGTERM during forwarding stops cleanly and the rest follows after a
// restart.
#include <gtest/gtest.h>

#include <iostream>
#include <set>

#include "tests/integration/forward_helpers.hpp"
#include "tests/support/accessioner_process.hpp"
#include "tests/support/dicom_files.hpp"
#include "tests/support/pacs_peers.hpp"
#include "tests/support/temp_dir.hpp"

namespace acc::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kFastRetry = "retry_initial_s = 1\nretry_max_s = 2\n";

// Every UID was stored exactly once at the PACS, and nothing else was.
void expect_each_stored_once(const StorescpProcess& pacs, const std::set<std::string>& uids) {
  EXPECT_EQ(pacs.received_uids(), uids);
  const auto counts = pacs.store_counts();
  EXPECT_EQ(counts.size(), uids.size());
  for (const auto& uid : uids) {
    const auto it = counts.find(uid);
    EXPECT_EQ(it == counts.end() ? 0 : it->second, 1u) << "stores of " << uid;
  }
}

TEST(ForwardBacklog, PacsDownWhileTwoHundredArriveGetsEachExactlyOnceWhenUp) {
  TempDir scratch("acc-fwd-down");
  const auto copies = make_unique_copies(kCtSmall, scratch.path(), 200);
  StorescpProcess pacs;  // port reserved, not started: connections are refused
  AccessionerProcess server({.destinations = {destination_to(pacs, "pacs", kFastRetry)}});
  server.start();
  send_all_with_storescu(server.port(), copies, scratch / "storescu.log");
  if (HasFatalFailure()) {
    return;
  }

  // Let the failed attempts show in the jobs.
  nlohmann::json all;
  ASSERT_TRUE(wait_until(
      [&] {
        all = server.queue_list_all();
        for (const auto& job : jobs_in(all)) {
          if (job.value("attempts", 0) >= 2) {
            return true;
          }
        }
        return false;
      },
      15s, 200ms))
      << all.dump(2);
  EXPECT_EQ(instance_uids_in(all), uids_of(copies));
  const auto jobs = jobs_in(all);
  EXPECT_EQ(jobs.size(), copies.size());
  std::size_t attempted = 0;
  for (const auto& job : jobs) {
    SCOPED_TRACE(job.dump());
    const std::string state = job.value("state", "");
    EXPECT_TRUE(state == "pending" || state == "retry-at" || state == "in-flight");
    if (job.value("attempts", 0) >= 1) {
      ++attempted;
      EXPECT_NE(job.value("last_error", "").find("connect"), std::string::npos);
      EXPECT_NE(job.value("last_error", "").find("refused"), std::string::npos);
    }
  }
  EXPECT_GE(attempted, 1u);

  pacs.start();
  const auto up = std::chrono::steady_clock::now();
  const nlohmann::json left = wait_until_drained(server, 60s);
  EXPECT_TRUE(left.at("jobs").empty()) << left.dump(2);
  EXPECT_TRUE(left.at("instances").empty());
  std::cout << copies.size() << " instances delivered " << seconds_since(up)
            << " s after the PACS came up\n";
  expect_each_stored_once(pacs, uids_of(copies));
}

TEST(ForwardBacklog, DownDestinationDoesNotHoldUpTheOtherAndKeepsTheInstanceStored) {
  TempDir scratch("acc-fwd-two");
  const auto copies = make_unique_copies(kCtSmall, scratch.path(), 60);
  StorescpProcess up;
  up.start();
  StorescpProcess down;
  AccessionerProcess server({.sync = false,
                             .destinations = {destination_to(down, "down", kFastRetry),
                                              destination_to(up, "up", kFastRetry)}});
  server.start();
  const auto start = std::chrono::steady_clock::now();
  send_all_with_storescu(server.port(), copies, scratch / "storescu.log");
  if (HasFatalFailure()) {
    return;
  }
  const bool all_up =
      wait_until([&] { return up.received_uids().size() == copies.size(); }, 10s, 50ms);
  EXPECT_TRUE(all_up) << up.received_uids().size() << " of " << copies.size()
                      << " at the reachable PACS";
  std::cout << "reachable PACS had all " << copies.size() << " after " << seconds_since(start)
            << " s (send included)\n";

  nlohmann::json all;
  ASSERT_TRUE(wait_until(
      [&] {
        all = server.queue_list_all();
        return jobs_in(all, "up").empty();
      },
      10s, 100ms))
      << all.dump(2);
  // Delivered to one destination only: still stored, with exactly the other job left.
  EXPECT_EQ(instance_uids_in(all), uids_of(copies));
  EXPECT_EQ(jobs_in(all, "down").size(), copies.size());
  for (const auto& instance : all.at("instances")) {
    EXPECT_EQ(instance.at("destinations"), nlohmann::json::array({"down"})) << instance.dump();
  }

  down.start();
  const nlohmann::json left = wait_until_drained(server, 60s);
  EXPECT_TRUE(left.at("jobs").empty()) << left.dump(2);
  EXPECT_TRUE(left.at("instances").empty());
  expect_each_stored_once(down, uids_of(copies));
  expect_each_stored_once(up, uids_of(copies));
}

TEST(ForwardBacklog, SigtermWhileForwardingExitsCleanlyAndTheRestFollowsAfterRestart) {
  constexpr int kGraceS = 3;
  TempDir scratch("acc-fwd-sigterm");
  const auto copies = make_unique_copies(kCtSmall, scratch.path(), 400);
  StorescpProcess pacs;
  AccessionerProcess server(
      {.server_extra = "shutdown_grace_s = " + std::to_string(kGraceS),
       .destinations = {
           destination_to(pacs, "pacs", std::string(kFastRetry) + "max_associations = 1\n")}});
  server.start();
  // The backlog builds up while the PACS is down.
  send_all_with_storescu(server.port(), copies, scratch / "storescu.log");
  if (HasFatalFailure()) {
    return;
  }
  pacs.start();
  ASSERT_TRUE(wait_until([&] { return pacs.received_uids().size() >= 20; }, 20s, 5ms))
      << tail(server.log_text());

  const auto term = std::chrono::steady_clock::now();
  const int status = server.stop(std::chrono::seconds(kGraceS + 10));
  const double took = seconds_since(term);
  EXPECT_EQ(status, 0) << tail(server.log_text());
  EXPECT_LE(took, kGraceS + 3.0);
  const std::size_t before_restart = pacs.received_uids().size();
  std::cout << "SIGTERM after " << before_restart << " of " << copies.size()
            << " delivered; exited in " << took << " s\n";

  // Offline listing (no server): what is left is still queued.
  const nlohmann::json stopped = server.queue_list_all();
  const auto left_jobs = jobs_in(stopped);
  EXPECT_GT(left_jobs.size(), 0u) << "the backlog was gone before SIGTERM: test proves nothing";
  EXPECT_EQ(left_jobs.size() + before_restart, copies.size());
  for (const auto& job : left_jobs) {
    EXPECT_NE(job.value("state", ""), "dead") << job.dump();
  }

  server.start();
  const nlohmann::json left = wait_until_drained(server, 60s);
  EXPECT_TRUE(left.at("jobs").empty()) << left.dump(2);
  EXPECT_TRUE(left.at("instances").empty());
  // A graceful stop finishes what is in flight: nothing is sent twice.
  expect_each_stored_once(pacs, uids_of(copies));
  EXPECT_EQ(server.stop(), 0);
}

}  // namespace
}  // namespace acc::test
