// Segment files (issue 11's object store, first layer): objects appended in pieces come back
// byte for byte, memory stays at the buffer whatever the object's size, and after a crash at any
// byte a segment recovers to exactly its complete records: a torn tail is cut off, corruption
// below the synced watermark is refused, and no object acknowledged by sync() is ever lost.
#include "queue/segment_log.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

namespace acc::queue {
namespace {

namespace fs = std::filesystem;

class SegmentLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("acc-segment-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  static std::vector<uint8_t> pattern(std::size_t size, uint32_t seed) {
    std::vector<uint8_t> v(size);
    std::mt19937 rng(seed);
    for (auto& b : v) {
      b = static_cast<uint8_t>(rng());
    }
    return v;
  }

  // Writes `object` in pieces of `piece` bytes and finishes it.
  static ObjectRef write(SegmentWriter& w, const std::vector<uint8_t>& object, std::size_t piece) {
    EXPECT_TRUE(w.begin());
    for (std::size_t at = 0; at < object.size(); at += piece) {
      const auto n = std::min(piece, object.size() - at);
      EXPECT_TRUE(w.append({object.data() + at, n}));
    }
    auto ref = w.finish();
    EXPECT_TRUE(ref) << ref.error().message();
    return ref ? *ref : ObjectRef{};
  }

  std::vector<uint8_t> read_all(const ObjectRef& ref) const {
    auto bytes = read_object_range(dir_, ref, 0, ref.length);
    EXPECT_TRUE(bytes) << bytes.error().message();
    return bytes ? *bytes : std::vector<uint8_t>{};
  }

  uint64_t file_size(uint64_t id) const { return fs::file_size(segment_path(dir_, id)); }

