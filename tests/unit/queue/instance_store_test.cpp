// Durability and semantics of the primary store: reopen, replace, ordering, errors.
#include "queue/instance_store.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <string>

#include "store_test_support.hpp"

namespace acc::queue {
namespace {

using testing::make_payload;
using testing::make_record;
using testing::open_or_die;
using testing::options_for;
using testing::ScratchDir;

TEST(InstanceStore, CommittedInstancesSurviveCloseAndReopen) {
  ScratchDir dir;
  auto payload = make_payload(300'000, 1);
  {
    auto store = open_or_die(dir.store());
    ASSERT_TRUE(store);
    auto seq = store->commit(make_record("1.2.3.1"), payload);
    ASSERT_TRUE(seq.has_value()) << seq.error().message();
    store->close();
  }
  auto store = open_or_die(dir.store());
  ASSERT_TRUE(store);
  auto found = store->find("1.2.3.1");
  ASSERT_TRUE(found.has_value()) << found.error().message();
  ASSERT_TRUE(found->has_value());
  InstanceRecord expected = make_record("1.2.3.1");
  expected.arrival_seq = (*found)->arrival_seq;
  expected.size_bytes = payload.size();
  // The bytes are in a segment file, not in RocksDB (issue 11): the record says where.
  ASSERT_TRUE((*found)->object.has_value());
  EXPECT_EQ((*found)->object->length, payload.size());
  expected.object = (*found)->object;
  EXPECT_EQ(**found, expected);
  auto bytes = store->read_object("1.2.3.1");
  ASSERT_TRUE(bytes.has_value());
  ASSERT_TRUE(bytes->has_value());
  EXPECT_EQ(**bytes, payload);
}

TEST(InstanceStore, SameSopInstanceUidReplacesMetaAndObjectWithANewArrivalSeq) {
  ScratchDir dir;
  auto store = open_or_die(dir.store());
  ASSERT_TRUE(store);
  auto first = store->commit(make_record("1.2.3.9"), make_payload(1000, 1));
  ASSERT_TRUE(first.has_value());
  InstanceRecord second_record = make_record("1.2.3.9");
  second_record.patient_id = "PID-2";
  auto second_payload = make_payload(2000, 2);
  auto second = store->commit(second_record, second_payload);
  ASSERT_TRUE(second.has_value());
  EXPECT_GT(*second, *first);

  auto all = store->list();
  ASSERT_TRUE(all.has_value());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ(all->front().patient_id, "PID-2");
  EXPECT_EQ(all->front().arrival_seq, *second);
  EXPECT_EQ(all->front().size_bytes, 2000u);
  auto bytes = store->read_object("1.2.3.9");
  ASSERT_TRUE(bytes.has_value() && bytes->has_value());
  EXPECT_EQ(**bytes, second_payload);
}

TEST(InstanceStore, ArrivalSeqIncreasesAndContinuesAfterReopen) {
  ScratchDir dir;
  uint64_t last = 0;
  for (int round = 0; round < 3; ++round) {
    auto store = open_or_die(dir.store());
    ASSERT_TRUE(store);
    for (int i = 0; i < 5; ++i) {
      auto seq =
          store->commit(make_record("1.9." + std::to_string(round) + "." + std::to_string(i)),
                        make_payload(100, static_cast<uint64_t>(i)));
      ASSERT_TRUE(seq.has_value());
      EXPECT_GT(*seq, last);
      last = *seq;
    }
  }
  EXPECT_GE(last, 15u);
}

TEST(InstanceStore, ListIsOrderedByArrivalSeqNotByKey) {
  ScratchDir dir;
  auto store = open_or_die(dir.store());
  ASSERT_TRUE(store);
  // Lexicographically descending UIDs: key order is the reverse of arrival order.
  std::vector<std::string> uids = {"9.9", "8.8", "7.7", "10.1", "1.1"};
  for (const auto& uid : uids) {
    ASSERT_TRUE(store->commit(make_record(uid), make_payload(10, 0)).has_value());
  }
  auto all = store->list();
  ASSERT_TRUE(all.has_value());
  ASSERT_EQ(all->size(), uids.size());
  for (std::size_t i = 0; i < uids.size(); ++i) {
    EXPECT_EQ((*all)[i].sop_instance_uid, uids[i]);
    if (i > 0) {
      EXPECT_LT((*all)[i - 1].arrival_seq, (*all)[i].arrival_seq);
    }
  }
}

TEST(InstanceStore, ReadObjectIsByteIdenticalForAOneMebibyteRandomPayload) {
  ScratchDir dir;
  auto store = open_or_die(dir.store());
  ASSERT_TRUE(store);
  auto payload = make_payload(1u << 20, 0xC0FFEE);
  ASSERT_TRUE(store->commit(make_record("1.2.840.1"), payload).has_value());
  auto bytes = store->read_object("1.2.840.1");
  ASSERT_TRUE(bytes.has_value() && bytes->has_value());
  EXPECT_EQ(**bytes, payload);
  auto stats = store->stats();
  EXPECT_EQ(stats.instances, 1u);
  EXPECT_EQ(stats.groups, 1u);
  EXPECT_EQ(stats.bytes, payload.size());
}

TEST(InstanceStore, UnknownInstanceIsAbsentNotAnError) {
  ScratchDir dir;
  auto store = open_or_die(dir.store());
  ASSERT_TRUE(store);
  auto found = store->find("no.such.uid");
  ASSERT_TRUE(found.has_value());
  EXPECT_FALSE(found->has_value());
  auto bytes = store->read_object("no.such.uid");
  ASSERT_TRUE(bytes.has_value());
  EXPECT_FALSE(bytes->has_value());
  auto all = store->list();
  ASSERT_TRUE(all.has_value());
  EXPECT_TRUE(all->empty());
}

TEST(InstanceStore, EmptyPayloadIsStoredAsEmpty) {
  ScratchDir dir;
  auto store = open_or_die(dir.store());
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->commit(make_record("1.0"), std::vector<uint8_t>{}).has_value());
  auto bytes = store->read_object("1.0");
  ASSERT_TRUE(bytes.has_value() && bytes->has_value());
  EXPECT_TRUE((*bytes)->empty());
}

TEST(InstanceStore, EmptySopInstanceUidIsRefusedAndListStaysReadable) {
  ScratchDir dir;
  auto store = open_or_die(dir.store());
  ASSERT_TRUE(store);
  auto seq = store->commit(make_record(""), make_payload(10, 0));
  ASSERT_FALSE(seq.has_value());
  EXPECT_EQ(seq.error().code, QueueErrc::write_failed);
  auto all = store->list();
  ASSERT_TRUE(all.has_value());
  EXPECT_TRUE(all->empty());
  EXPECT_EQ(store->stats().groups, 0u);
}

TEST(InstanceStore, CommitAfterCloseFailsWithShuttingDownWithoutBlocking) {
  ScratchDir dir;
  auto store = open_or_die(dir.store());
  ASSERT_TRUE(store);
  store->close();
  store->close();  // idempotent
  auto seq = store->commit(make_record("1.2"), make_payload(10, 0));
  ASSERT_FALSE(seq.has_value());
  EXPECT_EQ(seq.error().code, QueueErrc::shutting_down);
  // Reads still work after close: the database stays open until destruction.
  auto all = store->list();
  ASSERT_TRUE(all.has_value());
  EXPECT_TRUE(all->empty());
}

TEST(InstanceStore, OpenOnAPathThatIsAFileFailsWithOpenFailed) {
  ScratchDir dir;
  auto file = dir.path() / "not-a-dir";
  std::ofstream(file) << "x";
  auto store = InstanceStore::open(options_for(file));
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().code, QueueErrc::open_failed);
  auto reader = InstanceStore::open_reader(file);
  ASSERT_FALSE(reader.has_value());
  EXPECT_EQ(reader.error().code, QueueErrc::open_failed);
}

TEST(InstanceStore, SecondPrimaryOnTheSameStoreFailsWithOpenFailed) {
  ScratchDir dir;
  auto store = open_or_die(dir.store());
  ASSERT_TRUE(store);
  auto second = InstanceStore::open(options_for(dir.store()));
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().code, QueueErrc::open_failed);
  EXPECT_NE(second.error().detail.find("lock"), std::string::npos) << second.error().detail;
}

