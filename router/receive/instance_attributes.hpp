#pragma once
// What matching reads from a parsed instance (rules::InstanceAttributes), taken with DCMTK.
#include <string>

#include "dicom/data/data_set.hpp"
#include "rules/worklist_match.hpp"

namespace acc::router {

// `calling_ae` is filled by the caller. The time given for closeness is the one that belongs to
// the date the matcher will use (Study, else Series, Acquisition, Content).
[[nodiscard]] rules::InstanceAttributes instance_attributes(const dicom::data::DataSet& ds);

}  // namespace acc::router
