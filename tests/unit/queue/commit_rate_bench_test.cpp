// Throughput measurement, not a test: run with
//   acc_queue_test --gtest_also_run_disabled_tests --gtest_filter='CommitRate.*'
// ACC_QUEUE_BENCH_SECONDS (default 4) sets the length of each run; ACC_QUEUE_BENCH_DIR the disk.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "queue/rocksdb_instance_store.hpp"
#include "store_test_support.hpp"

namespace acc::queue {
namespace {

using testing::make_payload;
using testing::make_record;
using testing::ScratchDir;

// Bytes this process caused to be written to the block layer (WAL, flushes, compactions).
uint64_t process_write_bytes() {
  std::ifstream io("/proc/self/io");
  std::string key;
  uint64_t value = 0;
  while (io >> key >> value) {
    if (key == "write_bytes:") {
      return value;
    }
  }
  return 0;
}

void run(bool blob_files, int writers, std::size_t size, bool blob_gc = false) {
  const char* seconds_env = ::getenv("ACC_QUEUE_BENCH_SECONDS");
  const double seconds = seconds_env != nullptr ? std::stod(seconds_env) : 4.0;
  ScratchDir dir;
  StoreOptions options;
  options.path = dir.store();
  if (const char* base = ::getenv("ACC_QUEUE_BENCH_DIR")) {
    options.path = std::filesystem::path(base) / ("bench-" + std::to_string(::getpid()));
  }
  StoreTuning tuning;
  tuning.blob_files = blob_files;
  tuning.blob_garbage_collection = blob_gc;
  auto store = open_rocksdb_store(options, tuning);
  ASSERT_TRUE(store.has_value()) << store.error().message();
  auto payload = make_payload(size, 1);
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> next{0};
  std::vector<std::thread> threads;
  const uint64_t written_before = process_write_bytes();
  auto start = std::chrono::steady_clock::now();
  for (int w = 0; w < writers; ++w) {
    threads.emplace_back([&] {
      while (!stop.load()) {
        auto seq = (*store)->commit(make_record("9." + std::to_string(next.fetch_add(1))), payload);
        if (!seq) {
          ADD_FAILURE() << seq.error().message();
          return;
        }
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& t : threads) {
    t.join();
  }
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  auto stats = (*store)->stats();
  // Closing waits for running flushes and compactions, so their writes are counted.
  store->reset();
  const double disk_bytes = static_cast<double>(process_write_bytes() - written_before);
  std::printf(
      "| %4zu KiB | %d | %-9s | %5.0f inst/s | %6.1f MB/s | %5.2f inst/sync | %4.2f disk/payload "
      "|\n",
      size >> 10, writers,
      !blob_files ? "plain"
      : blob_gc   ? "blob"
                  : "blob-nogc",
      static_cast<double>(stats.instances) / elapsed,
      static_cast<double>(stats.bytes) / elapsed / 1e6,
      static_cast<double>(stats.instances) / static_cast<double>(stats.groups),
      disk_bytes / static_cast<double>(stats.bytes));
  if (::getenv("ACC_QUEUE_BENCH_DIR") != nullptr) {
    std::filesystem::remove_all(options.path);
  }
}

TEST(CommitRate, DISABLED_SyncCommits512KiB) {
  for (bool blob : {false, true}) {
    for (int writers : {1, 8}) {
      run(blob, writers, 512u << 10);
    }
  }
}

TEST(CommitRate, DISABLED_BlobGarbageCollectionCost) {
  for (bool gc : {true, false}) {
    run(true, 8, 512u << 10, gc);
  }
}

}  // namespace
}  // namespace acc::queue
