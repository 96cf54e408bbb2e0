// prepare_instance: what the Storage SCP decides about a received data set, on real sample files.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "dicom/data/part10.hpp"
#include "dicom/dimse/status.hpp"
#include "router/receive/prepare_instance.hpp"

namespace acc::router {
namespace {

using namespace acc::dicom;
namespace st = dimse::status;

const std::filesystem::path kSamples = "/usr/lib/python3/dist-packages/pydicom/data/test_files";

std::vector<uint8_t> read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct Sample {
  std::vector<uint8_t> file;
  data::Part10View view;
};

Sample load(const char* name) {
  Sample s{read_file(kSamples / name), {}};
  auto v = data::split_part10(s.file);
  EXPECT_TRUE(v) << name;
  s.view = *v;
  return s;
}

dimse::Command store_rq(const data::FileMeta& meta) {
  return dimse::make_c_store_rq(7, meta.media_storage_sop_class_uid,
                                meta.media_storage_sop_instance_uid);
}

TEST(PrepareInstance, ValidCtIsFramedAsPart10WithTheDataSetUnchanged) {
  const Sample s = load("CT_small.dcm");
  const net::AcceptedContext ctx{1, s.view.meta.media_storage_sop_class_uid,
                                 s.view.meta.transfer_syntax_uid};
  const auto p = prepare_instance(store_rq(s.view.meta), ctx, s.view.data_set);
  ASSERT_EQ(p.status, st::kSuccess) << p.error_comment;
  EXPECT_EQ(p.record.sop_instance_uid, s.view.meta.media_storage_sop_instance_uid);
  EXPECT_EQ(p.record.patient_id, "1CT1");
  EXPECT_FALSE(p.record.study_instance_uid.empty());
  const auto framed = data::split_part10(p.part10);
  ASSERT_TRUE(framed);
  EXPECT_TRUE(std::equal(framed->data_set.begin(), framed->data_set.end(), s.view.data_set.begin(),
                         s.view.data_set.end()));
  EXPECT_EQ(framed->meta.transfer_syntax_uid, s.view.meta.transfer_syntax_uid);
  EXPECT_EQ(p.record.size_bytes, p.part10.size());
}

TEST(PrepareInstance, DeflatedDataSetParses) {
  const Sample s = load("image_dfl.dcm");
  ASSERT_EQ(s.view.meta.transfer_syntax_uid, "1.2.840.10008.1.2.1.99");
  const net::AcceptedContext ctx{1, s.view.meta.media_storage_sop_class_uid,
                                 s.view.meta.transfer_syntax_uid};
  const auto p = prepare_instance(store_rq(s.view.meta), ctx, s.view.data_set);
  EXPECT_EQ(p.status, st::kSuccess) << p.error_comment;
}

TEST(PrepareInstance, GarbageIsAFailureInTheCannotUnderstandRange) {
  const std::vector<uint8_t> garbage(1000, 0xEE);
  const net::AcceptedContext ctx{1, "1.2.840.10008.5.1.4.1.1.2", "1.2.840.10008.1.2.1"};
  const auto p =
      prepare_instance(dimse::make_c_store_rq(1, ctx.abstract_syntax, "1.2.3"), ctx, garbage);
  EXPECT_EQ(p.status & 0xF000, 0xC000);
  EXPECT_TRUE(p.part10.empty());
  EXPECT_FALSE(p.error_comment.empty());
  EXPECT_LE(p.error_comment.size(), 64u);
}

TEST(PrepareInstance, InstanceUidDifferentFromCommandIsRefused) {
  const Sample s = load("CT_small.dcm");
  const net::AcceptedContext ctx{1, s.view.meta.media_storage_sop_class_uid,
                                 s.view.meta.transfer_syntax_uid};
  auto rq = store_rq(s.view.meta);
  rq.AffectedSOPInstanceUID = "1.2.3.4";
  EXPECT_EQ(prepare_instance(rq, ctx, s.view.data_set).status, st::kCannotUnderstand);
}

// Issue 12: a SOP Instance UID that is not a UID goes no further than the receive: 0x0117 with the
// reason, before any record or file name is made of it.
TEST(PrepareInstance, ASopInstanceUidThatIsNotAUidIs0117) {
  const Sample s = load("CT_small.dcm");
  const std::string uid = s.view.meta.media_storage_sop_instance_uid;
  std::vector<uint8_t> data_set(s.view.data_set.begin(), s.view.data_set.end());
  // (0008,0018) UI in Explicit VR LE: tag, "UI", 16-bit length, value. Same length, one '/'.
  const std::vector<uint8_t> tag = {0x08, 0x00, 0x18, 0x00, 'U', 'I'};
  const auto at = std::search(data_set.begin(), data_set.end(), tag.begin(), tag.end());
  ASSERT_NE(at, data_set.end());
  const auto value = at + 8;
  ASSERT_TRUE(std::equal(uid.begin(), uid.end(), value));
  std::string bad = uid;
  bad[1] = '/';
  std::copy(bad.begin(), bad.end(), value);

  const net::AcceptedContext ctx{1, s.view.meta.media_storage_sop_class_uid,
                                 s.view.meta.transfer_syntax_uid};
  auto rq = store_rq(s.view.meta);
  rq.AffectedSOPInstanceUID = bad;
  const auto p = prepare_instance(rq, ctx, data_set);
  EXPECT_EQ(p.status, st::kInvalidSopInstance);
  EXPECT_EQ(p.error_comment, "SOP Instance UID has a character other than 0-9 and .");
  EXPECT_TRUE(p.part10.empty());
  EXPECT_TRUE(p.record.sop_instance_uid.empty());
}

TEST(PrepareInstance, SopClassDifferentFromContextIsRefused) {
  const Sample s = load("CT_small.dcm");
  const net::AcceptedContext ctx{1, "1.2.840.10008.5.1.4.1.1.4", s.view.meta.transfer_syntax_uid};
  EXPECT_EQ(prepare_instance(store_rq(s.view.meta), ctx, s.view.data_set).status,
            st::kSopClassNotSupported);
}

TEST(PrepareInstance, SopClassInDataSetDifferentFromCommandIsA900) {
  const Sample s = load("CT_small.dcm");
  auto rq = store_rq(s.view.meta);
  rq.AffectedSOPClassUID = "1.2.840.10008.5.1.4.1.1.4";  // MR, data set says CT
  const net::AcceptedContext ctx{1, rq.AffectedSOPClassUID, s.view.meta.transfer_syntax_uid};
  EXPECT_EQ(prepare_instance(rq, ctx, s.view.data_set).status, st::kDataSetDoesNotMatchSopClass);
}

}  // namespace
}  // namespace acc::router
