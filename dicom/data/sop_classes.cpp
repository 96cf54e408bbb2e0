#include "dicom/data/sop_classes.hpp"

#include <algorithm>

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmdata/dcxfer.h>

namespace acc::dicom::data {

const std::vector<std::string>& storage_sop_classes() {
  static const std::vector<std::string> classes = [] {
    std::vector<std::string> v;
    for (int i = 0; i < numberOfDcmAllStorageSOPClassUIDs; ++i) {
      v.emplace_back(dcmAllStorageSOPClassUIDs[i]);
    }
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
    return v;
  }();
  return classes;
}

bool is_storage_sop_class(std::string_view uid) {
  const auto& classes = storage_sop_classes();
  return std::binary_search(classes.begin(), classes.end(), uid, [](const auto& a, const auto& b) {
    return std::string_view(a) < std::string_view(b);
  });
}

bool can_parse_transfer_syntax(std::string_view uid) {
  if (uid.empty() || uid.size() > 64) {
    return false;
  }
  const DcmXfer xfer(std::string(uid).c_str());
  return xfer.getXfer() != EXS_Unknown;
}

std::string uid_name(std::string_view uid) {
  const std::string s(uid);
  const char* name = dcmFindNameOfUID(s.c_str(), nullptr);
  return name != nullptr ? std::string(name) : s;
}

}  // namespace acc::dicom::data
