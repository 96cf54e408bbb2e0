#include "dicom/data/worklist_item.hpp"

#include <algorithm>
#include <iterator>

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
    c = ds.insertEmptyElement(DCM_RequestedProcedureCodeSequence);
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
  for (const CodedEntry& code : w.requested_procedure_codes) {
    fields.push_back(&code.code_value);
    fields.push_back(&code.coding_scheme_designator);
    fields.push_back(&code.coding_scheme_version);
    fields.push_back(&code.code_meaning);
  }
  for (const std::string* f : fields) {
    if (!detail::is_valid_utf8(*f)) {
      // Non-ASCII bytes that no Specific Character Set declared: we cannot know what they mean.
      return fail(DataErrc::charset, "text not in the declared character set");
    }
  }
  return {};
}

// Every item of the Code Sequence `seq`; an empty item (a return key echoed back) is no code.
std::vector<CodedEntry> codes(DcmItem& d, const DcmTagKey& seq) {
  std::vector<CodedEntry> out;
  DcmSequenceOfItems* s = nullptr;
  if (d.findAndGetSequence(seq, s).bad() || s == nullptr) {
    return out;
  }
  for (unsigned long i = 0; i < s->card(); ++i) {
    DcmItem* item = s->getItem(i);
    if (item == nullptr) {
      continue;
    }
    CodedEntry code;
    for (const DcmTagKey& tag : {DCM_CodeValue, DCM_LongCodeValue, DCM_URNCodeValue}) {
      code.code_value = text(*item, tag);
      if (!code.code_value.empty()) {
        break;
      }
    }
    code.coding_scheme_designator = text(*item, DCM_CodingSchemeDesignator);
    code.coding_scheme_version = text(*item, DCM_CodingSchemeVersion);
    code.code_meaning = text(*item, DCM_CodeMeaning);
    if (!(code == CodedEntry{})) {
      out.push_back(std::move(code));
    }
  }
  return out;
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
  w.requested_procedure_codes = codes(d, DCM_RequestedProcedureCodeSequence);
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

// Printable ASCII only: the bytes mean the same in every character set DICOM allows (ISO 2022
// escapes and 8-bit codes do not).
bool printable_ascii(std::string_view v) {
  for (const char c : v) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u > 0x7E) {
      return false;
    }
  }
  return true;
}

// A walk over the elements of an Implicit or Explicit VR Little Endian data set that DCMTK could
// not parse as a whole (e.g. truncated after the patient): each value is skipped by its length,
// undefined-length sequences item by item. Every read is bounds-checked; nonsense ends the walk.
class LeWalk {
 public:
  static constexpr uint32_t kUndefined = 0xFFFFFFFF;
  struct Element {
    uint32_t tag = 0;  // group << 16 | element
    uint32_t length = 0;
    bool items_explicit = false;  // how a sequence's items are encoded (UN: implicit, PS3.5 6.2.2)
    std::size_t value = 0;        // offset of the value
  };

  explicit LeWalk(std::span<const uint8_t> bytes) : b_(bytes) {}

  [[nodiscard]] std::optional<Element> next(bool explicit_vr) {
    if (b_.size() - pos_ < 8) {
      return std::nullopt;
    }
    Element e;
    e.tag = (static_cast<uint32_t>(u16(pos_)) << 16) | u16(pos_ + 2);
    e.items_explicit = explicit_vr;
    pos_ += 4;
    if (explicit_vr && (e.tag >> 16) != 0xFFFE) {
      const std::string_view vr(reinterpret_cast<const char*>(&b_[pos_]), 2);
      if (vr[0] < 'A' || vr[0] > 'Z' || vr[1] < 'A' || vr[1] > 'Z') {
        return std::nullopt;
      }
      static constexpr std::string_view kLong[] = {"OB", "OD", "OF", "OL", "OV", "OW", "SQ",
                                                   "SV", "UC", "UN", "UR", "UT", "UV"};
      if (std::find(std::begin(kLong), std::end(kLong), vr) != std::end(kLong)) {
        if (b_.size() - pos_ < 8) {
          return std::nullopt;
        }
        e.length = u32(pos_ + 4);
        pos_ += 8;
      } else {
        e.length = u16(pos_ + 2);
        pos_ += 4;
      }
      e.items_explicit = vr != "UN";
    } else {
      e.length = u32(pos_);
      pos_ += 4;
    }
    e.value = pos_;
    return e;
  }

