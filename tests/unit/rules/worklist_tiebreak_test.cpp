// Worklist matching, step 4: the evidence that separates orders (Study UID, station), and
// time of day, which never does (issue 10).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "rules/worklist_match.hpp"
#include "tests/unit/rules/match_test_support.hpp"

namespace acc::rules {
namespace {

using namespace test;  // the shared builders (match_test_support.hpp)

constexpr const char* kUid = "1.2.826.0.1.3680043.2.1125.1.1";
constexpr const char* kOtherUid = "1.2.826.0.1.3680043.2.1125.1.2";

// An instance with only what a tie-breaker under test needs.
InstanceAttributes bare_instance() {
  auto i = ct_instance();
  i.calling_ae = "";
  i.study_time = "";
  return i;
}

CachedEntry with_uid(CachedEntry e, std::string uid) {
  e.item.study_instance_uid = std::move(uid);
  return e;
}

CachedEntry with_ae(CachedEntry e, std::string ae) {
  e.item.scheduled_station_ae = std::move(ae);
  return e;
}

bool trail_contains(const Decision& d, const std::string& part) {
  for (const auto& r : d.reasons) {
    if (r.find(part) != std::string::npos) {
      return true;
    }
  }
  return false;
}

TEST(StudyUidTieBreaker, SelectsTheEntryCarryingTheInstancesStudyUid) {
  auto instance = bare_instance();
  instance.study_instance_uid = kUid;
  const std::vector<CachedEntry> entries = {with_uid(order("A"), kOtherUid),
                                            with_uid(order("B"), kUid), order("C")};
  const auto d = match(instance, entries, {});
  EXPECT_EQ(d.outcome, Outcome::Matched) << trail(d);
  EXPECT_EQ(d.selected, 1u);
  EXPECT_EQ(verdict_for(d, 1)->reason, "selected by Study Instance UID");
  EXPECT_EQ(verdict_for(d, 0)->reason,
            "Study Instance UID differs from the instance's, which entry #1 has (tie-breaker a)");
  EXPECT_EQ(verdict_for(d, 2)->reason,
            "no Study Instance UID, while entry #1 has the instance's (tie-breaker a)");
}

TEST(StudyUidTieBreaker, IsNotAppliedWhenTheInstanceHasNoStudyUid) {
  const std::vector<CachedEntry> entries = {with_uid(order("A"), kUid), order("B")};
  const auto d = match(bare_instance(), entries, {});
  EXPECT_EQ(d.outcome, Outcome::Ambiguous) << trail(d);
  EXPECT_TRUE(trail_contains(d, "tie-breaker a (Study Instance UID): not applied, the instance"));
}

TEST(StudyUidTieBreaker, EmptyUidsOnBothSidesAreNotEqual) {
  auto instance = bare_instance();
  instance.study_instance_uid = "  ";
  const auto d = match(instance, std::vector<CachedEntry>{order("A"), order("B")}, {});
  EXPECT_EQ(d.outcome, Outcome::Ambiguous) << trail(d);
}

TEST(StudyUidTieBreaker, IsNotAppliedWhenNoneOrAllRemainingEntriesCarryTheUid) {
  auto instance = bare_instance();
  instance.study_instance_uid = kUid;
  const auto none =
      match(instance, std::vector<CachedEntry>{with_uid(order("A"), kOtherUid), order("B")}, {});
  EXPECT_EQ(none.outcome, Outcome::Ambiguous) << trail(none);
  EXPECT_TRUE(trail_contains(none, "not applied, no remaining entry has the instance's"));
  // Two steps of one requested procedure share the Study UID: it cannot tell them apart.
  const auto all =
      match(instance,
            std::vector<CachedEntry>{with_uid(order("A"), kUid), with_uid(order("B"), kUid)}, {});
  EXPECT_EQ(all.outcome, Outcome::Ambiguous) << trail(all);
  EXPECT_TRUE(trail_contains(all, "not applied, every remaining entry has the instance's"));
}

TEST(StudyUidTieBreaker, OnlyAppliesAmongEntriesThatPassedTheFilters) {
  auto instance = bare_instance();
  instance.study_instance_uid = kUid;
  // The UID holder is for another modality: it stays excluded, the two CT orders stay ambiguous.
  const std::vector<CachedEntry> entries = {with_uid(order("A", "MR"), kUid), order("B"),
                                            order("C")};
  const auto d = match(instance, entries, {});
  EXPECT_EQ(d.outcome, Outcome::Ambiguous) << trail(d);
  EXPECT_EQ(verdict_for(d, 0)->reason, "modality MR ≠ CT");
}

TEST(StationAeTieBreaker, SelectsTheEntryScheduledOnTheCallingStation) {
  auto instance = bare_instance();
  instance.calling_ae = "CT01";
  const std::vector<CachedEntry> entries = {with_ae(order("A"), "CT02"),
                                            with_ae(order("B"), " CT01 ")};
  const auto d = match(instance, entries, {});
  EXPECT_EQ(d.outcome, Outcome::Matched) << trail(d);
  EXPECT_EQ(d.selected, 1u);
  EXPECT_EQ(verdict_for(d, 1)->reason, "selected by Scheduled Station AE equal to the calling AE");
  EXPECT_EQ(verdict_for(d, 0)->reason,
            "Scheduled Station AE 'CT02' ≠ 'CT01', which entry #1 has (tie-breaker b)");
}

// An order with no station may have been done on the calling one too (the simulator's CT02
// study took the other order scheduled on CT02): the evidence is not applied.
TEST(StationAeTieBreaker, AnOrderWithoutStationKeepsItAmbiguous) {
  auto instance = bare_instance();
  instance.calling_ae = "CT01";
  const std::vector<CachedEntry> entries = {with_ae(order("B"), "CT01"), order("C")};
  const auto d = match(instance, entries, {});
  EXPECT_EQ(d.outcome, Outcome::Ambiguous) << trail(d);
  EXPECT_TRUE(contains(trail(d), "names no Scheduled Station AE")) << trail(d);
}

// The simulator's CR01 study took the order scheduled on CR01 while its own was booked on
// "XR_ROOM_1", a room name no modality calls from: that name may be CR01's, so no evidence.
TEST(StationAeTieBreaker, AStationNoModalityCallsFromIsNoEvidenceAgainstItsOrder) {
  auto instance = bare_instance();
  instance.calling_ae = "CR01";
  const std::vector<CachedEntry> entries = {with_ae(order("ROOM"), "XR_ROOM_1"),
                                            with_ae(order("CR"), "CR01")};
  MatchHistory history;
  history.known_station = [](std::string_view s) { return s == "CR01" || s == "CR02"; };
  const auto d = match(instance, entries, {}, history);
  EXPECT_EQ(d.outcome, Outcome::Ambiguous) << trail(d);
  EXPECT_TRUE(contains(trail(d), "which no modality has called from")) << trail(d);
  // Once XR_ROOM_1 is a modality that called, its order is another station's.
  history.known_station = [](std::string_view) { return true; };
  EXPECT_EQ(match(instance, entries, {}, history).outcome, Outcome::Matched);
}

TEST(StationAeTieBreaker, IsCaseSensitiveAndNotAppliedWhenNothingEqualsTheCallingAe) {
  auto instance = bare_instance();
  instance.calling_ae = "CT01";
  const std::vector<CachedEntry> entries = {with_ae(order("A"), "ct01"),
                                            with_ae(order("B"), "CT02")};
  const auto d = match(instance, entries, {});
  EXPECT_EQ(d.outcome, Outcome::Ambiguous) << trail(d);
  EXPECT_TRUE(trail_contains(d, "tie-breaker b (Scheduled Station AE): not applied"));
}

// Issue 10: the closest-time tie-breaker is gone. A CT head scheduled 09:00 and scanned late at
// 09:50 must not take the 10:00 CT abdomen's accession; whatever the instance's time says (late,
// early, a modality clock an hour off, a timezone it does not state), two orders that differ only
// by their scheduled time stay ambiguous.
TEST(TimeOfDay, ACtHeadScannedLateDoesNotTakeTheNextOrdersAccession) {
  const std::vector<CachedEntry> entries = {order("HEAD", "CT", "20240107", "090000"),
                                            order("ABDOMEN", "CT", "20240107", "100000")};
  auto instance = ct_instance();  // calling AE CT01; the orders name no station
  for (const std::string time :
       {"095000", "090000", "100000", "085000", "105000", "0950", "095000.123456", "", "25:00"}) {
    instance.study_time = time;
    const auto d = match(instance, entries, {});
    EXPECT_EQ(d.outcome, Outcome::Ambiguous) << "study time '" << time << "'" << trail(d);
    EXPECT_FALSE(d.selected.has_value()) << time;
    EXPECT_TRUE(verdict_for(d, 0)->kept) << time;
    EXPECT_TRUE(verdict_for(d, 1)->kept) << time;
    EXPECT_EQ(d.competing, (std::vector<std::string>{"HEAD", "ABDOMEN"})) << time;
    EXPECT_TRUE(contains(d.reasons.back(), "time of day is no evidence")) << trail(d);
  }
}

TEST(TimeOfDay, AClockAnHourOffChangesNothing) {
  // The same scan seen through a modality clock on UTC+1, UTC and UTC-1 (the Timezone Offset
  // From UTC is not an input of matching at all): the outcome never depends on it.
  const std::vector<CachedEntry> entries = {order("HEAD", "CT", "20240107", "090000"),
                                            order("ABDOMEN", "CT", "20240107", "100000")};
  std::vector<Outcome> outcomes;
  for (const std::string time : {"085000", "095000", "105000"}) {
    auto instance = bare_instance();
    instance.study_time = time;
    outcomes.push_back(match(instance, entries, {}).outcome);
  }
  EXPECT_EQ(outcomes, std::vector<Outcome>(3, Outcome::Ambiguous));
}

TEST(TimeOfDay, FractionsOfASecondDoNotSeparate) {
  auto instance = bare_instance();
  instance.study_time = "100000";
  const std::vector<CachedEntry> entries = {order("A", "CT", "20240107", "095959.9"),
                                            order("B", "CT", "20240107", "100000.2")};
  const auto d = match(instance, entries, {});
  EXPECT_EQ(d.outcome, Outcome::Ambiguous) << trail(d);
}

TEST(TimeOfDay, NorDoesTheDayInsideTheWindow) {
  auto instance = bare_instance();
  instance.study_time = "003000";
  MatchingPolicy policy;
  policy.date_window_days = 1;
  // 23:45 the day before is 45 min away, 08:00 the same day 7 h 30 min: neither is evidence.
  const std::vector<CachedEntry> entries = {order("A", "CT", "20240106", "234500"),
                                            order("B", "CT", "20240107", "080000")};
  const auto d = match(instance, entries, policy);
  EXPECT_EQ(d.outcome, Outcome::Ambiguous) << trail(d);
}

TEST(TimeOfDay, AnOrderExactlyOnTimeIsNotPreferred) {
  auto instance = bare_instance();
  instance.study_time = "100000";
  for (const std::string other : {"093000", ""}) {
    const std::vector<CachedEntry> entries = {order("A", "CT", "20240107", other),
                                              order("B", "CT", "20240107", "100000")};
    const auto d = match(instance, entries, {});
    EXPECT_EQ(d.outcome, Outcome::Ambiguous) << trail(d);
    EXPECT_FALSE(trail_contains(d, "tie-breaker c"));
  }
}

TEST(TieBreakers, TwoStepsOfOneOrderCarryingTheUidCountOnceAndTheStationPicksTheStep) {
  auto instance = bare_instance();
  instance.study_instance_uid = kUid;
  instance.calling_ae = "CT01";
  const std::vector<CachedEntry> entries = {with_ae(with_uid(order("A"), kUid), "CT02"),
                                            with_ae(with_uid(order("A"), kUid), "CT01"),
                                            with_ae(order("C"), "CT01")};
  const auto d = match(instance, entries, {});
  EXPECT_EQ(d.outcome, Outcome::Matched) << trail(d);
  EXPECT_EQ(d.selected, 1u);
  EXPECT_TRUE(contains(verdict_for(d, 2)->reason, "(tie-breaker a)"));
  // One order left after tie-breaker a: the station is not a tie-breaker any more, it only picks
  // the step scheduled on the calling station.
  EXPECT_FALSE(trail_contains(d, "tie-breaker b"));
  EXPECT_EQ(verdict_for(d, 1)->reason, "selected by Study Instance UID");
}

TEST(TieBreakers, AUidTwoOrdersCarryIsEvidenceAgainstTheOneTheStationPicks) {
  auto instance = bare_instance();
  instance.study_instance_uid = kUid;
  instance.calling_ae = "CT01";
  const std::vector<CachedEntry> entries = {with_ae(with_uid(order("A"), kUid), "CT02"),
                                            with_ae(with_uid(order("B"), kUid), "CT01"),
                                            with_ae(order("C"), "CT01")};
  const auto d = match(instance, entries, {});
  EXPECT_EQ(d.outcome, Outcome::Conflict) << trail(d);
  EXPECT_FALSE(d.selected.has_value());
  EXPECT_TRUE(contains(verdict_for(d, 2)->reason, "(tie-breaker a)"));
  EXPECT_TRUE(contains(verdict_for(d, 0)->reason, "(tie-breaker b)"));
  EXPECT_TRUE(contains(verdict_for(d, 1)->reason, "Study Instance UID is that of order 'A'"));
  EXPECT_EQ(d.competing, std::vector<std::string>{"B"});
}

TEST(TieBreakers, StationAeNarrowsButTimeDoesNotDecide) {
  auto instance = bare_instance();
  instance.calling_ae = "CT01";
  instance.study_time = "091000";
  const std::vector<CachedEntry> entries = {
      with_ae(order("A", "CT", "20240107", "090000"), "CT01"),
      with_ae(order("B", "CT", "20240107", "091000"), "CT02"),
      with_ae(order("C", "CT", "20240107", "110000"), "CT01")};
  const auto d = match(instance, entries, {});
  // B is on time, but was scheduled elsewhere; A and C are both on this station.
  EXPECT_EQ(d.outcome, Outcome::Ambiguous) << trail(d);
  EXPECT_TRUE(contains(verdict_for(d, 1)->reason, "(tie-breaker b)"));
  EXPECT_TRUE(verdict_for(d, 0)->kept);
  EXPECT_TRUE(verdict_for(d, 2)->kept);
  EXPECT_EQ(d.competing, (std::vector<std::string>{"A", "C"}));
}

TEST(TieBreakers, WhenNeitherTieBreakerSeparatesNothingElseIsTried) {
  auto instance = bare_instance();
  instance.study_instance_uid = kUid;  // no entry has it
  instance.calling_ae = "CT09";        // no entry has it
  instance.study_time = "100000";
  const std::vector<CachedEntry> entries = {order("A", "CT", "20240107", "095000"),
                                            order("B", "CT", "20240107", "120000")};
  const auto d = match(instance, entries, {});
  EXPECT_EQ(d.outcome, Outcome::Ambiguous) << trail(d);
  EXPECT_TRUE(trail_contains(d, "tie-breaker a (Study Instance UID): not applied"));
  EXPECT_TRUE(trail_contains(d, "tie-breaker b (Scheduled Station AE): not applied"));
  EXPECT_FALSE(trail_contains(d, "tie-breaker c"));
}

TEST(TieBreakers, AreNotConsultedWhenTheFiltersLeaveOne) {
  auto instance = ct_instance();
  instance.study_instance_uid = kUid;
  const auto d = match(instance, std::vector<CachedEntry>{with_uid(order("A"), kOtherUid)}, {});
  // A UID mismatch is not a filter: one scheduled order on the day is the match.
  EXPECT_EQ(d.outcome, Outcome::Matched) << trail(d);
  EXPECT_FALSE(trail_contains(d, "tie-breaker"));
}

TEST(TieBreakers, AmbiguousWhenNothingSeparatesKeepsEveryCandidate) {
  auto instance = ct_instance();  // has calling AE and time, entries have neither
  const std::vector<CachedEntry> entries = {order("A"), order("B"), order("C", "MR")};
  const auto d = match(instance, entries, {});
  EXPECT_EQ(d.outcome, Outcome::Ambiguous) << trail(d);
  EXPECT_TRUE(verdict_for(d, 0)->kept);
  EXPECT_TRUE(verdict_for(d, 1)->kept);
  EXPECT_FALSE(verdict_for(d, 2)->kept);
  EXPECT_EQ(d.reasons.back(),
            "ambiguous: #0, #1 remain after every rule; time of day is no evidence, nothing is "
            "stamped");
}

}  // namespace
}  // namespace acc::rules
