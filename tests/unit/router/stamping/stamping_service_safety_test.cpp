// StampingService rules that need the service's memory of other studies (docs/matching.md,
// invariants 3 and 4): orders that came late, held studies of the same patient, orders a
// released study keeps, and a person's assign of an order already on another study.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/unit/router/stamping/stamping_service_fixture.hpp"

namespace acc::router::testing {
namespace {

using nlohmann::json;

class StampingSafetyTest : public StampingServiceFixture {
 protected:
  // The decision the instance was committed with (the audit record).
  static StampDecision decision_of(const PreparedInstance& p) {
    return StampDecision::from_json(json::parse(p.record.decision_json));
  }
  static bool says(const StampDecision& d, std::string_view text) {
    for (const auto& r : d.reasons) {
      if (r.find(text) != std::string::npos) {
        return true;
      }
    }
    return false;
  }
  TestInstance study(const std::string& uid_suffix, const std::string& modality = "CT") {
    TestInstance t;
    t.study_uid = "1.2.826.0.1.3680043.10.543." + uid_suffix;
    t.modality = modality;
    return t;
  }
};

// Study 1 took CT order A1, the patient's only order then. CT order A2 of the same day arrives
// later: it may be study 1's own (entered after the scan) and A1 study 2's. Stamping A2 on study
// 2 would be a guess; it is held, also after a restart.
TEST_F(StampingSafetyTest, AnOrderThatCameAfterAnotherStudyWasStampedIsHeld) {
  worklist_->absorb({test_order("A1", "CT", "090000")}, false);
  auto first = receive(study("1"), kNow);
  ASSERT_EQ(first.record.state, queue::RecordState::stored);
  EXPECT_EQ(decision_of(first).accession, "A1");

  worklist_->absorb({test_order("A1", "CT", "090000"), test_order("A2", "CT", "140000")}, false);
  auto second = receive(study("2"), kNow + 3'600'000);
  ASSERT_EQ(second.record.state, queue::RecordState::held);
  const auto held = decision_of(second);
  EXPECT_EQ(held.outcome, rules::StampOutcome::conflict);
  EXPECT_TRUE(says(held, "order A2 reached the worklist after study 1.2.826.0.1.3680043.10.543.1"))
      << json(held.reasons).dump();

  restart();
  auto again = receive(study("2"), kNow + 3'700'000);
  EXPECT_EQ(again.record.state, queue::RecordState::held);
  EXPECT_EQ(decision_of(again).outcome, rules::StampOutcome::conflict);
}

// The rule is about orders alike: a late MR order is stamped on the patient's MR study.
TEST_F(StampingSafetyTest, ALateOrderOfAnotherModalityIsStamped) {
  worklist_->absorb({test_order("A1", "CT", "090000")}, false);
  ASSERT_EQ(decision_of(receive(study("1"), kNow)).accession, "A1");
  worklist_->absorb({test_order("A1", "CT", "090000"), test_order("M1", "MR", "140000")}, false);
  auto mr = receive(study("2", "MR"), kNow + 3'600'000);
  EXPECT_EQ(mr.record.state, queue::RecordState::stored);
  EXPECT_EQ(decision_of(mr).accession, "M1");
}

// When both orders were there when study 1 was decided, study 1 took A1 for a reason and A2 is
// study 2's.
TEST_F(StampingSafetyTest, AnOrderSeenWhenTheOtherStudyWasDecidedIsStamped) {
  worklist_->absorb({test_order("A1", "CT", "090000"), test_order("A2", "CT", "140000")}, false);
  auto first = receive(study("1"), kNow);  // two orders: ambiguous, held
  ASSERT_EQ(first.record.state, queue::RecordState::held);
  auto assigned = service_->assign({study("1").study_uid, "P1", "A1", false, false, "me", "RIS"},
                                   kNow + 60'000);
  ASSERT_TRUE(assigned) << assigned.error().message();
  EXPECT_EQ(*assigned, 1u);
  auto second = receive(study("2"), kNow + 3'600'000);
  EXPECT_EQ(second.record.state, queue::RecordState::stored);
  EXPECT_EQ(decision_of(second).accession, "A2") << json(decision_of(second).reasons).dump();
}

// Study 1 found no order and went out unstamped after hold_s; the order that comes later may be
// its own (entered after the scan) as much as study 2's.
TEST_F(StampingSafetyTest, AfterAStudyOfThePatientWentOutUnstampedAMatchIsHeld) {
  auto first = receive(study("1"), kNow);
  ASSERT_EQ(first.record.state, queue::RecordState::held);
  service_->reevaluate_held(kNow + 3'600'000);  // hold_s passed: after_hold = forward
  ASSERT_EQ(record(first.record.sop_instance_uid).state, queue::RecordState::stored);

  worklist_->absorb({test_order("A1", "CT", "090000")}, false);
  restart();  // remembered from the stored study decision
  auto second = receive(study("2"), kNow + 3'700'000);
  ASSERT_EQ(second.record.state, queue::RecordState::held);
  const auto d = decision_of(second);
  EXPECT_EQ(d.outcome, rules::StampOutcome::conflict);
  EXPECT_TRUE(says(d, "forwarded unstamped and order A1 may be its")) << json(d.reasons).dump();
}

// An instance refused for lacking a Study UID was an exam of the patient: its order must not go
// to another study of the patient by default.
TEST_F(StampingSafetyTest, AfterAnInstanceOfThePatientWasRefusedAMatchIsHeld) {
  worklist_->absorb({test_order("A1", "CT", "090000")}, false);
  TestInstance no_uid = study("1");
  no_uid.study_uid.clear();
  const auto refused = receive(no_uid, kNow);
  EXPECT_EQ(refused.status, kRejectStatus);
  auto second = receive(study("2"), kNow + 600'000);
  ASSERT_EQ(second.record.state, queue::RecordState::held);
  const auto d = decision_of(second);
  EXPECT_EQ(d.outcome, rules::StampOutcome::conflict);
  EXPECT_TRUE(says(d, "refused for lacking a Study UID")) << json(d.reasons).dump();
}

// One order, one study: an accession on another study needs --force from the person.
TEST_F(StampingSafetyTest, AssigningAnAccessionOfAnotherStudyNeedsForce) {
  worklist_->absorb({test_order("A1", "CT", "090000")}, false);
  ASSERT_EQ(decision_of(receive(study("1"), kNow)).accession, "A1");
  auto second = receive(study("2"), kNow + 3'600'000);  // A1 is study 1's: unmatched, held
  ASSERT_EQ(second.record.state, queue::RecordState::held);
  EXPECT_EQ(decision_of(second).outcome, rules::StampOutcome::unmatched);

  ManualDecision m{study("2").study_uid, "P1", "A1", false, false, "alice (uid 1000)", ""};
  auto refused = service_->assign(m, kNow + 3'700'000);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message().find("already on study 1.2.826.0.1.3680043.10.543.1"),
            std::string::npos)
      << refused.error().message();
  EXPECT_EQ(record(second.record.sop_instance_uid).state, queue::RecordState::held);

  m.force = true;
  m.why = "study 1 is a scout taken under the wrong order; corrected in the PACS";
  auto forced = service_->assign(m, kNow + 3'800'000);
  ASSERT_TRUE(forced) << forced.error().message();
  EXPECT_EQ(*forced, 1u);
  EXPECT_EQ(record(second.record.sop_instance_uid).state, queue::RecordState::stored);
}

// A study of a patient whose other study is held does not take the order the held one waits for.
TEST_F(StampingSafetyTest, AFreshMatchWaitsWhileAnotherStudyOfThePatientIsHeld) {
  worklist_->absorb({test_order("A1", "CT", "090000")}, false);
  TestInstance typo = study("1");
  typo.sex = "M";  // the order says F: another patient? held as a conflict
  auto first = receive(typo, kNow);
  ASSERT_EQ(first.record.state, queue::RecordState::held);
  EXPECT_EQ(decision_of(first).outcome, rules::StampOutcome::conflict);

  auto second = receive(study("2"), kNow + 600'000);
  ASSERT_EQ(second.record.state, queue::RecordState::held);
  const auto d = decision_of(second);
  EXPECT_EQ(d.outcome, rules::StampOutcome::conflict);
  EXPECT_TRUE(says(d, "of the same patient is held")) << json(d.reasons).dump();
}

// A study a person released unstamped keeps the orders that competed for it: a later study of
// the patient does not take them without a person, also after a restart.
TEST_F(StampingSafetyTest, AStudyReleasedUnstampedKeepsItsCompetingOrders) {
  worklist_->absorb({test_order("A1", "CT", "090000")}, false);
  TestInstance typo = study("1");
  typo.sex = "M";
  ASSERT_EQ(receive(typo, kNow).record.state, queue::RecordState::held);
  auto released =
      service_->release({typo.study_uid, "P1", "", false, false, "bob", "checked"}, kNow + 60'000);
  ASSERT_TRUE(released) << released.error().message();
  EXPECT_EQ(*released, 1u);

  restart();
  auto second = receive(study("2"), kNow + 600'000);
  ASSERT_EQ(second.record.state, queue::RecordState::held);
  const auto d = decision_of(second);
  EXPECT_EQ(d.outcome, rules::StampOutcome::unmatched);
  EXPECT_TRUE(says(d, "already stamped on study " + typo.study_uid)) << json(d.reasons).dump();
}

}  // namespace
}  // namespace acc::router::testing
