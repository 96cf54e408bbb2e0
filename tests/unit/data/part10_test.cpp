// Part-10 framing: our meta header in front of the received bytes, and the bounded splitter.
#include <gtest/gtest.h>

#include "dicom/data/data_errc.hpp"
#include "dicom/data/part10.hpp"

namespace acc::dicom::data {
namespace {

TEST(Part10, MakeThenSplitRoundTrips) {
  const std::vector<uint8_t> data_set = {0x08, 0x00, 0x18, 0x00, 'U', 'I', 4, 0, '1', '.', '2', 0};
  const FileMeta meta{"1.2.840.10008.5.1.4.1.1.2", "1.2.3.4", "1.2.840.10008.1.2.1", "CT01"};
  const auto object = make_part10(meta, data_set);
  EXPECT_EQ(std::string(object.begin() + 128, object.begin() + 132), "DICM");
  auto view = split_part10(object);
  ASSERT_TRUE(view) << view.error().message();
  EXPECT_EQ(view->meta, meta);
  EXPECT_EQ(std::vector<uint8_t>(view->data_set.begin(), view->data_set.end()), data_set);
}

TEST(Part10, OddLengthUidsArePaddedAndTrimmedBack) {
  const FileMeta meta{"1.2.3", "1.2.345", "1.2.840.10008.1.2", ""};
  const auto object = make_part10(meta, {});
  EXPECT_EQ(object.size() % 2, 0u);
  auto view = split_part10(object);
  ASSERT_TRUE(view);
  EXPECT_EQ(view->meta.media_storage_sop_class_uid, "1.2.3");
  EXPECT_TRUE(view->data_set.empty());
}

TEST(Part10, RejectsWhatIsNotPart10) {
  std::vector<uint8_t> junk(200, 0);
  auto r = split_part10(junk);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, DataErrc::not_part10);
}

TEST(Part10, RejectsAMetaElementOverrunningTheBuffer) {
  auto object = make_part10({"1.2", "1.2", "1.2.840.10008.1.2", ""}, {});
  object.resize(object.size() - 5);  // cut into the last meta element
  EXPECT_FALSE(split_part10(object));
}

}  // namespace
}  // namespace acc::dicom::data
