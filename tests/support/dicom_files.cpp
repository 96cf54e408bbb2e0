#include "tests/support/dicom_files.hpp"

#include "tests/support/dcmtk_encode.hpp"

#include <dcmtk/config/osconfig.h>  // must precede other DCMTK headers
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcistrmb.h>
#include <dcmtk/dcmdata/dcmetinf.h>
#include <dcmtk/dcmdata/dcostrmb.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmdata/dcxfer.h>
#include <dcmtk/oflog/oflog.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <regex>
#include <sstream>
#include <stdexcept>

#include "tests/support/process.hpp"

namespace acc::test {

namespace {

std::string get_string(DcmItem& item, const DcmTagKey& key) {
  OFString value;
  if (item.findAndGetOFString(key, value).bad()) {
    return {};
  }
  return value.c_str();
}

// True if the top-level element is present with VR UI (some samples carry UIDs as UN, which no
// sender can put in a C-STORE request).
bool has_uid(DcmItem& item, const DcmTagKey& key) {
  DcmElement* element = nullptr;
  return item.findAndGetElement(key, element).good() && element != nullptr &&
         element->getVR() == EVR_UI;
}

bool is_storage_class(const std::string& uid) {
  for (int i = 0; i < numberOfDcmAllStorageSOPClassUIDs; ++i) {
    if (uid == dcmAllStorageSOPClassUIDs[i]) {
      return true;
    }
  }
  return false;
}

E_TransferSyntax xfer_of(const std::string& uid) {
  const DcmXfer xfer(uid.c_str());
  if (xfer.getXfer() == EXS_Unknown) {
    throw std::runtime_error("unknown transfer syntax " + uid);
  }
  return xfer.getXfer();
}

std::vector<uint8_t> encode(DcmDataset& ds, E_TransferSyntax xfer) {
  return encode_data_set(ds, xfer);
}

void read_into(DcmDataset& ds, const std::vector<uint8_t>& bytes, E_TransferSyntax xfer) {
  DcmInputBufferStream stream;
  stream.setBuffer(bytes.data(), static_cast<offile_off_t>(bytes.size()));
  stream.setEos();
  ds.transferInit();
  const OFCondition cond = ds.read(stream, xfer);
  ds.transferEnd();
  if (cond.bad()) {
    throw std::runtime_error(std::string("cannot parse data set: ") + cond.text());
  }
}

DcmFileFormat load(const std::filesystem::path& file) {
  DcmFileFormat ff;
  const OFCondition cond = ff.loadFile(file.c_str());
  if (cond.bad()) {
    throw std::runtime_error("cannot load " + file.string() + ": " + cond.text());
  }
  ff.loadAllDataIntoMemory();
  return ff;
}

}  // namespace

std::vector<SampleFile> select_storage_samples(const std::filesystem::path& dir) {
  // Many samples are deliberately broken; DCMTK's warnings about them are noise here.
  OFLog::configure(OFLogger::FATAL_LOG_LEVEL);
  std::vector<std::filesystem::path> paths;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.is_regular_file()) {
      paths.push_back(entry.path());
    }
  }
  std::sort(paths.begin(), paths.end());
  std::vector<SampleFile> out;
  for (const auto& path : paths) {
    DcmFileFormat ff;
    if (ff.loadFile(path.c_str()).bad() || ff.loadAllDataIntoMemory().bad()) {
      continue;
    }
    DcmMetaInfo& meta = *ff.getMetaInfo();
    DcmDataset& ds = *ff.getDataset();
    SampleFile sample;
    sample.path = path;
    sample.sop_class_uid = get_string(meta, DCM_MediaStorageSOPClassUID);
    sample.transfer_syntax_uid = get_string(meta, DCM_TransferSyntaxUID);
    if (!is_storage_class(sample.sop_class_uid) || !has_uid(ds, DCM_SOPInstanceUID) ||
        !has_uid(ds, DCM_SOPClassUID)) {
      continue;
    }
    sample.data_set_sop_class_uid = get_string(ds, DCM_SOPClassUID);
    sample.sop_instance_uid = get_string(ds, DCM_SOPInstanceUID);
    sample.patient_id = get_string(ds, DCM_PatientID);
    out.push_back(std::move(sample));
  }
  return out;
}

