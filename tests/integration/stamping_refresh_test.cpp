// Accession stamping while the worklist changes or the RIS is away (issue 4): a late order
// releases a held study at the next refresh, the cache saved by a previous run stamps while the
// RIS is down, and a study split across associations keeps the accession it was first given.
#include <gtest/gtest.h>

#include <chrono>
#include <iostream>

#include "tests/integration/forward_helpers.hpp"
#include "tests/integration/stamping_helpers.hpp"

namespace acc::test {
namespace {

using namespace std::chrono_literals;

class WorklistRefresh : public StampingFixture {};

// Test 8: the images arrive before the order reaches the RIS.
TEST_F(WorklistRefresh, HeldStudyIsStampedAfterTheRefreshThatBringsItsOrder) {
  ASSERT_NO_FATAL_FAILURE(start("", 0));
  const std::string study = "1.2.826.0.1.3680043.10.8.1";
  const auto instance = ct("early", study);
  const auto sibling = ct("early-sibling", study);
  ASSERT_NO_FATAL_FAILURE(send({instance, sibling}, "early"));
  const auto held = wait_for_held(*server_, study, 15s);
  ASSERT_FALSE(held.is_null()) << logs();
  EXPECT_EQ(held.value("outcome", ""), "unmatched") << held.dump(2);
  EXPECT_EQ(held.value("instances", 0), 2) << held.dump(2);
  EXPECT_TRUE(pacs_.received_uids().empty());

  // wlmscpfs reads its folder at every query: the order exists from the next refresh on.
  const auto added = std::chrono::steady_clock::now();
  worklist_.add("late", {.accession = "ACCLATE"});
  // refresh_s = 5: one refresh plus the re-match and the forward.
  const auto received = wait_for_arrival(pacs_, *server_, instance.sop_instance_uid, 20s);
  ASSERT_TRUE(received) << logs();
  std::cout << "stamped and forwarded " << seconds_since(added)
            << " s after the order appeared in the RIS\n";
  const StampFields f = read_stamp_fields(*received);
  EXPECT_EQ(f.accession, "ACCLATE");
  ASSERT_EQ(f.originals.size(), 1u);
  EXPECT_EQ(f.originals.front().previous_accession, "");
  const auto decision = latest_decision(server_->decisions(), instance.sop_instance_uid);
  EXPECT_EQ(decision.value("outcome", ""), "matched") << decision.dump(2);
  EXPECT_EQ(decision.value("accession", ""), "ACCLATE");
  EXPECT_TRUE(held_study(*server_, study).is_null());
  // The whole held study is released, not only the instance that was re-matched.
  const auto sibling_received = wait_for_arrival(pacs_, *server_, sibling.sop_instance_uid, 10s);
  ASSERT_TRUE(sibling_received) << logs();
  EXPECT_EQ(read_stamp_fields(*sibling_received).accession, "ACCLATE");
}

// after_hold: a study still unmatched after hold_s is forwarded unstamped...
TEST_F(WorklistRefresh, StudyUnmatchedPastHoldTimeIsForwardedUnstamped) {
  worklist_.add("mr", {.accession = "ACCMR", .modality = "MR"});
  ASSERT_NO_FATAL_FAILURE(start("hold_s = 0\nafter_hold = \"forward\"\n"));
  const auto instance = ct("expired", "1.2.826.0.1.3680043.10.12.1");
  ASSERT_NO_FATAL_FAILURE(send({instance}, "expired"));
  // Re-examined after the next worklist answer (query on miss, or the 5 s refresh).
  const auto received = wait_for_arrival(pacs_, *server_, instance.sop_instance_uid, 15s);
  ASSERT_TRUE(received) << logs();
  const StampFields f = read_stamp_fields(*received);
  EXPECT_EQ(f.accession, "");
  EXPECT_TRUE(f.originals.empty());
  EXPECT_EQ(canonical_dump(*received), canonical_dump(instance.path));
  const auto decision = latest_decision(server_->decisions(), instance.sop_instance_uid);
  EXPECT_EQ(decision.value("outcome", ""), "released") << decision.dump(2);
  EXPECT_EQ(decision.value("action", ""), "forward");
}

// ...or quarantined until a person releases it.
TEST_F(WorklistRefresh, StudyUnmatchedPastHoldTimeIsQuarantinedUntilAPersonReleasesIt) {
  worklist_.add("mr", {.accession = "ACCMR", .modality = "MR"});
  ASSERT_NO_FATAL_FAILURE(start("hold_s = 0\nafter_hold = \"quarantine\"\n"));
  const std::string study = "1.2.826.0.1.3680043.10.12.2";
  const auto instance = ct("quarantined", study);
  ASSERT_NO_FATAL_FAILURE(send({instance}, "quarantined"));
  nlohmann::json held;
  ASSERT_TRUE(wait_until(
      [&] {
        held = held_study(*server_, study);
        return !held.is_null() && held.value("outcome", "") == "quarantined";
      },
      15s, 200ms))
      << held.dump(2) << logs();
  EXPECT_FALSE(pacs_.received_uids().contains(instance.sop_instance_uid));

  const ToolResult released = server_->command({"hold", "release", study});
  ASSERT_EQ(released.exit_code, 0) << released.output;
  const auto received = wait_for_arrival(pacs_, *server_, instance.sop_instance_uid, 15s);
  ASSERT_TRUE(received) << logs();
  EXPECT_EQ(read_stamp_fields(*received).accession, "");
  EXPECT_EQ(latest_decision(server_->decisions(), instance.sop_instance_uid).value("outcome", ""),
            "released");
  EXPECT_TRUE(held_study(*server_, study).is_null());
}

// Test 9: a restart while the RIS is down matches from the snapshot of the previous run.
TEST_F(WorklistRefresh, RestartWithTheRisDownStampsFromTheSavedCache) {
  worklist_.add("o1", {});
  // The second study is another patient's: ACC123 is the first study's (one order, one study).
  worklist_.add("o2", {.accession = "ACC456",
                       .patient_id = "2CT2",
                       .requested_procedure_id = "RP2",
                       .sps_id = "SPS2"});
  ASSERT_NO_FATAL_FAILURE(start("", 2));
  const auto first = ct("before", "1.2.826.0.1.3680043.10.9.1");
  ASSERT_NO_FATAL_FAILURE(send({first}, "before"));
  ASSERT_TRUE(wait_for_arrival(pacs_, *server_, first.sop_instance_uid, 20s)) << logs();

  EXPECT_EQ(server_->stop(), 0);
  ris_.stop();
  const std::size_t runs_before = count_occurrences(server_->log_text(), "refresh from");
  server_->start();
  // Proof the RIS is really gone for this run: its first refresh fails.
  EXPECT_TRUE(wait_until(
      [&] { return count_occurrences(server_->log_text(), "refresh from") > runs_before; }, 15s))
      << logs();
  // What the first run cached came back from the store.
  EXPECT_EQ(cached_worklist_entries(*server_), 2u) << logs();

  // Another study, so the study decision of the first run plays no part.
  const auto second = ct("after", "1.2.826.0.1.3680043.10.9.2", {.patient_id = "2CT2"});
  ASSERT_NO_FATAL_FAILURE(send({second}, "after"));
  const auto received = wait_for_arrival(pacs_, *server_, second.sop_instance_uid, 20s);
  ASSERT_TRUE(received) << logs();
  EXPECT_EQ(read_stamp_fields(*received).accession, "ACC456");
  const auto decision = latest_decision(server_->decisions(), second.sop_instance_uid);
  EXPECT_EQ(decision.value("outcome", ""), "matched") << decision.dump(2);
}

// Test 10: a study sent in two associations. Between them a second order for the same patient,
// day and modality appears, which alone would make the study ambiguous: the study's decision
// stands, so both instances carry the same accession.
TEST_F(WorklistRefresh, StudySplitAcrossAssociationsKeepsOneAccessionWhenTheWorklistChanges) {
  worklist_.add("o1", {.accession = "ACC1", .requested_procedure_id = "RP1", .sps_id = "SPS1"});
  ASSERT_NO_FATAL_FAILURE(start());
  const std::string study = "1.2.826.0.1.3680043.10.10.1";
  const auto first = ct("part1", study);
  ASSERT_NO_FATAL_FAILURE(send({first}, "part1"));
  const auto first_received = wait_for_arrival(pacs_, *server_, first.sop_instance_uid, 20s);
  ASSERT_TRUE(first_received) << logs();
  EXPECT_EQ(read_stamp_fields(*first_received).accession, "ACC1");

  worklist_.add("o2", {.accession = "ACC2", .requested_procedure_id = "RP2", .sps_id = "SPS2"});
  ASSERT_TRUE(wait_for_worklist(*server_, 2, 15s)) << logs();

  const auto second = ct("part2", study);
  ASSERT_NO_FATAL_FAILURE(send({second}, "part2"));
  const auto second_received = wait_for_arrival(pacs_, *server_, second.sop_instance_uid, 20s);
  ASSERT_TRUE(second_received) << logs();
  const StampFields f = read_stamp_fields(*second_received);
  EXPECT_EQ(f.accession, "ACC1");
  EXPECT_EQ(f.request_procedure_id, "RP1");
  const auto decision = latest_decision(server_->decisions(), second.sop_instance_uid);
  EXPECT_EQ(decision.value("accession", ""), "ACC1") << decision.dump(2);
  EXPECT_EQ(decision.value("action", ""), "stamp");
  EXPECT_TRUE(held_study(*server_, study).is_null());
}

}  // namespace
}  // namespace acc::test
