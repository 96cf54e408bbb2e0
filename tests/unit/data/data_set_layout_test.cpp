// walk_data_set: over every pydicom sample with a meta header, the bulk starts exactly at the
// (7FE0,xxxx) element, the header before it parses with DCMTK and carries the same identity as
// the whole data set; broken framing anywhere (even inside the pixel data) is refused.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "dicom/data/data_errc.hpp"
#include "dicom/data/data_set.hpp"
#include "dicom/data/data_set_layout.hpp"
#include "dicom/data/part10.hpp"

namespace acc::dicom::data {
namespace {

const std::filesystem::path kSamples = "/usr/lib/python3/dist-packages/pydicom/data/test_files";

std::vector<uint8_t> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

uint16_t tag_group(std::span<const uint8_t> at, bool big_endian) {
  return big_endian ? static_cast<uint16_t>((at[0] << 8) | at[1])
                    : static_cast<uint16_t>(at[0] | (at[1] << 8));
}

TEST(DataSetLayout, EverySampleSplitsAtItsPixelDataAndItsHeaderParses) {
  std::size_t walked = 0;
  std::size_t with_bulk = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kSamples)) {
    if (entry.path().extension() != ".dcm") {
      continue;
    }
    const auto name = entry.path().filename().string();
    const auto bytes = read_file(entry.path());
    auto part10 = split_part10(bytes);
    if (!part10) {
      continue;  // no meta header: no transfer syntax to walk it in
    }
    const std::string& ts = part10->meta.transfer_syntax_uid;
    auto whole = DataSet::parse(part10->data_set, ts);
    auto layout = walk_data_set(part10->data_set, ts);
    if (!whole) {
      continue;  // DCMTK refuses it too (truncated samples): see the test below
    }
    ASSERT_TRUE(layout) << name << ": " << layout.error().message();
    if (!layout->walked) {
      EXPECT_EQ(ts, "1.2.840.10008.1.2.1.99") << name;  // deflated: parsed whole instead
      continue;
    }
    ++walked;
    if (!layout->bulk_start) {
      continue;  // no pixel data (structured report, RT plan)
    }
    ++with_bulk;
    const std::size_t at = *layout->bulk_start;
    ASSERT_LE(at + 4, part10->data_set.size()) << name;
    EXPECT_GE(tag_group(part10->data_set.subspan(at), ts == "1.2.840.10008.1.2.2"), kBulkGroup)
        << name;
    auto header = DataSet::parse(part10->data_set.first(at), ts);
    ASSERT_TRUE(header) << name << ": " << header.error().message();
    EXPECT_EQ(header->summary().sop_instance_uid, whole->summary().sop_instance_uid) << name;
    EXPECT_EQ(header->summary().patient_id, whole->summary().patient_id) << name;
    EXPECT_EQ(header->summary().study_instance_uid, whole->summary().study_instance_uid) << name;
  }
  EXPECT_GE(walked, 40u);
  EXPECT_GE(with_bulk, 35u);
}

TEST(DataSetLayout, TruncatedOrBrokenFramingIsRefusedWithItsOffset) {
  const auto bytes = read_file(kSamples / "CT_small.dcm");
  auto part10 = split_part10(bytes);
  ASSERT_TRUE(part10);
  const auto ds = part10->data_set;
  const std::string ts = part10->meta.transfer_syntax_uid;
  auto layout = walk_data_set(ds, ts);
  ASSERT_TRUE(layout && layout->bulk_start);
  // Cut inside the pixel data: the header alone would parse, the walk sees the missing bytes.
  auto cut = walk_data_set(ds.first(ds.size() - 100), ts);
  ASSERT_FALSE(cut);
  EXPECT_EQ(cut.error().code, DataErrc::unparsable);
  EXPECT_NE(cut.error().detail.find("past the end"), std::string::npos) << cut.error().detail;
  // Cut inside an element header.
  EXPECT_FALSE(walk_data_set(ds.first(*layout->bulk_start + 5), ts));
  // A length that claims more than there is, on the first element.
  std::vector<uint8_t> bad(ds.begin(), ds.end());
  bad[6] = 0xFF;
  bad[7] = 0xFF;
  EXPECT_FALSE(walk_data_set(bad, ts));
  // An item tag at the top level.
  std::vector<uint8_t> item = {0xFE, 0xFF, 0x00, 0xE0, 0x00, 0x00, 0x00, 0x00};
  EXPECT_FALSE(walk_data_set(item, ts));
  EXPECT_TRUE(walk_data_set({}, ts));  // nothing to walk is no error here
}

