#include "router/forward/delivery_outcome.hpp"

#include <fmt/format.h>

#include "dicom/dimse/status.hpp"

namespace acc::router {

namespace st = dicom::dimse::status;

Disposition disposition_for_status(uint16_t status,
                                   const std::vector<config::StatusPattern>& retry_statuses) {
  switch (st::classify(status)) {
    case st::Class::Success:
    case st::Class::Warning:
      return Disposition::Delivered;
    default:
      break;
  }
  for (const auto& pattern : retry_statuses) {
    if (pattern.matches(status)) {
      return Disposition::Retry;
    }
  }
  return Disposition::DeadLetter;
}

std::string describe_status(uint16_t status, const std::string& error_comment) {
  const char* meaning = "failure";
  if ((status & 0xFF00) == 0xA700) {
    meaning = "out of resources";
  } else if ((status & 0xFF00) == 0xA900) {
    meaning = "data set does not match SOP class";
  } else if ((status & 0xF000) == 0xC000) {
    meaning = "cannot understand";
  } else if (status == st::kSopClassNotSupported) {
    meaning = "SOP class not supported";
  } else if (status == st::kProcessingFailure) {
    meaning = "processing failure";
  } else if (status == st::kResourceLimitation) {
    meaning = "resource limitation";
  } else if (status == st::kNotAuthorized) {
    meaning = "not authorized";
  } else if (st::classify(status) == st::Class::Warning) {
    meaning = "warning";
  } else if (status == st::kSuccess) {
    meaning = "success";
  }
  std::string text = fmt::format("0x{:04X} ({})", status, meaning);
  if (!error_comment.empty()) {
    text += ": " + error_comment;
  }
  return text;
}

}  // namespace acc::router
