// MWL C-FIND identifiers: the query we send parsed by DCMTK itself, and RIS answers built with
// DCMTK (including other character sets) decoded into plain UTF-8 values.
#include "dicom/data/worklist_item.hpp"

#include <gtest/gtest.h>

#include "dicom/data/data_errc.hpp"
#include "tests/unit/data/dcmtk_fixture.hpp"

namespace acc::dicom::data {
namespace {

using namespace testing;

bool has_empty(DcmItem& item, const DcmTagKey& tag) {
  DcmElement* e = nullptr;
  return item.findAndGetElement(tag, e).good() && e != nullptr && e->getLength() == 0;
}

class QueryEncoding : public ::testing::TestWithParam<const char*> {};

TEST_P(QueryEncoding, CarriesMatchingKeysAndEveryReturnKeyEmpty) {
  const WorklistQuery q{"20240105", "20240106", "CT", "P123"};
  auto bytes = encode_worklist_query(q, GetParam());
  ASSERT_TRUE(bytes) << bytes.error().message();
  auto ds = parse(*bytes, GetParam());
  ASSERT_NE(ds, nullptr);

  EXPECT_EQ(str(*ds, DCM_PatientID), "P123");
  ASSERT_EQ(items(*ds, DCM_ScheduledProcedureStepSequence), 1u);
  DcmItem* sps = item_of(*ds, DCM_ScheduledProcedureStepSequence, 0);
  ASSERT_NE(sps, nullptr);
  EXPECT_EQ(str(*sps, DCM_Modality), "CT");
  EXPECT_EQ(str(*sps, DCM_ScheduledProcedureStepStartDate), "20240105-20240106");

  for (const DcmTagKey& tag :
       {DCM_SpecificCharacterSet, DCM_AccessionNumber, DCM_ReferringPhysicianName, DCM_PatientName,
        DCM_IssuerOfPatientID, DCM_PatientBirthDate, DCM_PatientSex, DCM_StudyInstanceUID,
        DCM_RequestedProcedureDescription, DCM_RequestedProcedureID}) {
    EXPECT_TRUE(has_empty(*ds, tag)) << DcmTag(tag).getTagName();
  }
  for (const DcmTagKey& tag : {DCM_ScheduledStationAETitle, DCM_ScheduledProcedureStepStartTime,
                               DCM_ScheduledProcedureStepDescription, DCM_ScheduledProcedureStepID,
                               DCM_ScheduledProcedureStepStatus}) {
    EXPECT_TRUE(has_empty(*sps, tag)) << DcmTag(tag).getTagName();
  }
  // An empty sequence asks for the issuer items back (PS3.4 C.2.2.2.6).
  DcmSequenceOfItems* issuer = nullptr;
  ASSERT_TRUE(ds->findAndGetSequence(DCM_IssuerOfAccessionNumberSequence, issuer).good());
  ASSERT_NE(issuer, nullptr);
  EXPECT_EQ(issuer->card(), 0u);
  DcmSequenceOfItems* codes = nullptr;
  ASSERT_TRUE(ds->findAndGetSequence(DCM_RequestedProcedureCodeSequence, codes).good());
  ASSERT_NE(codes, nullptr);
  EXPECT_EQ(codes->card(), 0u);

  // Our own decoder reads the query back as an item with only the matching keys set.
  auto decoded = decode_worklist_item(*bytes, GetParam());
  ASSERT_TRUE(decoded) << decoded.error().message();
  EXPECT_EQ(decoded->patient_id, "P123");
  EXPECT_EQ(decoded->modality, "CT");
  EXPECT_EQ(decoded->sps_start_date, "20240105-20240106");
  EXPECT_TRUE(decoded->accession_number.empty());
  EXPECT_FALSE(decoded->accession_issuer.has_value());
  EXPECT_TRUE(decoded->requested_procedure_codes.empty());
}

INSTANTIATE_TEST_SUITE_P(ImplicitAndExplicitLe, QueryEncoding,
                         ::testing::Values(kImplicitLe, kExplicitLe));

TEST(WorklistQuery, OpenKeysAreSentAsReturnKeysAndOpenRangesKeepTheirDash) {
  auto bytes = encode_worklist_query({"20240105", "", "", ""}, kExplicitLe);
  ASSERT_TRUE(bytes);
  auto ds = parse(*bytes, kExplicitLe);
  ASSERT_NE(ds, nullptr);
  EXPECT_TRUE(has_empty(*ds, DCM_PatientID));
  DcmItem* sps = item_of(*ds, DCM_ScheduledProcedureStepSequence, 0);
  ASSERT_NE(sps, nullptr);
  EXPECT_TRUE(has_empty(*sps, DCM_Modality));
  EXPECT_EQ(str(*sps, DCM_ScheduledProcedureStepStartDate), "20240105-");

  bytes = encode_worklist_query({"", "20240106", "", ""}, kExplicitLe);
  ASSERT_TRUE(bytes);
  ds = parse(*bytes, kExplicitLe);
  ASSERT_NE(ds, nullptr);
  sps = item_of(*ds, DCM_ScheduledProcedureStepSequence, 0);
  ASSERT_NE(sps, nullptr);
  EXPECT_EQ(str(*sps, DCM_ScheduledProcedureStepStartDate), "-20240106");

  bytes = encode_worklist_query({}, kExplicitLe);
  ASSERT_TRUE(bytes);
  ds = parse(*bytes, kExplicitLe);
  ASSERT_NE(ds, nullptr);
  sps = item_of(*ds, DCM_ScheduledProcedureStepSequence, 0);
  ASSERT_NE(sps, nullptr);
  EXPECT_TRUE(has_empty(*sps, DCM_ScheduledProcedureStepStartDate));
}

TEST(WorklistQuery, NonAsciiPatientIdDeclaresUtf8) {
  auto bytes = encode_worklist_query({"", "", "", "Jö1"}, kExplicitLe);
  ASSERT_TRUE(bytes);
  auto ds = parse(*bytes, kExplicitLe);
  ASSERT_NE(ds, nullptr);
  EXPECT_EQ(str(*ds, DCM_SpecificCharacterSet), "ISO_IR 192");
  EXPECT_EQ(str(*ds, DCM_PatientID), "Jö1");
}

TEST(WorklistQuery, RejectsKeysThatWouldMatchMoreThanTheyMean) {
  const auto code = [](const WorklistQuery& q, const char* ts = kExplicitLe) {
    auto r = encode_worklist_query(q, ts);
    return r ? std::error_code() : r.error().code;
  };
  // A '*' in a Patient ID from an image would become a wildcard at the RIS.
  EXPECT_EQ(code({"", "", "", "P*"}), DataErrc::invalid_value);
  EXPECT_EQ(code({"", "", "", "P?"}), DataErrc::invalid_value);
  EXPECT_EQ(code({"", "", "", "A\\B"}), DataErrc::invalid_value);
  EXPECT_EQ(code({"", "", "C*", ""}), DataErrc::invalid_value);
  EXPECT_EQ(code({"2024-01-05", "", "", ""}), DataErrc::invalid_value);
  EXPECT_EQ(code({"", "2024010", "", ""}), DataErrc::invalid_value);
  EXPECT_EQ(code({"", "", "", "\xFF"}), DataErrc::charset);
  EXPECT_EQ(code({}, "1.2.840.10008.1.2.2"), DataErrc::cannot_transcode);
  EXPECT_EQ(code({}, "1.2.3.4"), DataErrc::unknown_transfer_syntax);
}

// A full RIS answer, values padded the way they come off the wire.
DcmDataset full_answer() {
  DcmDataset ds;
  ds.putAndInsertString(DCM_PatientID, "P123 ");
  ds.putAndInsertString(DCM_IssuerOfPatientID, "HOSP");
  ds.putAndInsertString(DCM_PatientName, "DOE^JOHN ");
  ds.putAndInsertString(DCM_PatientBirthDate, "19700101");
  ds.putAndInsertString(DCM_PatientSex, "M ");
  ds.putAndInsertString(DCM_AccessionNumber, " ACC42 ");
  ds.putAndInsertString(DCM_ReferringPhysicianName, "WHO^DR");
  ds.putAndInsertString(DCM_StudyInstanceUID, "1.2.3.4.5");
  ds.putAndInsertString(DCM_RequestedProcedureID, "RP1");
  ds.putAndInsertString(DCM_RequestedProcedureDescription, "CT HEAD");
  DcmItem* issuer = nullptr;
  ds.findOrCreateSequenceItem(DCM_IssuerOfAccessionNumberSequence, issuer, 0);
  issuer->putAndInsertString(DCM_LocalNamespaceEntityID, "RIS1");
  issuer->putAndInsertString(DCM_UniversalEntityID, "1.2.3.99");
  issuer->putAndInsertString(DCM_UniversalEntityIDType, "ISO");
  DcmItem* sps = nullptr;
  ds.findOrCreateSequenceItem(DCM_ScheduledProcedureStepSequence, sps, 0);
  sps->putAndInsertString(DCM_Modality, "CT");
  sps->putAndInsertString(DCM_ScheduledStationAETitle, "CT01 ");
  sps->putAndInsertString(DCM_ScheduledProcedureStepStartDate, "20240105");
  sps->putAndInsertString(DCM_ScheduledProcedureStepStartTime, "083000");
  sps->putAndInsertString(DCM_ScheduledProcedureStepID, "SPS7");
  sps->putAndInsertString(DCM_ScheduledProcedureStepDescription, "HEAD W/O");
  sps->putAndInsertString(DCM_ScheduledProcedureStepStatus, "SCHEDULED");
  return ds;
}

TEST(WorklistDecode, ReadsEveryFieldTrimmedIncludingTheIssuer) {
  DcmDataset ds = full_answer();
  const auto bytes = encode(ds, kImplicitLe);
  auto w = decode_worklist_item(bytes, kImplicitLe);
  ASSERT_TRUE(w) << w.error().message();
  EXPECT_EQ(w->patient_id, "P123");
  EXPECT_EQ(w->issuer_of_patient_id, "HOSP");
  EXPECT_EQ(w->patient_name, "DOE^JOHN");
  EXPECT_EQ(w->patient_birth_date, "19700101");
  EXPECT_EQ(w->patient_sex, "M");
  EXPECT_EQ(w->accession_number, "ACC42");
  EXPECT_EQ(w->referring_physician_name, "WHO^DR");
  EXPECT_EQ(w->study_instance_uid, "1.2.3.4.5");
  EXPECT_EQ(w->requested_procedure_id, "RP1");
  EXPECT_EQ(w->requested_procedure_description, "CT HEAD");
  ASSERT_TRUE(w->accession_issuer.has_value());
  EXPECT_EQ(*w->accession_issuer, (AccessionIssuer{"RIS1", "1.2.3.99", "ISO"}));
  EXPECT_EQ(w->modality, "CT");
  EXPECT_EQ(w->scheduled_station_ae, "CT01");
  EXPECT_EQ(w->sps_start_date, "20240105");
  EXPECT_EQ(w->sps_start_time, "083000");
  EXPECT_EQ(w->sps_id, "SPS7");
  EXPECT_EQ(w->sps_description, "HEAD W/O");
  EXPECT_EQ(w->sps_status, "SCHEDULED");
}

void add_code(DcmItem& ds, const DcmTagKey& value_tag, const char* value, const char* scheme,
              const char* version, const char* meaning) {
  DcmItem* code = nullptr;
  DcmSequenceOfItems* seq = nullptr;
  const long index =
      ds.findAndGetSequence(DCM_RequestedProcedureCodeSequence, seq).good() && seq != nullptr
          ? static_cast<long>(seq->card())
          : 0;
  ASSERT_TRUE(ds.findOrCreateSequenceItem(DCM_RequestedProcedureCodeSequence, code, index).good());
  code->putAndInsertString(value_tag, value);
  code->putAndInsertString(DCM_CodingSchemeDesignator, scheme);
  if (version != nullptr) {
    code->putAndInsertString(DCM_CodingSchemeVersion, version);
  }
  code->putAndInsertString(DCM_CodeMeaning, meaning);
}

TEST(WorklistDecode, ReadsEveryRequestedProcedureCodeInOrder) {
  DcmDataset ds = full_answer();
  ds.putAndInsertString(DCM_SpecificCharacterSet, "ISO_IR 100");
  add_code(ds, DCM_CodeValue, "RPID17 ", "99RIS", "1.0",
           "CT Sch\xE4"
           "del");
  add_code(ds, DCM_LongCodeValue, "A-VERY-LONG-CODE-VALUE-42", "LN", nullptr, "CT Head");
  const auto bytes = encode(ds, kImplicitLe);
  auto w = decode_worklist_item(bytes, kImplicitLe);
  ASSERT_TRUE(w) << w.error().message();
  ASSERT_EQ(w->requested_procedure_codes.size(), 2u);
  EXPECT_EQ(w->requested_procedure_codes[0], (CodedEntry{"RPID17", "99RIS", "1.0", "CT Schädel"}));
  EXPECT_EQ(w->requested_procedure_codes[1],
            (CodedEntry{"A-VERY-LONG-CODE-VALUE-42", "LN", "", "CT Head"}));
}

TEST(WorklistDecode, AnEmptyCodeItemIsNoCode) {
  DcmDataset ds = full_answer();
  DcmItem* empty = nullptr;
  ds.findOrCreateSequenceItem(DCM_RequestedProcedureCodeSequence, empty, 0);
  const auto bytes = encode(ds, kExplicitLe);
  auto w = decode_worklist_item(bytes, kExplicitLe);
  ASSERT_TRUE(w) << w.error().message();
  EXPECT_TRUE(w->requested_procedure_codes.empty());
}

TEST(WorklistDecode, MissingStepSequenceAndEmptyIssuerItemGiveEmptyFields) {
  DcmDataset ds;
  ds.putAndInsertString(DCM_PatientID, "P1");
  ds.putAndInsertString(DCM_AccessionNumber, "A1");
  DcmItem* issuer = nullptr;
  ds.findOrCreateSequenceItem(DCM_IssuerOfAccessionNumberSequence, issuer, 0);
  const auto bytes = encode(ds, kExplicitLe);
  auto w = decode_worklist_item(bytes, kExplicitLe);
  ASSERT_TRUE(w) << w.error().message();
  EXPECT_EQ(w->accession_number, "A1");
  EXPECT_FALSE(w->accession_issuer.has_value());
  EXPECT_TRUE(w->modality.empty());
  EXPECT_TRUE(w->sps_id.empty());
  EXPECT_TRUE(w->sps_status.empty());
}

TEST(WorklistDecode, Latin1IsConvertedToUtf8IncludingNestedItems) {
  DcmDataset ds = full_answer();
  ds.putAndInsertString(DCM_SpecificCharacterSet, "ISO_IR 100");
  ds.putAndInsertString(DCM_PatientName, "M\xFCller^J\xF6rg");  // Latin-1 bytes
  DcmItem* sps = item_of(ds, DCM_ScheduledProcedureStepSequence, 0);
  ASSERT_NE(sps, nullptr);
  sps->putAndInsertString(DCM_ScheduledProcedureStepDescription,
                          "Sch\xE4"
                          "del");
  const auto bytes = encode(ds, kExplicitLe);
  auto w = decode_worklist_item(bytes, kExplicitLe);
  ASSERT_TRUE(w) << w.error().message();
  EXPECT_EQ(w->patient_name, "Müller^Jörg");
  EXPECT_EQ(w->sps_description, "Schädel");
  EXPECT_EQ(w->accession_number, "ACC42");
}

TEST(WorklistDecode, Utf8IsTakenAsIs) {
  DcmDataset ds = full_answer();
  ds.putAndInsertString(DCM_SpecificCharacterSet, "ISO_IR 192");
  ds.putAndInsertString(DCM_PatientName, "Müller^山田");
  const auto bytes = encode(ds, kImplicitLe);
  auto w = decode_worklist_item(bytes, kImplicitLe);
  ASSERT_TRUE(w) << w.error().message();
  EXPECT_EQ(w->patient_name, "Müller^山田");
}

TEST(WorklistDecode, AsciiDeclaredAsIsoIr6IsAccepted) {
  DcmDataset ds = full_answer();
  ds.putAndInsertString(DCM_SpecificCharacterSet, "ISO_IR 6");
  const auto bytes = encode(ds, kExplicitLe);
  auto w = decode_worklist_item(bytes, kExplicitLe);
  ASSERT_TRUE(w) << w.error().message();
  EXPECT_EQ(w->patient_name, "DOE^JOHN");
}

TEST(WorklistDecode, UnknownOrUndeclaredCharacterSetIsAnError) {
  DcmDataset unknown = full_answer();
  unknown.putAndInsertString(DCM_SpecificCharacterSet, "ISO_IR 999");
  unknown.putAndInsertString(DCM_PatientName, "M\xFCller");
  auto bytes = encode(unknown, kExplicitLe);
  auto w = decode_worklist_item(bytes, kExplicitLe);
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, DataErrc::charset);

