#pragma once
// DICOM Part-10 framing (PS3.10 §7.1): 128-byte preamble, "DICM", File Meta Information (group
// 0002, Explicit VR Little Endian), then the data set. The data set bytes are kept exactly as
// received, so what we store and export is byte-identical to what the modality sent.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "dicom/ul/implementation.hpp"

namespace acc::dicom::data {

using acc::dicom::kImplementationClassUid;
using acc::dicom::kImplementationVersionName;

struct FileMeta {
  std::string media_storage_sop_class_uid;     // (0002,0002)
  std::string media_storage_sop_instance_uid;  // (0002,0003)
  std::string transfer_syntax_uid;             // (0002,0010)
  std::string source_ae_title;                 // (0002,0016), empty = omitted
  bool operator==(const FileMeta&) const = default;
};

// Builds preamble + meta information and appends `data_set` unchanged.
[[nodiscard]] std::vector<uint8_t> make_part10(const FileMeta& meta,
                                               std::span<const uint8_t> data_set);

struct Part10View {
  FileMeta meta;
  std::span<const uint8_t> data_set;  // views the input
};

// Splits a Part-10 object into its meta information and data set. noexcept, bounded.
[[nodiscard]] Result<Part10View> split_part10(std::span<const uint8_t> object) noexcept;

}  // namespace acc::dicom::data
