#pragma once
#include <system_error>

namespace acc::dicom::data {

enum class DataErrc {
  ok = 0,
  unparsable,  // DCMTK could not read the data set in the stated transfer syntax
  unknown_transfer_syntax,
  missing_attribute,  // e.g. no SOP Instance UID in the data set
  not_part10,         // no preamble/"DICM" or malformed group 0002
  cannot_transcode,   // no codec for the source transfer syntax, or decoding failed; or
                      // text the data set's Specific Character Set cannot hold (stamping)
  charset,            // unknown/unconvertible Specific Character Set, or undeclared 8-bit text
  invalid_value,      // a value to be written is no valid DICOM value (e.g. contains '\\')
};

const std::error_category& data_category() noexcept;
inline std::error_code make_error_code(DataErrc e) noexcept {
  return {static_cast<int>(e), data_category()};
}

}  // namespace acc::dicom::data

template <>
struct std::is_error_code_enum<acc::dicom::data::DataErrc> : std::true_type {};
