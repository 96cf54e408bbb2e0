// StampingService: held studies and the commit that makes a hold visible in the store.
#include "router/stamping/stamping_service.hpp"
#include "router/receive/prepare_instance.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include <asio/io_context.hpp>

#include "dicom/data/part10.hpp"
#include "dicom/dimse/status.hpp"

namespace acc::router {
namespace {

using namespace acc::dicom;

const std::filesystem::path kSamples = "/usr/lib/python3/dist-packages/pydicom/data/test_files";

std::vector<uint8_t> read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class StampingServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("acc-stamping-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    config_.worklist.enabled = true;
    config_.worklist.ae_title = "RIS";
    config_.worklist.host = "127.0.0.1";
    config_.worklist.port = 1;  // never contacted: the io_context below never runs
    config_.matching.hold_s = 0;
    config_.matching.after_hold = config::AfterHoldPolicy::forward;
    auto store = queue::InstanceStore::open({dir_ / "store", /*sync=*/false});
    ASSERT_TRUE(store) << store.error().message();
    store_ = std::move(*store);
    worklist_.emplace(io_, config_.worklist, "ACCESSIONER", *store_);
    service_.emplace(config_, *store_, *worklist_, rules_, metrics_);
  }
  void TearDown() override {
    service_.reset();
    worklist_.reset();
    if (store_) {
      store_->close();
    }
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  // CT_small.dcm, received now: with an empty worklist it is unmatched and held.
  PreparedInstance received_ct(int64_t now_ms) {
    const auto file = read_file(kSamples / "CT_small.dcm");
    auto view = data::split_part10(file);
    EXPECT_TRUE(view);
    const net::AcceptedContext ctx{1, view->meta.media_storage_sop_class_uid,
                                   view->meta.transfer_syntax_uid};
    PreparedInstance p =
        prepare_instance(dimse::make_c_store_rq(1, view->meta.media_storage_sop_class_uid,
                                                view->meta.media_storage_sop_instance_uid),
                         ctx, view->data_set);
    EXPECT_EQ(p.status, dimse::status::kSuccess) << p.error_comment;
    p.record.calling_ae = "CT01";
    p.record.received_at_ms = now_ms;
    p.record.destinations = {"PACS"};
    return p;
  }

  std::filesystem::path dir_;
  config::RouterConfig config_;
  asio::io_context io_;
  std::unique_ptr<queue::InstanceStore> store_;
  std::optional<WorklistCache> worklist_;
  RuleBook rules_{std::make_shared<const rules::RuleSet>(), {"PACS"}};
  RouterMetrics metrics_{"test"};
  std::optional<StampingService> service_;
};

// The query on miss can answer before the held instance is committed; the re-evaluation it
// triggers then finds nothing held in the store. The study must not be forgotten: once its
// commit lands, the next re-evaluation applies after_hold. (CI saw this race: a study held
// forever, never forwarded.)
TEST_F(StampingServiceTest, HoldCommittedAfterAReEvaluationIsStillReleased) {
  const int64_t now = 1'700'000'000'000;
  PreparedInstance p = received_ct(now);
  service_->process(p, now);
  ASSERT_EQ(p.record.state, queue::RecordState::held);
  EXPECT_EQ(service_->held_count(), 1u);

  service_->reevaluate_held(now);  // the commit has not happened yet
  EXPECT_EQ(service_->held_count(), 1u);

  const std::string uid = p.record.sop_instance_uid;
  const std::string study = p.record.study_instance_uid;
  ASSERT_TRUE(store_->commit(p.record, p.part10));
  service_->hold_settled(study);

  service_->reevaluate_held(now + 1000);
  auto found = store_->find(uid);
  ASSERT_TRUE(found && *found);
  EXPECT_EQ((*found)->state, queue::RecordState::stored);
  EXPECT_EQ((*found)->destinations, std::vector<std::string>{"PACS"});

  // Nothing held any more: the next look forgets the study.
  service_->reevaluate_held(now + 2000);
  EXPECT_EQ(service_->held_count(), 0u);
}

// A hold whose commit failed never reaches the store: once settled, the study is forgotten.
TEST_F(StampingServiceTest, HoldThatNeverCommittedIsForgottenOnceSettled) {
  const int64_t now = 1'700'000'000'000;
  PreparedInstance p = received_ct(now);
  service_->process(p, now);
  ASSERT_EQ(p.record.state, queue::RecordState::held);
  service_->reevaluate_held(now);
  EXPECT_EQ(service_->held_count(), 1u);
  service_->hold_settled(p.record.study_instance_uid);
  service_->reevaluate_held(now + 1000);
  EXPECT_EQ(service_->held_count(), 0u);
}

}  // namespace
}  // namespace acc::router
