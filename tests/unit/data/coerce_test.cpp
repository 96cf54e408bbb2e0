// Attribute coercion on real instances (pydicom's samples in five transfer syntaxes): the edits
// are applied in the dictionary's VR, the audit trail records the previous values, nothing else
// changes (pixel data least of all), and values the VR cannot hold are refused.
#include "dicom/data/coerce.hpp"

#include <gtest/gtest.h>

#include "dicom/data/data_errc.hpp"
#include "dicom/data/data_set.hpp"
#include "dicom/data/part10.hpp"
#include "tests/unit/data/dcmtk_fixture.hpp"

namespace acc::dicom::data {
namespace {

using namespace testing;

// Numeric tags: keyword look-ups (dictionary.cpp) are not needed to name them.
constexpr Tag kImageType{0x0008, 0x0008};                 // CS, VM 2-n
constexpr Tag kSpecificCharacterSet{0x0008, 0x0005};      // CS
constexpr Tag kInstanceCoercionDateTime{0x0008, 0x0015};  // DT
constexpr Tag kStudyDate{0x0008, 0x0020};                 // DA
constexpr Tag kModality{0x0008, 0x0060};                  // CS
constexpr Tag kInstitutionName{0x0008, 0x0080};           // LO
constexpr Tag kReferringPhysicianName{0x0008, 0x0090};    // PN
constexpr Tag kStationName{0x0008, 0x1010};               // SH
constexpr Tag kStudyDescription{0x0008, 0x1030};
constexpr Tag kRequestedProcedureDescription{0x0032, 0x1060};  // LO              // LO
constexpr Tag kProcedureCodeSequence{0x0008, 0x1032};          // SQ
constexpr Tag kPatientName{0x0010, 0x0010};                    // PN
constexpr Tag kOtherPatientIDsSequence{0x0010, 0x1002};        // SQ
constexpr Tag kAdditionalPatientHistory{0x0010, 0x21B0};       // LT
constexpr Tag kAcquisitionMatrix{0x0018, 0x1310};              // US, VM 4
constexpr Tag kDiffusionGradientOrientation{0x0018, 0x9089};   // FD, VM 3
constexpr Tag kTagAngleSecondAxis{0x0018, 0x9219};             // SS
constexpr Tag kStudyID{0x0020, 0x0010};                        // SH
constexpr Tag kImagesInAcquisition{0x0020, 0x1002};            // IS
constexpr Tag kFrameIncrementPointer{0x0028, 0x0009};          // AT
constexpr Tag kPixelSpacing{0x0028, 0x0030};                   // DS, VM 2
constexpr Tag kSmallestImagePixelValue{0x0028, 0x0106};        // US or SS
constexpr Tag kRedPaletteData{0x0028, 0x1201};                 // OW
constexpr Tag kOriginalAttributesSequence{0x0400, 0x0561};     // SQ
constexpr Tag kPixelData{0x7FE0, 0x0010};

DcmTagKey key(Tag t) {
  return {t.group, t.element};
}

struct Sample {
  std::vector<uint8_t> file;
  std::vector<uint8_t> data_set;
  std::string ts;
};

Sample load(const char* name) {
  Sample s;
  s.file = read_file(kSamples / name);
  auto view = split_part10(s.file);
  EXPECT_TRUE(view) << name;
  if (view) {
    s.data_set.assign(view->data_set.begin(), view->data_set.end());
    s.ts = view->meta.transfer_syntax_uid;
  }
  return s;
}

CoerceRequest request(std::vector<AttributeEdit> edits) {
  CoerceRequest r;
  r.edits = std::move(edits);
  r.modifying_system = "ACCESSIONER";
  r.source_of_previous_values = "CT01";
  r.reason = "COERCE";
  r.modification_datetime = "20240105093000.000000+0100";
  return r;
}

AttributeEdit set(Tag tag, std::string value) {
  return {tag, std::move(value)};
}
AttributeEdit remove(Tag tag) {
  return {tag, std::nullopt};
}

DcmElement* element(DcmItem& item, Tag tag) {
  DcmElement* e = nullptr;
  item.findAndGetElement(key(tag), e);
  return e;
}

// The Modified Attributes Sequence item of the last Original Attributes Sequence item.
DcmItem* last_previous_values(DcmDataset& ds) {
  DcmItem* oa = item_of(ds, DCM_OriginalAttributesSequence, -1);
  return oa == nullptr ? nullptr : item_of(*oa, DCM_ModifiedAttributesSequence, 0);
}

// The error code of coercing `s` with `edits` (no error: a default std::error_code).
std::error_code code_of(const Sample& s, std::vector<AttributeEdit> edits) {
  auto out = coerce_attributes(s.data_set, s.ts, request(std::move(edits)));
  return out ? std::error_code() : out.error().code;
}

std::string detail_of(const Sample& s, std::vector<AttributeEdit> edits) {
  auto out = coerce_attributes(s.data_set, s.ts, request(std::move(edits)));
  return out ? std::string("(accepted)") : out.error().detail;
}

class CoerceSample : public ::testing::TestWithParam<const char*> {};

TEST_P(CoerceSample, SetsOverwritesAndRemovesKeepingEverythingElseAndThePixelData) {
  const Sample s = load(GetParam());
  ASSERT_FALSE(s.data_set.empty());
  auto before = parse(s.data_set, s.ts);
  ASSERT_NE(before, nullptr);
  ASSERT_NE(element(*before, kReferringPhysicianName), nullptr);
  ASSERT_EQ(element(*before, kAcquisitionMatrix), nullptr);
  const unsigned long oas_before = items(*before, DCM_OriginalAttributesSequence);
  const std::string institution_before = str(*before, key(kInstitutionName));
  const bool had_institution = element(*before, kInstitutionName) != nullptr;
  const std::string image_type_before = str(*before, key(kImageType));

  auto out = coerce_attributes(
      s.data_set, s.ts,
      request({set(kInstitutionName, "COERCED INSTITUTE"), set(kStationName, "ROUTER1"),
               set(kImageType, "DERIVED\\SECONDARY\\AXIAL"),
               set(kAcquisitionMatrix, "0\\256\\256\\0"), remove(kReferringPhysicianName)}));
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_EQ(out->changed, 5u);
  auto after = parse(out->data_set, s.ts);
  ASSERT_NE(after, nullptr);

  EXPECT_EQ(str(*after, key(kInstitutionName)), "COERCED INSTITUTE");
  EXPECT_EQ(str(*after, key(kStationName)), "ROUTER1");
  EXPECT_EQ(str(*after, key(kImageType)), "DERIVED\\SECONDARY\\AXIAL");
  EXPECT_EQ(element(*after, kImageType)->getVM(), 3u);
  DcmElement* matrix = element(*after, kAcquisitionMatrix);
  ASSERT_NE(matrix, nullptr);
  EXPECT_EQ(matrix->ident(), EVR_US);  // the dictionary's VR, binary, four values
  ASSERT_EQ(matrix->getVM(), 4u);
  Uint16 rows = 0;
  ASSERT_TRUE(matrix->getUint16(rows, 1).good());
  EXPECT_EQ(rows, 256);
  EXPECT_EQ(element(*after, kReferringPhysicianName), nullptr);
  // Everything not named is untouched.
  EXPECT_EQ(str(*after, DCM_SOPInstanceUID), str(*before, DCM_SOPInstanceUID));
  EXPECT_EQ(str(*after, DCM_StudyInstanceUID), str(*before, DCM_StudyInstanceUID));
  EXPECT_EQ(str(*after, DCM_PatientName), str(*before, DCM_PatientName));
  EXPECT_EQ(str(*after, DCM_Rows), str(*before, DCM_Rows));
  EXPECT_EQ(str(*after, key(kInstanceCoercionDateTime)), "20240105093000.000000+0100");

  ASSERT_EQ(items(*after, DCM_OriginalAttributesSequence), oas_before + 1);
  DcmItem* previous = last_previous_values(*after);
  ASSERT_NE(previous, nullptr);
  EXPECT_EQ(str(*previous, key(kInstitutionName)), institution_before);
  EXPECT_EQ(previous->tagExists(key(kInstitutionName)), true) << "absent is recorded empty";
  if (!had_institution) {
    EXPECT_EQ(element(*previous, kInstitutionName)->getLength(), 0u);
  }
  EXPECT_EQ(str(*previous, key(kImageType)), image_type_before);
  EXPECT_TRUE(previous->tagExists(key(kReferringPhysicianName)));
  EXPECT_EQ(str(*previous, key(kReferringPhysicianName)),
            str(*before, key(kReferringPhysicianName)));
  ASSERT_NE(element(*previous, kAcquisitionMatrix), nullptr);
  EXPECT_EQ(element(*previous, kAcquisitionMatrix)->getLength(), 0u);
  EXPECT_FALSE(previous->tagExists(DCM_PatientName));

  const E_TransferSyntax x = xfer(s.ts);
  if (DcmXfer(x).isEncapsulated()) {
    const auto frags = fragments(*before, x);
    ASSERT_FALSE(frags.empty());
    EXPECT_EQ(fragments(*after, x), frags);
  } else {
    auto a = DataSet::parse(s.data_set, s.ts);
    auto b = DataSet::parse(out->data_set, s.ts);
    ASSERT_TRUE(a && b);
    ASSERT_FALSE(a->pixel_data_hash().empty());
    EXPECT_EQ(b->pixel_data_hash(), a->pixel_data_hash());
  }
}

TEST_P(CoerceSample, EditsThatChangeNothingReturnTheInputBytes) {
  const Sample s = load(GetParam());
  auto before = parse(s.data_set, s.ts);
  ASSERT_NE(before, nullptr);
  const std::string name = str(*before, DCM_PatientName);
  // The same value (trailing padding is no difference), removing what is absent, and setting
  // then removing an attribute that was absent.
  auto out = coerce_attributes(
      s.data_set, s.ts,
      request({set(kPatientName, name + " "), remove(kRequestedProcedureDescription),
               remove(kRequestedProcedureDescription), set(kTagAngleSecondAxis, "5"),
               remove(kTagAngleSecondAxis)}));
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_EQ(out->changed, 0u);
  EXPECT_EQ(out->data_set, s.data_set);
}

INSTANTIATE_TEST_SUITE_P(PydicomSamples, CoerceSample,
                         ::testing::Values("CT_small.dcm", "MR_small_implicit.dcm",
                                           "SC_rgb_jpeg_dcmtk.dcm", "image_dfl.dcm",
                                           "MR_small_bigendian.dcm"),
                         [](const auto& info) {
                           std::string name = info.param;
                           return name.substr(0, name.find('.'));
                         });

TEST(Coerce, OriginalAttributesItemRecordsOnlyWhatChangedWithTheAudit) {
  const Sample s = load("CT_small.dcm");
  CoerceRequest r = request({set(kStationName, "CT01_OC0"),              // unchanged: not recorded
                             set(kStudyDescription, "HEAD"),             // was "e+1"
                             remove(kOtherPatientIDsSequence),           // a whole sequence
                             set(kStudyID, "S9"), set(kStudyID, "S10"),  // first value recorded
                             set(kPixelSpacing, "0.5\\0.25")});
  r.reason = "CORRECT";
  r.source_of_previous_values = "MODALITY7";
  r.modifying_system = "ROUTER_AE";
  auto out = coerce_attributes(s.data_set, s.ts, r);
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_EQ(out->changed, 4u);
  auto ds = parse(out->data_set, s.ts);
  ASSERT_NE(ds, nullptr);
  EXPECT_EQ(str(*ds, key(kStudyID)), "S10");
  EXPECT_EQ(str(*ds, key(kPixelSpacing)), "0.5\\0.25");
  EXPECT_EQ(items(*ds, key(kOtherPatientIDsSequence)), 0u);
  EXPECT_FALSE(ds->tagExists(key(kOtherPatientIDsSequence)));

  ASSERT_EQ(items(*ds, DCM_OriginalAttributesSequence), 1u);
  DcmItem* oa = item_of(*ds, DCM_OriginalAttributesSequence, 0);
  EXPECT_EQ(str(*oa, DCM_ModifyingSystem), "ROUTER_AE");
  EXPECT_EQ(str(*oa, DCM_SourceOfPreviousValues), "MODALITY7");
  EXPECT_EQ(str(*oa, DCM_ReasonForTheAttributeModification), "CORRECT");
  EXPECT_EQ(str(*oa, DCM_AttributeModificationDateTime), "20240105093000.000000+0100");
  ASSERT_EQ(items(*oa, DCM_ModifiedAttributesSequence), 1u);
  DcmItem* previous = item_of(*oa, DCM_ModifiedAttributesSequence, 0);
  EXPECT_EQ(str(*previous, key(kStudyDescription)), "e+1");
  EXPECT_EQ(str(*previous, key(kStudyID)), "1CT1");
  EXPECT_EQ(str(*previous, key(kPixelSpacing)), "0.661468\\0.661468");
  EXPECT_EQ(items(*previous, key(kOtherPatientIDsSequence)), 2u);
  EXPECT_FALSE(previous->tagExists(key(kStationName)));
  // CT_small has no Instance Coercion DateTime: set, nothing to record. The four are all.
  EXPECT_FALSE(previous->tagExists(key(kInstanceCoercionDateTime)));
  EXPECT_EQ(previous->card(), 4u);
  EXPECT_EQ(str(*ds, key(kInstanceCoercionDateTime)), "20240105093000.000000+0100");
}

TEST(Coerce, CoercingTwiceAppendsASecondItemRecordingTheFirstCoercion) {
  const Sample s = load("CT_small.dcm");
  auto first = coerce_attributes(s.data_set, s.ts, request({set(kStationName, "A1")}));
  ASSERT_TRUE(first) << first.error().message();
  CoerceRequest again = request({set(kStationName, "B2")});
  again.modification_datetime = "20240106100000";
  auto second = coerce_attributes(first->data_set, s.ts, again);
  ASSERT_TRUE(second) << second.error().message();
  auto ds = parse(second->data_set, s.ts);
  ASSERT_NE(ds, nullptr);
  EXPECT_EQ(str(*ds, key(kStationName)), "B2");
  ASSERT_EQ(items(*ds, DCM_OriginalAttributesSequence), 2u);
  DcmItem* kept =
      item_of(*item_of(*ds, DCM_OriginalAttributesSequence, 0), DCM_ModifiedAttributesSequence, 0);
  EXPECT_EQ(str(*kept, key(kStationName)), "CT01_OC0");
  DcmItem* latest = last_previous_values(*ds);
  ASSERT_NE(latest, nullptr);
  EXPECT_EQ(str(*latest, key(kStationName)), "A1");
  EXPECT_EQ(str(*latest, key(kInstanceCoercionDateTime)), "20240105093000.000000+0100");
  EXPECT_EQ(str(*ds, key(kInstanceCoercionDateTime)), "20240106100000");
}

TEST(Coerce, AnEditOfInstanceCoercionDateTimeItselfIsNotOverwritten) {
  const Sample s = load("CT_small.dcm");
  auto out = coerce_attributes(s.data_set, s.ts,
                               request({set(kInstanceCoercionDateTime, "20230101120000")}));
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_EQ(out->changed, 1u);
  auto ds = parse(out->data_set, s.ts);
  ASSERT_NE(ds, nullptr);
  EXPECT_EQ(str(*ds, key(kInstanceCoercionDateTime)), "20230101120000");
}

TEST(Coerce, NumbersAreWrittenInTheirBinaryVrs) {
  const Sample s = load("MR_small_bigendian.dcm");
  auto out = coerce_attributes(
      s.data_set, s.ts,
      request({set(kDiffusionGradientOrientation, "0.5\\-0.25\\+1e-3"),
               set(kTagAngleSecondAxis, "-7"), set(kImagesInAcquisition, " 42 ")}));
  ASSERT_TRUE(out) << out.error().message();
  auto ds = parse(out->data_set, s.ts);
  ASSERT_NE(ds, nullptr);
  DcmElement* fd = element(*ds, kDiffusionGradientOrientation);
  ASSERT_NE(fd, nullptr);
  EXPECT_EQ(fd->ident(), EVR_FD);
  Float64 z = 0;
  ASSERT_TRUE(fd->getFloat64(z, 2).good());
  EXPECT_DOUBLE_EQ(z, 1e-3);
  Sint16 angle = 0;
  ASSERT_TRUE(ds->findAndGetSint16(key(kTagAngleSecondAxis), angle).good());
  EXPECT_EQ(angle, -7);
  Sint32 images = 0;
  ASSERT_TRUE(ds->findAndGetSint32(key(kImagesInAcquisition), images).good());
  EXPECT_EQ(images, 42);
}

TEST(Coerce, EmptyValueMakesTheAttributePresentAndEmpty) {
  const Sample s = load("CT_small.dcm");
  auto out = coerce_attributes(s.data_set, s.ts, request({set(kStudyDescription, "")}));
  ASSERT_TRUE(out) << out.error().message();
  EXPECT_EQ(out->changed, 1u);
  auto ds = parse(out->data_set, s.ts);
  ASSERT_NE(ds, nullptr);
  ASSERT_NE(element(*ds, kStudyDescription), nullptr);
  EXPECT_EQ(element(*ds, kStudyDescription)->getLength(), 0u);
  EXPECT_EQ(str(*last_previous_values(*ds), key(kStudyDescription)), "e+1");
}

TEST(Coerce, ValuesInvalidForTheirVrAreRefusedNamingTheAttribute) {
  const Sample s = load("CT_small.dcm");
  EXPECT_EQ(code_of(s, {set(kStudyDate, "2024-01-01")}), DataErrc::invalid_value);
  EXPECT_NE(detail_of(s, {set(kStudyDate, "2024-01-01")}).find("StudyDate"), std::string::npos)
      << detail_of(s, {set(kStudyDate, "2024-01-01")});
  // The value itself stays out of the error (it may be patient data).
  EXPECT_EQ(detail_of(s, {set(kStudyDate, "2024-01-01")}).find("2024-01-01"), std::string::npos);
  EXPECT_EQ(code_of(s, {set(kStudyDate, "20241301")}), DataErrc::invalid_value);
  EXPECT_EQ(code_of(s, {set(kStudyDate, "20240101")}), std::error_code());
  // SH holds 16 characters.
  EXPECT_EQ(code_of(s, {set(kStationName, "12345678901234567")}), DataErrc::invalid_value);
  EXPECT_NE(detail_of(s, {set(kStationName, "12345678901234567")}).find("StationName"),
            std::string::npos);
  EXPECT_EQ(code_of(s, {set(kStationName, "1234567890123456")}), std::error_code());
  EXPECT_EQ(code_of(s, {set(kInstitutionName, std::string(65, 'A'))}), DataErrc::invalid_value);
  EXPECT_EQ(code_of(s, {set(kModality, "ct")}), DataErrc::invalid_value);  // CS is upper case
  EXPECT_EQ(code_of(s, {set(kStudyDescription, "A\nB")}), DataErrc::invalid_value);
  // LO has VM 1 here: a backslash would make two values.
  EXPECT_EQ(code_of(s, {set(kStudyDescription, "A\\B")}), DataErrc::invalid_value);
  // LT has no value multiplicity: the backslash is text, and line breaks are allowed.
  EXPECT_EQ(code_of(s, {set(kAdditionalPatientHistory, "A\\B\r\nC")}), std::error_code());
  // Value multiplicity from the dictionary.
  EXPECT_EQ(code_of(s, {set(kPixelSpacing, "0.5")}), DataErrc::invalid_value);
  EXPECT_EQ(code_of(s, {set(kImageType, "ORIGINAL")}), DataErrc::invalid_value);
  EXPECT_EQ(code_of(s, {set(kAcquisitionMatrix, "0\\256")}), DataErrc::invalid_value);
  EXPECT_EQ(code_of(s, {set(kPatientName, "A^B^C^D^E^F")}), DataErrc::invalid_value);
  EXPECT_EQ(code_of(s, {set(kImagesInAcquisition, "1.5")}), DataErrc::invalid_value);
  EXPECT_EQ(code_of(s, {set(kImagesInAcquisition, "3000000000")}), DataErrc::invalid_value);
  // Binary numbers: no trailing garbage, no wrap-around, finite.
  EXPECT_EQ(code_of(s, {set(kAcquisitionMatrix, "0\\256\\256\\70000")}), DataErrc::invalid_value);
  EXPECT_EQ(code_of(s, {set(kAcquisitionMatrix, "0\\256\\256\\-1")}), DataErrc::invalid_value);
  EXPECT_EQ(code_of(s, {set(kAcquisitionMatrix, "0\\256\\256\\12abc")}), DataErrc::invalid_value);
  EXPECT_EQ(code_of(s, {set(kAcquisitionMatrix, "0\\256\\\\0")}), DataErrc::invalid_value);
  EXPECT_EQ(code_of(s, {set(kTagAngleSecondAxis, "40000")}), DataErrc::invalid_value);
  EXPECT_EQ(code_of(s, {set(kDiffusionGradientOrientation, "nan\\0\\0")}), DataErrc::invalid_value);
  EXPECT_EQ(code_of(s, {set(kDiffusionGradientOrientation, "0.1x\\0\\0")}),
            DataErrc::invalid_value);
}

TEST(Coerce, OneBadEditRefusesTheWholeRequest) {
  const Sample s = load("CT_small.dcm");
  auto out = coerce_attributes(s.data_set, s.ts,
                               request({set(kStationName, "OK"), set(kStudyDate, "2024-01-01")}));
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().code, DataErrc::invalid_value);
}

TEST(Coerce, NonAsciiTextNeedsAUtf8InstanceAndATextVr) {
  // CT_small declares ISO_IR 100, MR_small_implicit nothing: no UTF-8 bytes go into them.
  const Sample latin1 = load("CT_small.dcm");
  EXPECT_EQ(code_of(latin1, {set(kInstitutionName, "Zürich")}), DataErrc::cannot_transcode);
  const Sample ascii = load("MR_small_implicit.dcm");
  EXPECT_EQ(code_of(ascii, {set(kInstitutionName, "Zürich")}), DataErrc::cannot_transcode);

  // SC_rgb_jpeg_dcmtk declares ISO_IR 192.
  const Sample utf8 = load("SC_rgb_jpeg_dcmtk.dcm");
  auto out = coerce_attributes(
      utf8.data_set, utf8.ts,
      request({set(kInstitutionName, "Zürich Spital"), set(kPatientName, "Müller^Jürg"),
               set(kStationName, std::string(8, 'A') + "üüüüüüüü")}));
  ASSERT_TRUE(out) << out.error().message();
  auto ds = parse(out->data_set, utf8.ts);
  ASSERT_NE(ds, nullptr);
  EXPECT_EQ(str(*ds, key(kInstitutionName)), "Zürich Spital");
  EXPECT_EQ(str(*ds, key(kPatientName)), "Müller^Jürg");
  // SH counts characters, not bytes: 16 fit, 17 do not.
  EXPECT_EQ(code_of(utf8, {set(kStationName, std::string(9, 'A') + "üüüüüüüü")}),
            DataErrc::invalid_value);
  EXPECT_EQ(code_of(utf8, {set(kInstitutionName, "\xC3")}), DataErrc::invalid_value);
  EXPECT_EQ(code_of(utf8, {set(kModality, "CTÄ")}), DataErrc::invalid_value);  // CS is ASCII
  EXPECT_EQ(code_of(utf8, {set(kStudyDate, "2024-01-01")}), DataErrc::invalid_value);
  // The audit strings are checked the same way.
  CoerceRequest r = request({set(kStationName, "A1")});
  r.modifying_system = "Zürich";
  auto refused = coerce_attributes(latin1.data_set, latin1.ts, r);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, DataErrc::cannot_transcode);
  r.modifying_system = "A\\B";
  refused = coerce_attributes(latin1.data_set, latin1.ts, r);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, DataErrc::invalid_value);
}

