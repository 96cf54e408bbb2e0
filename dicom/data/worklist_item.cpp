#include "dicom/data/worklist_item.hpp"

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcitem.h>
#include <dcmtk/dcmdata/dcsequen.h>

#include "dicom/data/data_errc.hpp"
#include "dicom/data/dcmtk_io.hpp"

namespace acc::dicom::data {
namespace {

using detail::trim;

bool is_date(std::string_view v) {
  if (v.size() != 8) {
    return false;
  }
  for (const char c : v) {
    if (c < '0' || c > '9') {
      return false;
    }
  }
  return true;
}

// A matching key must match exactly what it says: '*' and '?' would turn it into a wildcard
// match (PS3.4 C.2.2.2.4), which DICOM has no way to escape, and could return another patient.
[[nodiscard]] Result<void> check_single_value_key(std::string_view v, const char* name) {
  if (!detail::is_single_text_value(v) || v.find_first_of("*?") != std::string_view::npos) {
    return fail(DataErrc::invalid_value, name);
  }
  if (!detail::is_valid_utf8(v)) {
    return fail(DataErrc::charset, name);
  }
  return {};
}

[[nodiscard]] Result<std::string> date_range(const WorklistQuery& q) {
  if ((!q.date_from.empty() && !is_date(q.date_from)) ||
      (!q.date_to.empty() && !is_date(q.date_to))) {
    return fail(DataErrc::invalid_value, "SPS start date range");
  }
  if (q.date_from.empty() && q.date_to.empty()) {
    return std::string();
  }
  if (q.date_from == q.date_to) {
    return q.date_from;
  }
  return q.date_from + "-" + q.date_to;
}

// Inserts `tag` with `value`, or zero-length (a return key) when `value` is empty.
OFCondition put(DcmItem& item, const DcmTagKey& tag, const std::string& value) {
  if (value.empty()) {
    return item.insertEmptyElement(tag);
  }
  return item.putAndInsertString(tag, value.c_str());
}

[[nodiscard]] Result<void> build_query(DcmDataset& ds, const WorklistQuery& q,
                                       const std::string& dates) {
  const bool unicode = !detail::is_ascii(q.patient_id) || !detail::is_ascii(q.modality);
  DcmItem* sps = nullptr;
  OFCondition c = put(ds, DCM_SpecificCharacterSet, unicode ? "ISO_IR 192" : "");
  const std::pair<DcmTagKey, const std::string*> top[] = {
      {DCM_AccessionNumber, nullptr},
      {DCM_ReferringPhysicianName, nullptr},
      {DCM_PatientName, nullptr},
      {DCM_PatientID, &q.patient_id},
      {DCM_IssuerOfPatientID, nullptr},
      {DCM_PatientBirthDate, nullptr},
      {DCM_PatientSex, nullptr},
      {DCM_StudyInstanceUID, nullptr},
      {DCM_RequestedProcedureDescription, nullptr},
      {DCM_RequestedProcedureID, nullptr},
  };
  const std::string empty;
  for (const auto& [tag, value] : top) {
    if (c.good()) {
      c = put(ds, tag, value != nullptr ? *value : empty);
    }
  }
  if (c.good()) {
    c = ds.insertEmptyElement(DCM_IssuerOfAccessionNumberSequence);
  }
  if (c.good()) {
    c = ds.findOrCreateSequenceItem(DCM_ScheduledProcedureStepSequence, sps, 0);
  }
  if (c.good() && sps != nullptr) {
    const std::pair<DcmTagKey, const std::string*> step[] = {
        {DCM_Modality, &q.modality},
        {DCM_ScheduledStationAETitle, nullptr},
        {DCM_ScheduledProcedureStepStartDate, &dates},
        {DCM_ScheduledProcedureStepStartTime, nullptr},
        {DCM_ScheduledProcedureStepDescription, nullptr},
        {DCM_ScheduledProcedureStepID, nullptr},
        {DCM_ScheduledProcedureStepStatus, nullptr},
    };
    for (const auto& [tag, value] : step) {
      if (c.good()) {
        c = put(*sps, tag, value != nullptr ? *value : empty);
      }
    }
  }
  if (c.bad()) {
    return fail(DataErrc::invalid_value, std::string("building query: ") + c.text());
  }
  return {};
}

std::string text(DcmItem& item, const DcmTagKey& tag) {
  OFString value;
  if (item.findAndGetOFStringArray(tag, value).good()) {
    return trim(std::string_view(value.c_str(), value.length()));
  }
  return {};
}

[[nodiscard]] Result<void> check_utf8(const WorklistItem& w) {
  std::vector<const std::string*> fields = {&w.patient_id,
                                            &w.issuer_of_patient_id,
                                            &w.patient_name,
                                            &w.accession_number,
                                            &w.referring_physician_name,
                                            &w.requested_procedure_id,
                                            &w.sps_id,
                                            &w.requested_procedure_description,
                                            &w.sps_description};
  if (w.accession_issuer) {
    fields.push_back(&w.accession_issuer->local_namespace);
    fields.push_back(&w.accession_issuer->universal_id);
  }
  for (const std::string* f : fields) {
    if (!detail::is_valid_utf8(*f)) {
      // Non-ASCII bytes that no Specific Character Set declared: we cannot know what they mean.
      return fail(DataErrc::charset, "text not in the declared character set");
    }
  }
  return {};
}

[[nodiscard]] Result<WorklistItem> decode(std::span<const uint8_t> identifier,
                                          std::string_view transfer_syntax) {
  auto xfer = detail::xfer_of(transfer_syntax);
  if (!xfer) {
    return fail(xfer.error());
  }
  auto ds = detail::read_dataset(identifier, *xfer);
  if (!ds) {
    return fail(ds.error());
  }
  DcmDataset& d = **ds;
  const std::string charset = text(d, DCM_SpecificCharacterSet);
  if (!charset.empty() && charset != "ISO_IR 192") {
    const OFCondition c = d.convertToUTF8();
    if (c.bad()) {
      return fail(DataErrc::charset, charset + ": " + c.text());
    }
  }
  WorklistItem w;
  w.patient_id = text(d, DCM_PatientID);
  w.issuer_of_patient_id = text(d, DCM_IssuerOfPatientID);
  w.patient_name = text(d, DCM_PatientName);
  w.patient_birth_date = text(d, DCM_PatientBirthDate);
  w.patient_sex = text(d, DCM_PatientSex);
  w.accession_number = text(d, DCM_AccessionNumber);
  w.referring_physician_name = text(d, DCM_ReferringPhysicianName);
  w.study_instance_uid = text(d, DCM_StudyInstanceUID);
  w.requested_procedure_id = text(d, DCM_RequestedProcedureID);
  w.requested_procedure_description = text(d, DCM_RequestedProcedureDescription);
  DcmItem* issuer = nullptr;
  if (d.findAndGetSequenceItem(DCM_IssuerOfAccessionNumberSequence, issuer, 0).good() &&
      issuer != nullptr) {
    AccessionIssuer a{text(*issuer, DCM_LocalNamespaceEntityID),
                      text(*issuer, DCM_UniversalEntityID),
                      text(*issuer, DCM_UniversalEntityIDType)};
    // An empty item is the return key echoed back unfilled: no issuer known.
    if (!(a == AccessionIssuer{})) {
      w.accession_issuer = std::move(a);
    }
  }
  DcmItem* sps = nullptr;
  if (d.findAndGetSequenceItem(DCM_ScheduledProcedureStepSequence, sps, 0).good() &&
      sps != nullptr) {
    w.modality = text(*sps, DCM_Modality);
    w.scheduled_station_ae = text(*sps, DCM_ScheduledStationAETitle);
    w.sps_start_date = text(*sps, DCM_ScheduledProcedureStepStartDate);
    w.sps_start_time = text(*sps, DCM_ScheduledProcedureStepStartTime);
    w.sps_id = text(*sps, DCM_ScheduledProcedureStepID);
    w.sps_description = text(*sps, DCM_ScheduledProcedureStepDescription);
    w.sps_status = text(*sps, DCM_ScheduledProcedureStepStatus);
  }
  if (auto ok = check_utf8(w); !ok) {
    return fail(ok.error());
  }
  return w;
}

}  // namespace

[[nodiscard]] Result<std::vector<uint8_t>> encode_worklist_query(const WorklistQuery& query,
                                                                 std::string_view transfer_syntax) {
  try {
    auto xfer = detail::xfer_of(transfer_syntax);
    if (!xfer) {
      return fail(xfer.error());
    }
    if (*xfer != EXS_LittleEndianImplicit && *xfer != EXS_LittleEndianExplicit) {
      return fail(DataErrc::cannot_transcode, "query only in Implicit/Explicit VR Little Endian");
    }
    if (auto ok = check_single_value_key(query.patient_id, "Patient ID"); !ok) {
      return fail(ok.error());
    }
    if (auto ok = check_single_value_key(query.modality, "Modality"); !ok) {
      return fail(ok.error());
    }
    auto dates = date_range(query);
    if (!dates) {
      return fail(dates.error());
    }
    DcmDataset ds;
    if (auto ok = build_query(ds, query, *dates); !ok) {
      return fail(ok.error());
    }
    return detail::write_dataset(ds, *xfer);
  } catch (const std::exception& e) {
    return fail(DataErrc::invalid_value, e.what());
  }
}

[[nodiscard]] Result<WorklistItem> decode_worklist_item(std::span<const uint8_t> identifier,
                                                        std::string_view transfer_syntax) noexcept {
  try {
    return decode(identifier, transfer_syntax);
  } catch (const std::exception& e) {
    // DCMTK is not exception-based, but std::bad_alloc on a hostile length must not escape.
    return fail(DataErrc::unparsable, e.what());
  }
}

}  // namespace acc::dicom::data