  fs::path dir_;
};

TEST_F(SegmentLogTest, ObjectsWrittenInPiecesReadBackByteForByte) {
  auto w = SegmentWriter::open(dir_, 1, 4096);
  ASSERT_TRUE(w) << w.error().message();
  const std::vector<std::vector<uint8_t>> objects = {pattern(0, 1), pattern(1, 2), pattern(4095, 3),
                                                     pattern(300'000, 4)};
  std::vector<ObjectRef> refs;
  for (std::size_t i = 0; i < objects.size(); ++i) {
    refs.push_back(write(*w, objects[i], 1 + 997 * i));
  }
  ASSERT_TRUE(w->sync());
  for (std::size_t i = 0; i < objects.size(); ++i) {
    EXPECT_EQ(refs[i].length, objects[i].size());
    EXPECT_EQ(read_all(refs[i]), objects[i]) << i;
    EXPECT_TRUE(verify_object(dir_, refs[i], 4096)) << i;
  }
  // A range inside the last object, and one past its end.
  auto middle = read_object_range(dir_, refs[3], 1000, 10);
  ASSERT_TRUE(middle);
  EXPECT_TRUE(std::equal(middle->begin(), middle->end(), objects[3].begin() + 1000));
  auto past = read_object_range(dir_, refs[3], refs[3].length - 5, 10);
  ASSERT_FALSE(past);
  EXPECT_EQ(past.error().code, SegmentErrc::out_of_range);
  // Records are contiguous: header, payload, header, payload.
  EXPECT_EQ(file_size(1), refs.back().offset + refs.back().length);
}

TEST_F(SegmentLogTest, MemoryStaysAtTheBufferWhateverTheObjectSize) {
  auto w = SegmentWriter::open(dir_, 1, 64 * 1024);
  ASSERT_TRUE(w);
  const auto piece = pattern(1024 * 1024, 5);
  ASSERT_TRUE(w->begin());
  for (int i = 0; i < 48; ++i) {  // a 48 MiB object in 1 MiB pieces
    ASSERT_TRUE(w->append(piece));
    EXPECT_LE(w->buffer_capacity(), 64u * 1024);
  }
  auto ref = w->finish();
  ASSERT_TRUE(ref);
  ASSERT_TRUE(w->sync());
  EXPECT_EQ(ref->length, 48u * 1024 * 1024);
  EXPECT_TRUE(verify_object(dir_, *ref));
}

TEST_F(SegmentLogTest, RecoveryFindsEveryRecordAndAppendingGoesOnAfterThem) {
  std::vector<ObjectRef> refs;
  {
    auto w = SegmentWriter::open(dir_, 7);
    ASSERT_TRUE(w);
    for (uint32_t i = 0; i < 5; ++i) {
      refs.push_back(write(*w, pattern(1000 * i + 17, i), 333));
    }
    ASSERT_TRUE(w->sync());
  }
  auto recovered = recover_segment(dir_, 7, file_size(7));
  ASSERT_TRUE(recovered) << recovered.error().message();
  EXPECT_EQ(recovered->objects, refs);
  EXPECT_EQ(recovered->truncated_bytes, 0u);

  auto w = SegmentWriter::open(dir_, 7);
  ASSERT_TRUE(w);
  const auto more = pattern(5000, 99);
  const auto ref = write(*w, more, 5000);
  ASSERT_TRUE(w->sync());
  EXPECT_EQ(ref.offset, refs.back().offset + refs.back().length + kSegmentHeaderBytes);
  EXPECT_EQ(read_all(ref), more);
}

// A crash can stop the file at any byte of the record being written: recovery keeps exactly
// the records before it and cuts the rest, whatever the cut.
TEST_F(SegmentLogTest, ACutAtAnyByteOfTheLastRecordRecoversTheRecordsBeforeIt) {
  std::vector<ObjectRef> refs;
  {
    auto w = SegmentWriter::open(dir_, 2);
    ASSERT_TRUE(w);
    for (uint32_t i = 0; i < 3; ++i) {
      refs.push_back(write(*w, pattern(100 + i, i), 7));
    }
    ASSERT_TRUE(w->sync());
  }
  const auto whole = file_size(2);
  const uint64_t last_start = refs[2].offset - kSegmentHeaderBytes;
  std::vector<char> saved(whole);
  {
    std::ifstream in(segment_path(dir_, 2), std::ios::binary);
    in.read(saved.data(), static_cast<std::streamsize>(whole));
  }
  for (uint64_t cut = last_start; cut < whole; ++cut) {
    {
      std::ofstream out(segment_path(dir_, 2), std::ios::binary | std::ios::trunc);
      out.write(saved.data(), static_cast<std::streamsize>(cut));
    }
    auto r = recover_segment(dir_, 2, last_start);
    ASSERT_TRUE(r) << "cut at " << cut << ": " << r.error().message();
    ASSERT_EQ(r->objects.size(), 2u) << "cut at " << cut;
    EXPECT_EQ(r->size, last_start);
    EXPECT_EQ(r->truncated_bytes, cut - last_start);
    EXPECT_EQ(file_size(2), last_start);
  }
}

// The header can reach the disk before the payload (writeback has no order): a finished header
// over bytes that never arrived must not be served.
TEST_F(SegmentLogTest, AFinishedHeaderOverMissingPayloadIsCutOff) {
  ObjectRef ref;
  {
    auto w = SegmentWriter::open(dir_, 3);
    ASSERT_TRUE(w);
    write(*w, pattern(64, 1), 64);
    ref = write(*w, pattern(4096, 2), 100);
    ASSERT_TRUE(w->sync());
  }
  {
    std::fstream f(segment_path(dir_, 3), std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(static_cast<std::streamoff>(ref.offset + 2000));
    const char zeros[16] = {};
    f.write(zeros, sizeof zeros);  // as if these pages were never written
  }
  auto r = recover_segment(dir_, 3, ref.offset - kSegmentHeaderBytes);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->objects.size(), 1u);
  EXPECT_EQ(r->truncated_bytes, kSegmentHeaderBytes + 4096);
}

// Below the watermark every record was made durable by a sync that returned: a damaged header
// there is corruption, reported and left in place, never "repaired" by dropping the records
// after it. A damaged payload there is found when the object is read, not at start-up (which
// reads headers only).
TEST_F(SegmentLogTest, DamageBelowTheSyncedWatermarkIsRefusedNotTruncated) {
  std::vector<ObjectRef> refs;
  {
    auto w = SegmentWriter::open(dir_, 4);
    ASSERT_TRUE(w);
    for (uint32_t i = 0; i < 3; ++i) {
      refs.push_back(write(*w, pattern(500, i), 500));
    }
    ASSERT_TRUE(w->sync());
  }
  const auto size = file_size(4);
  const auto flip = [&](uint64_t offset) {
    std::fstream f(segment_path(dir_, 4), std::ios::binary | std::ios::in | std::ios::out);
    f.seekg(static_cast<std::streamoff>(offset));
    const char c = static_cast<char>(f.get());
    f.seekp(static_cast<std::streamoff>(offset));
    f.put(static_cast<char>(c ^ 0x5a));
  };
  flip(refs[1].offset + 10);  // payload
  auto r = recover_segment(dir_, 4, size);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->objects, refs);
  auto v = verify_object(dir_, refs[1]);
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().code, SegmentErrc::checksum_mismatch);
  EXPECT_TRUE(verify_object(dir_, refs[2]));

  flip(refs[1].offset - kSegmentHeaderBytes + 9);  // header: the length
  r = recover_segment(dir_, 4, size);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, SegmentErrc::corrupt);
  EXPECT_EQ(file_size(4), size);
}

