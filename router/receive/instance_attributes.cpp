#include "router/receive/instance_attributes.hpp"

namespace acc::router {

rules::InstanceAttributes instance_attributes(const dicom::data::DataSet& ds) {
  rules::InstanceAttributes a;
  a.patient_id = ds.get_string(0x0010, 0x0020);
  a.issuer_of_patient_id = ds.get_string(0x0010, 0x0021);
  a.patient_name = ds.get_string(0x0010, 0x0010);
  a.patient_birth_date = ds.get_string(0x0010, 0x0030);
  a.patient_sex = ds.get_string(0x0010, 0x0040);
  a.study_instance_uid = ds.get_string(0x0020, 0x000D);
  a.modality = ds.get_string(0x0008, 0x0060);
  a.study_date = ds.get_string(0x0008, 0x0020);
  a.series_date = ds.get_string(0x0008, 0x0021);
  a.acquisition_date = ds.get_string(0x0008, 0x0022);
  a.content_date = ds.get_string(0x0008, 0x0023);
  // (date, time) pairs in the matcher's fallback order.
  const std::pair<const std::string*, uint16_t> sources[] = {{&a.study_date, 0x0030},
                                                             {&a.series_date, 0x0031},
                                                             {&a.acquisition_date, 0x0032},
                                                             {&a.content_date, 0x0033}};
  for (const auto& [date, time_element] : sources) {
    if (!date->empty()) {
      a.study_time = ds.get_string(0x0008, time_element);
      break;
    }
  }
  return a;
}

}  // namespace acc::router