std::string dcmdump_data_set(const std::filesystem::path& file,
                             const std::filesystem::path& scratch_dir) {
  const auto log = scratch_dir / "dcmdump.log";
  const ToolResult r =
      run_tool({"dcmdump", "-q", "+L", "+E", "-Un", file.string()}, log, std::chrono::seconds(30));
  if (r.exit_code != 0) {
    throw std::runtime_error("dcmdump " + file.string() + " failed (" +
                             std::to_string(r.exit_code) + "): " + tail(r.output));
  }
  std::istringstream in(r.output);
  std::string line;
  std::string out;
  while (std::getline(in, line)) {
    if (line.empty() || line.starts_with("#") || line.starts_with("(0002,")) {
      continue;
    }
    out += line;
    out += '\n';
  }
  return out;
}

std::string ts_independent(const std::string& dump) {
  static const std::regex length_marker(R"(\((Sequence|Item) with (explicit|undefined) length)");
  static const std::regex group_length(R"(^\s*\([0-9a-f]{4},0000\))");
  std::istringstream in(dump);
  std::string line;
  std::string out;
  while (std::getline(in, line)) {
    if (line.find("Delimitation") != std::string::npos ||
        line.find("(fffc,fffc)") != std::string::npos || std::regex_search(line, group_length)) {
      continue;
    }
    // The comment holds the encoded length, which differs between VR encodings.
    const auto comment = line.rfind(" #");
    if (comment != std::string::npos) {
      line.resize(comment);
    }
    line = std::regex_replace(line, length_marker, "($1");
    while (!line.empty() && line.back() == ' ') {
      line.pop_back();
    }
    out += line;
    out += '\n';
  }
  return out;
}

std::string canonical_dump(const std::filesystem::path& file) {
  DcmFileFormat ff = load(file);
  DcmDataset* printed = ff.getDataset();
  DcmDataset implicit;
  const DcmXfer original(printed->getOriginalXfer());
  if (!original.isEncapsulated()) {
    // Implicit VR leaves every VR to the dictionary, so both sides get the same VRs.
    const std::vector<uint8_t> bytes = encode(*printed, EXS_LittleEndianImplicit);
    read_into(implicit, bytes, EXS_LittleEndianImplicit);
    printed = &implicit;
  }
  std::ostringstream out;
  printed->print(out, 0);
  return ts_independent(out.str());
}

std::vector<CopiedFile> make_unique_copies(const std::filesystem::path& source,
                                           const std::filesystem::path& dir, std::size_t count) {
  DcmFileFormat ff = load(source);
  std::vector<CopiedFile> out;
  out.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    char uid[100];
    dcmGenerateUniqueIdentifier(uid, SITE_INSTANCE_UID_ROOT);
    ff.getDataset()->putAndInsertString(DCM_SOPInstanceUID, uid);
    ff.getMetaInfo()->putAndInsertString(DCM_MediaStorageSOPInstanceUID, uid);
    const auto path = dir / ("copy" + std::to_string(i) + ".dcm");
    const OFCondition cond = ff.saveFile(path.c_str(), EXS_Unknown);
    if (cond.bad()) {
      throw std::runtime_error("cannot write " + path.string() + ": " + cond.text());
    }
    out.push_back({path, uid});
  }
  return out;
}

std::vector<uint8_t> read_bytes(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    throw std::runtime_error("cannot read " + file.string());
  }
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

DataSetBytes read_data_set(const std::filesystem::path& part10_file) {
  const std::vector<uint8_t> bytes = read_bytes(part10_file);
  // Preamble, "DICM", then (0002,0000) UL in Explicit VR LE: its value is the meta length.
  constexpr std::size_t kGroupLengthValue = 128 + 4 + 8;
  if (bytes.size() < kGroupLengthValue + 4 || bytes[128] != 'D' || bytes[131] != 'M' ||
      bytes[132] != 0x02 || bytes[133] != 0x00 || bytes[134] != 0x00 || bytes[135] != 0x00) {
    throw std::runtime_error(part10_file.string() + ": no Part-10 meta group length");
  }
  const std::size_t meta_length = std::size_t{bytes[kGroupLengthValue]} |
                                  (std::size_t{bytes[kGroupLengthValue + 1]} << 8) |
                                  (std::size_t{bytes[kGroupLengthValue + 2]} << 16) |
                                  (std::size_t{bytes[kGroupLengthValue + 3]} << 24);
  const std::size_t data_start = kGroupLengthValue + 4 + meta_length;
  if (data_start > bytes.size()) {
    throw std::runtime_error(part10_file.string() + ": meta group length beyond the file");
  }
  DcmFileFormat ff = load(part10_file);
  DataSetBytes out;
  out.sop_class_uid = get_string(*ff.getMetaInfo(), DCM_MediaStorageSOPClassUID);
  out.sop_instance_uid = get_string(*ff.getDataset(), DCM_SOPInstanceUID);
  out.transfer_syntax_uid = get_string(*ff.getMetaInfo(), DCM_TransferSyntaxUID);
  out.bytes.assign(bytes.begin() + static_cast<std::ptrdiff_t>(data_start), bytes.end());
  return out;
}

