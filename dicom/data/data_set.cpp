#include "dicom/data/data_set.hpp"

#include "dicom/data/data_set_layout.hpp"

#include <cstdio>

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdatset.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcdict.h>
#include <dcmtk/dcmdata/dcelem.h>
#include <dcmtk/dcmdata/dcistrmb.h>
#include <dcmtk/dcmdata/dcxfer.h>

namespace acc::dicom::data {

struct DataSet::Impl {
  DcmDataset dataset;
};

DataSet::DataSet(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DataSet::DataSet(DataSet&&) noexcept = default;
DataSet& DataSet::operator=(DataSet&&) noexcept = default;
DataSet::~DataSet() = default;

[[nodiscard]] Result<DataSet> DataSet::parse(std::span<const uint8_t> bytes,
                                             std::string_view ts_uid) noexcept {
  try {
    const DcmXfer xfer(std::string(ts_uid).c_str());
    if (xfer.getXfer() == EXS_Unknown) {
      return fail(DataErrc::unknown_transfer_syntax, std::string(ts_uid));
    }
    if (bytes.empty()) {
      return fail(DataErrc::unparsable, "empty data set");
    }
    auto impl = std::make_unique<Impl>();
    DcmInputBufferStream stream;
    // DCMTK's buffer stream does not write through the pointer; the cast is its API's.
    stream.setBuffer(const_cast<uint8_t*>(bytes.data()), static_cast<offile_off_t>(bytes.size()));
    stream.setEos();
    impl->dataset.transferInit();
    const OFCondition cond = impl->dataset.read(stream, xfer.getXfer(), EGL_noChange);
    impl->dataset.transferEnd();
    if (cond.bad()) {
      return fail(DataErrc::unparsable, cond.text());
    }
    return DataSet(std::move(impl));
  } catch (const std::exception& e) {
    // DCMTK is not exception-based, but std::bad_alloc on a hostile length must not escape.
    return fail(DataErrc::unparsable, e.what());
  }
}

[[nodiscard]] Result<DataSet> DataSet::parse_header(std::span<const uint8_t> bytes,
                                                    std::string_view ts_uid) noexcept {
  auto layout = walk_data_set(bytes, ts_uid);
  if (!layout) {
    return fail(std::move(layout.error()));
  }
  return parse(layout->bulk_start ? bytes.first(*layout->bulk_start) : bytes, ts_uid);
}

namespace {
std::string string_of(DcmDataset& ds, const DcmTagKey& key) {
  OFString value;
  if (ds.findAndGetOFStringArray(key, value).good()) {
    return std::string(value.c_str());
  }
  return {};
}
}  // namespace

InstanceSummary DataSet::summary() const {
  DcmDataset& ds = impl_->dataset;
  InstanceSummary s;
  s.sop_class_uid = string_of(ds, DCM_SOPClassUID);
  s.sop_instance_uid = string_of(ds, DCM_SOPInstanceUID);
  s.patient_id = string_of(ds, DCM_PatientID);
  s.study_instance_uid = string_of(ds, DCM_StudyInstanceUID);
  s.series_instance_uid = string_of(ds, DCM_SeriesInstanceUID);
  s.modality = string_of(ds, DCM_Modality);
  s.accession_number = string_of(ds, DCM_AccessionNumber);
  return s;
}

std::string DataSet::get_string(uint16_t group, uint16_t element) const {
  return string_of(impl_->dataset, DcmTagKey(group, element));
}

std::optional<std::string> DataSet::find_text(uint16_t group, uint16_t element) const {
  DcmElement* found = nullptr;
  if (impl_->dataset.findAndGetElement(DcmTagKey(group, element), found, OFFalse).bad() ||
      found == nullptr) {
    return std::nullopt;
  }
  if (found->ident() == EVR_SQ || found->getLength() == 0) {
    return std::string();
  }
  OFString value;
  if (found->getOFStringArray(value).bad()) {
    return std::string();
  }
  return std::string(value.c_str());
}

std::string DataSet::pixel_data_hash() const {
  DcmElement* element = nullptr;
  if (impl_->dataset.findAndGetElement(DCM_PixelData, element).bad() || element == nullptr) {
    return {};
  }
  Uint8* bytes = nullptr;
  if (element->getUint8Array(bytes).bad() || bytes == nullptr) {
    return {};  // encapsulated: no native value
  }
  const Uint32 length = element->getLength();
  uint64_t h = 1469598103934665603ull;
  for (Uint32 i = 0; i < length; ++i) {
    h = (h ^ bytes[i]) * 1099511628211ull;
  }
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return hex;
}

bool dictionary_loaded() {
  return dcmDataDict.isDictionaryLoaded();
}

}  // namespace acc::dicom::data