  // The value of `e` (the walk must not have moved past it), nullopt if it is not all there.
  [[nodiscard]] std::optional<std::string_view> value(const Element& e) const {
    if (e.length == kUndefined || e.length > b_.size() - e.value) {
      return std::nullopt;
    }
    return std::string_view(reinterpret_cast<const char*>(&b_[e.value]), e.length);
  }

  // Moves past the value of `e`; false if it runs out of bytes or makes no sense.
  [[nodiscard]] bool skip(const Element& e, int depth) {
    if (e.length != kUndefined) {
      if (e.length > b_.size() - pos_) {
        return false;
      }
      pos_ += e.length;
      return true;
    }
    if (depth >= kMaxDepth) {
      return false;
    }
    for (;;) {
      auto item = next(false);
      if (!item || item->tag == kSequenceDelimitation) {
        return item.has_value();
      }
      if (item->tag != kItem) {
        return false;
      }
      if (item->length != kUndefined) {
        if (!skip(*item, depth + 1)) {
          return false;
        }
        continue;
      }
      for (;;) {
        auto element = next(e.items_explicit);
        if (!element) {
          return false;
        }
        if (element->tag == kItemDelimitation) {
          break;
        }
        if (!skip(*element, depth + 1)) {
          return false;
        }
      }
    }
  }

 private:
  static constexpr uint32_t kItem = 0xFFFEE000;
  static constexpr uint32_t kItemDelimitation = 0xFFFEE00D;
  static constexpr uint32_t kSequenceDelimitation = 0xFFFEE0DD;
  static constexpr int kMaxDepth = 16;

  [[nodiscard]] uint16_t u16(std::size_t at) const {
    return static_cast<uint16_t>(b_[at] | (b_[at + 1] << 8));
  }
  [[nodiscard]] uint32_t u32(std::size_t at) const {
    return static_cast<uint32_t>(u16(at)) | (static_cast<uint32_t>(u16(at + 2)) << 16);
  }

  std::span<const uint8_t> b_;
  std::size_t pos_ = 0;
};

// Patient ID and issuer as raw (trimmed) bytes, from the top level of a data set DCMTK refused.
IssuedPatientId walk_patient(std::span<const uint8_t> bytes, bool explicit_vr) {
  IssuedPatientId out;
  LeWalk walk(bytes);
  constexpr uint32_t kPatientId = 0x00100020;  // (0010,0020)
  constexpr uint32_t kIssuer = 0x00100021;     // (0010,0021)
  while (auto e = walk.next(explicit_vr)) {
    if (e->tag > kIssuer) {
      break;  // top-level elements come in ascending tag order
    }
    if (e->tag == kPatientId || e->tag == kIssuer) {
      const auto v = walk.value(*e);
      if (!v) {
        break;
      }
      (e->tag == kPatientId ? out.patient_id : out.issuer_of_patient_id) = trim(*v);
    }
    if (!walk.skip(*e, 0)) {
      break;
    }
  }
  return out;
}

std::optional<IssuedPatientId> patient(std::span<const uint8_t> identifier,
                                       std::string_view transfer_syntax) {
  auto xfer = detail::xfer_of(transfer_syntax);
  if (!xfer) {
    return std::nullopt;
  }
  IssuedPatientId id;
  // No character set conversion: the bytes are used only if they are printable ASCII.
  if (auto ds = detail::read_dataset(identifier, *xfer)) {
    id.patient_id = text(**ds, DCM_PatientID);
    id.issuer_of_patient_id = text(**ds, DCM_IssuerOfPatientID);
  } else if (*xfer == EXS_LittleEndianImplicit || *xfer == EXS_LittleEndianExplicit) {
    id = walk_patient(identifier, *xfer == EXS_LittleEndianExplicit);
  } else {
    return std::nullopt;
  }
  if (id.patient_id.empty() || !printable_ascii(id.patient_id)) {
    return std::nullopt;
  }
  if (!printable_ascii(id.issuer_of_patient_id)) {
    id.issuer_of_patient_id.clear();  // unknown: the placeholder then competes whatever the issuer
  }
  return id;
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

[[nodiscard]] std::optional<IssuedPatientId> worklist_item_patient(
    std::span<const uint8_t> identifier, std::string_view transfer_syntax) noexcept {
  try {
    return patient(identifier, transfer_syntax);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

[[nodiscard]] std::optional<std::string> worklist_item_patient_id(
    std::span<const uint8_t> identifier, std::string_view transfer_syntax) noexcept {
  auto id = worklist_item_patient(identifier, transfer_syntax);
  if (!id) {
    return std::nullopt;
  }
  return std::move(id->patient_id);
}

}  // namespace acc::dicom::data
