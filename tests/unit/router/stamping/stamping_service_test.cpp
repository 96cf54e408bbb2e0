// StampingService: held studies and the commit that makes a hold visible in the store.
#include <gtest/gtest.h>

#include <algorithm>

#include "dicom/data/data_set.hpp"
#include "dicom/data/part10.hpp"

#include "tests/unit/router/stamping/stamping_service_fixture.hpp"

namespace acc::router::testing {
namespace {

class StampingServiceTest : public StampingServiceFixture {
 protected:
  void configure(config::RouterConfig& c) override { c.matching.hold_s = 0; }
};

// The query on miss can answer before the held instance is committed; the re-evaluation it
// triggers then finds nothing held in the store. The study must not be forgotten: once its
// commit lands, the next re-evaluation applies after_hold. (CI saw this race: a study held
// forever, never forwarded.)
TEST_F(StampingServiceTest, HoldCommittedAfterAReEvaluationIsStillReleased) {
  PreparedInstance p = prepared({}, kNow);  // the worklist is empty: unmatched, held
  service_->process(p, kNow);
  ASSERT_EQ(p.record.state, queue::RecordState::held);
  EXPECT_EQ(service_->held_count(), 1u);

  service_->reevaluate_held(kNow);  // the commit has not happened yet
  EXPECT_EQ(service_->held_count(), 1u);

  const std::string uid = p.record.sop_instance_uid;
  const std::string study = p.record.study_instance_uid;
  ASSERT_TRUE(store_->commit(p.record, p.part10));
  service_->hold_settled(study);

  service_->reevaluate_held(kNow + 1000);
  const auto r = record(uid);
  EXPECT_EQ(r.state, queue::RecordState::stored);
  EXPECT_EQ(r.destinations, std::vector<std::string>{"PACS"});

  // Nothing held any more: the next look forgets the study.
  service_->reevaluate_held(kNow + 2000);
  EXPECT_EQ(service_->held_count(), 0u);
}

// A hold whose commit failed never reaches the store: once settled, the study is forgotten.
TEST_F(StampingServiceTest, HoldThatNeverCommittedIsForgottenOnceSettled) {
  PreparedInstance p = prepared({}, kNow);
  service_->process(p, kNow);
  ASSERT_EQ(p.record.state, queue::RecordState::held);
  service_->reevaluate_held(kNow);
  EXPECT_EQ(service_->held_count(), 1u);
  service_->hold_settled(p.record.study_instance_uid);
  service_->reevaluate_held(kNow + 1000);
  EXPECT_EQ(service_->held_count(), 0u);
}

// Issue 11: a large instance arrives through the spool and is held (no order yet). Stamping it
// when its order arrives rewrites the attributes before the pixel data only: the new version's
// bulk is the stored one, byte for byte, and the stored object checks out.
TEST_F(StampingServiceTest, AHeldSpooledInstanceIsStampedLaterWithItsPixelsUnchanged) {
  TestInstance t;
  t.pixel_bytes = 6'000'000;  // two chunks of the commit's copy
  PreparedInstance p = prepared_spooled(t, kNow);
  ASSERT_TRUE(p.spool);
  EXPECT_EQ(p.bulk_length, t.pixel_bytes + 12) << "Pixel Data header + value";
  service_->process(p, kNow);
  ASSERT_EQ(p.record.state, queue::RecordState::held);
  const std::string uid = p.record.sop_instance_uid;
  const std::string study = p.record.study_instance_uid;
  ASSERT_TRUE(store_->commit(p.record, p.take_object()));
  service_->hold_settled(study);

  worklist_->absorb({test_order("A1", "CT", "100000")}, false);
  service_->reevaluate_held(kNow + 1000);
  const auto r = record(uid);
  ASSERT_EQ(r.state, queue::RecordState::stored);
  auto object = store_->read_object(uid);
  ASSERT_TRUE(object && *object) << "the new version checks out against its XXH3-64";
  auto view = dicom::data::split_part10(**object);
  ASSERT_TRUE(view);
  auto parsed = dicom::data::DataSet::parse(view->data_set, view->meta.transfer_syntax_uid);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->summary().accession_number, "A1");
  const auto sent = data_set_of(t, uid);
  const std::size_t bulk = t.pixel_bytes + 12;
  ASSERT_GE(view->data_set.size(), bulk);
  EXPECT_TRUE(std::equal(sent.end() - static_cast<std::ptrdiff_t>(bulk), sent.end(),
                         view->data_set.end() - static_cast<std::ptrdiff_t>(bulk)))
      << "the pixel data is the one received";
  EXPECT_EQ(r.size_bytes, (*object)->size());
}

}  // namespace
}  // namespace acc::router::testing
