// Delivery jobs of the RocksDB store: creation with the instance, leasing, outcomes, restart,
// replace, administration and the reader's view.
#include "queue/forward_queue.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <future>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "queue/instance_store.hpp"
#include "store_test_support.hpp"

namespace acc::queue {
namespace {

using testing::complete;
using testing::dead_letter;
using testing::make_payload;
using testing::options_for;
using testing::record_to;
using testing::retry_at;
using testing::ScratchDir;
using testing::wall_ms;

// Durability is the crash test's subject, not these.
std::unique_ptr<InstanceStore> open_or_die(const std::filesystem::path& path) {
  return testing::open_or_die(path, /*sync=*/false);
}

uint64_t commit_or_die(InstanceStore& store, InstanceRecord record, std::size_t size = 100) {
  auto seq = store.commit(std::move(record), make_payload(size, 7));
  EXPECT_TRUE(seq.has_value()) << seq.error().message();
  return seq.value_or(0);
}

std::vector<Job> all_jobs(ForwardQueue& q, std::string_view destination = {}) {
  auto jobs = q.jobs(destination);
  EXPECT_TRUE(jobs.has_value()) << jobs.error().message();
  return jobs.value_or(std::vector<Job>{});
}

TEST(ForwardQueue, CommitWithTwoDestinationsCreatesOnePendingJobEach) {
  ScratchDir dir;
  auto store = open_or_die(dir.store());
  ASSERT_TRUE(store);
  const int64_t before = wall_ms();
  uint64_t seq = commit_or_die(*store, record_to("1.1", {"PACS", "AI"}));
  const int64_t after = wall_ms();

  auto jobs = all_jobs(store->forward_queue());
  ASSERT_EQ(jobs.size(), 2u);
  EXPECT_EQ(jobs[0].destination, "AI");  // ordered by destination, then arrival
  EXPECT_EQ(jobs[1].destination, "PACS");
  for (const Job& job : jobs) {
    EXPECT_EQ(job.arrival_seq, seq);
    EXPECT_EQ(job.sop_instance_uid, "1.1");
    EXPECT_EQ(job.sop_class_uid, "1.2.840.10008.5.1.4.1.1.2");
    EXPECT_EQ(job.transfer_syntax_uid, "1.2.840.10008.1.2.1");
    EXPECT_EQ(job.study_instance_uid, "1.2.3.4");
    EXPECT_EQ(job.state, JobState::Pending);
    EXPECT_EQ(job.attempts, 0u);
    EXPECT_EQ(job.next_attempt_at_ms, 0);
    EXPECT_GE(job.enqueued_at_ms, before);
    EXPECT_LE(job.enqueued_at_ms, after);
  }
  auto found = store->find("1.1");
  ASSERT_TRUE(found.has_value() && found->has_value());
  EXPECT_EQ((*found)->destinations, (std::vector<std::string>{"PACS", "AI"}));
}

TEST(ForwardQueue, DuplicateDestinationsMakeOneJob) {
  ScratchDir dir;
  auto store = open_or_die(dir.store());
  ASSERT_TRUE(store);
  commit_or_die(*store, record_to("1.1", {"PACS", "PACS"}));
  EXPECT_EQ(all_jobs(store->forward_queue()).size(), 1u);
  EXPECT_EQ(store->find("1.1")->value().destinations, std::vector<std::string>{"PACS"});
}

TEST(ForwardQueue, InvalidDestinationNamesAreRefusedWithTheCommit) {
  ScratchDir dir;
  auto store = open_or_die(dir.store());
  ASSERT_TRUE(store);
  for (std::string bad : {std::string(), std::string("A\0B", 3), std::string(300, 'x')}) {
    auto seq = store->commit(record_to("1.1", {"PACS", bad}), make_payload(10, 1));
    ASSERT_FALSE(seq.has_value());
    EXPECT_EQ(seq.error().code, QueueErrc::write_failed);
  }
  EXPECT_TRUE(store->list()->empty());
  EXPECT_TRUE(all_jobs(store->forward_queue()).empty());
}

TEST(ForwardQueue, LeasesFollowArrivalOrderPerDestinationAndNeverTwice) {
  ScratchDir dir;
  auto store = open_or_die(dir.store());
  ASSERT_TRUE(store);
  // Descending UIDs: arrival order differs from UID order.
  std::vector<uint64_t> seqs;
  for (std::string uid : {"9.9", "5.5", "1.1"}) {
    seqs.push_back(commit_or_die(*store, record_to(uid, {"A", "B"})));
  }
  auto& q = store->forward_queue();
  const int64_t now = wall_ms();
  for (uint64_t seq : seqs) {
    auto job = q.lease_next("A", now);
    ASSERT_TRUE(job.has_value());
    EXPECT_EQ(job->arrival_seq, seq);
    EXPECT_EQ(job->state, JobState::InFlight);
  }
  EXPECT_FALSE(q.lease_next("A", now).has_value());
  auto b = q.lease_next("B", now);  // destinations are independent
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->arrival_seq, seqs[0]);
  EXPECT_EQ(b->sop_instance_uid, "9.9");
  EXPECT_FALSE(q.lease_next("unknown", now).has_value());
}

TEST(ForwardQueue, ConcurrentLeasesHandOutEveryJobExactlyOnce) {
  ScratchDir dir;
  auto store = open_or_die(dir.store());
  ASSERT_TRUE(store);
  constexpr int kJobs = 400;
  for (int i = 0; i < kJobs; ++i) {
    store->commit_async(record_to("2." + std::to_string(i), {"A"}), make_payload(10, 1),
                        [](Result<uint64_t>) {});
  }
  ASSERT_TRUE(store->commit(record_to("2.last", {"B"}), std::vector<uint8_t>{})
                  .has_value());  // drains the queue
  auto& q = store->forward_queue();
  std::mutex mu;
  std::vector<uint64_t> leased;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      while (auto job = q.lease_next("A", wall_ms())) {
        std::lock_guard lock(mu);
        leased.push_back(job->arrival_seq);
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  ASSERT_EQ(leased.size(), static_cast<std::size_t>(kJobs));
  EXPECT_EQ(std::set<uint64_t>(leased.begin(), leased.end()).size(), leased.size());
}

TEST(ForwardQueue, RetryAtCountsTheAttemptAndHidesTheJobUntilItIsDue) {
  ScratchDir dir;
  auto store = open_or_die(dir.store());
  ASSERT_TRUE(store);
  uint64_t first = commit_or_die(*store, record_to("3.1", {"A"}));
  uint64_t second = commit_or_die(*store, record_to("3.2", {"A"}));
  auto& q = store->forward_queue();
  const int64_t now = wall_ms();
  auto job = q.lease_next("A", now);
  ASSERT_TRUE(job && job->arrival_seq == first);
  ASSERT_TRUE(retry_at(q, *job, now + 60'000, "association rejected").has_value());

  // The younger job is not held up by the older one waiting for its retry time.
  auto younger = q.lease_next("A", now);
  ASSERT_TRUE(younger && younger->arrival_seq == second);
  EXPECT_FALSE(q.lease_next("A", now + 59'999).has_value());
  EXPECT_EQ(q.next_due_ms("A"), now + 60'000);

  auto again = q.lease_next("A", now + 60'000);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->arrival_seq, first);
  EXPECT_EQ(again->attempts, 1u);
  EXPECT_EQ(again->last_error, "association rejected");
  EXPECT_EQ(again->next_attempt_at_ms, now + 60'000);
  ASSERT_TRUE(retry_at(q, *again, now + 120'000, "timeout").has_value());
  auto jobs = all_jobs(q, "A");
  ASSERT_EQ(jobs.size(), 2u);
  EXPECT_EQ(jobs[0].attempts, 2u);
  EXPECT_EQ(jobs[0].last_error, "timeout");
  EXPECT_EQ(jobs[0].state, JobState::Pending);
  EXPECT_EQ(jobs[1].state, JobState::InFlight);
}

TEST(ForwardQueue, NextDueIsZeroForFreshJobsAndAbsentWithoutPendingJobs) {
  ScratchDir dir;
  auto store = open_or_die(dir.store());
  ASSERT_TRUE(store);
  auto& q = store->forward_queue();
  EXPECT_FALSE(q.next_due_ms("A").has_value());
  commit_or_die(*store, record_to("3.1", {"A"}));
  EXPECT_EQ(q.next_due_ms("A"), 0);
  auto job = q.lease_next("A", wall_ms());
  ASSERT_TRUE(job.has_value());
  EXPECT_FALSE(q.next_due_ms("A").has_value());  // in flight is not pending
  q.release(*job);
  EXPECT_EQ(q.next_due_ms("A"), 0);
}

TEST(ForwardQueue, CompletingOneDestinationKeepsTheInstanceAndTheLastRemovesIt) {
  ScratchDir dir;
  auto store = open_or_die(dir.store());
  ASSERT_TRUE(store);
  commit_or_die(*store, record_to("4.1", {"A", "B"}));
  auto& q = store->forward_queue();
  auto a = q.lease_next("A", wall_ms());
  ASSERT_TRUE(a.has_value());
  ASSERT_TRUE(complete(q, *a).has_value());
  auto found = store->find("4.1");
  ASSERT_TRUE(found.has_value() && found->has_value());
  EXPECT_EQ((*found)->destinations, std::vector<std::string>{"B"});
  EXPECT_TRUE(store->read_object("4.1")->has_value());
  ASSERT_EQ(all_jobs(q).size(), 1u);

  auto b = q.lease_next("B", wall_ms());
  ASSERT_TRUE(b.has_value());
  ASSERT_TRUE(complete(q, *b).has_value());
  EXPECT_FALSE(store->find("4.1")->has_value());
  EXPECT_FALSE(store->read_object("4.1")->has_value());
  EXPECT_TRUE(all_jobs(q).empty());
  // A second completion of the same job is a harmless no-op.
  EXPECT_TRUE(complete(q, *b).has_value());
}

TEST(ForwardQueue, InstanceWithoutDestinationsIsKeptAndHasNoJobs) {
  ScratchDir dir;
  auto store = open_or_die(dir.store());
  ASSERT_TRUE(store);
  commit_or_die(*store, record_to("4.2", {}));
  EXPECT_TRUE(all_jobs(store->forward_queue()).empty());
  EXPECT_TRUE(store->find("4.2")->has_value());
}

TEST(ForwardQueue, DeadLetteredJobStaysUntilRetryDeadMakesItPendingAgain) {
  ScratchDir dir;
  auto store = open_or_die(dir.store());
  ASSERT_TRUE(store);
  commit_or_die(*store, record_to("5.1", {"A"}));
  auto& q = store->forward_queue();
  auto job = q.lease_next("A", wall_ms());
  ASSERT_TRUE(job.has_value());
  ASSERT_TRUE(dead_letter(q, *job, "SOP class not supported (0x0122)").has_value());
  EXPECT_FALSE(q.lease_next("A", wall_ms() + 86'400'000).has_value());
  auto jobs = all_jobs(q);
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].state, JobState::Dead);
  EXPECT_EQ(jobs[0].attempts, 1u);
  EXPECT_EQ(jobs[0].last_error, "SOP class not supported (0x0122)");
  EXPECT_TRUE(store->find("5.1")->has_value());  // the instance waits for the operator

  auto retried = q.retry_dead();
  ASSERT_TRUE(retried.has_value()) << retried.error().message();
  EXPECT_EQ(*retried, 1u);
  auto again = q.lease_next("A", wall_ms());
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->attempts, 0u);
  EXPECT_EQ(again->state, JobState::InFlight);
  EXPECT_EQ(*q.retry_dead(), 0u);
}

TEST(ForwardQueue, RetryDestinationAndRetryInstancesTouchDeadAndWaitingJobsOnly) {
  ScratchDir dir;
  auto store = open_or_die(dir.store());
  ASSERT_TRUE(store);
  for (std::string uid : {"6.1", "6.2", "6.3", "6.4"}) {
    commit_or_die(*store, record_to(uid, {"A", "B"}));
  }
  auto& q = store->forward_queue();
  const int64_t now = wall_ms();
  auto j1 = q.lease_next("A", now);
  auto j2 = q.lease_next("A", now);
  auto j3 = q.lease_next("A", now);  // stays in flight
  ASSERT_TRUE(j1 && j2 && j3);
  ASSERT_TRUE(dead_letter(q, *j1, "refused").has_value());
  ASSERT_TRUE(retry_at(q, *j2, now + 3'600'000, "busy").has_value());
  // 6.4 on A is pending and due: nothing to retry.
  auto by_destination = q.retry_destination("A");
  ASSERT_TRUE(by_destination.has_value());
  EXPECT_EQ(*by_destination, 2u);
  auto jobs = all_jobs(q, "A");
  ASSERT_EQ(jobs.size(), 4u);
  EXPECT_EQ(jobs[0].state, JobState::Pending);
  EXPECT_EQ(jobs[0].attempts, 0u);
  EXPECT_EQ(jobs[1].next_attempt_at_ms, 0);
  EXPECT_EQ(jobs[2].state, JobState::InFlight);

  auto b = q.lease_next("B", now);
  ASSERT_TRUE(b.has_value());
  ASSERT_TRUE(dead_letter(q, *b, "refused").has_value());
  EXPECT_EQ(*q.retry_instances({"6.2", "no.such"}), 0u);
  EXPECT_EQ(*q.retry_instances({b->sop_instance_uid, b->sop_instance_uid}), 1u);
  EXPECT_EQ(all_jobs(q, "B")[0].state, JobState::Pending);
}

TEST(ForwardQueue, ReleaseGivesTheLeaseBackWithoutCountingAnAttempt) {
  ScratchDir dir;
  auto store = open_or_die(dir.store());
  ASSERT_TRUE(store);
  uint64_t seq = commit_or_die(*store, record_to("7.1", {"A"}));
  auto& q = store->forward_queue();
  auto job = q.lease_next("A", wall_ms());
  ASSERT_TRUE(job.has_value());
  EXPECT_FALSE(q.lease_next("A", wall_ms()).has_value());
  q.release(*job);
  q.release(*job);  // idempotent
  auto again = q.lease_next("A", wall_ms());
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->arrival_seq, seq);
  EXPECT_EQ(again->attempts, 0u);
}

TEST(ForwardQueue, AfterRestartEveryUnfinishedJobIsPendingWithItsHistory) {
  ScratchDir dir;
  const int64_t now = wall_ms();
  std::vector<Job> before;
  {
    auto store = open_or_die(dir.store());
    ASSERT_TRUE(store);
    for (std::string uid : {"8.1", "8.2", "8.3", "8.4"}) {
      commit_or_die(*store, record_to(uid, {"A"}));
    }
    auto& q = store->forward_queue();
    auto leased = q.lease_next("A", now);
    auto retried = q.lease_next("A", now);
    auto dead = q.lease_next("A", now);
    auto done = q.lease_next("A", now);
    ASSERT_TRUE(leased && retried && dead && done);
    ASSERT_TRUE(retry_at(q, *retried, now + 5'000, "timeout").has_value());
    ASSERT_TRUE(dead_letter(q, *dead, "refused").has_value());
    ASSERT_TRUE(complete(q, *done).has_value());
    before = all_jobs(q);
    ASSERT_EQ(before.size(), 3u);
    EXPECT_EQ(before[0].state, JobState::InFlight);
    store->close();
  }
  auto store = open_or_die(dir.store());
  ASSERT_TRUE(store);
  auto after = all_jobs(store->forward_queue());
  before[0].state = JobState::Pending;  // leases do not survive a restart
  EXPECT_EQ(after, before);
  EXPECT_FALSE(store->find("8.4")->has_value());
  auto job = store->forward_queue().lease_next("A", now);
  ASSERT_TRUE(job.has_value());
  EXPECT_EQ(job->sop_instance_uid, "8.1");
  EXPECT_FALSE(store->forward_queue().lease_next("A", now).has_value());
  EXPECT_TRUE(store->forward_queue().lease_next("A", now + 5'000).has_value());
}

TEST(ForwardQueue, ReplaceSupersedesUndeliveredJobsAndStaleOutcomesChangeNothing) {
  ScratchDir dir;
  auto store = open_or_die(dir.store());
  ASSERT_TRUE(store);
  uint64_t old_seq = commit_or_die(*store, record_to("9.1", {"A", "B"}));
  auto& q = store->forward_queue();
  auto old_a = q.lease_next("A", wall_ms());
  ASSERT_TRUE(old_a.has_value());
  auto new_bytes = make_payload(500, 99);
  auto new_seq = store->commit(record_to("9.1", {"B", "C"}), new_bytes);
  ASSERT_TRUE(new_seq.has_value());

  auto jobs = all_jobs(q);
  ASSERT_EQ(jobs.size(), 2u);
  EXPECT_EQ(jobs[0].destination, "B");
  EXPECT_EQ(jobs[0].arrival_seq, *new_seq);
  EXPECT_EQ(jobs[1].destination, "C");
  // The old lease's outcomes arrive late: none may touch the newer instance.
  EXPECT_TRUE(retry_at(q, *old_a, wall_ms() + 1000, "late").has_value());
  EXPECT_TRUE(dead_letter(q, *old_a, "late").has_value());
  EXPECT_TRUE(complete(q, *old_a).has_value());
  Job old_b = *old_a;
  old_b.destination = "B";
  EXPECT_TRUE(complete(q, old_b).has_value());
  EXPECT_EQ(all_jobs(q), jobs);
  auto found = store->find("9.1");
  ASSERT_TRUE(found.has_value() && found->has_value());
  EXPECT_EQ((*found)->arrival_seq, *new_seq);
  EXPECT_NE((*found)->arrival_seq, old_seq);
  EXPECT_EQ((*found)->destinations, (std::vector<std::string>{"B", "C"}));
  EXPECT_EQ(store->read_object("9.1")->value(), new_bytes);
  EXPECT_FALSE(q.lease_next("A", wall_ms()).has_value());
}

TEST(ForwardQueue, ReplaceAndCompleteQueuedInOneGroupApplyInOrder) {
  ScratchDir dir;
  auto store = open_or_die(dir.store());
  ASSERT_TRUE(store);
  commit_or_die(*store, record_to("9.2", {"A"}));
  auto& q = store->forward_queue();
  auto old_job = q.lease_next("A", wall_ms());
  ASSERT_TRUE(old_job.has_value());
  // Queued back to back, these usually share a group; either way the result must be the same.
  std::promise<Result<uint64_t>> committed;
  std::promise<Result<void>> completed;
  store->commit_async(record_to("9.2", {"A"}), make_payload(10, 2),
                      [&](Result<uint64_t> r) { committed.set_value(std::move(r)); });
  q.complete(*old_job, [&](Result<void> r) { completed.set_value(std::move(r)); });
  auto seq = committed.get_future().get();
  ASSERT_TRUE(seq.has_value());
  ASSERT_TRUE(completed.get_future().get().has_value());
  auto jobs = all_jobs(q);
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].arrival_seq, *seq);
  EXPECT_TRUE(store->read_object("9.2")->has_value());
}

TEST(ForwardQueue, ReadyListenerRunsAfterTheCommitWithTheJobsAlreadyLeasable) {
  ScratchDir dir;
  auto store = open_or_die(dir.store());
  ASSERT_TRUE(store);
  auto& q = store->forward_queue();
  std::mutex mu;
  std::vector<std::string> called;
  std::vector<uint64_t> leased;
  q.set_ready_listener([&](const std::string& destination) {
    auto job = q.lease_next(destination, wall_ms());
    std::lock_guard lock(mu);
    called.push_back(destination);
    if (job) {
      leased.push_back(job->arrival_seq);
    }
  });
  uint64_t seq = commit_or_die(*store, record_to("10.1", {"B", "A"}));
  {
    std::lock_guard lock(mu);
    EXPECT_EQ(called, (std::vector<std::string>{"A", "B"}));
    EXPECT_EQ(leased, (std::vector<uint64_t>{seq, seq}));
  }
  // Job outcomes do not announce anything; an admin retry does.
  auto job = all_jobs(q, "A").at(0);
  ASSERT_TRUE(dead_letter(q, job, "x").has_value());
  {
    std::lock_guard lock(mu);
    EXPECT_EQ(called.size(), 2u);
  }
  ASSERT_EQ(*q.retry_dead(), 1u);
  std::lock_guard lock(mu);
  EXPECT_EQ(called.size(), 3u);
  EXPECT_EQ(called.back(), "A");
}

TEST(ForwardQueue, StatsCountEachStatePerDestination) {
  ScratchDir dir;
  auto store = open_or_die(dir.store());
  ASSERT_TRUE(store);
  for (std::string uid : {"11.1", "11.2", "11.3", "11.4"}) {
    commit_or_die(*store, record_to(uid, {"A"}));
  }
  commit_or_die(*store, record_to("11.5", {"B"}));
  auto& q = store->forward_queue();
  const int64_t now = wall_ms();
  auto in_flight = q.lease_next("A", now);
  auto waiting = q.lease_next("A", now);
  auto dead = q.lease_next("A", now);
  ASSERT_TRUE(in_flight && waiting && dead);
  ASSERT_TRUE(retry_at(q, *waiting, now + 3'600'000, "busy").has_value());
  ASSERT_TRUE(dead_letter(q, *dead, "refused").has_value());
  auto stats = q.stats();
  ASSERT_TRUE(stats.has_value()) << stats.error().message();
  ASSERT_EQ(stats->size(), 2u);
  const DestinationStats& a = (*stats)[0];
  EXPECT_EQ(a.destination, "A");
  EXPECT_EQ(a.pending, 2u);  // the waiting one and 11.4
  EXPECT_EQ(a.waiting_retry, 1u);
  EXPECT_EQ(a.in_flight, 1u);
  EXPECT_EQ(a.dead, 1u);
  EXPECT_EQ(a.oldest_enqueued_at_ms, in_flight->enqueued_at_ms);
  EXPECT_EQ((*stats)[1].destination, "B");
  EXPECT_EQ((*stats)[1].pending, 1u);
}

TEST(ForwardQueue, PurgeRemovesInstancesObjectsAndJobsForGood) {
  ScratchDir dir;
  {
    auto store = open_or_die(dir.store());
    ASSERT_TRUE(store);
    commit_or_die(*store, record_to("12.1", {"A", "B"}));
    commit_or_die(*store, record_to("12.2", {"A"}));
    commit_or_die(*store, record_to("12.3", {}));
    auto& q = store->forward_queue();
    auto leased = q.lease_next("A", wall_ms());
    ASSERT_TRUE(leased.has_value());
    auto purged = q.purge();
    ASSERT_TRUE(purged.has_value()) << purged.error().message();
    EXPECT_EQ(*purged, 3u);
    EXPECT_TRUE(store->list()->empty());
    EXPECT_FALSE(store->read_object("12.3")->has_value());
    EXPECT_TRUE(all_jobs(q).empty());
    EXPECT_TRUE(q.stats()->empty());
    EXPECT_TRUE(complete(q, *leased).has_value());  // a lease from before: no-op
    // The store keeps working, and numbering keeps increasing.
    uint64_t seq = commit_or_die(*store, record_to("12.4", {"A"}));
    EXPECT_GT(seq, leased->arrival_seq);
    auto job = q.lease_next("A", wall_ms());
    ASSERT_TRUE(job.has_value());
    EXPECT_EQ(job->sop_instance_uid, "12.4");
    EXPECT_EQ(*q.purge(), 1u);
    EXPECT_EQ(*q.purge(), 0u);
  }
  auto store = open_or_die(dir.store());
  ASSERT_TRUE(store);
  EXPECT_TRUE(store->list()->empty());
  EXPECT_TRUE(all_jobs(store->forward_queue()).empty());
}

TEST(ForwardQueue, ReaderServesJobsAndStatsButRefusesChanges) {
  ScratchDir dir;
  auto primary = open_or_die(dir.store());
  ASSERT_TRUE(primary);
  commit_or_die(*primary, record_to("13.1", {"A", "B"}));
  commit_or_die(*primary, record_to("13.2", {"A"}));
  auto& pq = primary->forward_queue();
  auto leased = pq.lease_next("A", wall_ms());
  auto dead = pq.lease_next("B", wall_ms());
  ASSERT_TRUE(leased && dead);
  ASSERT_TRUE(dead_letter(pq, *dead, "refused").has_value());

  auto reader = InstanceStore::open_reader(dir.store());
  ASSERT_TRUE(reader.has_value()) << reader.error().message();
  auto& rq = (*reader)->forward_queue();
  auto expected = all_jobs(pq);
  expected[0].state = JobState::Pending;  // the reader cannot know about leases
  EXPECT_EQ(all_jobs(rq), expected);
  auto only_b = all_jobs(rq, "B");
  ASSERT_EQ(only_b.size(), 1u);
  EXPECT_EQ(only_b[0].state, JobState::Dead);
  auto stats = rq.stats();
  ASSERT_TRUE(stats.has_value());
  ASSERT_EQ(stats->size(), 2u);
  EXPECT_EQ((*stats)[0].pending, 2u);
  EXPECT_EQ((*stats)[0].in_flight, 0u);
  EXPECT_EQ((*stats)[1].dead, 1u);

  EXPECT_FALSE(rq.lease_next("A", wall_ms()).has_value());
  EXPECT_FALSE(rq.next_due_ms("A").has_value());
  auto completed = complete(rq, expected[0]);
  ASSERT_FALSE(completed.has_value());
  EXPECT_EQ(completed.error().code, QueueErrc::write_failed);
  for (auto result :
       {rq.retry_dead(), rq.retry_destination("A"), rq.retry_instances({"13.1"}), rq.purge()}) {
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().code, QueueErrc::write_failed);
  }
  EXPECT_EQ(all_jobs(pq).size(), 3u);
}

TEST(ForwardQueue, OutcomesAndAdminAfterCloseFailWithShuttingDown) {
  ScratchDir dir;
  auto store = open_or_die(dir.store());
  ASSERT_TRUE(store);
  commit_or_die(*store, record_to("14.1", {"A"}));
  auto job = store->forward_queue().lease_next("A", wall_ms());
  ASSERT_TRUE(job.has_value());
  store->close();
  auto completed = complete(store->forward_queue(), *job);
  ASSERT_FALSE(completed.has_value());
  EXPECT_EQ(completed.error().code, QueueErrc::shutting_down);
  auto retried = store->forward_queue().retry_dead();
  ASSERT_FALSE(retried.has_value());
  EXPECT_EQ(retried.error().code, QueueErrc::shutting_down);
}

TEST(ForwardQueue, JobUpdatesAloneDoNotCountAsCommitGroups) {
  ScratchDir dir;
  auto store = open_or_die(dir.store());
  ASSERT_TRUE(store);
  commit_or_die(*store, record_to("15.1", {"A"}));
  auto job = store->forward_queue().lease_next("A", wall_ms());
  ASSERT_TRUE(job.has_value());
  ASSERT_TRUE(retry_at(store->forward_queue(), *job, 1, "x").has_value());
  EXPECT_EQ(store->stats().groups, 1u);
  EXPECT_EQ(store->stats().instances, 1u);
}

}  // namespace
}  // namespace acc::queue