TEST(DataSetLayout, SequencesOfUndefinedLengthAreWalkedNotSkipped) {
  // (0008,1140) SQ of undefined length holding one item of undefined length with one element,
  // then (7FE0,0010) OW of 4 bytes: Explicit VR Little Endian.
  std::vector<uint8_t> ds = {
      0x08, 0x00, 0x40, 0x11, 'S',  'Q',  0,    0,    0xFF, 0xFF, 0xFF, 0xFF,  // SQ, undefined
      0xFE, 0xFF, 0x00, 0xE0, 0xFF, 0xFF, 0xFF, 0xFF,                          // item, undefined
      0x08, 0x00, 0x50, 0x11, 'U',  'I',  4,    0,    '1',  '.',  '2',  0,     // (0008,1150) UI
      0xFE, 0xFF, 0x0D, 0xE0, 0,    0,    0,    0,                             // item delimitation
      0xFE, 0xFF, 0xDD, 0xE0, 0,    0,    0,    0,  // sequence delimitation
      0xE0, 0x7F, 0x10, 0x00, 'O',  'W',  0,    0,    4,    0,    0,    0,
      1,    2,    3,    4,  // pixel data
  };
  auto layout = walk_data_set(ds, "1.2.840.10008.1.2.1");
  ASSERT_TRUE(layout) << layout.error().message();
  ASSERT_TRUE(layout->bulk_start);
  EXPECT_EQ(*layout->bulk_start, 48u);
  // Without the sequence delimitation the walk runs into the pixel data: refused.
  std::vector<uint8_t> broken(ds.begin(), ds.begin() + 40);
  broken.insert(broken.end(), ds.begin() + 48, ds.end());
  EXPECT_FALSE(walk_data_set(broken, "1.2.840.10008.1.2.1"));
  // Nesting beyond the bound is refused, not walked into the stack.
  std::vector<uint8_t> deep;
  for (int i = 0; i < 100; ++i) {
    const std::vector<uint8_t> open = {0x08, 0x00, 0x40, 0x11, 'S',  'Q',  0,    0,    0xFF, 0xFF,
                                       0xFF, 0xFF, 0xFE, 0xFF, 0x00, 0xE0, 0xFF, 0xFF, 0xFF, 0xFF};
    deep.insert(deep.end(), open.begin(), open.end());
  }
  auto too_deep = walk_data_set(deep, "1.2.840.10008.1.2.1");
  ASSERT_FALSE(too_deep);
  EXPECT_NE(too_deep.error().detail.find("too deep"), std::string::npos);
}

// The spool path (issue 11): a large object's data set is walked where it lies, through reads of
// a window of element headers. Over every sample, the same verdict (and error) and the same bulk
// offset as the walk over memory, and no read outside the data set.
TEST(DataSetLayout, WalkingThroughReadsGivesTheSameLayoutAsWalkingMemory) {
  std::size_t compared = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kSamples)) {
    if (entry.path().extension() != ".dcm") {
      continue;
    }
    const auto bytes = read_file(entry.path());
    auto part10 = split_part10(bytes);
    if (!part10) {
      continue;
    }
    const auto ds = part10->data_set;
    const std::string& ts = part10->meta.transfer_syntax_uid;
    ReadAt read = [&](uint64_t offset, std::span<uint8_t> out) -> Result<void> {
      EXPECT_LE(offset + out.size(), ds.size());
      std::copy_n(ds.begin() + static_cast<std::ptrdiff_t>(offset), out.size(), out.begin());
      return {};
    };
    auto in_memory = walk_data_set(ds, ts);
    auto through_reads = walk_data_set(read, ds.size(), ts);
    const auto name = entry.path().filename().string();
    ASSERT_EQ(in_memory.has_value(), through_reads.has_value()) << name;
    if (!in_memory) {
      EXPECT_EQ(in_memory.error().detail, through_reads.error().detail) << name;
      continue;
    }
    EXPECT_EQ(in_memory->walked, through_reads->walked) << name;
    EXPECT_EQ(in_memory->bulk_start, through_reads->bulk_start) << name;
    ++compared;
  }
  EXPECT_GT(compared, 50u);
}

TEST(DataSetLayout, AReadErrorEndsTheWalkWithThatError) {
  const auto bytes = read_file(kSamples / "CT_small.dcm");
  auto part10 = split_part10(bytes);
  ASSERT_TRUE(part10);
  ReadAt broken = [](uint64_t, std::span<uint8_t>) -> Result<void> {
    return fail(std::errc::io_error, "disk said no");
  };
  auto layout = walk_data_set(broken, part10->data_set.size(), part10->meta.transfer_syntax_uid);
  ASSERT_FALSE(layout);
  EXPECT_EQ(layout.error().code, std::errc::io_error);
  EXPECT_NE(layout.error().detail.find("disk said no"), std::string::npos);
}

}  // namespace
}  // namespace acc::dicom::data
