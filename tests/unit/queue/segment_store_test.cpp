// The instance store with its object bytes in segment files (issue 11): what RocksDB holds is
// where the bytes lie; the bytes come back intact or not at all; space comes back after delivery;
// a store written before segments existed is read and emptied in place.
#include <gtest/gtest.h>
#include <rocksdb/db.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/spool_file.hpp"
#include "queue/record_codec.hpp"
#include "queue/rocksdb_instance_store.hpp"
#include "queue/rocksdb_support.hpp"
#include "store_test_support.hpp"

namespace acc::queue {
namespace {

using testing::complete;
using testing::make_payload;
using testing::make_record;
using testing::options_for;
using testing::record_to;
using testing::ScratchDir;
using testing::wall_ms;

namespace fs = std::filesystem;

std::vector<fs::path> segment_files(const fs::path& store) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(store / "segments", ec)) {
    out.push_back(e.path());
  }
  return out;
}

uint64_t wal_bytes(const fs::path& store) {
  uint64_t total = 0;
  for (const auto& e : fs::directory_iterator(store)) {
    if (e.is_regular_file() && e.path().extension() == ".log") {
      total += e.file_size();
    }
  }
  return total;
}

uint64_t rocksdb_bytes(const fs::path& store) {
  uint64_t total = 0;
  for (const auto& e : fs::directory_iterator(store)) {
    if (e.is_regular_file() && (e.path().extension() == ".log" || e.path().extension() == ".sst")) {
      total += e.file_size();
    }
  }
  return total;
}

// Overwrites one byte of a stored object in its segment file, as bit rot would.
void damage_object(const fs::path& store, const ObjectRef& ref, uint64_t offset, char byte) {
  std::fstream f(segment_path(store / "segments", ref.segment),
                 std::ios::binary | std::ios::in | std::ios::out);
  f.seekp(static_cast<std::streamoff>(ref.offset + offset));
  f.put(byte);
}

// Waits (polling) up to `limit` for `done`; the store's housekeeping runs once a second.
template <typename Pred>
bool eventually(Pred done, std::chrono::milliseconds limit = std::chrono::milliseconds(5000)) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > until) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

TEST(SegmentStore, ObjectBytesGoToSegmentFilesNotToTheWal) {
  ScratchDir dir;
  auto store = InstanceStore::open(options_for(dir.store()));
  ASSERT_TRUE(store) << store.error().message();
  constexpr int kCount = 20;
  for (int i = 0; i < kCount; ++i) {
    ASSERT_TRUE((*store)->commit(make_record("3." + std::to_string(i)),
                                 make_payload(512u << 10, static_cast<uint64_t>(i))));
  }
  // 10 MiB of objects: the segments hold them (plus a 32-byte header each), RocksDB only records.
  const auto stats = (*store)->segment_stats();
  EXPECT_EQ(stats.live_bytes, kCount * (512u << 10));
  EXPECT_GE(stats.file_bytes, stats.live_bytes + kCount * kSegmentHeaderBytes);
  EXPECT_LT(rocksdb_bytes(dir.store()), 1u << 20);
  for (int i = 0; i < kCount; ++i) {
    auto bytes = (*store)->read_object("3." + std::to_string(i));
    ASSERT_TRUE(bytes && *bytes) << i;
    EXPECT_TRUE(**bytes == make_payload(512u << 10, static_cast<uint64_t>(i))) << i;
  }
}

TEST(SegmentStore, DeliveredInstancesGiveTheirSpaceBackWithoutNewIntake) {
  ScratchDir dir;
  auto store = InstanceStore::open(options_for(dir.store()));
  ASSERT_TRUE(store);
  constexpr int kCount = 30;
  for (int i = 0; i < kCount; ++i) {
    ASSERT_TRUE((*store)->commit(record_to("4." + std::to_string(i), {"PACS"}),
                                 make_payload(256u << 10, static_cast<uint64_t>(i))));
  }
  ASSERT_FALSE(segment_files(dir.store()).empty());
  auto& q = (*store)->forward_queue();
  for (int i = 0; i < kCount; ++i) {
    auto job = q.lease_next("PACS", wall_ms());
    ASSERT_TRUE(job);
    ASSERT_TRUE(complete(q, *job));
  }
  // Completions are not synced; the store syncs the WAL, then deletes the segment nobody points
  // into any more, even the one intake was writing (nothing arrives to fill it).
  EXPECT_TRUE(eventually([&] { return segment_files(dir.store()).empty(); }))
      << segment_files(dir.store()).size() << " segment files left";
  const auto stats = (*store)->segment_stats();
  EXPECT_EQ(stats.live_bytes, 0u);
  EXPECT_EQ(stats.segments, 0u);
  EXPECT_GE(stats.deleted, 1u);
  // And the records' side: once idle, the store flushes, so the WAL holding the deleted records
  // goes too (RocksDB starts an empty one).
  ASSERT_GT(wal_bytes(dir.store()), 0u);
  EXPECT_TRUE(
      eventually([&] { return wal_bytes(dir.store()) == 0; }, std::chrono::milliseconds(8000)))
      << wal_bytes(dir.store()) << " bytes of WAL left";
}