TEST(Coerce, UnknownPrivateAndUntouchableTagsAreRefused) {
  const Sample s = load("CT_small.dcm");
  const std::vector<Tag> refused = {
      {0x0009, 0x1010},  // private
      {0x0009, 0x0010},  // private creator
      {0x0008, 0x0003},  // not in the dictionary
      {0x0010, 0x9999},  // not in the dictionary
      {0x0008, 0x0000},  // group length
      {0x0002, 0x0010},  // file meta
      {0x0000, 0x0100},  // command
      {0xFFFE, 0xE000},  // item
      kSpecificCharacterSet, kOriginalAttributesSequence, kPixelData,
  };
  for (const Tag t : refused) {
    for (const auto& edit : {set(t, "1"), remove(t)}) {
      auto out = coerce_attributes(s.data_set, s.ts, request({edit}));
      ASSERT_FALSE(out) << std::hex << t.group << "," << t.element;
      EXPECT_EQ(out.error().code, DataErrc::invalid_value);
      EXPECT_FALSE(out.error().detail.empty());
    }
  }
  EXPECT_NE(detail_of(s, {set({0x0009, 0x1010}, "X")}).find("(0009,1010)"), std::string::npos);
  EXPECT_NE(detail_of(s, {set({0x0010, 0x9999}, "X")}).find("dictionary"), std::string::npos);
}