TEST_F(SegmentLogTest, AnAbandonedObjectLeavesNothingBehind) {
  auto w = SegmentWriter::open(dir_, 5, 1024);
  ASSERT_TRUE(w);
  const auto first = write(*w, pattern(3000, 1), 3000);
  ASSERT_TRUE(w->begin());
  ASSERT_TRUE(w->append(pattern(10'000, 2)));  // partly flushed already
  ASSERT_TRUE(w->abandon());
  const auto second = write(*w, pattern(200, 3), 50);
  ASSERT_TRUE(w->sync());
  EXPECT_EQ(second.offset, first.offset + first.length + kSegmentHeaderBytes);
  auto r = recover_segment(dir_, 5, file_size(5));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->objects, (std::vector<ObjectRef>{first, second}));
}

// A destination streams the object PDV by PDV; a corrupt object never yields its last chunk,
// so the sender aborts before the peer has a complete (wrong) data set.
TEST_F(SegmentLogTest, AReaderStreamsInChunksAndWithholdsTheLastOneOfACorruptObject) {
  auto w = SegmentWriter::open(dir_, 8);
  ASSERT_TRUE(w);
  const auto object = pattern(100'000, 8);
  const auto ref = write(*w, object, 4096);
  ASSERT_TRUE(w->sync());

  auto reader = ObjectReader::open(dir_, ref);
  ASSERT_TRUE(reader) << reader.error().message();
  std::vector<uint8_t> got;
  for (;;) {
    auto chunk = reader->next(16'372);  // a 16 KiB PDU's PDV
    ASSERT_TRUE(chunk) << chunk.error().message();
    if (chunk->empty()) {
      break;
    }
    EXPECT_LE(chunk->size(), 16'372u);
    got.insert(got.end(), chunk->begin(), chunk->end());
  }
  EXPECT_EQ(got, object);
  EXPECT_EQ(reader->remaining(), 0u);

  {
    std::fstream f(segment_path(dir_, 8), std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(static_cast<std::streamoff>(ref.offset + 50'000));
    f.put(static_cast<char>(object[50'000] ^ 0x01));
  }
  auto corrupt = ObjectReader::open(dir_, ref);
  ASSERT_TRUE(corrupt);
  uint64_t handed_out = 0;
  for (;;) {
    auto chunk = corrupt->next(16'372);
    if (!chunk) {
      EXPECT_EQ(chunk.error().code, SegmentErrc::checksum_mismatch);
      break;
    }
    ASSERT_FALSE(chunk->empty()) << "a corrupt object was read to its end";
    handed_out += chunk->size();
  }
  EXPECT_LT(handed_out, ref.length);
}

TEST_F(SegmentLogTest, AnEmptyObjectIsCheckedToo) {
  auto w = SegmentWriter::open(dir_, 9);
  ASSERT_TRUE(w);
  auto ref = write(*w, {}, 1);
  ASSERT_TRUE(w->sync());
  EXPECT_TRUE(verify_object(dir_, ref));
  ref.xxh3 ^= 1;  // a reference that does not belong to these bytes
  auto v = verify_object(dir_, ref);
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().code, SegmentErrc::checksum_mismatch);
}

TEST_F(SegmentLogTest, CallsOutOfOrderAreRefused) {
  auto w = SegmentWriter::open(dir_, 6);
  ASSERT_TRUE(w);
  EXPECT_EQ(w->append(pattern(4, 1)).error().code, SegmentErrc::misuse);
  EXPECT_EQ(w->finish().error().code, SegmentErrc::misuse);
  ASSERT_TRUE(w->begin());
  EXPECT_EQ(w->begin().error().code, SegmentErrc::misuse);
}

// kill -9 of a writer at random moments: every object whose sync() returned (reported through
// a pipe before the next one starts) is recovered intact; nothing else is served.
TEST_F(SegmentLogTest, KillNineNeverLosesAnObjectWhoseSyncReturned) {
  std::mt19937 rng(20261205);
  std::size_t total_acked = 0;
  // 150 rounds: with SegmentCrash's 50 (the store's segment paths), CI kills 200 writers.
  for (int round = 0; round < 150; ++round) {
    const uint64_t id = 100 + static_cast<uint64_t>(round);
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      ::close(fds[0]);
      auto w = SegmentWriter::open(dir_, id, 8192);
      if (!w) {
        ::_exit(2);
      }
      for (uint32_t i = 0;; ++i) {
        const auto object = pattern(1000 + (i * 7919) % 200'000, i);
        if (!w->begin() || !w->append(object)) {
          ::_exit(3);
        }
        auto ref = w->finish();
        if (!ref || !w->sync()) {
          ::_exit(4);
        }
        if (::write(fds[1], &*ref, sizeof *ref) != static_cast<ssize_t>(sizeof *ref)) {
          ::_exit(5);
        }
      }
    }
    ::close(fds[1]);
    std::vector<ObjectRef> acked;
    ObjectRef ref;
    if (round % 2 == 0) {
      // Even rounds: after the first acknowledgement (a slow start, under a sanitizer on a busy
      // machine, cannot make them vacuous). Odd rounds: at any moment, even before the file.
      ASSERT_EQ(::read(fds[0], &ref, sizeof ref), static_cast<ssize_t>(sizeof ref));
      acked.push_back(ref);
    }
    ::usleep(static_cast<useconds_t>(rng() % 30'000));
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "round " << round << " exited " << WEXITSTATUS(status);
    while (::read(fds[0], &ref, sizeof ref) == static_cast<ssize_t>(sizeof ref)) {
      acked.push_back(ref);
    }
    ::close(fds[0]);
    total_acked += acked.size();
    if (!fs::exists(segment_path(dir_, id))) {
      EXPECT_TRUE(acked.empty()) << "round " << round;  // killed before it created the file
      continue;
    }
    const uint64_t watermark = acked.empty() ? 0 : acked.back().offset + acked.back().length;
    auto r = recover_segment(dir_, id, watermark);
    ASSERT_TRUE(r) << "round " << round << ": " << r.error().message();
    ASSERT_GE(r->objects.size(), acked.size()) << "round " << round;
    for (std::size_t i = 0; i < acked.size(); ++i) {
      EXPECT_EQ(r->objects[i], acked[i]) << "round " << round << " object " << i;
    }
    for (const auto& o : r->objects) {
      EXPECT_TRUE(verify_object(dir_, o)) << "round " << round;
      EXPECT_EQ(read_all(o), pattern(o.length, static_cast<uint32_t>(&o - r->objects.data())))
          << "round " << round;
    }
  }
  EXPECT_GE(total_acked, 75u) << "the writer never got far enough to be tested";
}

}  // namespace
}  // namespace acc::queue