TEST(SegmentStore, AReplacedInstanceReleasesTheBytesItNoLongerUses) {
  ScratchDir dir;
  StoreOptions options = options_for(dir.store());
  options.max_segment_bytes = 64u << 10;  // every object gets its own segment
  auto store = InstanceStore::open(options);
  ASSERT_TRUE(store);
  ASSERT_TRUE((*store)->commit(make_record("5.1"), make_payload(100'000, 1)));
  ASSERT_TRUE((*store)->commit(make_record("5.1"), make_payload(120'000, 2)));
  ASSERT_TRUE((*store)->commit(make_record("5.2"), make_payload(1000, 3)));  // seals the second
  EXPECT_EQ((*store)->segment_stats().live_bytes, 121'000u);
  EXPECT_EQ(segment_files(dir.store()).size(), 2u) << "the first version's segment is deleted";
  auto bytes = (*store)->read_object("5.1");
  ASSERT_TRUE(bytes && *bytes);
  EXPECT_TRUE(**bytes == make_payload(120'000, 2));
}

TEST(SegmentStore, BytesThatDoNotCheckOutAreReportedCorruptNeverServed) {
  ScratchDir dir;
  auto store = InstanceStore::open(options_for(dir.store()));
  ASSERT_TRUE(store);
  ASSERT_TRUE((*store)->commit(make_record("6.1"), make_payload(300'000, 1)));
  auto record = (*store)->find("6.1");
  ASSERT_TRUE(record && *record && (*record)->object);
  const ObjectRef ref = *(*record)->object;
  damage_object(dir.store(), ref, 150'000, '\x5a');
  auto bytes = (*store)->read_object("6.1");
  ASSERT_FALSE(bytes);
  EXPECT_EQ(bytes.error().code, QueueErrc::corrupt_record) << bytes.error().message();

  fs::remove(segment_path(dir.store() / "segments", ref.segment));
  bytes = (*store)->read_object("6.1");
  ASSERT_FALSE(bytes);
  EXPECT_EQ(bytes.error().code, QueueErrc::corrupt_record) << bytes.error().message();
}

TEST(SegmentStore, ReopeningCutsATornTailAndDeletesSegmentsNoRecordPointsInto) {
  ScratchDir dir;
  const fs::path segments = dir.store() / "segments";
  {
    auto store = InstanceStore::open(options_for(dir.store()));
    ASSERT_TRUE(store);
    for (int i = 0; i < 3; ++i) {
      ASSERT_TRUE((*store)->commit(make_record("7." + std::to_string(i)),
                                   make_payload(50'000, static_cast<uint64_t>(i))));
    }
  }
  auto files = segment_files(dir.store());
  ASSERT_EQ(files.size(), 1u);
  const auto size = fs::file_size(files[0]);
  {
    // What a crash leaves: a reservation and half an object nobody acknowledged, and a segment
    // written by a group whose RocksDB batch never made it.
    std::ofstream tail(files[0], std::ios::binary | std::ios::app);
    tail << std::string("ACCSEG01") << std::string(24 + 5000, '\0');
    auto orphan = SegmentWriter::open(segments, 999);
    ASSERT_TRUE(orphan);
    ASSERT_TRUE(orphan->begin() && orphan->append(make_payload(10'000, 9)));
    ASSERT_TRUE(orphan->finish() && orphan->sync());
  }
  auto store = InstanceStore::open(options_for(dir.store()));
  ASSERT_TRUE(store) << store.error().message();
  EXPECT_EQ(fs::file_size(files[0]), size);
  EXPECT_FALSE(fs::exists(segment_path(segments, 999)));
  for (int i = 0; i < 3; ++i) {
    auto bytes = (*store)->read_object("7." + std::to_string(i));
    ASSERT_TRUE(bytes && *bytes) << i;
    EXPECT_TRUE(**bytes == make_payload(50'000, static_cast<uint64_t>(i)));
  }
  // New objects go to a new segment; the old one stays while its records live.
  ASSERT_TRUE((*store)->commit(make_record("7.9"), make_payload(10, 9)));
  EXPECT_EQ(segment_files(dir.store()).size(), 2u);
}

TEST(SegmentStore, ASegmentWriteThatFailsIsFatalAndAcknowledgesNothing) {
  ScratchDir dir;
  std::vector<std::string> fatal;
  StoreOptions options = options_for(dir.store());
  options.on_fatal_io = [&fatal](const Error& e) { fatal.push_back(e.message()); };
  auto store = InstanceStore::open(options);
  ASSERT_TRUE(store);
  // The directory turns into a file: the next segment cannot be created.
  fs::remove_all(dir.store() / "segments");
  std::ofstream(dir.store() / "segments") << "not a directory";
  auto seq = (*store)->commit(make_record("8.1"), make_payload(1000, 1));
  ASSERT_FALSE(seq);
  EXPECT_EQ(seq.error().code, QueueErrc::write_failed);
  ASSERT_EQ(fatal.size(), 1u);
  auto found = (*store)->find("8.1");
  ASSERT_TRUE(found);
  EXPECT_FALSE(found->has_value());
}

// Forwarding reads an object in pieces; the piece that would end a damaged object is withheld.
TEST(SegmentStore, AnObjectStreamsInPiecesAndADamagedOneNeverEnds) {
  ScratchDir dir;
  auto store = InstanceStore::open(options_for(dir.store()));
  ASSERT_TRUE(store);
  const auto payload = make_payload(3'000'000, 5);
  ASSERT_TRUE((*store)->commit(make_record("10.1"), payload));
  auto read_all = [&](std::vector<uint8_t>& out) -> Result<void> {
    auto opened = (*store)->open_object("10.1");
    if (!opened) {
      return fail(opened.error());
    }
    auto& stream = **opened;
    EXPECT_EQ(stream->size(), payload.size());
    while (stream->remaining() > 0) {
      auto piece = stream->next(256 * 1024);
      if (!piece) {
        return fail(piece.error());
      }
      EXPECT_LE(piece->size(), 256u * 1024);
      out.insert(out.end(), piece->begin(), piece->end());
    }
    return {};
  };
  std::vector<uint8_t> got;
  ASSERT_TRUE(read_all(got));
  EXPECT_TRUE(got == payload);
  auto absent = (*store)->open_object("10.2");
  ASSERT_TRUE(absent);
  EXPECT_FALSE(absent->has_value());

  auto record = (*store)->find("10.1");
  ASSERT_TRUE(record && *record && (*record)->object);
  damage_object(dir.store(), *(*record)->object, 2'000'000, '\x01');
  got.clear();
  auto damaged = read_all(got);
  ASSERT_FALSE(damaged);
  EXPECT_EQ(damaged.error().code, QueueErrc::corrupt_record);
  EXPECT_LT(got.size(), payload.size()) << "the piece that ends the object was handed out";
  EXPECT_GE(got.size(), 2'000'000u) << "pieces before the end are streamed, not held back";
}

// A store written before issue 11 keeps each object inline in the `object` column family. It
// opens as it is: its instances are read and delivered from there, and deleting them deletes the
// inline value; new instances go to segments beside them.
TEST(SegmentStore, AStoreWithInlineObjectsIsReadAndEmptiedInPlace) {
  ScratchDir dir;
  const auto legacy_bytes = make_payload(70'000, 11);
  {
    rocksdb::DB* raw = nullptr;
    Handles handles;
    auto s = rocksdb::DB::Open(make_db_options(), dir.store().string(),
                               make_cf_descriptors(StoreTuning{}), &handles, &raw);
    ASSERT_TRUE(s.ok()) << s.ToString();
    std::unique_ptr<rocksdb::DB> db(raw);
    InstanceRecord old = record_to("9.1", {"PACS"});
    old.arrival_seq = 1;
    old.size_bytes = legacy_bytes.size();
    JobValue job;
    job.enqueued_at_ms = 1;
    job.sop_instance_uid = old.sop_instance_uid;
    job.sop_class_uid = old.sop_class_uid;
    job.transfer_syntax_uid = old.transfer_syntax_uid;
    job.study_instance_uid = old.study_instance_uid;
    const auto seq = encode_u64_be(1);
    rocksdb::WriteOptions wo;
    wo.sync = true;
    ASSERT_TRUE(db->Put(wo, handles[kMeta], "9.1", encode_record(old)).ok());
    ASSERT_TRUE(db->Put(wo, handles[kObject], "9.1", as_slice(legacy_bytes)).ok());
    ASSERT_TRUE(db->Put(wo, handles[kJobs], encode_job_key("PACS", 1), encode_job_value(job)).ok());
    ASSERT_TRUE(
        db->Put(wo, handles[kSeq], as_slice(kArrivalSeqKey), rocksdb::Slice(seq.data(), 8)).ok());
    for (auto* h : handles) {
      db->DestroyColumnFamilyHandle(h);
    }
  }
  auto store = InstanceStore::open(options_for(dir.store()));
  ASSERT_TRUE(store) << store.error().message();
  auto record = (*store)->find("9.1");
  ASSERT_TRUE(record && *record);
  EXPECT_FALSE((*record)->object.has_value());
  auto bytes = (*store)->read_object("9.1");
  ASSERT_TRUE(bytes && *bytes);
  EXPECT_TRUE(**bytes == legacy_bytes);
  auto reader = InstanceStore::open_reader(dir.store());
  ASSERT_TRUE(reader);
  auto seen = (*reader)->read_object("9.1");
  ASSERT_TRUE(seen && *seen);
  EXPECT_TRUE(**seen == legacy_bytes);

  ASSERT_TRUE((*store)->commit(record_to("9.2", {"PACS"}), make_payload(1000, 12)));
  auto& q = (*store)->forward_queue();
  auto job = q.lease_next("PACS", wall_ms());
  ASSERT_TRUE(job);
  EXPECT_EQ(job->sop_instance_uid, "9.1");  // the older instance first
  ASSERT_TRUE(complete(q, *job));
  auto gone = (*store)->read_object("9.1");
  ASSERT_TRUE(gone);
  EXPECT_FALSE(gone->has_value());
  auto fresh = (*store)->read_object("9.2");
  ASSERT_TRUE(fresh && *fresh);
  EXPECT_TRUE(**fresh == make_payload(1000, 12));
}

// Issue 11, streaming receive: the bulk of a large object reaches the commit as a range of the
// receive spool, never as one buffer; the segment holds head + range, checked like any object.
TEST(SegmentStore, ASpooledTailIsCopiedIntoTheSegmentBehindItsHead) {
  ScratchDir dir;
  auto store = InstanceStore::open(options_for(dir.store()));
  ASSERT_TRUE(store);
  auto spool = SpoolFile::create(dir.path() / "spool");
  ASSERT_TRUE(spool);
  const auto received = make_payload(9'000'000, 7);  // more than one copy chunk (4 MiB)
  ASSERT_TRUE(spool->append(received));
  auto shared = std::make_shared<SpoolFile>(std::move(*spool));
  const auto head = make_payload(3000, 8);
  constexpr uint64_t kBulkStart = 1234;  // what the receive path found before the bulk
  ASSERT_TRUE((*store)->commit(
      make_record("6.1"), ObjectBytes{head, shared, kBulkStart, received.size() - kBulkStart}));
  auto record = (*store)->find("6.1");
  ASSERT_TRUE(record && *record && (*record)->object);
  EXPECT_EQ((*record)->size_bytes, head.size() + received.size() - kBulkStart);
  auto bytes = (*store)->read_object("6.1");
  ASSERT_TRUE(bytes && *bytes) << "the stored object checks out against its XXH3-64";
  std::vector<uint8_t> expected = head;
  expected.insert(expected.end(), received.begin() + kBulkStart, received.end());
  EXPECT_TRUE(**bytes == expected);
}

TEST(SegmentStore, ASpoolThatCannotBeReadFailsItsOwnCommitOnly) {
  ScratchDir dir;
  auto store = InstanceStore::open(options_for(dir.store()));
  ASSERT_TRUE(store);
  auto spool = SpoolFile::create(dir.path() / "spool");
  ASSERT_TRUE(spool);
  ASSERT_TRUE(spool->append(make_payload(1000, 1)));
  auto shared = std::make_shared<SpoolFile>(std::move(*spool));
  // Three commits (one group, or more when the commit thread wakes early): the middle one's
  // range runs past what its spool holds.
  std::promise<Result<uint64_t>> results[3];
  (*store)->commit_async(make_record("7.1"), make_payload(500, 1),
                         [&](Result<uint64_t> r) { results[0].set_value(std::move(r)); });
  (*store)->commit_object_async(make_record("7.2"),
                                ObjectBytes{make_payload(10, 2), shared, 0, 5000},
                                [&](Result<uint64_t> r) { results[1].set_value(std::move(r)); });
  (*store)->commit_async(make_record("7.3"), make_payload(700, 3),
                         [&](Result<uint64_t> r) { results[2].set_value(std::move(r)); });
  EXPECT_TRUE(results[0].get_future().get());
  auto failed = results[1].get_future().get();
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, QueueErrc::read_failed);
  EXPECT_TRUE(results[2].get_future().get());
  auto missing = (*store)->find("7.2");
  ASSERT_TRUE(missing);
  EXPECT_FALSE(*missing) << "nothing of an object that was not copied is recorded";
  auto after = (*store)->read_object("7.3");
  ASSERT_TRUE(after && *after) << "the object after it was appended where the cut one began";
  EXPECT_TRUE(**after == make_payload(700, 3));
  EXPECT_EQ((*store)->segment_stats().live_bytes, 1200u);
}

// A held instance restamped later (issue 11): its new version is a new head and the stored
// object's bulk, copied from the old version in chunks; the old version's bytes go back.
TEST(SegmentStore, ANewVersionCanReuseTheStoredObjectsBulkAndTheOldBytesGoBack) {
  ScratchDir dir;
  StoreOptions options = options_for(dir.store());
  options.max_segment_bytes = 64u << 10;  // each version in its own segment
  auto store = InstanceStore::open(options);
  ASSERT_TRUE(store);
  const auto first = make_payload(5'000'000, 21);
  ASSERT_TRUE((*store)->commit(make_record("8.1"), first));
  auto source = (*store)->object_source("8.1");
  ASSERT_TRUE(source && *source) << (source ? "absent" : source.error().message());
  EXPECT_EQ((**source)->size(), first.size());
  std::vector<uint8_t> probe(16);
  ASSERT_TRUE((**source)->read_at(4'999'984, probe));
  EXPECT_TRUE(std::equal(probe.begin(), probe.end(), first.end() - 16));
  EXPECT_FALSE((**source)->read_at(4'999'990, probe)) << "past the object";

  const auto head = make_payload(700, 22);
  constexpr uint64_t kBulk = 2000;
  ASSERT_TRUE((*store)->commit(make_record("8.1"),
                               ObjectBytes{head, **source, kBulk, first.size() - kBulk}));
  source->reset();
  auto bytes = (*store)->read_object("8.1");
  ASSERT_TRUE(bytes && *bytes);
  std::vector<uint8_t> expected = head;
  expected.insert(expected.end(), first.begin() + kBulk, first.end());
  EXPECT_TRUE(**bytes == expected);
  ASSERT_TRUE((*store)->commit(make_record("8.2"), make_payload(100, 23)));  // seals the second
  EXPECT_EQ((*store)->segment_stats().live_bytes, expected.size() + 100);
  EXPECT_TRUE(eventually([&] { return segment_files(dir.store()).size() == 2; }))
      << "the first version's segment is deleted";
}

TEST(SegmentStore, AnObjectSourceIsRefusedWhenTheStoredBytesDoNotCheckOut) {
  ScratchDir dir;
  auto store = InstanceStore::open(options_for(dir.store()));
  ASSERT_TRUE(store);
  ASSERT_TRUE((*store)->commit(make_record("9.1"), make_payload(300'000, 31)));
  auto record = (*store)->find("9.1");
  ASSERT_TRUE(record && *record && (*record)->object);
  const ObjectRef ref = *(*record)->object;
  damage_object(dir.store(), ref, 200'000, '\x42');
  auto source = (*store)->object_source("9.1");
  ASSERT_FALSE(source);
  EXPECT_EQ(source.error().code, QueueErrc::corrupt_record);
  // "recent" trusts only a check that passed: a failed one is asked again, and fails again.
  auto recent = (*store)->object_source("9.1", InstanceStore::ObjectCheck::recent);
  ASSERT_FALSE(recent);
  EXPECT_EQ(recent.error().code, QueueErrc::corrupt_record);
  auto none = (*store)->object_source("9.404");
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
}

// Issue 11, "sparse segments are compacted": one instance still waiting for its PACS must not
// keep a whole segment of delivered ones on disk. Once the store is idle, the live object is
// copied forward, its record repointed, and the sparse segment deleted; the object reads back
// intact, and again after a reopen.
TEST(SegmentStore, ASparseSegmentIsCompactedOnceIdleAndItsLiveObjectsReadBack) {
  ScratchDir dir;
  StoreOptions options = options_for(dir.store());
  options.max_segment_bytes = 2u << 20;  // 8 objects of 256 KiB per segment
  options.compact_min_segment_bytes = 1u << 20;
  auto store = InstanceStore::open(options);
  ASSERT_TRUE(store);
  constexpr int kCount = 16;
  for (int i = 0; i < kCount; ++i) {
    ASSERT_TRUE((*store)->commit(record_to("10." + std::to_string(i), {"PACS"}),
                                 make_payload(256u << 10, static_cast<uint64_t>(100 + i))));
  }
  auto first = (*store)->find("10.0");
  ASSERT_TRUE(first && *first && (*first)->object);
  const uint64_t first_segment = (*first)->object->segment;
  // Every instance is delivered except 10.0 (its PACS keeps refusing it: retried later).
  auto& q = (*store)->forward_queue();
  for (int i = 0; i < kCount; ++i) {
    auto job = q.lease_next("PACS", wall_ms());
    ASSERT_TRUE(job);
    if (job->sop_instance_uid == "10.0") {
      continue;  // leased, not settled: it stays
    }
    ASSERT_TRUE(complete(q, *job));
  }
  EXPECT_TRUE(eventually([&] { return (*store)->segment_stats().compacted >= 1; },
                         std::chrono::milliseconds(8000)))
      << "no compaction";
  EXPECT_TRUE(eventually([&] {
    return !fs::exists(segment_path(dir.store() / "segments", first_segment));
  })) << "the sparse segment is still there";
  auto moved = (*store)->find("10.0");
  ASSERT_TRUE(moved && *moved && (*moved)->object);
  EXPECT_NE((*moved)->object->segment, first_segment);
  auto bytes = (*store)->read_object("10.0");
  ASSERT_TRUE(bytes && *bytes);
  EXPECT_TRUE(**bytes == make_payload(256u << 10, 100));
  EXPECT_EQ((*store)->segment_stats().live_bytes, 256u << 10);
  // Reopened, the store finds the object where its record now points.
  store->reset();
  auto reopened = InstanceStore::open(options);
  ASSERT_TRUE(reopened) << reopened.error().message();
  auto again = (*reopened)->read_object("10.0");
  ASSERT_TRUE(again && *again);
  EXPECT_TRUE(**again == make_payload(256u << 10, 100));
}

// A held object's attributes are looked at every few seconds: ObjectCheck::recent reuses a whole
// check of the same bytes made minutes ago instead of reading 5 GiB again; a copy (whole) checks.
TEST(SegmentStore, ARecentWholeCheckIsReusedOnlyWhenAskedFor) {
  ScratchDir dir;
  auto store = InstanceStore::open(options_for(dir.store()));
  ASSERT_TRUE(store);
  ASSERT_TRUE((*store)->commit(make_record("11.1"), make_payload(300'000, 41)));
  ASSERT_TRUE((*store)->object_source("11.1"));  // checked whole
  auto record = (*store)->find("11.1");
  ASSERT_TRUE(record && *record && (*record)->object);
  const ObjectRef ref = *(*record)->object;
  damage_object(dir.store(), ref, 250'000, '\x17');  // in the bulk
  auto recent = (*store)->object_source("11.1", InstanceStore::ObjectCheck::recent);
  ASSERT_TRUE(recent && *recent) << "not read again within minutes of its check";
  auto whole = (*store)->object_source("11.1");
  ASSERT_FALSE(whole) << "a copy always checks the whole object";
  EXPECT_EQ(whole.error().code, QueueErrc::corrupt_record);
  EXPECT_FALSE((*store)->object_source("11.1", InstanceStore::ObjectCheck::recent))
      << "once a check failed, the older one is not trusted any more";
}

}  // namespace
}  // namespace acc::queue
