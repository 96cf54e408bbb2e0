// Measurement, not a test (issue 11): process CPU and wall time per durable 512 KiB instance,
// one writer, one sync per instance, for the RocksDB store's commit (objects in the WAL and
// memtables, today's path) and for segment_log (append + fdatasync), in alternating rounds so
// the shared disk's mood hits both. Run with
//   acc_queue_test --gtest_also_run_disabled_tests --gtest_filter='SegmentRate.*'
// ACC_QUEUE_BENCH_COUNT (default 500) instances per round; ACC_QUEUE_BENCH_DIR the disk.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "queue/rocksdb_instance_store.hpp"
#include "queue/segment_log.hpp"
#include "store_test_support.hpp"

namespace acc::queue {
namespace {

using testing::make_payload;
using testing::make_record;
using testing::ScratchDir;

double process_cpu_seconds() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

struct Round {
  double seconds = 0;
  double cpu = 0;
};

std::filesystem::path bench_dir(const ScratchDir& scratch, const char* name) {
  if (const char* base = std::getenv("ACC_QUEUE_BENCH_DIR")) {
    return std::filesystem::path(base) / (std::string(name) + "-" + std::to_string(::getpid()));
  }
  return scratch.path() / name;
}

// Includes closing the store: the memtable flush that writes every byte a second time.
Round rocksdb_round(int count, const std::vector<uint8_t>& payload) {
  ScratchDir scratch;
  StoreOptions options;
  options.path = bench_dir(scratch, "rocksdb");
  auto store = open_rocksdb_store(options, StoreTuning{});
  EXPECT_TRUE(store.has_value()) << store.error().message();
  const double cpu0 = process_cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < count; ++i) {
    auto seq = (*store)->commit(make_record("9." + std::to_string(i)), payload);
    EXPECT_TRUE(seq) << seq.error().message();
  }
  store->reset();
  Round r{std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(),
          process_cpu_seconds() - cpu0};
  std::filesystem::remove_all(options.path);
  return r;
}

Round segment_round(int count, const std::vector<uint8_t>& payload) {
  ScratchDir scratch;
  const auto dir = bench_dir(scratch, "segments");
  std::filesystem::create_directories(dir);
  auto w = SegmentWriter::open(dir, 1);
  EXPECT_TRUE(w) << w.error().message();
  const double cpu0 = process_cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  constexpr std::size_t kPdu = 16 * 1024;  // appended as P-DATA fragments arrive
  for (int i = 0; i < count; ++i) {
    EXPECT_TRUE(w->begin());
    for (std::size_t at = 0; at < payload.size(); at += kPdu) {
      EXPECT_TRUE(w->append({payload.data() + at, std::min(kPdu, payload.size() - at)}));
    }
    EXPECT_TRUE(w->finish());
    EXPECT_TRUE(w->sync());
  }
  Round r{std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(),
          process_cpu_seconds() - cpu0};
  std::filesystem::remove_all(dir);
  return r;
}

TEST(SegmentRate, DISABLED_CpuPerDurableInstance512KiB) {
  const char* count_env = std::getenv("ACC_QUEUE_BENCH_COUNT");
  const int count = count_env != nullptr ? std::atoi(count_env) : 500;
  const auto payload = make_payload(512u << 10, 7);
  std::printf("| round | path | inst/s | CPU ms per instance |\n|---|---|---:|---:|\n");
  for (int round = 1; round <= 3; ++round) {
    for (const bool segments : {false, true}) {
      const Round r = segments ? segment_round(count, payload) : rocksdb_round(count, payload);
      std::printf("| %d | %s | %.0f | %.3f |\n", round, segments ? "segment_log" : "RocksDB store",
                  count / r.seconds, 1000.0 * r.cpu / count);
    }
  }
}

}  // namespace
}  // namespace acc::queue