  // Latin-1 bytes with no Specific Character Set: we would otherwise hand out invalid UTF-8.
  DcmDataset undeclared = full_answer();
  undeclared.putAndInsertString(DCM_PatientName, "M\xFCller");
  bytes = encode(undeclared, kExplicitLe);
  w = decode_worklist_item(bytes, kExplicitLe);
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, DataErrc::charset);
}

TEST(WorklistDecode, GarbageIsUnparsableNotACrash) {
  const std::vector<uint8_t> empty;
  auto w = decode_worklist_item(empty, kExplicitLe);
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, DataErrc::unparsable);

  // (0010,0020) LO claiming 0x4000 bytes with 4 present.
  const std::vector<uint8_t> truncated = {0x10, 0x00, 0x20, 0x00, 'L', 'O',
                                          0x00, 0x40, 'A',  'B',  'C', 'D'};
  w = decode_worklist_item(truncated, kExplicitLe);
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, DataErrc::unparsable);

  DcmDataset ds = full_answer();
  auto bytes = encode(ds, kExplicitLe);
  bytes.resize(bytes.size() - 7);
  w = decode_worklist_item(bytes, kExplicitLe);
  EXPECT_FALSE(w);

  w = decode_worklist_item(truncated, "1.2.3");
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, DataErrc::unknown_transfer_syntax);
}

