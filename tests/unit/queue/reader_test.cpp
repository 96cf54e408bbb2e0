// The CLI's reader: a RocksDB secondary instance beside a running primary.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "queue/instance_store.hpp"
#include "store_test_support.hpp"

namespace acc::queue {
namespace {

using testing::make_payload;
using testing::make_record;
using testing::options_for;
using testing::ScratchDir;

std::size_t count_files_with_extension(const std::filesystem::path& dir, const char* ext) {
  std::size_t n = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ext) {
      ++n;
    }
  }
  return n;
}

TEST(StoreReader, SeesCommitsOfARunningPrimaryThatExistOnlyInTheWal) {
  ScratchDir dir;
  auto primary = InstanceStore::open(options_for(dir.store()));
  ASSERT_TRUE(primary.has_value());
  std::vector<std::vector<uint8_t>> payloads;
  for (int i = 0; i < 3; ++i) {
    payloads.push_back(make_payload(200'000, static_cast<uint64_t>(i)));
    ASSERT_TRUE((*primary)->commit(make_record("5." + std::to_string(i)), payloads.back()));
  }
  // Nothing flushed yet: the commits are only in the synced WAL and the primary's memtable.
  ASSERT_EQ(count_files_with_extension(dir.store(), ".sst"), 0u);
  ASSERT_GE(count_files_with_extension(dir.store(), ".log"), 1u);

  auto reader = InstanceStore::open_reader(dir.store());
  ASSERT_TRUE(reader.has_value()) << reader.error().message();
  auto all = (*reader)->list();
  ASSERT_TRUE(all.has_value()) << all.error().message();
  ASSERT_EQ(all->size(), 3u);
  for (int i = 0; i < 3; ++i) {
    auto uid = "5." + std::to_string(i);
    EXPECT_EQ((*all)[static_cast<std::size_t>(i)].sop_instance_uid, uid);
    auto bytes = (*reader)->read_object(uid);
    ASSERT_TRUE(bytes.has_value() && bytes->has_value());
    EXPECT_EQ(**bytes, payloads[static_cast<std::size_t>(i)]);
  }
  // The primary is untouched by the reader and keeps committing.
  EXPECT_TRUE((*primary)->commit(make_record("5.9"), make_payload(10, 9)).has_value());
}

TEST(StoreReader, SeesRecordsFlushedToSstFilesAndTheWalTailTogether) {
  ScratchDir dir;
  StoreOptions options = options_for(dir.store());
  options.sync = false;  // durability is not what this test is about
  constexpr int kCount = 40;
  auto uid = [](int i) { return "5.1." + std::to_string(i); };
  auto payload = [](int i) { return make_payload(256u << 10, static_cast<uint64_t>(i)); };
  {
    auto primary = InstanceStore::open(options);
    ASSERT_TRUE(primary.has_value());
    for (int i = 0; i < kCount / 2; ++i) {
      ASSERT_TRUE((*primary)->commit(make_record(uid(i)), payload(i)));
    }
  }
  // Reopening replays the WAL and flushes it: the first half's records are in SST files.
  auto primary = InstanceStore::open(options);
  ASSERT_TRUE(primary.has_value());
  ASSERT_GE(count_files_with_extension(dir.store(), ".sst"), 1u);
  for (int i = kCount / 2; i < kCount; ++i) {
    ASSERT_TRUE((*primary)->commit(make_record(uid(i)), payload(i)));
  }

  auto reader = InstanceStore::open_reader(dir.store());
  ASSERT_TRUE(reader.has_value()) << reader.error().message();
  auto all = (*reader)->list();
  ASSERT_TRUE(all.has_value());
  EXPECT_EQ(all->size(), static_cast<std::size_t>(kCount));
  // The objects themselves are read from the segment files the primary is writing.
  for (int i : {0, 1, kCount / 2, kCount - 1}) {
    auto bytes = (*reader)->read_object(uid(i));
    ASSERT_TRUE(bytes.has_value()) << bytes.error().message();
    ASSERT_TRUE(bytes->has_value());
    EXPECT_TRUE(**bytes == payload(i)) << i;
  }
}

TEST(StoreReader, RefusesAStoreWithBlobFilesInsteadOfCrashing) {
  ScratchDir dir;
  {
    auto primary = InstanceStore::open(options_for(dir.store()));
    ASSERT_TRUE(primary.has_value());
  }
  std::ofstream(dir.store() / "000099.blob") << "blob";
  auto reader = InstanceStore::open_reader(dir.store());
  ASSERT_FALSE(reader.has_value());
  EXPECT_EQ(reader.error().code, QueueErrc::open_failed);
  EXPECT_NE(reader.error().detail.find("BlobDB"), std::string::npos);
}

TEST(StoreReader, RefusesCommitsImmediatelyAndFailsTheProbe) {
  ScratchDir dir;
  {
    auto primary = InstanceStore::open(options_for(dir.store()));
    ASSERT_TRUE(primary.has_value());
  }
  auto reader = InstanceStore::open_reader(dir.store());
  ASSERT_TRUE(reader.has_value()) << reader.error().message();
  bool called = false;
  (*reader)->commit_async(make_record("6.1"), make_payload(10, 1), [&](Result<uint64_t> r) {
    called = true;
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, QueueErrc::write_failed);
  });
  EXPECT_TRUE(called);  // synchronously, before commit_async returned
  EXPECT_FALSE((*reader)->probe_writable().has_value());
  auto blocking = (*reader)->commit(make_record("6.2"), std::vector<uint8_t>{});
  EXPECT_FALSE(blocking.has_value());
}

TEST(StoreReader, ReadsAStoreWhoseServerHasStopped) {
  ScratchDir dir;
  {
    auto primary = InstanceStore::open(options_for(dir.store()));
    ASSERT_TRUE(primary.has_value());
    ASSERT_TRUE((*primary)->commit(make_record("7.1"), make_payload(10, 1)).has_value());
  }
  auto reader = InstanceStore::open_reader(dir.store());
  ASSERT_TRUE(reader.has_value()) << reader.error().message();
  auto found = (*reader)->find("7.1");
  ASSERT_TRUE(found.has_value() && found->has_value());
  EXPECT_EQ((*found)->size_bytes, 10u);
}

TEST(StoreReader, MissingStoreFailsWithOpenFailedAndCreatesNothing) {
  ScratchDir dir;
  auto reader = InstanceStore::open_reader(dir.path() / "absent");
  ASSERT_FALSE(reader.has_value());
  EXPECT_EQ(reader.error().code, QueueErrc::open_failed);
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "absent"));
}

TEST(StoreReader, RemovesItsSecondaryDirectoryWhenDestroyed) {
  ScratchDir dir;
  ScratchDir tmp;
  {
    auto primary = InstanceStore::open(options_for(dir.store()));
    ASSERT_TRUE(primary.has_value());
  }
  const char* old_tmpdir = ::getenv("TMPDIR");
  std::string saved = old_tmpdir != nullptr ? old_tmpdir : "";
  ::setenv("TMPDIR", tmp.path().c_str(), 1);
  {
    auto reader = InstanceStore::open_reader(dir.store());
    ASSERT_TRUE(reader.has_value()) << reader.error().message();
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(tmp.path()), {}), 1);
  }
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(tmp.path()), {}), 0);
  if (old_tmpdir != nullptr) {
    ::setenv("TMPDIR", saved.c_str(), 1);
  } else {
    ::unsetenv("TMPDIR");
  }
}

}  // namespace
}  // namespace acc::queue