DataSetBytes modified_data_set(const std::filesystem::path& part10_file,
                               const std::string& patient_id, const std::string& image_comments) {
  DcmFileFormat ff = load(part10_file);
  DcmDataset& ds = *ff.getDataset();
  ds.putAndInsertString(DCM_PatientID, patient_id.c_str());
  ds.putAndInsertString(DCM_ImageComments, image_comments.c_str());
  DataSetBytes out;
  out.sop_class_uid = get_string(ds, DCM_SOPClassUID);
  out.sop_instance_uid = get_string(ds, DCM_SOPInstanceUID);
  out.transfer_syntax_uid = UID_LittleEndianExplicitTransferSyntax;
  out.bytes = encode(ds, EXS_LittleEndianExplicit);
  return out;
}

DataSetBytes data_set_with_sop_instance_uid(const std::filesystem::path& part10_file,
                                            const std::string& uid) {
  DcmFileFormat ff = load(part10_file);
  DcmDataset& ds = *ff.getDataset();
  ds.putAndInsertString(DCM_SOPInstanceUID, uid.c_str());
  DataSetBytes out;
  out.sop_class_uid = get_string(ds, DCM_SOPClassUID);
  out.sop_instance_uid = uid;
  out.transfer_syntax_uid = UID_LittleEndianExplicitTransferSyntax;
  out.bytes = encode(ds, EXS_LittleEndianExplicit);
  return out;
}

DataSetBytes small_ct_data_set(const std::string& patient_id) {
  char uid[100];
  dcmGenerateUniqueIdentifier(uid, SITE_INSTANCE_UID_ROOT);
  DcmDataset ds;
  ds.putAndInsertString(DCM_SOPClassUID, UID_CTImageStorage);
  ds.putAndInsertString(DCM_SOPInstanceUID, uid);
  ds.putAndInsertString(DCM_PatientID, patient_id.c_str());
  ds.putAndInsertString(DCM_PatientName, "SMALL^CT");
  ds.putAndInsertString(DCM_Modality, "CT");
  DataSetBytes out;
  out.sop_class_uid = UID_CTImageStorage;
  out.sop_instance_uid = uid;
  out.transfer_syntax_uid = UID_LittleEndianExplicitTransferSyntax;
  out.bytes = encode(ds, EXS_LittleEndianExplicit);
  return out;
}

std::vector<uint8_t> worklist_universal_query(const std::string& transfer_syntax_uid) {
  DcmDataset ds;
  for (const DcmTagKey& key :
       {DCM_AccessionNumber, DCM_PatientName, DCM_PatientID, DCM_PatientBirthDate, DCM_PatientSex,
        DCM_RequestedProcedureID, DCM_RequestedProcedureDescription, DCM_StudyInstanceUID}) {
    ds.putAndInsertString(key, "");
  }
  DcmItem* step = nullptr;
  if (ds.findOrCreateSequenceItem(DCM_ScheduledProcedureStepSequence, step, -2).bad() ||
      step == nullptr) {
    throw std::runtime_error("cannot create Scheduled Procedure Step Sequence item");
  }
  for (const DcmTagKey& key :
       {DCM_ScheduledStationAETitle, DCM_ScheduledProcedureStepStartDate,
        DCM_ScheduledProcedureStepStartTime, DCM_Modality, DCM_ScheduledPerformingPhysicianName,
        DCM_ScheduledProcedureStepDescription, DCM_ScheduledProcedureStepID}) {
    step->putAndInsertString(key, "");
  }
  return encode(ds, xfer_of(transfer_syntax_uid));
}

std::string data_set_string(const std::vector<uint8_t>& bytes,
                            const std::string& transfer_syntax_uid, uint16_t group,
                            uint16_t element) {
  DcmDataset ds;
  read_into(ds, bytes, xfer_of(transfer_syntax_uid));
  return get_string(ds, DcmTagKey(group, element));
}

}  // namespace acc::test