// An item with a character set we cannot read: the patient, whose ID is ASCII, still is.
DcmDataset unknown_charset_answer() {
  DcmDataset ds = full_answer();
  ds.putAndInsertString(DCM_SpecificCharacterSet, "ISO_IR 999");
  ds.putAndInsertString(DCM_PatientName, "M\xFCller");
  return ds;
}

class PatientOfUndecodable : public ::testing::TestWithParam<const char*> {};

TEST_P(PatientOfUndecodable, PatientIdAndIssuerAreReadFromAnUnknownCharacterSet) {
  DcmDataset ds = unknown_charset_answer();
  const auto bytes = encode(ds, GetParam());
  ASSERT_FALSE(decode_worklist_item(bytes, GetParam()));
  EXPECT_EQ(worklist_item_patient_id(bytes, GetParam()), "P123");
  EXPECT_EQ(worklist_item_patient(bytes, GetParam()), (IssuedPatientId{"P123", "HOSP"}));
}

TEST_P(PatientOfUndecodable, PatientIdIsReadFromAnItemTruncatedAfterIt) {
  DcmDataset ds = full_answer();
  auto bytes = encode(ds, GetParam());
  // Cut inside the Scheduled Procedure Step Sequence: DCMTK refuses the whole item, the walk over
  // the elements before the patient (the issuer sequence among them) still finds it.
  bytes.resize(bytes.size() - 7);
  auto w = decode_worklist_item(bytes, GetParam());
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, DataErrc::unparsable);
  EXPECT_EQ(worklist_item_patient(bytes, GetParam()), (IssuedPatientId{"P123", "HOSP"}));
}

