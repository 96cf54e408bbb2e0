#include "tests/support/stamped_files.hpp"

#include <dcmtk/config/osconfig.h>  // must precede other DCMTK headers
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>

#include <unistd.h>

#include <cstdlib>
#include <sstream>
#include <stdexcept>

#include "tests/support/dicom_files.hpp"
#include "tests/support/process.hpp"

namespace acc::test {

namespace {

std::string text(DcmItem& item, const DcmTagKey& key) {
  OFString value;
  if (item.findAndGetOFStringArray(key, value).bad()) {
    return {};
  }
  return value.c_str();
}

DcmItem* first_item(DcmItem& item, const DcmTagKey& sequence) {
  DcmItem* found = nullptr;
  if (item.findAndGetSequenceItem(sequence, found, 0).bad()) {
    return nullptr;
  }
  return found;
}

}  // namespace

TestInstance make_instance(const std::filesystem::path& source, const std::filesystem::path& dir,
                           const std::string& name, const InstanceSpec& spec) {
  std::filesystem::create_directories(dir);
  const auto path = dir / (name + ".dcm");
  std::filesystem::copy_file(source, path, std::filesystem::copy_options::overwrite_existing);
  std::vector<std::string> argv = {"dcmodify", "-nb", "-gin"};
  const auto set = [&argv](const char* tag, const std::optional<std::string>& value) {
    if (value) {
      argv.push_back("-i");
      argv.push_back(std::string(tag) + "=" + *value);
    }
  };
  set("(0010,0020)", spec.patient_id);
  set("(0020,000d)", spec.study_instance_uid);
  set("(0008,0020)", spec.study_date);
  set("(0008,0060)", spec.modality);
  set("(0008,0050)", spec.accession);
  argv.push_back(path.string());
  const ToolResult done = run_tool(argv, dir / (name + ".dcmodify.log"), std::chrono::seconds(30));
  if (done.exit_code != 0) {
    throw std::runtime_error("dcmodify failed for " + name + ": " + done.output);
  }
  return {path, read_data_set(path).sop_instance_uid};
}

StampFields read_stamp_fields(const std::filesystem::path& file) {
  DcmFileFormat ff;
  if (ff.loadFile(file.c_str()).bad()) {
    throw std::runtime_error("DCMTK cannot load " + file.string());
  }
  DcmDataset& ds = *ff.getDataset();
  StampFields f;
  f.sop_instance_uid = text(ds, DCM_SOPInstanceUID);
  f.study_instance_uid = text(ds, DCM_StudyInstanceUID);
  f.has_accession = ds.tagExists(DCM_AccessionNumber);
  f.accession = text(ds, DCM_AccessionNumber);
  if (DcmItem* issuer = first_item(ds, DCM_IssuerOfAccessionNumberSequence)) {
    f.has_issuer = true;
    f.issuer_local_namespace = text(*issuer, DCM_LocalNamespaceEntityID);
    f.issuer_universal_id = text(*issuer, DCM_UniversalEntityID);
    f.issuer_universal_id_type = text(*issuer, DCM_UniversalEntityIDType);
  }
  if (DcmItem* request = first_item(ds, DCM_RequestAttributesSequence)) {
    f.has_request_attributes = true;
    f.request_accession = text(*request, DCM_AccessionNumber);
    f.request_study_instance_uid = text(*request, DCM_StudyInstanceUID);
    f.request_procedure_id = text(*request, DCM_RequestedProcedureID);
    f.request_sps_id = text(*request, DCM_ScheduledProcedureStepID);
  }
  DcmSequenceOfItems* originals = nullptr;
  if (ds.findAndGetSequence(DCM_OriginalAttributesSequence, originals).good() &&
      originals != nullptr) {
    for (unsigned long i = 0; i < originals->card(); ++i) {
      DcmItem& item = *originals->getItem(i);
      OriginalAttributes o;
      if (DcmItem* modified = first_item(item, DCM_ModifiedAttributesSequence)) {
        o.records_accession = modified->tagExists(DCM_AccessionNumber);
        o.previous_accession = text(*modified, DCM_AccessionNumber);
        for (unsigned long e = 0; e < modified->card(); ++e) {
          DcmElement* element = modified->getElement(e);
          OFString value;
          if (element->isLeaf()) {
            element->getOFStringArray(value);
          }
          o.modified[element->getTag().toString().c_str()] = value.c_str();
        }
      }
      o.modifying_system = text(item, DCM_ModifyingSystem);
      o.source = text(item, DCM_SourceOfPreviousValues);
      o.reason = text(item, DCM_ReasonForTheAttributeModification);
      o.modification_datetime = text(item, DCM_AttributeModificationDateTime);
      f.originals.push_back(std::move(o));
    }
  }
  return f;
}

bool have_dciodvfy() {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path == nullptr ? "/usr/bin" : path);
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (!dir.empty() && ::access((std::filesystem::path(dir) / "dciodvfy").c_str(), X_OK) == 0) {
      return true;
    }
  }
  return false;
}

std::set<std::string> dciodvfy_errors(const std::filesystem::path& file,
                                      const std::filesystem::path& scratch) {
  const ToolResult checked =
      run_tool({"dciodvfy", file.string()}, scratch / (file.filename().string() + ".dciodvfy.log"),
               std::chrono::seconds(60));
  std::set<std::string> errors;
  std::istringstream in(checked.output);
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("Error")) {
      errors.insert(line);
    }
  }
  return errors;
}

}  // namespace acc::test
