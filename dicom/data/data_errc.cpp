#include "dicom/data/data_errc.hpp"

#include "common/error_category.hpp"

namespace acc::dicom::data {
namespace {
const char* describe(DataErrc e) {
  switch (e) {
    case DataErrc::ok:
      return "ok";
    case DataErrc::unparsable:
      return "data set cannot be parsed";
    case DataErrc::unknown_transfer_syntax:
      return "unknown transfer syntax";
    case DataErrc::missing_attribute:
      return "required attribute missing";
    case DataErrc::not_part10:
      return "not a DICOM Part-10 object";
    case DataErrc::cannot_transcode:
      return "cannot convert to the requested transfer syntax";
    case DataErrc::charset:
      return "unsupported or unconvertible character set";
    case DataErrc::invalid_value:
      return "invalid value for a DICOM attribute";
  }
  return "unknown data error";
}
}  // namespace

const std::error_category& data_category() noexcept {
  static const EnumCategory<DataErrc, describe> category("dicom.data");
  return category;
}

}  // namespace acc::dicom::data
