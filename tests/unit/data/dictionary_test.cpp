// Tag and SOP class names from DCMTK's dictionary, and the attributes a router must not touch.
#include "dicom/data/dictionary.hpp"

#include <gtest/gtest.h>

#include "dicom/data/data_set.hpp"

namespace acc::dicom::data {
namespace {

TEST(Dictionary, IsLoaded) {
  // Without it every keyword look-up below would fail for the wrong reason.
  ASSERT_TRUE(dictionary_loaded());
}

TEST(Dictionary, KeywordToTag) {
  EXPECT_EQ(tag_from_text("StationName"), (Tag{0x0008, 0x1010}));
  EXPECT_EQ(tag_from_text("PatientID"), (Tag{0x0010, 0x0020}));
  EXPECT_EQ(tag_from_text("StudyDescription"), (Tag{0x0008, 0x1030}));
  EXPECT_EQ(tag_from_text("PixelData"), (Tag{0x7FE0, 0x0010}));
}

TEST(Dictionary, KeywordsAreCaseSensitiveAndMustExist) {
  EXPECT_FALSE(tag_from_text("stationname"));
  EXPECT_FALSE(tag_from_text("StationNam"));
  EXPECT_FALSE(tag_from_text("NoSuchKeyword"));
  EXPECT_FALSE(tag_from_text(""));
  EXPECT_FALSE(tag_from_text(" StationName"));
}

TEST(Dictionary, RepeatingGroupKeywordsNameNoSingleTag) {
  // (60xx,3000): which overlay would be meant is not said by the keyword.
  EXPECT_FALSE(tag_from_text("OverlayData"));
}

TEST(Dictionary, NumericTagsInEitherCaseWithOrWithoutParentheses) {
  EXPECT_EQ(tag_from_text("0008,1010"), (Tag{0x0008, 0x1010}));
  EXPECT_EQ(tag_from_text("(0008,1010)"), (Tag{0x0008, 0x1010}));
  EXPECT_EQ(tag_from_text("7fe0,0010"), (Tag{0x7FE0, 0x0010}));
  EXPECT_EQ(tag_from_text("(0009,10AB)"), (Tag{0x0009, 0x10AB}));  // private: numbers are fine
}

TEST(Dictionary, MalformedNumericTags) {
  EXPECT_FALSE(tag_from_text("0008,101"));
  EXPECT_FALSE(tag_from_text("008,1010"));
  EXPECT_FALSE(tag_from_text("0008,10100"));
  EXPECT_FALSE(tag_from_text("0008;1010"));
  EXPECT_FALSE(tag_from_text("000g,1010"));
  EXPECT_FALSE(tag_from_text("(0008,1010"));
  EXPECT_FALSE(tag_from_text("0008, 1010"));
  EXPECT_FALSE(tag_from_text(","));
  EXPECT_FALSE(tag_from_text("0008,1010,0000"));
}

TEST(Dictionary, TagKeywordAndText) {
  EXPECT_EQ(tag_keyword({0x0008, 0x1010}), "StationName");
  EXPECT_EQ(tag_keyword({0x0009, 0x10AB}), "(0009,10AB)");
  EXPECT_EQ(tag_text({0x0008, 0x1010}), "(0008,1010)");
  EXPECT_EQ(tag_text({0x7FE0, 0x000a}), "(7FE0,000A)");
}

TEST(Dictionary, KeywordRoundTrips) {
  for (const char* keyword : {"InstitutionName", "AccessionNumber", "OperatorsName", "Modality"}) {
    const auto tag = tag_from_text(keyword);
    ASSERT_TRUE(tag) << keyword;
    EXPECT_EQ(tag_keyword(*tag), keyword);
  }
}

TEST(Dictionary, SopClassByNameOrUid) {
  EXPECT_EQ(sop_class_from_text("CTImageStorage"), "1.2.840.10008.5.1.4.1.1.2");
  EXPECT_EQ(sop_class_from_text("MRImageStorage"), "1.2.840.10008.5.1.4.1.1.4");
  EXPECT_EQ(sop_class_from_text("1.2.840.10008.5.1.4.1.1.2"), "1.2.840.10008.5.1.4.1.1.2");
  // A private class is not in any dictionary but is a valid UID.
  EXPECT_EQ(sop_class_from_text("1.3.6.1.4.1.9590.100.1.2.1"), "1.3.6.1.4.1.9590.100.1.2.1");
}

TEST(Dictionary, UnknownSopClassNamesAndMalformedUids) {
  EXPECT_FALSE(sop_class_from_text("CtImageStorage"));
  EXPECT_FALSE(sop_class_from_text("CTImageStorag"));
  EXPECT_FALSE(sop_class_from_text(""));
  // Known to DCMTK, but a transfer syntax, not a storage class.
  EXPECT_FALSE(sop_class_from_text("LittleEndianImplicitTransferSyntax"));
  EXPECT_FALSE(sop_class_from_text("1.2.840.10008.5.1.4.1.1.02"));
  EXPECT_FALSE(sop_class_from_text("1.2..3"));
  EXPECT_FALSE(sop_class_from_text("1.2.3."));
  EXPECT_FALSE(sop_class_from_text("1.2.3a"));
  EXPECT_FALSE(sop_class_from_text(std::string(65, '1')));
}

TEST(Dictionary, ProtectedAttributes) {
  for (const Tag tag :
       {Tag{0x0002, 0x0010}, Tag{0x0000, 0x0100}, Tag{0x0008, 0x0016}, Tag{0x0008, 0x0018},
        Tag{0x0020, 0x000D}, Tag{0x0020, 0x000E}, Tag{0x7FE0, 0x0010}, Tag{0x7FE0, 0x0008},
        Tag{0x0028, 0x0010}, Tag{0x0028, 0x0011}, Tag{0x0028, 0x0100}, Tag{0x0028, 0x0101},
        Tag{0x0028, 0x0102}, Tag{0x0028, 0x0103}, Tag{0x0028, 0x0002}, Tag{0x0028, 0x0004},
        Tag{0x0028, 0x0008}, Tag{0x0008, 0x0005}, Tag{0x0400, 0x0561}}) {
    const auto reason = protected_reason(tag);
    ASSERT_TRUE(reason) << tag_text(tag);
    EXPECT_FALSE(reason->empty());
  }
}

TEST(Dictionary, OrdinaryAttributesAreNotProtected) {
  for (const Tag tag :
       {Tag{0x0008, 0x1010}, Tag{0x0008, 0x0080}, Tag{0x0008, 0x1030}, Tag{0x0008, 0x1070},
        Tag{0x0010, 0x0010}, Tag{0x0008, 0x0050}, Tag{0x0028, 0x1050}}) {
    EXPECT_FALSE(protected_reason(tag)) << tag_text(tag);
  }
}

}  // namespace
}  // namespace acc::dicom::data
