// Group commit: several queued commits share one WriteBatch and one WAL sync.
#include <gtest/gtest.h>

#include <future>
#include <latch>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "queue/instance_store.hpp"
#include "store_test_support.hpp"

namespace acc::queue {
namespace {

using testing::make_payload;
using testing::make_record;
using testing::options_for;
using testing::ScratchDir;

// Callbacks run on the commit thread, so a callback that blocks holds the commit thread still
// while the test queues more work: the next group then contains exactly what was queued.
class CommitThreadGate {
 public:
  InstanceStore::CommitCallback blocking_callback() {
    return [this](Result<uint64_t> r) {
      ok_ = r.has_value();
      entered_.count_down();
      release_.wait();
    };
  }
  void wait_until_held() { entered_.wait(); }
  void release() { release_.count_down(); }
  bool first_ok() const { return ok_; }

 private:
  std::latch entered_{1};
  std::latch release_{1};
  bool ok_ = false;
};

struct Collected {
  std::mutex mu;
  std::vector<Result<uint64_t>> results;
  std::latch done;
  explicit Collected(std::size_t n)
      : results(n, Result<uint64_t>(fail(QueueErrc::ok))), done(static_cast<std::ptrdiff_t>(n)) {}
  InstanceStore::CommitCallback callback(std::size_t index) {
    return [this, index](Result<uint64_t> r) {
      {
        std::lock_guard lock(mu);
        results[index] = std::move(r);
      }
      done.count_down();
    };
  }
};

TEST(GroupCommit, EverythingQueuedWhileTheCommitThreadIsBusyGoesInOneGroup) {
  ScratchDir dir;
  auto store = InstanceStore::open(options_for(dir.store()));
  ASSERT_TRUE(store.has_value());
  CommitThreadGate gate;
  (*store)->commit_async(make_record("1.0"), make_payload(100, 0), gate.blocking_callback());
  gate.wait_until_held();

  constexpr std::size_t kQueued = 10;
  Collected collected(kQueued);
  for (std::size_t i = 0; i < kQueued; ++i) {
    (*store)->commit_async(make_record("1." + std::to_string(i + 1)), make_payload(1000, i),
                           collected.callback(i));
  }
  gate.release();
  collected.done.wait();

  EXPECT_TRUE(gate.first_ok());
  for (std::size_t i = 0; i < kQueued; ++i) {
    ASSERT_TRUE(collected.results[i].has_value()) << collected.results[i].error().message();
    // Queue order is arrival order, and one group hands out consecutive numbers.
    EXPECT_EQ(*collected.results[i], *collected.results[0] + i);
  }
  auto stats = (*store)->stats();
  EXPECT_EQ(stats.instances, kQueued + 1);
  EXPECT_EQ(stats.groups, 2u);
  EXPECT_EQ(stats.bytes, 100u + kQueued * 1000u);
}

TEST(GroupCommit, MaxGroupBytesSplitsGroupsButAnOversizedCommitStillGoesAlone) {
  ScratchDir dir;
  StoreOptions options = options_for(dir.store());
  options.max_group_bytes = 1300;
  auto store = InstanceStore::open(options);
  ASSERT_TRUE(store.has_value());
  CommitThreadGate gate;
  (*store)->commit_async(make_record("2.0"), make_payload(10, 0), gate.blocking_callback());
  gate.wait_until_held();

  // 600 + 600 fits in 1300, a third does not: groups {600,600} {600,600} {5000}.
  std::vector<std::size_t> sizes = {600, 600, 600, 600, 5000};
  Collected collected(sizes.size());
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    (*store)->commit_async(make_record("2." + std::to_string(i + 1)), make_payload(sizes[i], i),
                           collected.callback(i));
  }
  gate.release();
  collected.done.wait();
  for (auto& r : collected.results) {
    ASSERT_TRUE(r.has_value()) << r.error().message();
  }
  EXPECT_EQ((*store)->stats().groups, 1u + 3u);
  EXPECT_EQ((*store)->stats().instances, 1u + sizes.size());
}

TEST(GroupCommit, CloseCompletesEverythingAlreadyQueued) {
  ScratchDir dir;
  auto store = InstanceStore::open(options_for(dir.store()));
  ASSERT_TRUE(store.has_value());
  CommitThreadGate gate;
  (*store)->commit_async(make_record("3.0"), make_payload(10, 0), gate.blocking_callback());
  gate.wait_until_held();
  constexpr std::size_t kQueued = 20;
  Collected collected(kQueued);
  for (std::size_t i = 0; i < kQueued; ++i) {
    (*store)->commit_async(make_record("3." + std::to_string(i + 1)), make_payload(100, i),
                           collected.callback(i));
  }
  std::thread closer([&] { (*store)->close(); });
  gate.release();
  closer.join();
  // close() returned, so every callback has run.
  EXPECT_TRUE(collected.done.try_wait());
  for (auto& r : collected.results) {
    EXPECT_TRUE(r.has_value());
  }
  auto all = (*store)->list();
  ASSERT_TRUE(all.has_value());
  EXPECT_EQ(all->size(), kQueued + 1);
}

TEST(GroupCommit, EightThreadsOfFiftySyncedCommitsAllSucceedAndShareSyncs) {
  ScratchDir dir;
  auto store = InstanceStore::open(options_for(dir.store()));
  ASSERT_TRUE(store.has_value());
  constexpr int kThreads = 8;
  constexpr int kPerThread = 50;
  constexpr std::size_t kSize = 512u << 10;
  auto payload = make_payload(kSize, 7);
  std::vector<std::vector<uint64_t>> seqs(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        auto uid = "4." + std::to_string(t) + "." + std::to_string(i);
        auto seq = (*store)->commit(make_record(uid), payload);
        if (!seq) {
          ADD_FAILURE() << seq.error().message();
          return;
        }
        seqs[static_cast<std::size_t>(t)].push_back(*seq);
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  std::set<uint64_t> unique;
  for (const auto& per_thread : seqs) {
    ASSERT_EQ(per_thread.size(), static_cast<std::size_t>(kPerThread));
    // A thread waits for each commit, so its own numbers increase.
    EXPECT_TRUE(std::is_sorted(per_thread.begin(), per_thread.end()));
    unique.insert(per_thread.begin(), per_thread.end());
  }
  EXPECT_EQ(unique.size(), static_cast<std::size_t>(kThreads * kPerThread));
  auto stats = (*store)->stats();
  EXPECT_EQ(stats.instances, static_cast<uint64_t>(kThreads * kPerThread));
  EXPECT_EQ(stats.bytes, static_cast<uint64_t>(kThreads * kPerThread) * kSize);
  std::printf("[ info     ] %llu instances in %llu groups (%.2f per sync)\n",
              static_cast<unsigned long long>(stats.instances),
              static_cast<unsigned long long>(stats.groups),
              static_cast<double>(stats.instances) / static_cast<double>(stats.groups));
  // While one 512 KiB sync runs the other seven writers queue up; 400 syncs for 400 commits
  // would mean grouping never happened.
  EXPECT_LT(stats.groups, stats.instances);
  auto all = (*store)->list();
  ASSERT_TRUE(all.has_value());
  EXPECT_EQ(all->size(), static_cast<std::size_t>(kThreads * kPerThread));
}

}  // namespace
}  // namespace acc::queue