TEST(InstanceStore, OpenCreatesMissingParentDirectories) {
  ScratchDir dir;
  auto store = open_or_die(dir.path() / "a" / "b" / "store");
  ASSERT_TRUE(store);
  EXPECT_TRUE(store->commit(make_record("1.1"), make_payload(5, 5)).has_value());
}

TEST(InstanceStore, ProbeWritableSucceedsAndStaysOutOfTheInstanceKeyspace) {
  ScratchDir dir;
  auto store = open_or_die(dir.store());
  ASSERT_TRUE(store);
  auto probe = store->probe_writable();
  ASSERT_TRUE(probe.has_value()) << probe.error().message();
  auto all = store->list();
  ASSERT_TRUE(all.has_value());
  EXPECT_TRUE(all->empty());
  EXPECT_EQ(store->stats().instances, 0u);
}

TEST(InstanceStore, UnsyncedStoreStillCommitsAndReopens) {
  ScratchDir dir;
  StoreOptions options = options_for(dir.store());
  options.sync = false;
  {
    auto store = InstanceStore::open(options);
    ASSERT_TRUE(store.has_value());
    ASSERT_TRUE((*store)->commit(make_record("1.5"), make_payload(50, 1)).has_value());
  }
  auto store = open_or_die(dir.store());
  ASSERT_TRUE(store);
  auto found = store->find("1.5");
  ASSERT_TRUE(found.has_value() && found->has_value());
}

}  // namespace
}  // namespace acc::queue
