#pragma once
// Modality Worklist (PS3.4 Annex K) on the wire: the C-FIND identifier Accessioner sends to the
// RIS and the items it gets back, as plain values. Text comes back converted to UTF-8 whatever
// Specific Character Set the RIS answered in.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace acc::dicom::data {

// Issuer of Accession Number Sequence (0008,0051) item.
struct AccessionIssuer {
  std::string local_namespace;    // (0040,0031) Local Namespace Entity ID
  std::string universal_id;       // (0040,0032) Universal Entity ID
  std::string universal_id_type;  // (0040,0033) e.g. ISO, DNS, UUID
  bool operator==(const AccessionIssuer&) const = default;
};

// One item of a Code Sequence (PS3.3 8.8, Basic Code Attributes), e.g. Requested Procedure Code
// Sequence (0032,1064). `code_value` holds whichever of Code Value (0008,0100), Long Code Value
// (0008,0119) or URN Code Value (0008,0120) the item carried.
struct CodedEntry {
  std::string code_value;                // (0008,0100) / (0008,0119) / (0008,0120)
  std::string coding_scheme_designator;  // (0008,0102)
  std::string coding_scheme_version;     // (0008,0103)
  std::string code_meaning;              // (0008,0104)
  bool operator==(const CodedEntry&) const = default;
};

// Who an item is for: the Patient ID and its issuer (not rules::PatientIdentity, which adds the
// demographics).
struct IssuedPatientId {
  std::string patient_id;            // (0010,0020)
  std::string issuer_of_patient_id;  // (0010,0021)
  bool operator==(const IssuedPatientId&) const = default;
};

// One MWL response item (one Scheduled Procedure Step). Values trimmed, UTF-8.
struct WorklistItem {
  std::string patient_id;                           // (0010,0020)
  std::string issuer_of_patient_id;                 // (0010,0021)
  std::string patient_name;                         // (0010,0010)
  std::string patient_birth_date;                   // (0010,0030)
  std::string patient_sex;                          // (0010,0040)
  std::string accession_number;                     // (0008,0050)
  std::optional<AccessionIssuer> accession_issuer;  // (0008,0051) first item, if returned
  std::string referring_physician_name;             // (0008,0090)
  std::string study_instance_uid;                   // (0020,000D)
  std::string requested_procedure_id;               // (0040,1001)
  std::string requested_procedure_description;      // (0032,1060)
  // Scheduled Procedure Step Sequence (0040,0100), first item:
  std::string modality;              // (0008,0060)
  std::string scheduled_station_ae;  // (0040,0001)
  std::string sps_start_date;        // (0040,0002) YYYYMMDD
  std::string sps_start_time;        // (0040,0003) HHMMSS[.ffffff]
  std::string sps_id;                // (0040,0009)
  std::string sps_description;       // (0040,0007)
  std::string sps_status;            // (0040,0020) SCHEDULED ... DISCONTINUED, CANCELED
  std::vector<CodedEntry> requested_procedure_codes;  // (0032,1064) every item, in order
  bool operator==(const WorklistItem&) const = default;
};

struct WorklistQuery {
  std::string date_from;   // YYYYMMDD, inclusive; empty = open
  std::string date_to;     // YYYYMMDD, inclusive; empty = open
  std::string modality;    // empty = any
  std::string patient_id;  // empty = any (used for query-on-miss)
};

// The C-FIND identifier for `query` with every return key above requested, encoded in
// `transfer_syntax` (Implicit or Explicit VR Little Endian).
[[nodiscard]] Result<std::vector<uint8_t>> encode_worklist_query(const WorklistQuery& query,
                                                                 std::string_view transfer_syntax);

// Parses one pending C-FIND-RSP identifier. Values are converted to UTF-8 according to the item's
// Specific Character Set (0008,0005); an unknown or unconvertible character set is an error.
[[nodiscard]] Result<WorklistItem> decode_worklist_item(std::span<const uint8_t> identifier,
                                                        std::string_view transfer_syntax) noexcept;

// Best effort, for an identifier decode_worklist_item() refused (e.g. an unknown Specific
// Character Set): the Patient ID (0010,0020) and Issuer of Patient ID (0010,0021) alone. The rest
// of the item is not looked at; if DCMTK cannot parse it at all, the top-level elements before
// (0010,0021) are walked directly (Implicit/Explicit VR Little Endian only). nullopt when there is
// no Patient ID or it is not printable ASCII (its meaning would depend on the character set); a
// non-ASCII issuer is left empty.
[[nodiscard]] std::optional<IssuedPatientId> worklist_item_patient(
    std::span<const uint8_t> identifier, std::string_view transfer_syntax) noexcept;
// worklist_item_patient(...)->patient_id.
[[nodiscard]] std::optional<std::string> worklist_item_patient_id(
    std::span<const uint8_t> identifier, std::string_view transfer_syntax) noexcept;

}  // namespace acc::dicom::data
