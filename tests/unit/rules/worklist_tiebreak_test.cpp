// Worklist matching, step 3: the tie-breakers alone and chained.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "rules/worklist_match.hpp"
#include "tests/unit/rules/match_test_support.hpp"

namespace acc::rules {
namespace {

using test::contains;
using test::ct_instance;
using test::order;
using test::trail;
using test::verdict_for;

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
                                            with_ae(order("B"), " CT01 "), order("C")};
  const auto d = match(instance, entries, {});
  EXPECT_EQ(d.outcome, Outcome::Matched) << trail(d);
  EXPECT_EQ(d.selected, 1u);
  EXPECT_EQ(verdict_for(d, 1)->reason, "selected by Scheduled Station AE equal to the calling AE");
  EXPECT_EQ(verdict_for(d, 0)->reason,
            "Scheduled Station AE 'CT02' ≠ 'CT01', which entry #1 has (tie-breaker b)");
  EXPECT_EQ(verdict_for(d, 2)->reason,
            "no Scheduled Station AE, while entry #1 has the instance's (tie-breaker b)");
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

TEST(ClosestTimeTieBreaker, SelectsTheStrictlyClosestScheduledTime) {
  auto instance = bare_instance();
  instance.study_time = "101500";
  const std::vector<CachedEntry> entries = {order("A", "CT", "20240107", "080000"),
                                            order("B", "CT", "20240107", "1000"),
                                            order("C", "CT", "20240107", "140000.5")};
  const auto d = match(instance, entries, {});
  EXPECT_EQ(d.outcome, Outcome::Matched) << trail(d);
  EXPECT_EQ(d.selected, 1u);
  EXPECT_EQ(verdict_for(d, 1)->reason, "selected by closest scheduled time");
  EXPECT_EQ(verdict_for(d, 0)->reason,
            "scheduled 20240107 080000 is 2 h 15 min from the instance, entry #1 is closer (15 "
            "min) (tie-breaker c)");
  EXPECT_TRUE(contains(verdict_for(d, 2)->reason, "3 h 45 min from the instance"));
}

TEST(ClosestTimeTieBreaker, EqualDistancesStayAmbiguous) {
  auto instance = bare_instance();
  instance.study_time = "100000";
  const std::vector<CachedEntry> entries = {order("A", "CT", "20240107", "093000"),
                                            order("B", "CT", "20240107", "103000")};
  const auto d = match(instance, entries, {});
  EXPECT_EQ(d.outcome, Outcome::Ambiguous) << trail(d);
  EXPECT_TRUE(trail_contains(d, "#0, #1 are equally close (30 min)"));
}

TEST(ClosestTimeTieBreaker, FractionsOfASecondSeparate) {
  auto instance = bare_instance();
  instance.study_time = "100000";
  const std::vector<CachedEntry> entries = {order("A", "CT", "20240107", "095959.9"),
                                            order("B", "CT", "20240107", "100000.2")};
  const auto d = match(instance, entries, {});
  EXPECT_EQ(d.outcome, Outcome::Matched) << trail(d);
  EXPECT_EQ(d.selected, 0u);
}

TEST(ClosestTimeTieBreaker, AMissingOrInvalidInstanceTimeStaysAmbiguous) {
  const std::vector<CachedEntry> entries = {order("A", "CT", "20240107", "080000"),
                                            order("B", "CT", "20240107", "100000")};
  auto instance = bare_instance();
  for (const std::string time : {"", "10:00:00", "2500"}) {
    instance.study_time = time;
    const auto d = match(instance, entries, {});
    EXPECT_EQ(d.outcome, Outcome::Ambiguous) << time << trail(d);
    EXPECT_TRUE(trail_contains(d, "tie-breaker c (closest scheduled time): not applied"));
  }
}

TEST(ClosestTimeTieBreaker, AnEntryWithoutValidTimeBlocksTheTieBreaker) {
  auto instance = bare_instance();
  instance.study_time = "100000";
  // B is exactly on time, but A has no time and might have been scheduled at 10:00 too.
  for (const std::string missing : {"", "9am"}) {
    const std::vector<CachedEntry> entries = {order("A", "CT", "20240107", missing),
                                              order("B", "CT", "20240107", "100000")};
    const auto d = match(instance, entries, {});
    EXPECT_EQ(d.outcome, Outcome::Ambiguous) << trail(d);
    EXPECT_TRUE(trail_contains(d, "#0 without a valid scheduled time cannot be compared"));
  }
}

TEST(ClosestTimeTieBreaker, CountsTheDateInsideTheWindow) {
  auto instance = bare_instance();
  instance.study_time = "003000";
  MatchingPolicy policy;
  policy.date_window_days = 1;
  // 23:45 the day before is 45 min away; 08:00 the same day is 7 h 30 min away.
  const std::vector<CachedEntry> entries = {order("A", "CT", "20240106", "234500"),
                                            order("B", "CT", "20240107", "080000")};
  const auto d = match(instance, entries, policy);
  EXPECT_EQ(d.outcome, Outcome::Matched) << trail(d);
  EXPECT_EQ(d.selected, 0u);
}

TEST(TieBreakers, StudyUidNarrowsThenStationAeDecides) {
  auto instance = bare_instance();
  instance.study_instance_uid = kUid;
  instance.calling_ae = "CT01";
  const std::vector<CachedEntry> entries = {with_ae(with_uid(order("A"), kUid), "CT02"),
                                            with_ae(with_uid(order("B"), kUid), "CT01"),
                                            with_ae(order("C"), "CT01")};
  const auto d = match(instance, entries, {});
  EXPECT_EQ(d.outcome, Outcome::Matched) << trail(d);
  EXPECT_EQ(d.selected, 1u);
  EXPECT_TRUE(contains(verdict_for(d, 2)->reason, "(tie-breaker a)"));
  EXPECT_TRUE(contains(verdict_for(d, 0)->reason, "(tie-breaker b)"));
  EXPECT_EQ(verdict_for(d, 1)->reason, "selected by Scheduled Station AE equal to the calling AE");
}

TEST(TieBreakers, StationAeNarrowsThenTimeDecides) {
  auto instance = bare_instance();
  instance.calling_ae = "CT01";
  instance.study_time = "091000";
  const std::vector<CachedEntry> entries = {
      with_ae(order("A", "CT", "20240107", "090000"), "CT01"),
      with_ae(order("B", "CT", "20240107", "091000"), "CT02"),
      with_ae(order("C", "CT", "20240107", "110000"), "CT01")};
  const auto d = match(instance, entries, {});
  // B is closest in time, but was scheduled elsewhere; the station speaks first.
  EXPECT_EQ(d.outcome, Outcome::Matched) << trail(d);
  EXPECT_EQ(d.selected, 0u);
  EXPECT_TRUE(contains(verdict_for(d, 1)->reason, "(tie-breaker b)"));
  EXPECT_TRUE(contains(verdict_for(d, 2)->reason, "(tie-breaker c)"));
}

TEST(TieBreakers, ATieBreakerThatCannotSeparateLeavesTheOthersToTry) {
  auto instance = bare_instance();
  instance.study_instance_uid = kUid;  // no entry has it
  instance.calling_ae = "CT09";        // no entry has it
  instance.study_time = "100000";
  const std::vector<CachedEntry> entries = {order("A", "CT", "20240107", "095000"),
                                            order("B", "CT", "20240107", "120000")};
  const auto d = match(instance, entries, {});
  EXPECT_EQ(d.outcome, Outcome::Matched) << trail(d);
  EXPECT_EQ(d.selected, 0u);
  EXPECT_TRUE(trail_contains(d, "tie-breaker a (Study Instance UID): not applied"));
  EXPECT_TRUE(trail_contains(d, "tie-breaker b (Scheduled Station AE): not applied"));
  EXPECT_TRUE(trail_contains(d, "tie-breaker c (closest scheduled time): kept #0"));
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
  EXPECT_EQ(d.reasons.back(), "ambiguous: #0, #1 remain after every rule; nothing is stamped");
}

}  // namespace
}  // namespace acc::rules
