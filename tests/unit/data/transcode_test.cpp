// Decompression for destinations that accept only uncompressed syntaxes: lossless sources must come
// out pixel-identical to the uncompressed original of the same image (pydicom ships both).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "dicom/data/data_errc.hpp"
#include "dicom/data/data_set.hpp"
#include "dicom/data/part10.hpp"
#include "dicom/data/transcode.hpp"

namespace acc::dicom::data {
namespace {

const std::filesystem::path kSamples = "/usr/lib/python3/dist-packages/pydicom/data/test_files";
constexpr const char* kExplicitLe = "1.2.840.10008.1.2.1";
constexpr const char* kImplicitLe = "1.2.840.10008.1.2";

struct Loaded {
  std::vector<uint8_t> bytes;
  Part10View view;
};

Loaded load(const char* name) {
  Loaded l;
  std::ifstream in(kSamples / name, std::ios::binary);
  l.bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  auto v = split_part10(l.bytes);
  EXPECT_TRUE(v) << name;
  if (v) {
    l.view = *v;
  }
  return l;
}

// Pixel Data value of an uncompressed data set, via DCMTK (through DataSet::get_string would lose
// binary data), compared by parsing both and checking sizes plus a sample of attributes.
void expect_decoded_like(const std::vector<uint8_t>& decoded, const char* ts,
                         const Loaded& reference) {
  auto a = DataSet::parse(decoded, ts);
  ASSERT_TRUE(a) << a.error().message();
  auto b = DataSet::parse(reference.view.data_set, reference.view.meta.transfer_syntax_uid);
  ASSERT_TRUE(b);
  EXPECT_EQ(a->summary().sop_instance_uid, b->summary().sop_instance_uid);
  EXPECT_EQ(a->get_string(0x0028, 0x0010), b->get_string(0x0028, 0x0010));  // Rows
  EXPECT_EQ(a->get_string(0x0028, 0x0011), b->get_string(0x0028, 0x0011));  // Columns
  EXPECT_EQ(a->pixel_data_hash(), b->pixel_data_hash());
}

TEST(Transcode, RleDecodesToTheUncompressedOriginal) {
  const Loaded rle = load("MR_small_RLE.dcm");
  const Loaded raw = load("MR_small.dcm");
  auto out = transcode(rle.view.data_set, rle.view.meta.transfer_syntax_uid, kExplicitLe);
  ASSERT_TRUE(out) << out.error().message();
  expect_decoded_like(*out, kExplicitLe, raw);
}

TEST(Transcode, JpegLsLosslessDecodesToTheUncompressedOriginal) {
  const Loaded jls = load("MR_small_jpeg_ls_lossless.dcm");
  const Loaded raw = load("MR_small.dcm");
  auto out = transcode(jls.view.data_set, jls.view.meta.transfer_syntax_uid, kImplicitLe);
  ASSERT_TRUE(out) << out.error().message();
  expect_decoded_like(*out, kImplicitLe, raw);
}

TEST(Transcode, JpegBaselineDecodes) {
  const Loaded jpg = load("SC_rgb_jpeg_dcmtk.dcm");
  auto out = transcode(jpg.view.data_set, jpg.view.meta.transfer_syntax_uid, kExplicitLe);
  ASSERT_TRUE(out) << out.error().message();
  auto parsed = DataSet::parse(*out, kExplicitLe);
  ASSERT_TRUE(parsed);
  EXPECT_FALSE(parsed->pixel_data_hash().empty());
}

TEST(Transcode, Jpeg2000HasNoDecoderAndSaysSo) {
  const Loaded j2k = load("MR_small_jp2klossless.dcm");
  EXPECT_FALSE(can_transcode_from(j2k.view.meta.transfer_syntax_uid));
  auto out = transcode(j2k.view.data_set, j2k.view.meta.transfer_syntax_uid, kExplicitLe);
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().code, DataErrc::cannot_transcode);
}

TEST(Transcode, UncompressedToOtherUncompressedKeepsPixels) {
  const Loaded raw = load("MR_small.dcm");
  auto out = transcode(raw.view.data_set, raw.view.meta.transfer_syntax_uid, kImplicitLe);
  ASSERT_TRUE(out) << out.error().message();
  expect_decoded_like(*out, kImplicitLe, raw);
}

TEST(Transcode, OnlyUncompressedTargets) {
  const Loaded raw = load("MR_small.dcm");
  auto out =
      transcode(raw.view.data_set, raw.view.meta.transfer_syntax_uid, "1.2.840.10008.1.2.4.80");
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().code, DataErrc::cannot_transcode);
}

TEST(Transcode, GarbageIsUnparsableNotACrash) {
  const std::vector<uint8_t> garbage(333, 0x5A);
  auto out = transcode(garbage, "1.2.840.10008.1.2.5", kExplicitLe);
  ASSERT_FALSE(out);
}

}  // namespace
}  // namespace acc::dicom::data
