#pragma once
// Test instances for accession stamping (issue 4) and what a stamped object carries: instances
// made from a sample with dcmodify, the stamping attributes read back with DCMTK, and dciodvfy's
// Error lines.
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace acc::test {

// What dcmodify sets on a copy of a sample (every copy also gets a fresh SOP Instance UID, -gin).
// An unset field keeps the sample's value; an empty `accession` empties (0008,0050).
struct InstanceSpec {
  std::optional<std::string> patient_id{};
  std::optional<std::string> study_instance_uid{};
  std::optional<std::string> study_date{};
  std::optional<std::string> modality{};
  std::optional<std::string> accession{};
};

struct TestInstance {
  std::filesystem::path path;
  std::string sop_instance_uid;
};

// Copies `source` to `dir`/`name`.dcm and applies `spec` with `dcmodify -nb -gin -i ...`.
// Throws std::runtime_error if dcmodify fails.
[[nodiscard]] TestInstance make_instance(const std::filesystem::path& source,
                                         const std::filesystem::path& dir, const std::string& name,
                                         const InstanceSpec& spec);

// One item of Original Attributes Sequence (0400,0561).
struct OriginalAttributes {
  bool records_accession = false;  // Modified Attributes Sequence holds (0008,0050)
  std::string previous_accession;  // its value there ("" = empty)
  std::string modifying_system;    // (0400,0563)
  std::string source;              // (0400,0564)
  std::string reason;              // (0400,0565)
  std::string modification_datetime;
  // Every element of the first Modified Attributes Sequence item: "(gggg,eeee)" (DCMTK's
  // DcmTagKey::toString(), lower-case hex) -> value as text ("" = recorded empty).
  std::map<std::string, std::string> modified{};
};

// The attributes accession stamping writes, read from a Part-10 file.
struct StampFields {
  std::string sop_instance_uid;
  std::string study_instance_uid;
  bool has_accession = false;
  std::string accession;
  bool has_issuer = false;  // Issuer of Accession Number Sequence with an item
  std::string issuer_local_namespace;
  std::string issuer_universal_id;
  std::string issuer_universal_id_type;
  bool has_request_attributes = false;  // Request Attributes Sequence with an item
  std::string request_accession;
  std::string request_study_instance_uid;
  std::string request_procedure_id;
  std::string request_sps_id;
  std::vector<OriginalAttributes> originals;
};

// Throws std::runtime_error if DCMTK cannot load the file.
[[nodiscard]] StampFields read_stamp_fields(const std::filesystem::path& file);

// True when dciodvfy (package dicom3tools) is on PATH.
[[nodiscard]] bool have_dciodvfy();
// dciodvfy's "Error - ..." lines for a file (each once), messages about the file's own values
// included. `scratch` receives its output.
[[nodiscard]] std::set<std::string> dciodvfy_errors(const std::filesystem::path& file,
                                                    const std::filesystem::path& scratch);

}  // namespace acc::test
