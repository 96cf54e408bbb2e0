#pragma once
// DICOM encoding of the simulator's instances and orders (DCMTK, in memory). A few hundred bytes
// per instance, no pixel data: tens of thousands stay cheap.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "dicom/data/worklist_item.hpp"
#include "tests/simulation/sim_model.hpp"

namespace acc::sim {

inline constexpr const char* kExplicitVrLittleEndian = "1.2.840.10008.1.2.1";

// The data set of `instance` as its modality sends it (identity as sent, clock skew applied),
// Explicit VR Little Endian, without meta header.
[[nodiscard]] std::vector<uint8_t> encode_data_set(const Scenario& sc, const Instance& instance);

// The same as a Part-10 file (daemon scenarios: dcmsend reads files).
void write_part10(const Scenario& sc, const Instance& instance, const std::filesystem::path& file);

// A worklist file for wlmscpfs (.wl, Part-10 with meta header) holding one order.
void write_worklist_file(const dicom::data::WorklistItem& item, const std::filesystem::path& file);

// What the checker reads from a forwarded object.
struct ForwardedFields {
  std::string sop_instance_uid;
  std::string study_instance_uid;
  std::string patient_id;
  std::string issuer_of_patient_id;
  std::string patient_name;
  std::string accession;
  bool parsed = false;
};
// From a Part-10 object in memory, or a file.
[[nodiscard]] ForwardedFields read_forwarded(const std::vector<uint8_t>& part10);
[[nodiscard]] ForwardedFields read_forwarded_file(const std::filesystem::path& file);

}  // namespace acc::sim
