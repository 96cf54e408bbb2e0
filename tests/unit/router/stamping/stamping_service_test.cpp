// StampingService: held studies and the commit that makes a hold visible in the store.
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace acc::router::testing
