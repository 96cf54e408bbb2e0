// Measurement, not a test: does a queue that has delivered a million jobs still open and scan
// quickly, given that every delivery left tombstones in meta, object and jobs? Run with
//   acc_queue_test --gtest_also_run_disabled_tests --gtest_filter='ForwardQueueScale.*'
// ACC_QUEUE_SCALE_JOBS (default 1000000) sets the number of deliveries; ACC_QUEUE_BENCH_DIR the
// disk.
#include <gtest/gtest.h>
#include <rocksdb/db.h>
#include <rocksdb/perf_context.h>
#include <rocksdb/perf_level.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "queue/rocksdb_instance_store.hpp"
#include "store_test_support.hpp"

namespace acc::queue {
namespace {

using testing::make_payload;
using testing::record_to;
using testing::ScratchDir;
using testing::wall_ms;

using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

struct Counter {
  std::mutex mu;
  std::condition_variable cv;
  uint64_t done = 0;
  bool failed = false;
  void add(bool ok) {
    std::lock_guard lock(mu);
    ++done;
    failed = failed || !ok;
    cv.notify_all();
  }
  void wait_for(uint64_t n) {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return done >= n; });
  }
};

// What the open-time scan meets: live jobs, and tombstones it had to step over.
void raw_scan(const std::filesystem::path& path) {
  rocksdb::DBOptions options;
  std::vector<rocksdb::ColumnFamilyDescriptor> cfs;
  for (const char* name : {"default", "meta", "object", "seq", "jobs"}) {
    cfs.emplace_back(name, rocksdb::ColumnFamilyOptions());
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  auto s = rocksdb::DB::OpenForReadOnly(options, path.string(), cfs, &handles, &raw);
  ASSERT_TRUE(s.ok()) << s.ToString();
  std::unique_ptr<rocksdb::DB> db(raw);
  for (std::size_t cf : {1u, 2u, 4u}) {
    rocksdb::SetPerfLevel(rocksdb::PerfLevel::kEnableCount);
    rocksdb::get_perf_context()->Reset();
    auto start = Clock::now();
    std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), handles[cf]));
    uint64_t live = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      ++live;
    }
    double took = ms_since(start);
    std::string files;
    for (int level = 0; level < 7; ++level) {
      std::string n;
      db->GetProperty(handles[cf], "rocksdb.num-files-at-level" + std::to_string(level), &n);
      files += (level > 0 ? "/" : "") + n;
    }
    std::string deletes_mem;
    db->GetProperty(handles[cf], "rocksdb.num-deletes-active-mem-table", &deletes_mem);
    std::printf(
        "[ info     ]   %-6s scan %8.1f ms, %7llu live, %8llu tombstones skipped, "
        "files per level %s, deletes in memtable %s\n",
        cfs[cf].name.c_str(), took, static_cast<unsigned long long>(live),
        static_cast<unsigned long long>(rocksdb::get_perf_context()->internal_delete_skipped_count),
        files.c_str(), deletes_mem.c_str());
    rocksdb::SetPerfLevel(rocksdb::PerfLevel::kDisable);
  }
  std::vector<rocksdb::LiveFileMetaData> files;
  db->GetLiveFilesMetaData(&files);
  for (const auto& f : files) {
    if (f.column_family_name == "jobs") {
      std::printf("[ info     ]     jobs file %s L%d entries %llu deletions %llu size %llu\n",
                  f.name.c_str(), f.level, static_cast<unsigned long long>(f.num_entries),
                  static_cast<unsigned long long>(f.num_deletions),
                  static_cast<unsigned long long>(f.size));
    }
  }
  for (auto* h : handles) {
    db->DestroyColumnFamilyHandle(h);
  }
}

