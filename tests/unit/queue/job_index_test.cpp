// The in-memory job index on its own: slots, due times and lease bookkeeping.
#include "queue/job_index.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>

namespace acc::queue {
namespace {

std::shared_ptr<const InstanceInfo> info(const std::string& uid, int64_t enqueued_at_ms) {
  InstanceInfo i;
  i.sop_instance_uid = uid;
  i.enqueued_at_ms = enqueued_at_ms;
  return std::make_shared<const InstanceInfo>(std::move(i));
}

StoredJob job_for(const std::string& uid, int64_t next_attempt_at_ms = 0, bool dead = false) {
  StoredJob job;
  job.instance = info(uid, 1000);
  job.next_attempt_at_ms = next_attempt_at_ms;
  job.dead = dead;
  return job;
}

TEST(JobIndex, LeaseTakesTheLowestDueSeqAndPromotesWaitingJobsOnlyWhenDue) {
  JobIndex index;
  index.upsert("A", 3, job_for("3"), JobIndex::Lease::Clear);
  index.upsert("A", 1, job_for("1", 500), JobIndex::Lease::Clear);
  index.upsert("A", 2, job_for("2", 200), JobIndex::Lease::Clear);
  EXPECT_EQ(index.next_due("A"), 0);
  EXPECT_EQ(index.lease("A", 100)->arrival_seq, 3u);
  EXPECT_EQ(index.next_due("A"), 200);
  EXPECT_FALSE(index.lease("A", 199).has_value());
  EXPECT_EQ(index.lease("A", 600)->arrival_seq, 1u);  // both due now: arrival order wins
  EXPECT_EQ(index.lease("A", 600)->arrival_seq, 2u);
  EXPECT_FALSE(index.next_due("A").has_value());
}

TEST(JobIndex, NextDueCountsPromotedJobsWithTheirOwnDueTime) {
  JobIndex index;
  index.upsert("A", 1, job_for("1", 300), JobIndex::Lease::Clear);
  index.upsert("A", 2, job_for("2", 100), JobIndex::Lease::Clear);
  auto leased = index.lease("A", 150);  // promotes 2 only, leases it
  ASSERT_TRUE(leased.has_value());
  EXPECT_EQ(leased->arrival_seq, 2u);
  index.release("A", 2);  // back as a pending job with a due time: waiting again
  EXPECT_EQ(index.next_due("A"), 100);
  index.upsert("A", 1, job_for("1", 50), JobIndex::Lease::Clear);
  EXPECT_EQ(index.next_due("A"), 50);
  EXPECT_EQ(index.lease("A", 400)->arrival_seq, 1u);
  EXPECT_EQ(index.next_due("A"), 100);
}

TEST(JobIndex, AnEarlierNowDoesNotLeaseJobsPromotedByALaterOne) {
  JobIndex index;
  index.upsert("A", 1, job_for("1", 500), JobIndex::Lease::Clear);
  index.upsert("A", 2, job_for("2", 100), JobIndex::Lease::Clear);
  EXPECT_EQ(index.lease("A", 1000)->arrival_seq, 1u);  // promotes both
  index.release("A", 1);
  EXPECT_EQ(index.lease("A", 200)->arrival_seq, 2u);
  EXPECT_FALSE(index.lease("A", 200).has_value());
  EXPECT_EQ(index.next_due("A"), 500);
  EXPECT_EQ(index.lease("A", 500)->arrival_seq, 1u);
}

TEST(JobIndex, KeepLeavesALeaseWithItsWorkerAndClearEndsIt) {
  JobIndex index;
  index.upsert("A", 1, job_for("1"), JobIndex::Lease::Clear);
  ASSERT_TRUE(index.lease("A", 0).has_value());
  index.upsert("A", 1, job_for("1"), JobIndex::Lease::Keep);
  EXPECT_TRUE(index.in_flight("A", 1));
  EXPECT_FALSE(index.lease("A", 0).has_value());
  index.upsert("A", 1, job_for("1", 0, /*dead=*/true), JobIndex::Lease::Clear);
  EXPECT_FALSE(index.in_flight("A", 1));
  EXPECT_EQ(index.jobs("A").at(0).state, JobState::Dead);
  EXPECT_FALSE(index.release("A", 1));
}

TEST(JobIndex, ErasingTheLastJobForgetsTheDestination) {
  JobIndex index;
  index.upsert("A", 1, job_for("1", 10), JobIndex::Lease::Clear);
  index.upsert("B", 2, job_for("2"), JobIndex::Lease::Clear);
  index.erase("A", 1);
  index.erase("A", 1);
  EXPECT_EQ(index.find("A", 1), nullptr);
  EXPECT_FALSE(index.next_due("A").has_value());
  auto stats = index.stats(0);
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_EQ(stats[0].destination, "B");
  EXPECT_EQ(index.size(), 1u);
  index.clear();
  EXPECT_EQ(index.size(), 0u);
}

TEST(JobIndex, StatsLeaveDeadJobsOutOfTheBacklogAge) {
  JobIndex index;
  auto old_dead = job_for("1", 0, true);
  index.upsert("A", 1, old_dead, JobIndex::Lease::Clear);
  auto waiting = job_for("2", 5'000);
  waiting.instance = info("2", 2000);
  index.upsert("A", 2, waiting, JobIndex::Lease::Clear);
  auto stats = index.stats(1'000);
  ASSERT_EQ(stats.size(), 1u);
  EXPECT_EQ(stats[0].dead, 1u);
  EXPECT_EQ(stats[0].pending, 1u);
  EXPECT_EQ(stats[0].waiting_retry, 1u);
  EXPECT_EQ(stats[0].oldest_enqueued_at_ms, 2000);
  EXPECT_EQ(index.stats(5'000)[0].waiting_retry, 0u);
}

}  // namespace
}  // namespace acc::queue
