#pragma once
// A received data set parsed by DCMTK. DCMTK types stay behind this header (pimpl) so that only
// dicom/data compiles against DCMTK.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "dicom/data/data_errc.hpp"

namespace acc::dicom::data {

// The attributes the router reads from every instance (no pixel data).
struct InstanceSummary {
  std::string sop_class_uid;
  std::string sop_instance_uid;
  std::string patient_id;
  std::string study_instance_uid;
  std::string series_instance_uid;
  std::string modality;
  std::string accession_number;
};

class DataSet {
 public:
  // Parses `bytes` (a data set without meta header) in transfer syntax `ts_uid`, inflating first
  // for Deflated Explicit VR Little Endian. Encapsulated pixel data stays as fragments: nothing is
  // decompressed. DataErrc::unparsable carries DCMTK's reason in the detail.
  [[nodiscard]] static Result<DataSet> parse(std::span<const uint8_t> bytes,
                                             std::string_view ts_uid) noexcept;
  // The same for reading attributes: the framing of the whole data set is checked
  // (data_set_layout.hpp), but DCMTK parses only what lies before the bulk (Pixel Data and what
  // follows it), so the pixels are never copied. Use parse() where the bulk is needed.
  [[nodiscard]] static Result<DataSet> parse_header(std::span<const uint8_t> bytes,
                                                    std::string_view ts_uid) noexcept;

  DataSet(DataSet&&) noexcept;
  DataSet& operator=(DataSet&&) noexcept;
  ~DataSet();

  [[nodiscard]] InstanceSummary summary() const;
  // Value of a top-level string attribute, "" if absent (tests, logs).
  [[nodiscard]] std::string get_string(uint16_t group, uint16_t element) const;
  // A top-level attribute as text, multiple values joined with '\' (numbers in their text form);
  // "" when present without a value (or a sequence); std::nullopt when absent. For site rules.
  [[nodiscard]] std::optional<std::string> find_text(uint16_t group, uint16_t element) const;
  // FNV-1a 64 of the native (uncompressed) Pixel Data value as 16 hex digits, "" if there is none
  // or it is still encapsulated. Compares pixels across transfer syntaxes (tests, audits).
  [[nodiscard]] std::string pixel_data_hash() const;

 private:
  struct Impl;
  explicit DataSet(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// True once DCMTK's data dictionary is loaded; without it nothing can be parsed by name.
[[nodiscard]] bool dictionary_loaded();

}  // namespace acc::dicom::data