void run(bool compact_on_deletion) {
  const char* jobs_env = ::getenv("ACC_QUEUE_SCALE_JOBS");
  const uint64_t total = jobs_env != nullptr ? std::stoull(jobs_env) : 1'000'000;
  constexpr uint64_t kWindow = 20'000;  // commits in flight before the consumer catches up
  constexpr uint64_t kLeftPending = 1'000;
  ScratchDir dir;
  StoreOptions options;
  options.path = dir.store();
  if (const char* base = ::getenv("ACC_QUEUE_BENCH_DIR")) {
    options.path = std::filesystem::path(base) / ("scale-" + std::to_string(::getpid()));
  }
  options.sync = false;  // the subject is tombstones, not fsync
  StoreTuning tuning;
  tuning.compact_on_deletion = compact_on_deletion;
  const auto payload = make_payload(16, 1);
  auto start = Clock::now();
  {
    auto store = open_rocksdb_store(options, tuning);
    ASSERT_TRUE(store.has_value()) << store.error().message();
    auto& q = (*store)->forward_queue();
    Counter committed;
    Counter completed;
    uint64_t next = 0;
    while (next < total) {
      const uint64_t end = std::min(total, next + kWindow);
      for (; next < end; ++next) {
        (*store)->commit_async(record_to("2.25." + std::to_string(next), {"PACS"}), payload,
                               [&committed](Result<uint64_t> r) { committed.add(r.has_value()); });
      }
      committed.wait_for(next);
      uint64_t leased = completed.done;
      while (auto job = q.lease_next("PACS", wall_ms())) {
        q.complete(*job, [&completed](Result<void> r) { completed.add(r.has_value()); });
        ++leased;
      }
      completed.wait_for(leased);
    }
    ASSERT_FALSE(committed.failed || completed.failed);
    for (uint64_t i = 0; i < kLeftPending; ++i) {
      ASSERT_TRUE((*store)->commit(record_to("2.26." + std::to_string(i), {"PACS"}), payload));
    }
    std::printf("[ info     ] compact_on_deletion=%d: %llu enqueued+completed in %.1f s\n",
                compact_on_deletion ? 1 : 0, static_cast<unsigned long long>(total),
                ms_since(start) / 1000);
  }
  start = Clock::now();
  auto store = open_rocksdb_store(options, tuning);
  ASSERT_TRUE(store.has_value());
  const double open_ms = ms_since(start);
  start = Clock::now();
  auto jobs = (*store)->forward_queue().jobs("");
  const double memory_ms = ms_since(start);
  ASSERT_TRUE(jobs.has_value());
  EXPECT_EQ(jobs->size(), kLeftPending);
  start = Clock::now();
  auto reader = InstanceStore::open_reader(options.path);
  ASSERT_TRUE(reader.has_value()) << reader.error().message();
  const double reader_open_ms = ms_since(start);
  start = Clock::now();
  auto scanned = (*reader)->forward_queue().jobs("");
  const double reader_jobs_ms = ms_since(start);
  ASSERT_TRUE(scanned.has_value());
  EXPECT_EQ(scanned->size(), kLeftPending);
  std::printf(
      "[ info     ]   open() %.1f ms (incl. jobs scan), primary jobs() %.2f ms, "
      "reader open %.1f ms, reader jobs() scan %.1f ms\n",
      open_ms, memory_ms, reader_open_ms, reader_jobs_ms);
  reader->reset();
  store->reset();
  raw_scan(options.path);
  {
    // Background compactions get a few seconds with the store idle.
    auto idle = open_rocksdb_store(options, tuning);
    ASSERT_TRUE(idle.has_value());
    std::this_thread::sleep_for(std::chrono::seconds(3));
  }
  std::printf("[ info     ]   after 3 s idle:\n");
  raw_scan(options.path);
  if (::getenv("ACC_QUEUE_BENCH_DIR") != nullptr) {
    std::filesystem::remove_all(options.path);
  }
}

TEST(ForwardQueueScale, DISABLED_MillionDeliveriesWithDeletionTriggeredCompaction) {
  run(true);
}
TEST(ForwardQueueScale, DISABLED_MillionDeliveriesWithoutDeletionTriggeredCompaction) {
  run(false);
}

}  // namespace
}  // namespace acc::queue
