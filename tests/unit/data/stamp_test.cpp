// Accession stamping on real instances (pydicom's samples in five transfer syntaxes): the new
// values are there, the audit trail records the old ones, and nothing else changes, pixel data
// least of all.
#include "dicom/data/stamp.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <dcmtk/dcmdata/dcvrobow.h>

#include "dicom/data/data_errc.hpp"
#include "dicom/data/data_set.hpp"
#include "dicom/data/part10.hpp"
#include "tests/unit/data/dcmtk_fixture.hpp"

namespace acc::dicom::data {
namespace {

using namespace testing;

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

StampRequest request(const std::string& accession) {
  StampRequest r;
  r.accession_number = accession;
  r.issuer = {"RIS1", "1.2.3.99", "ISO"};
  r.requested_procedure_id = "RP1";
  r.requested_procedure_description = "CT HEAD";
  r.sps_id = "SPS7";
  r.sps_description = "HEAD W/O";
  r.study_instance_uid = "1.2.3.4.5.6";
  r.modifying_system = "ACCESSIONER";
  r.source_of_previous_values = "CT01";
  r.reason = "COERCE";
  r.modification_datetime = "20240105093000.000000+0100";
  return r;
}

class StampSample : public ::testing::TestWithParam<const char*> {};

TEST_P(StampSample, WritesAccessionIssuerRequestAndAuditKeepingEverythingElse) {
  const Sample s = load(GetParam());
  ASSERT_FALSE(s.data_set.empty());
  auto before = parse(s.data_set, s.ts);
  ASSERT_NE(before, nullptr);
  const unsigned long oas_before = items(*before, DCM_OriginalAttributesSequence);

  auto stamped = stamp_accession(s.data_set, s.ts, request("ACC42"));
  ASSERT_TRUE(stamped) << stamped.error().message();
  EXPECT_EQ(stamped->previous_accession, "");
  auto after = parse(stamped->data_set, s.ts);
  ASSERT_NE(after, nullptr);

  EXPECT_EQ(str(*after, DCM_AccessionNumber), "ACC42");
  EXPECT_EQ(str(*after, DCM_SOPInstanceUID), str(*before, DCM_SOPInstanceUID));
  EXPECT_EQ(str(*after, DCM_StudyInstanceUID), str(*before, DCM_StudyInstanceUID));
  EXPECT_EQ(str(*after, DCM_PatientName), str(*before, DCM_PatientName));
  EXPECT_EQ(str(*after, DCM_InstanceCoercionDateTime), "20240105093000.000000+0100");

  ASSERT_EQ(items(*after, DCM_IssuerOfAccessionNumberSequence), 1u);
  DcmItem* issuer = item_of(*after, DCM_IssuerOfAccessionNumberSequence, 0);
  EXPECT_EQ(str(*issuer, DCM_LocalNamespaceEntityID), "RIS1");
  EXPECT_EQ(str(*issuer, DCM_UniversalEntityID), "1.2.3.99");
  EXPECT_EQ(str(*issuer, DCM_UniversalEntityIDType), "ISO");

  ASSERT_EQ(items(*after, DCM_RequestAttributesSequence), 1u);
  DcmItem* ras = item_of(*after, DCM_RequestAttributesSequence, 0);
  EXPECT_EQ(str(*ras, DCM_AccessionNumber), "ACC42");
  EXPECT_EQ(str(*ras, DCM_RequestedProcedureID), "RP1");
  EXPECT_EQ(str(*ras, DCM_RequestedProcedureDescription), "CT HEAD");
  EXPECT_EQ(str(*ras, DCM_ScheduledProcedureStepID), "SPS7");
  EXPECT_EQ(str(*ras, DCM_ScheduledProcedureStepDescription), "HEAD W/O");
  EXPECT_EQ(str(*ras, DCM_StudyInstanceUID), "1.2.3.4.5.6");
  ASSERT_EQ(items(*ras, DCM_IssuerOfAccessionNumberSequence), 1u);
  EXPECT_EQ(str(*item_of(*ras, DCM_IssuerOfAccessionNumberSequence, 0), DCM_LocalNamespaceEntityID),
            "RIS1");

  ASSERT_EQ(items(*after, DCM_OriginalAttributesSequence), oas_before + 1);
  DcmItem* oa = item_of(*after, DCM_OriginalAttributesSequence, -1);
  ASSERT_NE(oa, nullptr);
  EXPECT_EQ(str(*oa, DCM_SourceOfPreviousValues), "CT01");
  EXPECT_EQ(str(*oa, DCM_ModifyingSystem), "ACCESSIONER");
  EXPECT_EQ(str(*oa, DCM_ReasonForTheAttributeModification), "COERCE");
  EXPECT_EQ(str(*oa, DCM_AttributeModificationDateTime), "20240105093000.000000+0100");
  ASSERT_EQ(items(*oa, DCM_ModifiedAttributesSequence), 1u);
  DcmItem* previous = item_of(*oa, DCM_ModifiedAttributesSequence, 0);
  EXPECT_TRUE(previous->tagExists(DCM_AccessionNumber));
  EXPECT_EQ(str(*previous, DCM_AccessionNumber), "");
  // Neither sequence existed, so there was no previous value to record.
  EXPECT_FALSE(previous->tagExists(DCM_IssuerOfAccessionNumberSequence));
  EXPECT_FALSE(previous->tagExists(DCM_RequestAttributesSequence));
  // No correction asked for: the patient is untouched and not in the audit.
  EXPECT_FALSE(previous->tagExists(DCM_PatientID));
  EXPECT_FALSE(previous->tagExists(DCM_PatientName));
  EXPECT_EQ(str(*after, DCM_PatientID), str(*before, DCM_PatientID));

  const E_TransferSyntax x = xfer(s.ts);
  if (DcmXfer(x).isEncapsulated()) {
    const auto frags = fragments(*before, x);
    ASSERT_FALSE(frags.empty());
    EXPECT_EQ(fragments(*after, x), frags);
  } else {
    auto a = DataSet::parse(s.data_set, s.ts);
    auto b = DataSet::parse(stamped->data_set, s.ts);
    ASSERT_TRUE(a && b);
    ASSERT_FALSE(a->pixel_data_hash().empty());
    EXPECT_EQ(b->pixel_data_hash(), a->pixel_data_hash());
  }
}

TEST_P(StampSample, StampingTwiceRecordsTheFirstStampInASecondAuditItem) {
  const Sample s = load(GetParam());
  auto first = stamp_accession(s.data_set, s.ts, request("ACC1"));
  ASSERT_TRUE(first) << first.error().message();
  StampRequest again = request("ACC2");
  again.reason = "CORRECT";
  again.issuer = {"RIS2", "", ""};
  auto second = stamp_accession(first->data_set, s.ts, again);
  ASSERT_TRUE(second) << second.error().message();
  EXPECT_EQ(second->previous_accession, "ACC1");

  auto ds = parse(second->data_set, s.ts);
  ASSERT_NE(ds, nullptr);
  EXPECT_EQ(str(*ds, DCM_AccessionNumber), "ACC2");
  ASSERT_EQ(items(*ds, DCM_IssuerOfAccessionNumberSequence), 1u);
  DcmItem* issuer = item_of(*ds, DCM_IssuerOfAccessionNumberSequence, 0);
  EXPECT_EQ(str(*issuer, DCM_LocalNamespaceEntityID), "RIS2");
  EXPECT_FALSE(issuer->tagExists(DCM_UniversalEntityID));
  EXPECT_EQ(items(*ds, DCM_RequestAttributesSequence), 2u);

  ASSERT_EQ(items(*ds, DCM_OriginalAttributesSequence), 2u);
  DcmItem* kept = item_of(*ds, DCM_OriginalAttributesSequence, 0);
  EXPECT_EQ(str(*kept, DCM_ReasonForTheAttributeModification), "COERCE");
  DcmItem* latest = item_of(*ds, DCM_OriginalAttributesSequence, 1);
  EXPECT_EQ(str(*latest, DCM_ReasonForTheAttributeModification), "CORRECT");
  ASSERT_EQ(items(*latest, DCM_ModifiedAttributesSequence), 1u);
  DcmItem* previous = item_of(*latest, DCM_ModifiedAttributesSequence, 0);
  EXPECT_EQ(str(*previous, DCM_AccessionNumber), "ACC1");
  // Whole previous sequences, as they were after the first stamp.
  ASSERT_EQ(items(*previous, DCM_IssuerOfAccessionNumberSequence), 1u);
  EXPECT_EQ(str(*item_of(*previous, DCM_IssuerOfAccessionNumberSequence, 0), DCM_UniversalEntityID),
            "1.2.3.99");
  ASSERT_EQ(items(*previous, DCM_RequestAttributesSequence), 1u);
  EXPECT_EQ(str(*item_of(*previous, DCM_RequestAttributesSequence, 0), DCM_AccessionNumber),
            "ACC1");
  EXPECT_EQ(str(*previous, DCM_InstanceCoercionDateTime), "20240105093000.000000+0100");
  EXPECT_FALSE(previous->tagExists(DCM_OriginalAttributesSequence));
}

INSTANTIATE_TEST_SUITE_P(PydicomSamples, StampSample,
                         ::testing::Values("CT_small.dcm", "MR_small_implicit.dcm",
                                           "SC_rgb_jpeg_dcmtk.dcm", "image_dfl.dcm",
                                           "MR_small_bigendian.dcm"),
                         [](const auto& info) {
                           std::string name = info.param;
                           return name.substr(0, name.find('.'));
                         });

TEST(Stamp, DeflatedInstanceComesOutDeflated) {
  const Sample s = load("image_dfl.dcm");
  ASSERT_EQ(s.ts, "1.2.840.10008.1.2.1.99");
  auto stamped = stamp_accession(s.data_set, s.ts, request("ACC42"));
  ASSERT_TRUE(stamped) << stamped.error().message();
  // Raw deflate (no zlib header), PS3.5 A.5: inflating it must give an Explicit VR LE data set.
  std::vector<uint8_t> inflated(16 * 1024 * 1024);
  z_stream z{};
  ASSERT_EQ(inflateInit2(&z, -MAX_WBITS), Z_OK);
  z.next_in = const_cast<Bytef*>(stamped->data_set.data());
  z.avail_in = static_cast<uInt>(stamped->data_set.size());
  z.next_out = inflated.data();
  z.avail_out = static_cast<uInt>(inflated.size());
  const int rc = inflate(&z, Z_FINISH);
  inflateEnd(&z);
  ASSERT_EQ(rc, Z_STREAM_END);
  inflated.resize(z.total_out);
  EXPECT_LT(stamped->data_set.size(), inflated.size());
  auto ds = parse(inflated, kExplicitLe);
  ASSERT_NE(ds, nullptr);
  EXPECT_EQ(str(*ds, DCM_AccessionNumber), "ACC42");
}

TEST(Stamp, AbsentAccessionIsRecordedEmptyAndExistingGroupLengthsAreRecalculated) {
  const Sample s = load("CT_small.dcm");
  auto ds = parse(s.data_set, s.ts);
  ASSERT_NE(ds, nullptr);
  ds->findAndDeleteElement(DCM_AccessionNumber);
  const auto with_gl = encode(*ds, kExplicitLe, EGL_withGL);

  auto stamped = stamp_accession(with_gl, kExplicitLe, request("ACC42"));
  ASSERT_TRUE(stamped) << stamped.error().message();
  EXPECT_EQ(stamped->previous_accession, "");
  auto after = parse(stamped->data_set, kExplicitLe);
  ASSERT_NE(after, nullptr);
  DcmItem* previous = item_of(*item_of(*after, DCM_OriginalAttributesSequence, -1),
                              DCM_ModifiedAttributesSequence, 0);
  ASSERT_NE(previous, nullptr);
  DcmElement* empty = nullptr;
  ASSERT_TRUE(previous->findAndGetElement(DCM_AccessionNumber, empty).good());
  EXPECT_EQ(empty->getLength(), 0u);

  // (0008,0000) must cover group 0008 as it is now, with the accession and issuer added.
  Uint32 stated = 0;
  ASSERT_TRUE(after->findAndGetUint32(DcmTagKey(0x0008, 0x0000), stated).good());
  Uint32 actual = 0;
  for (unsigned long i = 0; i < after->card(); ++i) {
    DcmElement* e = after->getElement(i);
    if (e->getGTag() == 0x0008 && e->getETag() != 0x0000) {
      actual += e->calcElementLength(EXS_LittleEndianExplicit, EET_ExplicitLength);
    }
  }
  EXPECT_EQ(stated, actual);
}

TEST(Stamp, NonAsciiAccessionNeedsAUtf8Instance) {
  // CT_small declares ISO_IR 100: we never write UTF-8 bytes into a Latin-1 instance.
  const Sample latin1 = load("CT_small.dcm");
  auto r = stamp_accession(latin1.data_set, latin1.ts, request("Ä1"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, DataErrc::cannot_transcode);
  const Sample ascii = load("MR_small_implicit.dcm");
  r = stamp_accession(ascii.data_set, ascii.ts, request("Ä1"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, DataErrc::cannot_transcode);
  StampRequest system = request("ACC1");
  system.modifying_system = "Zürich";
  r = stamp_accession(ascii.data_set, ascii.ts, system);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, DataErrc::cannot_transcode);

  // SC_rgb_jpeg_dcmtk declares ISO_IR 192.
  const Sample utf8 = load("SC_rgb_jpeg_dcmtk.dcm");
  r = stamp_accession(utf8.data_set, utf8.ts, request("Ä1"));
  ASSERT_TRUE(r) << r.error().message();
  auto ds = parse(r->data_set, utf8.ts);
  ASSERT_NE(ds, nullptr);
  EXPECT_EQ(str(*ds, DCM_AccessionNumber), "Ä1");
  r = stamp_accession(utf8.data_set, utf8.ts, request("\xC3"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, DataErrc::invalid_value);
}

TEST(Stamp, InvalidRequestsAreRefusedBeforeTouchingTheInstance) {
  const Sample s = load("CT_small.dcm");
  const auto code = [&](const StampRequest& r) {
    auto out = stamp_accession(s.data_set, s.ts, r);
    return out ? std::error_code() : out.error().code;
  };
  StampRequest r = request("ACC1");
  r.issuer = {"", "1.2.3", ""};
  EXPECT_EQ(code(r), DataErrc::invalid_value);  // Universal Entity ID Type is 1C
  r.issuer = {};
  EXPECT_EQ(code(r), DataErrc::invalid_value);
  EXPECT_EQ(code(request("")), DataErrc::invalid_value);
  EXPECT_EQ(code(request("A\\B")), DataErrc::invalid_value);  // would be two values
  EXPECT_EQ(code(request("A\nB")), DataErrc::invalid_value);
  r = request("ACC1");
  r.issuer = {"", "1.2.3", "ISO"};
  EXPECT_EQ(code(r), std::error_code());  // universal id alone, with its type, is enough
}

TEST(Stamp, AuditSequenceThatIsNotASequenceIsRefusedNotOverwritten) {
  // An Original Attributes Sequence kept as UN cannot be appended to without guessing.
  const Sample s = load("CT_small.dcm");
  auto ds = parse(s.data_set, s.ts);
  ASSERT_NE(ds, nullptr);
  DcmTag tag(DCM_OriginalAttributesSequence);
  tag.setVR(EVR_UN);
  auto un = std::make_unique<DcmOtherByteOtherWord>(tag);
  const Uint8 opaque[4] = {1, 2, 3, 4};
  ASSERT_TRUE(un->putUint8Array(opaque, 4).good());
  ASSERT_TRUE(ds->insert(un.release()).good());
  const auto bytes = encode(*ds, kExplicitLe);
  auto r = stamp_accession(bytes, kExplicitLe, request("ACC1"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, DataErrc::unparsable);
  EXPECT_NE(r.error().detail.find("not a sequence"), std::string::npos) << r.error().detail;
}

TEST(Stamp, MissingModificationTimeIsFilledWithNow) {
  const Sample s = load("CT_small.dcm");
  StampRequest r = request("ACC1");
  r.modification_datetime.clear();
  auto out = stamp_accession(s.data_set, s.ts, r);
  ASSERT_TRUE(out) << out.error().message();
  auto ds = parse(out->data_set, s.ts);
  ASSERT_NE(ds, nullptr);
  const std::string dt =
      str(*item_of(*ds, DCM_OriginalAttributesSequence, -1), DCM_AttributeModificationDateTime);
  EXPECT_GE(dt.size(), 14u);
  EXPECT_EQ(dt.substr(0, 2), "20");
}

TEST(Stamp, GarbageTruncatedOrUnknownSyntaxIsAnErrorNotACrash) {
  const Sample s = load("CT_small.dcm");
  const std::vector<uint8_t> empty;
  EXPECT_FALSE(stamp_accession(empty, s.ts, request("A")));
  std::vector<uint8_t> garbage(4096);
  for (std::size_t i = 0; i < garbage.size(); ++i) {
    garbage[i] = static_cast<uint8_t>((i * 7919u + 13u) >> 3);
  }
  EXPECT_FALSE(stamp_accession(garbage, s.ts, request("A")));
  EXPECT_FALSE(stamp_accession(garbage, kImplicitLe, request("A")));
  const std::vector<uint8_t> half(s.data_set.begin(),
                                  s.data_set.begin() + static_cast<long>(s.data_set.size() / 2));
  auto r = stamp_accession(half, s.ts, request("A"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, DataErrc::unparsable);
  // A data set with no SOP Instance UID is no instance to stamp.
  DcmDataset bare;
  bare.putAndInsertString(DCM_PatientID, "P1");
  const auto bytes = encode(bare, kExplicitLe);
  r = stamp_accession(bytes, kExplicitLe, request("A"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, DataErrc::missing_attribute);
  r = stamp_accession(s.data_set, "1.2.3", request("A"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, DataErrc::unknown_transfer_syntax);
}

// The Requested Procedure Code Sequence of the RAS item, nullptr if there is none.
DcmItem* stamped_code(const Sample& s, const std::vector<CodedEntry>& codes,
                      std::unique_ptr<DcmDataset>& ds) {
  StampRequest r = request("ACC42");
  r.requested_procedure_codes = codes;
  auto stamped = stamp_accession(s.data_set, s.ts, r);
  EXPECT_TRUE(stamped) << stamped.error().message();
  if (!stamped) {
    return nullptr;
  }
  ds = parse(stamped->data_set, s.ts);
  DcmItem* ras = ds != nullptr ? item_of(*ds, DCM_RequestAttributesSequence, 0) : nullptr;
  if (ras == nullptr) {
    ADD_FAILURE() << "no Request Attributes item";
    return nullptr;
  }
  // One item at most (PS3.3 Table 10-9); not on the top level, it describes the request.
  EXPECT_LE(items(*ras, DCM_RequestedProcedureCodeSequence), 1u);
  EXPECT_FALSE(ds->tagExists(DCM_RequestedProcedureCodeSequence));
  return item_of(*ras, DCM_RequestedProcedureCodeSequence, 0);
}

TEST(Stamp, RequestedProcedureCodeGoesIntoTheRequestAttributesItem) {
  const Sample s = load("CT_small.dcm");
  std::unique_ptr<DcmDataset> ds;
  // The first complete code: one without its meaning would be an invalid item.
  DcmItem* code = stamped_code(s,
                               {{"NOMEANING", "99RIS", "", ""},
                                {"RPID17", "99RIS", "1.0", "CT head without contrast"},
                                {"RPID18", "99RIS", "", "CT neck"}},
                               ds);
  ASSERT_NE(code, nullptr);
  EXPECT_EQ(str(*code, DCM_CodeValue), "RPID17");
  EXPECT_EQ(str(*code, DCM_CodingSchemeDesignator), "99RIS");
  EXPECT_EQ(str(*code, DCM_CodingSchemeVersion), "1.0");
  EXPECT_EQ(str(*code, DCM_CodeMeaning), "CT head without contrast");

  code = stamped_code(s, {{"A-VERY-LONG-CODE-VALUE-42", "99RIS", "", "CT head"}}, ds);
  ASSERT_NE(code, nullptr);
  EXPECT_FALSE(code->tagExists(DCM_CodeValue));  // SH holds 16 characters
  EXPECT_EQ(str(*code, DCM_LongCodeValue), "A-VERY-LONG-CODE-VALUE-42");
  EXPECT_FALSE(code->tagExists(DCM_CodingSchemeVersion));

  code = stamped_code(s, {{"urn:oid:1.2.3.4", "99RIS", "", "CT head"}}, ds);
  ASSERT_NE(code, nullptr);
  EXPECT_EQ(str(*code, DCM_URNCodeValue), "urn:oid:1.2.3.4");

  EXPECT_EQ(stamped_code(s, {{"NOMEANING", "99RIS", "", ""}}, ds), nullptr);
  EXPECT_EQ(stamped_code(s, {}, ds), nullptr);
}

TEST(Stamp, NonAsciiCodeMeaningNeedsAUtf8Instance) {
  StampRequest r = request("ACC42");
  r.requested_procedure_codes = {{"RPID17", "99RIS", "",
                                  "CT Sch\xC3\xA4"
                                  "del"}};
  const Sample latin1 = load("CT_small.dcm");
  auto out = stamp_accession(latin1.data_set, latin1.ts, r);
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().code, DataErrc::cannot_transcode);
  const Sample utf8 = load("SC_rgb_jpeg_dcmtk.dcm");
  out = stamp_accession(utf8.data_set, utf8.ts, r);
  ASSERT_TRUE(out) << out.error().message();
  r.requested_procedure_codes[0].code_value = "A\\B";
  out = stamp_accession(utf8.data_set, utf8.ts, r);
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().code, DataErrc::invalid_value);
}

StampRequest correction(const std::string& accession) {
  StampRequest r = request(accession);
  r.reason = "CORRECT";
  r.correct_patient =
      StampRequest::PatientCorrection{"P-ORDER", "HOSP", "DOE^JANE", "19700101", "F"};
  return r;
}

TEST(Stamp, PatientCorrectionRewritesThePatientAndRecordsEveryPreviousValue) {
  const Sample s = load("CT_small.dcm");
  auto before = parse(s.data_set, s.ts);
  ASSERT_NE(before, nullptr);
  ASSERT_FALSE(str(*before, DCM_PatientID).empty());
  ASSERT_FALSE(before->tagExists(DCM_IssuerOfPatientID));
  const unsigned long oas_before = items(*before, DCM_OriginalAttributesSequence);

  auto stamped = stamp_accession(s.data_set, s.ts, correction("ACC42"));
  ASSERT_TRUE(stamped) << stamped.error().message();
  auto after = parse(stamped->data_set, s.ts);
  ASSERT_NE(after, nullptr);
  EXPECT_EQ(str(*after, DCM_PatientID), "P-ORDER");
  EXPECT_EQ(str(*after, DCM_IssuerOfPatientID), "HOSP");
  EXPECT_EQ(str(*after, DCM_PatientName), "DOE^JANE");
  EXPECT_EQ(str(*after, DCM_PatientBirthDate), "19700101");
  EXPECT_EQ(str(*after, DCM_PatientSex), "F");
  EXPECT_EQ(str(*after, DCM_AccessionNumber), "ACC42");

  // One audit item for the whole stamp, one Modified Attributes item with every previous value.
  ASSERT_EQ(items(*after, DCM_OriginalAttributesSequence), oas_before + 1);
  DcmItem* oa = item_of(*after, DCM_OriginalAttributesSequence, -1);
  ASSERT_NE(oa, nullptr);
  EXPECT_EQ(str(*oa, DCM_ReasonForTheAttributeModification), "CORRECT");
  ASSERT_EQ(items(*oa, DCM_ModifiedAttributesSequence), 1u);
  DcmItem* previous = item_of(*oa, DCM_ModifiedAttributesSequence, 0);
  for (const DcmTagKey& tag :
       {DCM_PatientID, DCM_PatientName, DCM_PatientBirthDate, DCM_PatientSex}) {
    EXPECT_TRUE(previous->tagExists(tag)) << DcmTag(tag).getTagName();
    EXPECT_EQ(str(*previous, tag), str(*before, tag)) << DcmTag(tag).getTagName();
  }
  // Absent before: recorded empty (PS3.3 C.12.1.1.9.2).
  EXPECT_TRUE(previous->tagExists(DCM_IssuerOfPatientID));
  EXPECT_EQ(str(*previous, DCM_IssuerOfPatientID), "");
  EXPECT_TRUE(previous->tagExists(DCM_AccessionNumber));
}

TEST(Stamp, PatientCorrectionWithoutIssuerRemovesTheImagesIssuer) {
  const Sample s = load("CT_small.dcm");
  auto ds = parse(s.data_set, s.ts);
  ASSERT_NE(ds, nullptr);
  ds->putAndInsertString(DCM_IssuerOfPatientID, "OTHERHOSP");
  ds->findAndDeleteElement(DCM_PatientSex);
  const auto bytes = encode(*ds, kExplicitLe);
  StampRequest r = correction("ACC42");
  r.correct_patient->issuer_of_patient_id.clear();
  r.correct_patient->patient_birth_date.clear();
  auto stamped = stamp_accession(bytes, kExplicitLe, r);
  ASSERT_TRUE(stamped) << stamped.error().message();
  auto after = parse(stamped->data_set, kExplicitLe);
  ASSERT_NE(after, nullptr);
  EXPECT_FALSE(after->tagExists(DCM_IssuerOfPatientID));
  EXPECT_TRUE(after->tagExists(DCM_PatientBirthDate));  // type 2: present, zero length
  EXPECT_EQ(str(*after, DCM_PatientBirthDate), "");
  EXPECT_EQ(str(*after, DCM_PatientSex), "F");
  DcmItem* previous = item_of(*item_of(*after, DCM_OriginalAttributesSequence, -1),
                              DCM_ModifiedAttributesSequence, 0);
  ASSERT_NE(previous, nullptr);
  EXPECT_EQ(str(*previous, DCM_IssuerOfPatientID), "OTHERHOSP");
  EXPECT_TRUE(previous->tagExists(DCM_PatientSex));
  EXPECT_EQ(str(*previous, DCM_PatientSex), "");
}

TEST(Stamp, PatientCorrectionRespectsTheCharacterSet) {
  StampRequest r = correction("ACC42");
  r.correct_patient->patient_name = "M\xC3\xBCller^J\xC3\xB6rg";  // UTF-8
  // CT_small declares ISO_IR 100, MR_small_implicit none: the name cannot go in, unmangled.
  for (const char* name : {"CT_small.dcm", "MR_small_implicit.dcm"}) {
    const Sample s = load(name);
    auto out = stamp_accession(s.data_set, s.ts, r);
    ASSERT_FALSE(out) << name;
    EXPECT_EQ(out.error().code, DataErrc::cannot_transcode) << name;
    EXPECT_NE(out.error().detail.find("Patient's Name"), std::string::npos) << out.error().detail;
  }
  const Sample utf8 = load("SC_rgb_jpeg_dcmtk.dcm");
  auto out = stamp_accession(utf8.data_set, utf8.ts, r);
  ASSERT_TRUE(out) << out.error().message();
  auto ds = parse(out->data_set, utf8.ts);
  ASSERT_NE(ds, nullptr);
  EXPECT_EQ(str(*ds, DCM_PatientName), "Müller^Jörg");
  r.correct_patient->patient_id = "J\xC3\xB6rg1";
  const Sample ascii = load("MR_small_implicit.dcm");
  out = stamp_accession(ascii.data_set, ascii.ts, r);
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().code, DataErrc::cannot_transcode);
}

TEST(Stamp, InvalidPatientCorrectionIsRefused) {
  const Sample s = load("CT_small.dcm");
  const auto code = [&](void (*change)(StampRequest::PatientCorrection&)) {
    StampRequest r = correction("ACC42");
    change(*r.correct_patient);
    auto out = stamp_accession(s.data_set, s.ts, r);
    return out ? std::error_code() : out.error().code;
  };
  EXPECT_EQ(code([](auto& p) { p.patient_id.clear(); }), DataErrc::invalid_value);
  EXPECT_EQ(code([](auto& p) { p.patient_id = "P\\2"; }), DataErrc::invalid_value);
  EXPECT_EQ(code([](auto& p) { p.patient_name = "A\nB"; }), DataErrc::invalid_value);
  EXPECT_EQ(code([](auto& p) { p.patient_birth_date = "1970-01-01"; }), DataErrc::invalid_value);
  EXPECT_EQ(code([](auto& p) { p.patient_sex = "X"; }), DataErrc::invalid_value);
  EXPECT_EQ(code([](auto& p) { p.patient_sex = "O"; }), std::error_code());
}

}  // namespace
}  // namespace acc::dicom::data
