#include "tests/simulation/sim_dicom.hpp"

#include <dcmtk/config/osconfig.h>  // must precede other DCMTK headers
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcistrmb.h>
#include <dcmtk/dcmdata/dcxfer.h>

#include <stdexcept>

#include "tests/support/dcmtk_encode.hpp"

namespace acc::sim {

namespace {

void put(DcmItem& item, const DcmTagKey& key, const std::string& value) {
  if (item.putAndInsertString(key, value.c_str()).bad()) {
    throw std::runtime_error("cannot set " + std::string(DcmTag(key).getTagName()));
  }
}

std::string get(DcmItem& item, const DcmTagKey& key) {
  OFString value;
  if (item.findAndGetOFString(key, value).bad()) {
    return {};
  }
  return value.c_str();
}

void fill(DcmDataset& ds, const Scenario& sc, const Instance& in) {
  const Study& s = sc.studies[static_cast<std::size_t>(in.study)];
  put(ds, DCM_SOPClassUID, in.sop_class_uid);
  put(ds, DCM_SOPInstanceUID, in.sop_instance_uid);
  put(ds, DCM_StudyDate, s.study_date);
  put(ds, DCM_SeriesDate, in.series_date);
  put(ds, DCM_ContentDate, in.series_date);
  put(ds, DCM_StudyTime, s.study_time);
  put(ds, DCM_SeriesTime, in.series_time);
  put(ds, DCM_ContentTime, in.series_time);
  put(ds, DCM_AccessionNumber, s.accession);
  put(ds, DCM_Modality, in.modality);
  put(ds, DCM_Manufacturer, "SIMULATED");
  put(ds, DCM_InstitutionName, "SIM HOSPITAL");
  put(ds, DCM_ReferringPhysicianName, "");
  if (!s.timezone_offset.empty()) {
    put(ds, DCM_TimezoneOffsetFromUTC, s.timezone_offset);
  }
  put(ds, DCM_StationName, s.device);
  put(ds, DCM_StudyDescription, "SIMULATED EXAM");
  put(ds, DCM_PatientName, s.sent.name);
  put(ds, DCM_PatientID, s.sent.patient_id);
  if (!s.sent.issuer.empty()) {
    put(ds, DCM_IssuerOfPatientID, s.sent.issuer);
  }
  put(ds, DCM_PatientBirthDate, s.sent.birth_date);
  put(ds, DCM_PatientSex, s.sent.sex);
  if (!s.study_uid.empty()) {
    put(ds, DCM_StudyInstanceUID, s.study_uid);
  }
  put(ds, DCM_SeriesInstanceUID, in.series_uid);
  put(ds, DCM_StudyID, "1");
  put(ds, DCM_SeriesNumber, std::to_string(in.series_number));
  put(ds, DCM_InstanceNumber, std::to_string(in.instance_number));
}

ForwardedFields fields_of(DcmDataset& ds) {
  ForwardedFields f;
  f.parsed = true;
  f.sop_instance_uid = get(ds, DCM_SOPInstanceUID);
  f.study_instance_uid = get(ds, DCM_StudyInstanceUID);
  f.patient_id = get(ds, DCM_PatientID);
  f.issuer_of_patient_id = get(ds, DCM_IssuerOfPatientID);
  f.patient_name = get(ds, DCM_PatientName);
  f.accession = get(ds, DCM_AccessionNumber);
  return f;
}

}  // namespace

std::vector<uint8_t> encode_data_set(const Scenario& sc, const Instance& instance) {
  DcmDataset ds;
  fill(ds, sc, instance);
  return test::encode_data_set(ds, EXS_LittleEndianExplicit);
}

void write_part10(const Scenario& sc, const Instance& instance, const std::filesystem::path& file) {
  DcmFileFormat ff;
  fill(*ff.getDataset(), sc, instance);
  const OFCondition cond = ff.saveFile(file.c_str(), EXS_LittleEndianExplicit);
  if (cond.bad()) {
    throw std::runtime_error("cannot write " + file.string() + ": " + cond.text());
  }
}

void write_worklist_file(const dicom::data::WorklistItem& w, const std::filesystem::path& file) {
  DcmFileFormat ff;
  DcmDataset& ds = *ff.getDataset();
  put(ds, DCM_SpecificCharacterSet, "ISO_IR 100");
  put(ds, DCM_AccessionNumber, w.accession_number);
  put(ds, DCM_ReferringPhysicianName, "");
  put(ds, DCM_PatientName, w.patient_name);
  put(ds, DCM_PatientID, w.patient_id);
  put(ds, DCM_IssuerOfPatientID, w.issuer_of_patient_id);
  put(ds, DCM_PatientBirthDate, w.patient_birth_date);
  put(ds, DCM_PatientSex, w.patient_sex);
  put(ds, DCM_StudyInstanceUID, w.study_instance_uid);
  put(ds, DCM_RequestedProcedureID, w.requested_procedure_id);
  put(ds, DCM_RequestedProcedureDescription, w.requested_procedure_description);
  DcmItem* step = nullptr;
  if (ds.findOrCreateSequenceItem(DCM_ScheduledProcedureStepSequence, step, -2).bad() ||
      step == nullptr) {
    throw std::runtime_error("cannot create Scheduled Procedure Step Sequence item");
  }
  put(*step, DCM_Modality, w.modality);
  put(*step, DCM_ScheduledStationAETitle, w.scheduled_station_ae);
  put(*step, DCM_ScheduledProcedureStepStartDate, w.sps_start_date);
  put(*step, DCM_ScheduledProcedureStepStartTime, w.sps_start_time);
  put(*step, DCM_ScheduledProcedureStepID, w.sps_id);
  put(*step, DCM_ScheduledProcedureStepDescription, w.sps_description);
  put(*step, DCM_ScheduledProcedureStepStatus, w.sps_status);
  put(*step, DCM_ScheduledPerformingPhysicianName, "");
  const std::filesystem::path tmp = file.string() + ".tmp";
  const OFCondition cond = ff.saveFile(tmp.c_str(), EXS_LittleEndianExplicit);
  if (cond.bad()) {
    throw std::runtime_error("cannot write " + tmp.string() + ": " + cond.text());
  }
  std::filesystem::rename(tmp, file);  // a concurrent C-FIND never reads half a file
}

ForwardedFields read_forwarded(const std::vector<uint8_t>& part10) {
  DcmInputBufferStream stream;
  stream.setBuffer(part10.data(), static_cast<offile_off_t>(part10.size()));
  stream.setEos();
  DcmFileFormat ff;
  ff.transferInit();
  const OFCondition cond = ff.read(stream);
  ff.transferEnd();
  if (cond.bad()) {
    return {};
  }
  return fields_of(*ff.getDataset());
}

ForwardedFields read_forwarded_file(const std::filesystem::path& file) {
  DcmFileFormat ff;
  if (ff.loadFile(file.c_str()).bad()) {
    return {};
  }
  return fields_of(*ff.getDataset());
}

}  // namespace acc::sim
