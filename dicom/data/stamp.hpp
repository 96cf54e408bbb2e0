#pragma once
// Accession stamping of one instance (issue 4): the attribute changes and their audit trail in
// Original Attributes Sequence (PS3.3 C.12.1), applied with DCMTK and re-encoded in the instance's
// own transfer syntax (encapsulated pixel data is kept as it is, never recompressed).
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "dicom/data/worklist_item.hpp"

namespace acc::dicom::data {

struct StampRequest {
  std::string accession_number;        // validated by the caller
  AccessionIssuer issuer;              // at least local_namespace or universal_id
  std::string requested_procedure_id;  // -> Request Attributes Sequence item
  std::string requested_procedure_description;
  std::string sps_id;
  std::string sps_description;
  std::string study_instance_uid;  // of the order, for the RAS item; not written to 0020,000D
  // -> Requested Procedure Code Sequence (0032,1064) of the RAS item: the first code with its
  // value, scheme designator and meaning (type 1, PS3.3 8.8); the Request Attributes Macro
  // permits one item (PS3.3 Table 10-9), so any further codes are not written.
  std::vector<CodedEntry> requested_procedure_codes;
  // Patient correction (PS3.3 C.12.1.1.9): the image was taken under another patient's identity.
  struct PatientCorrection {
    std::string patient_id;            // (0010,0020) required
    std::string issuer_of_patient_id;  // (0010,0021) empty: the image's is removed
    std::string patient_name;          // (0010,0010) PN
    std::string patient_birth_date;    // (0010,0030) YYYYMMDD or empty
    std::string patient_sex;           // (0010,0040) M, F, O or empty
  };
  std::optional<PatientCorrection> correct_patient;  // set: rewrite the patient from the order
  // Audit (Original Attributes Sequence item):
  std::string modifying_system;           // (0400,0563) our AE title
  std::string source_of_previous_values;  // (0400,0564) calling AE of the modality
  std::string reason = "COERCE";          // (0400,0565)
  std::string modification_datetime;      // (0400,0562) YYYYMMDDHHMMSS.ffffff+ZZZZ
};

struct StampResult {
  std::vector<uint8_t> data_set;   // re-encoded in the same transfer syntax
  std::string previous_accession;  // "" if absent or empty before
};

// Sets Accession Number (0008,0050) and Issuer of Accession Number Sequence (0008,0051), adds a
// Request Attributes Sequence (0040,0275) item, and appends one Original Attributes Sequence
// (0400,0561) item whose Modified Attributes Sequence (0400,0550) holds the previous values of
// every attribute changed (an attribute that was absent is recorded empty). With
// `correct_patient`, Patient ID, Issuer of Patient ID, Patient's Name, Birth Date and Sex are set
// to the correction's too, their previous values in the same Modified Attributes item (the
// caller sets `reason` to "CORRECT"). Specific Character Set
// is respected: a non-ASCII value in an image whose character set cannot hold it is an error
// (DataErrc::cannot_transcode), never silently mangled.
[[nodiscard]] Result<StampResult> stamp_accession(std::span<const uint8_t> data_set,
                                                  std::string_view transfer_syntax,
                                                  const StampRequest& request) noexcept;

}  // namespace acc::dicom::data