TEST(Coerce, SequencesAndBinaryVrsCannotBeSetFromText) {
  const Sample s = load("CT_small.dcm");
  EXPECT_EQ(code_of(s, {set(kProcedureCodeSequence, "X")}), DataErrc::invalid_value);
  EXPECT_NE(detail_of(s, {set(kProcedureCodeSequence, "X")}).find("sequence"), std::string::npos);
  EXPECT_EQ(code_of(s, {set(kOtherPatientIDsSequence, "")}), DataErrc::invalid_value);
  EXPECT_EQ(code_of(s, {set(kRedPaletteData, "1")}), DataErrc::invalid_value);                // OW
  EXPECT_EQ(code_of(s, {set(kFrameIncrementPointer, "00181063")}), DataErrc::invalid_value);  // AT
  EXPECT_EQ(code_of(s, {set(kSmallestImagePixelValue, "0")}), DataErrc::invalid_value);  // US|SS
  // Removing them is fine: the previous value is recorded whole.
  EXPECT_EQ(code_of(s, {remove(kOtherPatientIDsSequence)}), std::error_code());
}

TEST(Coerce, GarbageOrUnknownSyntaxIsAnErrorNotACrash) {
  const Sample s = load("CT_small.dcm");
  const std::vector<uint8_t> empty;
  EXPECT_FALSE(coerce_attributes(empty, s.ts, request({set(kStationName, "A")})));
  const std::vector<uint8_t> half(s.data_set.begin(),
                                  s.data_set.begin() + static_cast<long>(s.data_set.size() / 2));
  auto r = coerce_attributes(half, s.ts, request({set(kStationName, "A")}));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, DataErrc::unparsable);
  r = coerce_attributes(s.data_set, "1.2.3", request({set(kStationName, "A")}));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, DataErrc::unknown_transfer_syntax);
}

TEST(Coerce, MissingModificationTimeIsFilledWithNow) {
  const Sample s = load("CT_small.dcm");
  CoerceRequest r = request({set(kStationName, "A1")});
  r.modification_datetime.clear();
  r.reason.clear();
  auto out = coerce_attributes(s.data_set, s.ts, r);
  ASSERT_TRUE(out) << out.error().message();
  auto ds = parse(out->data_set, s.ts);
  ASSERT_NE(ds, nullptr);
  DcmItem* oa = item_of(*ds, DCM_OriginalAttributesSequence, -1);
  ASSERT_NE(oa, nullptr);
  const std::string dt = str(*oa, DCM_AttributeModificationDateTime);
  EXPECT_GE(dt.size(), 14u);
  EXPECT_EQ(dt.substr(0, 2), "20");
  EXPECT_EQ(str(*oa, DCM_ReasonForTheAttributeModification), "COERCE");
}

}  // namespace
}  // namespace acc::dicom::data
