#include "dicom/data/stamp.hpp"

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
  return {{"Accession Number", &r.accession_number},
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

// The Modified Attributes Sequence item: the previous value of everything this stamp changes.
// Accession Number is always recorded (zero length if it was absent, PS3.3 C.12.1.1.9.2).
std::unique_ptr<DcmItem> previous_values(DcmDataset& ds, bool coercion_tag_known,
                                         std::string& previous_accession) {
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
  return c.good() ? std::move(item) : nullptr;
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
  auto previous = previous_values(ds, coercion_tag_known, result.previous_accession);
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