INSTANTIATE_TEST_SUITE_P(ImplicitAndExplicitLe, PatientOfUndecodable,
                         ::testing::Values(kImplicitLe, kExplicitLe));

TEST(WorklistItemPatient, TruncatedItemWithUndefinedLengthSequencesIsWalked) {
  DcmDataset ds = full_answer();
  const E_TransferSyntax x = xfer(kExplicitLe);
  std::vector<uint8_t> out(ds.calcElementLength(x, EET_UndefinedLength) + 4096);
  DcmOutputBufferStream stream(out.data(), out.size());
  ds.transferInit();
  ASSERT_TRUE(ds.write(stream, x, EET_UndefinedLength, nullptr, EGL_withoutGL).good());
  ds.transferEnd();
  stream.flush();
  void* buffer = nullptr;
  offile_off_t length = 0;
  stream.flushBuffer(buffer, length);
  out.resize(static_cast<std::size_t>(length) - 7);
  auto w = decode_worklist_item(out, kExplicitLe);
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, DataErrc::unparsable);
  EXPECT_EQ(worklist_item_patient_id(out, kExplicitLe), "P123");
}

TEST(WorklistItemPatient, NonAsciiOrMissingPatientIdIsUnknown) {
  DcmDataset latin = unknown_charset_answer();
  latin.putAndInsertString(DCM_PatientID, "J\xF6rg1");
  auto bytes = encode(latin, kExplicitLe);
  EXPECT_EQ(worklist_item_patient_id(bytes, kExplicitLe), std::nullopt);

  DcmDataset none = unknown_charset_answer();
  none.findAndDeleteElement(DCM_PatientID);
  bytes = encode(none, kExplicitLe);
  EXPECT_EQ(worklist_item_patient_id(bytes, kExplicitLe), std::nullopt);

  // A non-ASCII issuer is unknown, not wrong: the ID alone is returned.
  DcmDataset issuer = unknown_charset_answer();
  issuer.putAndInsertString(DCM_IssuerOfPatientID, "H\xD6SP");
  bytes = encode(issuer, kExplicitLe);
  EXPECT_EQ(worklist_item_patient(bytes, kExplicitLe), (IssuedPatientId{"P123", ""}));

  const std::vector<uint8_t> garbage = {0x10, 0x00, 0x20, 0x00, 'L', 'O',
                                        0x00, 0x40, 'A',  'B',  'C', 'D'};
  EXPECT_EQ(worklist_item_patient_id(garbage, kExplicitLe), std::nullopt);
  EXPECT_EQ(worklist_item_patient_id({}, kExplicitLe), std::nullopt);
  EXPECT_EQ(worklist_item_patient_id(bytes, "1.2.3"), std::nullopt);
}

}  // namespace
}  // namespace acc::dicom::data
