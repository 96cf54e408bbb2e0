// RocksDB WAL recovery of the instance store (issue 11, item 7): a torn tail (the record being
// written when the process died) is tolerated, the acknowledged records before it survive; damage
// in the middle of the log is refused loudly at open, never "recovered" by silently dropping the
// synced records after it (RocksDB's default point-in-time recovery would do that).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "queue/rocksdb_instance_store.hpp"
#include "store_test_support.hpp"

namespace acc::queue {
namespace {

using testing::make_payload;
using testing::make_record;
using testing::ScratchDir;

namespace fs = std::filesystem;

// Commits `count` instances, synced, and closes the store: their records are in the WAL. The
// object bytes go to segment files, so each record carries a decision of `size` bytes to make
// its WAL entry large enough to cut in half.
void fill(const fs::path& path, int count, std::size_t size) {
  auto store = open_rocksdb_store({path, true}, StoreTuning{});
  ASSERT_TRUE(store) << store.error().message();
  for (int i = 0; i < count; ++i) {
    InstanceRecord record = make_record("7." + std::to_string(i));
    record.decision_json = std::string(size, static_cast<char>('a' + i));
    auto seq = (*store)->commit(std::move(record), make_payload(1000, i));
    ASSERT_TRUE(seq) << seq.error().message();
  }
}

fs::path the_wal(const fs::path& path) {
  fs::path newest;
  for (const auto& e : fs::directory_iterator(path)) {
    if (e.path().extension() == ".log" && (newest.empty() || e.path() > newest)) {
      newest = e.path();
    }
  }
  return newest;
}

TEST(WalRecovery, ATornTailIsCutAndTheRecordsBeforeItSurvive) {
  ScratchDir dir;
  fill(dir.store(), 3, 100'000);
  const auto wal = the_wal(dir.store());
  ASSERT_FALSE(wal.empty());
  const auto size = fs::file_size(wal);
  fs::resize_file(wal, size - 50'000);  // the last record, half written
  auto store = open_rocksdb_store({dir.store(), true}, StoreTuning{});
  ASSERT_TRUE(store) << store.error().message();
  for (int i = 0; i < 2; ++i) {
    auto found = (*store)->find("7." + std::to_string(i));
    ASSERT_TRUE(found && *found) << i;
  }
}

TEST(WalRecovery, DamageInTheMiddleOfTheLogRefusesToOpen) {
  ScratchDir dir;
  fill(dir.store(), 3, 100'000);
  const auto wal = the_wal(dir.store());
  ASSERT_FALSE(wal.empty());
  {
    std::fstream f(wal, std::ios::binary | std::ios::in | std::ios::out);
    f.seekg(20'000);  // inside the first instance's record
    const char c = static_cast<char>(f.get());
    f.seekp(20'000);
    f.put(static_cast<char>(c ^ 0x40));
  }
  auto store = open_rocksdb_store({dir.store(), true}, StoreTuning{});
  ASSERT_FALSE(store) << "opened, dropping the synced records after the damage";
  EXPECT_EQ(store.error().code, QueueErrc::open_failed);
  EXPECT_NE(store.error().detail.find("Corruption"), std::string::npos) << store.error().detail;
}

}  // namespace
}  // namespace acc::queue
