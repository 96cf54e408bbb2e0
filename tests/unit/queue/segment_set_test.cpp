// The segment directory (issue 11, "space comes back"): writers get fresh segments, a sealed
// segment goes as soon as nothing points into it, the open one never does, and after a restart
// the segments nothing in the index points at are deleted while the others keep every object.
#include "queue/segment_set.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

namespace acc::queue {
namespace {

namespace fs = std::filesystem;

class SegmentSetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("acc-segset-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  static ObjectRef put(SegmentWriter& w, std::size_t size) {
    const std::vector<uint8_t> bytes(size, static_cast<uint8_t>(size));
    EXPECT_TRUE(w.begin());
    EXPECT_TRUE(w.append(bytes));
    auto ref = w.finish();
    EXPECT_TRUE(ref);
    EXPECT_TRUE(w.sync());
    return ref ? *ref : ObjectRef{};
  }
  std::size_t files() const {
    std::size_t n = 0;
    for (const auto& e : fs::directory_iterator(dir_)) {
      n += e.path().extension() == ".log" ? 1 : 0;
    }
    return n;
  }

  fs::path dir_;
};

TEST_F(SegmentSetTest, ASealedSegmentGoesWhenItsLastObjectIsReleasedTheOpenOneStays) {
  auto set = SegmentSet::open({dir_, 10'000});
  ASSERT_TRUE(set) << set.error().message();
  auto w = set->new_writer();
  ASSERT_TRUE(w);
  std::vector<ObjectRef> first;
  while (!set->full(*w)) {
    first.push_back(put(*w, 3000));
    set->add_live(first.back());
  }
  const uint64_t sealed_id = w->id();
  ASSERT_TRUE(set->seal(sealed_id));
  auto w2 = set->new_writer();
  ASSERT_TRUE(w2);
  EXPECT_GT(w2->id(), sealed_id);
  const auto open_ref = put(*w2, 500);
  set->add_live(open_ref);
  EXPECT_EQ(files(), 2u);

  for (std::size_t i = 0; i + 1 < first.size(); ++i) {
    ASSERT_TRUE(set->release(first[i]));
  }
  EXPECT_EQ(files(), 2u) << "one object still points into the sealed segment";
  ASSERT_TRUE(set->release(first.back()));
  EXPECT_FALSE(fs::exists(segment_path(dir_, sealed_id)));
  ASSERT_TRUE(set->release(open_ref));
  EXPECT_TRUE(fs::exists(segment_path(dir_, w2->id()))) << "the segment being written stays";
}

TEST_F(SegmentSetTest, AfterARestartOnlySegmentsTheIndexStillPointsIntoRemain) {
  std::vector<ObjectRef> kept, dropped;
  uint64_t last_id = 0;
  {
    auto set = SegmentSet::open({dir_, 4'000});
    ASSERT_TRUE(set);
    for (int s = 0; s < 3; ++s) {
      auto w = set->new_writer();
      ASSERT_TRUE(w);
      last_id = w->id();
      for (int i = 0; i < 2; ++i) {
        (s == 1 ? kept : dropped).push_back(put(*w, 1500));
      }
      if (s == 2) {
        // The process dies while this segment is open, a reservation at its end.
        ASSERT_TRUE(w->begin());
        ASSERT_TRUE(w->append(std::vector<uint8_t>(100, 1)));
        ASSERT_TRUE(w->sync());
      }
    }
  }
  auto set = SegmentSet::open({dir_, 4'000});
  ASSERT_TRUE(set) << set.error().message();
  EXPECT_EQ(set->recovered().size(), kept.size() + dropped.size());
  for (const auto& ref : kept) {
    set->add_live(ref);  // what the index still lists
  }
  auto deleted = set->delete_dead();
  ASSERT_TRUE(deleted);
  EXPECT_EQ(*deleted, 2u);
  EXPECT_EQ(files(), 1u);
  for (const auto& ref : kept) {
    EXPECT_TRUE(verify_object(dir_, ref));
  }
  auto w = set->new_writer();
  ASSERT_TRUE(w);
  EXPECT_GT(w->id(), last_id) << "a deleted segment's id is never written again";
}

}  // namespace
}  // namespace acc::queue
