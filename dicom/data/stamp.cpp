#include "dicom/data/stamp.hpp"

#include <algorithm>
#include <memory>
#include <utility>

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcitem.h>
#include <dcmtk/dcmdata/dcsequen.h>

#include "dicom/data/data_errc.hpp"
#include "dicom/data/dcmtk_io.hpp"
#include "dicom/data/original_attributes.hpp"

namespace acc::dicom::data {
namespace {

using detail::adopt;
using detail::record_previous;
using detail::sequence;

struct NamedValue {
  const char* name;
  const std::string* value;
};

// Every string this stamp may write, so that they are checked in one place before anything
// changes.
std::vector<NamedValue> written_values(const StampRequest& r, const std::string& datetime) {
  std::vector<NamedValue> values = {
      {"Accession Number", &r.accession_number},
      {"Local Namespace Entity ID", &r.issuer.local_namespace},
      {"Universal Entity ID", &r.issuer.universal_id},
      {"Universal Entity ID Type", &r.issuer.universal_id_type},
      {"Requested Procedure ID", &r.requested_procedure_id},
      {"Requested Procedure Description", &r.requested_procedure_description},
      {"Scheduled Procedure Step ID", &r.sps_id},
      {"Scheduled Procedure Step Description", &r.sps_description},
      {"Study Instance UID", &r.study_instance_uid},
      {"Modifying System", &r.modifying_system},
      {"Source of Previous Values", &r.source_of_previous_values},
      {"Reason for the Attribute Modification", &r.reason},
      {"Attribute Modification DateTime", &datetime}};
  for (const CodedEntry& code : r.requested_procedure_codes) {
    values.push_back({"Requested Procedure Code Value", &code.code_value});
    values.push_back(
        {"Requested Procedure Coding Scheme Designator", &code.coding_scheme_designator});
    values.push_back({"Requested Procedure Coding Scheme Version", &code.coding_scheme_version});
    values.push_back({"Requested Procedure Code Meaning", &code.code_meaning});
  }
  if (const auto& p = r.correct_patient) {
    values.push_back({"Patient ID", &p->patient_id});
    values.push_back({"Issuer of Patient ID", &p->issuer_of_patient_id});
    values.push_back({"Patient's Name", &p->patient_name});
    values.push_back({"Patient's Birth Date", &p->patient_birth_date});
    values.push_back({"Patient's Sex", &p->patient_sex});
  }
  return values;
}

bool is_date_or_empty(std::string_view v) {
  return v.empty() || (v.size() == 8 && std::all_of(v.begin(), v.end(),
                                                    [](char c) { return c >= '0' && c <= '9'; }));
}

[[nodiscard]] Result<void> check_correction(const StampRequest::PatientCorrection& p) {
  if (p.patient_id.empty()) {
    return fail(DataErrc::invalid_value, "patient correction without a Patient ID");
  }
  if (!is_date_or_empty(p.patient_birth_date)) {
    return fail(DataErrc::invalid_value, "Patient's Birth Date is not YYYYMMDD");
  }
  if (!p.patient_sex.empty() && p.patient_sex != "M" && p.patient_sex != "F" &&
      p.patient_sex != "O") {
    return fail(DataErrc::invalid_value, "Patient's Sex is not M, F or O");
  }
  return {};
}

[[nodiscard]] Result<void> check_request(const StampRequest& r, const std::string& datetime) {
  if (r.accession_number.empty()) {
    return fail(DataErrc::invalid_value, "empty Accession Number");
  }
  if (r.issuer.local_namespace.empty() && r.issuer.universal_id.empty()) {
    return fail(DataErrc::invalid_value, "issuer needs a Local Namespace or Universal Entity ID");
  }
  // PS3.3 Table 10-17: Universal Entity ID Type is 1C, required whenever the ID is present.
  if (!r.issuer.universal_id.empty() && r.issuer.universal_id_type.empty()) {
    return fail(DataErrc::invalid_value, "Universal Entity ID without its type");
  }
  if (r.correct_patient) {
    if (auto ok = check_correction(*r.correct_patient); !ok) {
      return ok;
    }
  }
  for (const NamedValue& v : written_values(r, datetime)) {
    if (!detail::is_single_text_value(*v.value)) {
      return fail(DataErrc::invalid_value, v.name);
    }
  }
  return {};
}

// Text we write must be representable in the instance's Specific Character Set.
[[nodiscard]] Result<void> check_charset(DcmDataset& ds, const StampRequest& r,
                                         const std::string& datetime) {
  const bool utf8 = detail::declares_utf8(ds);
  for (const NamedValue& v : written_values(r, datetime)) {
    if (auto ok = detail::check_charset(utf8, v.name, *v.value); !ok) {
      return ok;
    }
  }
  return {};
}

// Sets `tag` only when `value` is non-empty (the type 3 attributes of the RAS item).
OFCondition put_if(DcmItem& item, const DcmTagKey& tag, const std::string& value) {
  if (value.empty()) {
    return EC_Normal;
  }
  return item.putAndInsertString(tag, value.c_str());
}

std::unique_ptr<DcmSequenceOfItems> issuer_sequence(const AccessionIssuer& issuer) {
  auto item = std::make_unique<DcmItem>();
  OFCondition c = put_if(*item, DCM_LocalNamespaceEntityID, issuer.local_namespace);
  if (c.good()) {
    c = put_if(*item, DCM_UniversalEntityID, issuer.universal_id);
  }
  if (c.good()) {
    c = put_if(*item, DCM_UniversalEntityIDType, issuer.universal_id_type);
  }
  auto seq = std::make_unique<DcmSequenceOfItems>(DCM_IssuerOfAccessionNumberSequence);
  if (c.bad() || adopt(*seq, std::move(item)).bad()) {
    return nullptr;
  }
  return seq;
}

// Code Value, Long Code Value or URN Code Value, whichever PS3.3 8.8 says carries `value`.
DcmTagKey code_value_tag(std::string_view value) {
  if (value.starts_with("urn:") || value.find("://") != std::string_view::npos) {
    return DCM_URNCodeValue;
  }
  return value.size() > 16 ? DCM_LongCodeValue : DCM_CodeValue;  // SH holds 16 characters
}

// Requested Procedure Code Sequence of the RAS item: the first complete code only (Code Value,
// Coding Scheme Designator and Code Meaning are type 1, PS3.3 8.8), since the Request Attributes
// Macro permits a single item (PS3.3 Table 10-9). nullptr when no code is complete or DCMTK
// refuses a value (`failed`).
std::unique_ptr<DcmSequenceOfItems> code_sequence(const std::vector<CodedEntry>& codes,
                                                  bool& failed) {
  auto seq = std::make_unique<DcmSequenceOfItems>(DCM_RequestedProcedureCodeSequence);
  for (const CodedEntry& code : codes) {
    if (code.code_value.empty() || code.coding_scheme_designator.empty() ||
        code.code_meaning.empty()) {
      continue;
    }
    auto item = std::make_unique<DcmItem>();
    OFCondition c =
        item->putAndInsertString(code_value_tag(code.code_value), code.code_value.c_str());
    if (c.good()) {
      c = item->putAndInsertString(DCM_CodingSchemeDesignator,
                                   code.coding_scheme_designator.c_str());
    }
    if (c.good()) {
      c = put_if(*item, DCM_CodingSchemeVersion, code.coding_scheme_version);
    }
    if (c.good()) {
      c = item->putAndInsertString(DCM_CodeMeaning, code.code_meaning.c_str());
    }
    if (c.bad() || adopt(*seq, std::move(item)).bad()) {
      failed = true;
      return nullptr;
    }
    return seq;
  }
  return nullptr;
}

// The patient attributes a correction rewrites.
const DcmTagKey kPatientTags[] = {DCM_PatientName, DCM_PatientID, DCM_IssuerOfPatientID,
                                  DCM_PatientBirthDate, DCM_PatientSex};

// The Modified Attributes Sequence item: the previous value of everything this stamp changes.
// Accession Number is always recorded (zero length if it was absent, PS3.3 C.12.1.1.9.2), and
// so is each patient attribute a correction rewrites.
std::unique_ptr<DcmItem> previous_values(DcmDataset& ds, bool coercion_tag_known,
                                         bool correct_patient, std::string& previous_accession) {
  auto item = std::make_unique<DcmItem>();
  OFString accession;
  if (ds.findAndGetOFStringArray(DCM_AccessionNumber, accession).good()) {
    previous_accession = detail::trim(accession.c_str());
  }
  OFCondition c = record_previous(*item, ds, DCM_AccessionNumber, /*empty_if_absent=*/true);
  std::vector<DcmTagKey> tags = {DCM_IssuerOfAccessionNumberSequence,
                                 DCM_RequestAttributesSequence};
  if (coercion_tag_known) {
    tags.push_back(DCM_InstanceCoercionDateTime);
  }
  for (const DcmTagKey& tag : tags) {
    if (c.good()) {
      c = record_previous(*item, ds, tag, /*empty_if_absent=*/false);
    }
  }
  if (correct_patient) {
    for (const DcmTagKey& tag : kPatientTags) {
      if (c.good()) {
        c = record_previous(*item, ds, tag, /*empty_if_absent=*/true);
      }
    }
  }
  return c.good() ? std::move(item) : nullptr;
}

// Rewrites the patient as the correction has it. An empty issuer removes the image's: the
// identity is the order's, and the image's issuer belongs to the other Patient ID.
OFCondition correct_patient(DcmDataset& ds, const StampRequest::PatientCorrection& p) {
  OFCondition c = ds.putAndInsertString(DCM_PatientID, p.patient_id.c_str());
  if (c.good()) {
    if (p.issuer_of_patient_id.empty()) {
      ds.findAndDeleteElement(DCM_IssuerOfPatientID);  // not found is fine
    } else {
      c = ds.putAndInsertString(DCM_IssuerOfPatientID, p.issuer_of_patient_id.c_str());
    }
  }
  const std::pair<DcmTagKey, const std::string*> type2[] = {
      {DCM_PatientName, &p.patient_name},
      {DCM_PatientBirthDate, &p.patient_birth_date},
      {DCM_PatientSex, &p.patient_sex},
  };
  for (const auto& [tag, value] : type2) {
    if (c.good()) {
      c = ds.putAndInsertString(tag, value->c_str());  // empty: zero length, type 2
    }
  }
  return c;
}

std::unique_ptr<DcmItem> request_attributes_item(const StampRequest& r) {
  auto item = std::make_unique<DcmItem>();
  OFCondition c = put_if(*item, DCM_AccessionNumber, r.accession_number);
  const std::pair<DcmTagKey, const std::string*> fields[] = {
      {DCM_StudyInstanceUID, &r.study_instance_uid},
      {DCM_RequestedProcedureDescription, &r.requested_procedure_description},
      {DCM_ScheduledProcedureStepDescription, &r.sps_description},
      {DCM_ScheduledProcedureStepID, &r.sps_id},
      {DCM_RequestedProcedureID, &r.requested_procedure_id},
  };
  for (const auto& [tag, value] : fields) {
    if (c.good()) {
      c = put_if(*item, tag, *value);
    }
  }
  auto issuer = issuer_sequence(r.issuer);
  if (c.bad() || issuer == nullptr || adopt(*item, std::move(issuer)).bad()) {
    return nullptr;
  }
  bool failed = false;
  auto codes = code_sequence(r.requested_procedure_codes, failed);
  if (failed || (codes != nullptr && adopt(*item, std::move(codes)).bad())) {
    return nullptr;
  }
  return item;
}

[[nodiscard]] Result<StampResult> stamp(std::span<const uint8_t> data_set,
                                        std::string_view transfer_syntax, const StampRequest& r) {
  const std::string datetime = detail::datetime_or_now(r.modification_datetime);
  if (auto ok = check_request(r, datetime); !ok) {
    return fail(ok.error());
  }
  auto xfer = detail::xfer_of(transfer_syntax);
  if (!xfer) {
    return fail(xfer.error());
  }
  auto parsed = detail::read_dataset(data_set, *xfer);
  if (!parsed) {
    return fail(parsed.error());
  }
  DcmDataset& ds = **parsed;
  if (!ds.tagExistsWithValue(DCM_SOPInstanceUID)) {
    return fail(DataErrc::missing_attribute, "SOP Instance UID");
  }
  if (auto ok = check_charset(ds, r, datetime); !ok) {
    return fail(ok.error());
  }
  // Instance Coercion DateTime is recent (2015); an older dictionary would write it as UN.
  const bool coercion_tag_known = detail::dictionary_knows(DCM_InstanceCoercionDateTime);

  StampResult result;
  auto previous = previous_values(ds, coercion_tag_known, r.correct_patient.has_value(),
                                  result.previous_accession);
  if (previous == nullptr) {
    return fail(DataErrc::unparsable, "copying previous values");
  }
  auto ras = sequence(ds, DCM_RequestAttributesSequence, "Request Attributes Sequence");
  if (!ras) {
    return fail(ras.error());
  }
  auto oas = sequence(ds, DCM_OriginalAttributesSequence, "Original Attributes Sequence");
  if (!oas) {
    return fail(oas.error());
  }
  auto ras_item = request_attributes_item(r);
  auto oas_item = detail::original_attributes_item(
      {r.modifying_system, r.source_of_previous_values, r.reason, datetime}, std::move(previous));
  auto issuer = issuer_sequence(r.issuer);
  if (ras_item == nullptr || oas_item == nullptr || issuer == nullptr) {
    return fail(DataErrc::invalid_value, "building the stamp items");
  }
  OFCondition c = ds.putAndInsertString(DCM_AccessionNumber, r.accession_number.c_str());
  if (c.good()) {
    c = adopt(ds, std::move(issuer), /*replace=*/true);
  }
  if (c.good()) {
    c = adopt(**ras, std::move(ras_item));
  }
  if (c.good()) {
    c = adopt(**oas, std::move(oas_item));
  }
  if (c.good() && r.correct_patient) {
    c = correct_patient(ds, *r.correct_patient);
  }
  if (c.good() && coercion_tag_known) {
    c = ds.putAndInsertString(DCM_InstanceCoercionDateTime, datetime.c_str());
  }
  if (c.bad()) {
    return fail(DataErrc::invalid_value, std::string("stamping: ") + c.text());
  }
  auto bytes = detail::write_dataset(ds, *xfer);
  if (!bytes) {
    return fail(bytes.error());
  }
  result.data_set = std::move(*bytes);
  return result;
}

}  // namespace

[[nodiscard]] Result<StampResult> stamp_accession(std::span<const uint8_t> data_set,
                                                  std::string_view transfer_syntax,
                                                  const StampRequest& request) noexcept {
  try {
    return stamp(data_set, transfer_syntax, request);
  } catch (const std::exception& e) {
    // DCMTK is not exception-based, but std::bad_alloc on a hostile length must not escape.
    return fail(DataErrc::unparsable, e.what());
  }
}

}  // namespace acc::dicom::data
