// Writes N CT Image Storage instances of one study and one series: 512x512x16-bit pixel data
// (512 KiB) unless --rows/--columns say otherwise, Explicit VR Little Endian, unique SOP Instance
// UIDs. Built on DCMTK so the files are
// what a real modality stack would produce; one data set is reused and only the per-instance
// attributes change, so 500 files take about a second.
//
// Usage: acc_make_ct_corpus --count N --out DIR [--rows 512] [--columns 512]
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dctk.h>

namespace {

struct Options {
  int count = 500;
  std::filesystem::path out;
  uint16_t rows = 512;
  uint16_t columns = 512;
};

bool parse_args(int argc, char** argv, Options& options) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view key = argv[i];
    if (key == "--count") {
      options.count = std::stoi(argv[i + 1]);
    } else if (key == "--out") {
      options.out = argv[i + 1];
    } else if (key == "--rows") {
      options.rows = static_cast<uint16_t>(std::stoul(argv[i + 1]));
    } else if (key == "--columns") {
      options.columns = static_cast<uint16_t>(std::stoul(argv[i + 1]));
    } else {
      return false;
    }
  }
  return argc % 2 == 1 && options.count > 0 && !options.out.empty() && options.rows > 0 &&
         options.columns > 0;
}

std::string new_uid(const char* root) {
  char buffer[100];
  dcmGenerateUniqueIdentifier(buffer, root);
  return buffer;
}

// A smooth gradient plus the slice number: deterministic, and not all zeros so nothing on the
// path can shortcut it.
std::vector<Uint16> make_pixels(int slice, std::size_t rows, std::size_t columns) {
  std::vector<Uint16> pixels(rows * columns);
  for (std::size_t y = 0; y < rows; ++y) {
    for (std::size_t x = 0; x < columns; ++x) {
      pixels[y * columns + x] =
          static_cast<Uint16>((x + y + static_cast<std::size_t>(slice)) & 0x0FFF);
    }
  }
  return pixels;
}

bool check(const OFCondition& cond, const char* what) {
  if (cond.bad()) {
    std::fprintf(stderr, "acc_make_ct_corpus: %s: %s\n", what, cond.text());
    return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  if (!parse_args(argc, argv, options)) {
    std::fprintf(stderr,
                 "usage: acc_make_ct_corpus --count N --out DIR [--rows R] [--columns C]\n");
    return 2;
  }
  std::filesystem::create_directories(options.out);

  const std::string study_uid = new_uid(SITE_STUDY_UID_ROOT);
  const std::string series_uid = new_uid(SITE_SERIES_UID_ROOT);
  const std::string frame_uid = new_uid(SITE_INSTANCE_UID_ROOT);

  DcmFileFormat file;
  DcmDataset* ds = file.getDataset();
  bool ok = true;
  ok = ok && check(ds->putAndInsertString(DCM_SOPClassUID, UID_CTImageStorage), "SOPClassUID");
  ok = ok && check(ds->putAndInsertString(DCM_ImageType, "ORIGINAL\\PRIMARY\\AXIAL"), "ImageType");
  ok = ok && check(ds->putAndInsertString(DCM_StudyDate, "20250101"), "StudyDate");
  ok = ok && check(ds->putAndInsertString(DCM_StudyTime, "120000"), "StudyTime");
  ok = ok && check(ds->putAndInsertString(DCM_AccessionNumber, "BENCH0001"), "Accession");
  ok = ok && check(ds->putAndInsertString(DCM_Modality, "CT"), "Modality");
  ok = ok && check(ds->putAndInsertString(DCM_Manufacturer, "Accessioner benchmark"), "Mfr");
  ok = ok && check(ds->putAndInsertString(DCM_PatientName, "BENCH^CT"), "PatientName");
  ok = ok && check(ds->putAndInsertString(DCM_PatientID, "BENCH-CT-1"), "PatientID");
  ok = ok && check(ds->putAndInsertString(DCM_PatientBirthDate, "19700101"), "BirthDate");
  ok = ok && check(ds->putAndInsertString(DCM_PatientSex, "O"), "Sex");
  ok = ok && check(ds->putAndInsertString(DCM_StudyInstanceUID, study_uid.c_str()), "Study UID");
  ok = ok && check(ds->putAndInsertString(DCM_SeriesInstanceUID, series_uid.c_str()), "Series UID");
  ok = ok && check(ds->putAndInsertString(DCM_FrameOfReferenceUID, frame_uid.c_str()), "FoR UID");
  ok = ok && check(ds->putAndInsertString(DCM_StudyID, "1"), "StudyID");
  ok = ok && check(ds->putAndInsertString(DCM_SeriesNumber, "1"), "SeriesNumber");
  ok = ok && check(ds->putAndInsertString(DCM_SliceThickness, "1.0"), "SliceThickness");
  ok = ok && check(ds->putAndInsertString(DCM_ImageOrientationPatient, "1\\0\\0\\0\\1\\0"), "IOP");
  ok = ok && check(ds->putAndInsertString(DCM_PixelSpacing, "0.7\\0.7"), "PixelSpacing");
  ok = ok && check(ds->putAndInsertUint16(DCM_SamplesPerPixel, 1), "SamplesPerPixel");
  ok = ok && check(ds->putAndInsertString(DCM_PhotometricInterpretation, "MONOCHROME2"), "PI");
  ok = ok && check(ds->putAndInsertUint16(DCM_Rows, options.rows), "Rows");
  ok = ok && check(ds->putAndInsertUint16(DCM_Columns, options.columns), "Columns");
  ok = ok && check(ds->putAndInsertUint16(DCM_BitsAllocated, 16), "BitsAllocated");
  ok = ok && check(ds->putAndInsertUint16(DCM_BitsStored, 12), "BitsStored");
  ok = ok && check(ds->putAndInsertUint16(DCM_HighBit, 11), "HighBit");
  ok = ok && check(ds->putAndInsertUint16(DCM_PixelRepresentation, 0), "PixelRepresentation");
  ok = ok && check(ds->putAndInsertString(DCM_RescaleIntercept, "-1024"), "RescaleIntercept");
  ok = ok && check(ds->putAndInsertString(DCM_RescaleSlope, "1"), "RescaleSlope");
  if (!ok) {
    return 1;
  }

  for (int i = 1; i <= options.count; ++i) {
    const std::string sop_uid = new_uid(SITE_INSTANCE_UID_ROOT);
    const std::string number = std::to_string(i);
    const std::string position = "0\\0\\" + std::to_string(i);
    const std::vector<Uint16> pixels = make_pixels(i, options.rows, options.columns);
    ok = check(ds->putAndInsertString(DCM_SOPInstanceUID, sop_uid.c_str()), "SOP UID") &&
         check(ds->putAndInsertString(DCM_InstanceNumber, number.c_str()), "InstanceNumber") &&
         check(ds->putAndInsertString(DCM_ImagePositionPatient, position.c_str()), "IPP") &&
         check(ds->putAndInsertUint16Array(DCM_PixelData, pixels.data(),
                                           static_cast<unsigned long>(pixels.size())),
               "PixelData");
    if (!ok) {
      return 1;
    }
    char name[32];
    std::snprintf(name, sizeof name, "ct%05d.dcm", i);
    const std::string path = (options.out / name).string();
    // New meta header each time (EWM_createNewMeta) so (0002,0003) follows the instance UID.
    if (!check(file.saveFile(path.c_str(), EXS_LittleEndianExplicit, EET_ExplicitLength,
                             EGL_recalcGL, EPD_noChange, 0, 0, EWM_createNewMeta),
               path.c_str())) {
      return 1;
    }
  }
  std::printf("%d instances in %s (study %s)\n", options.count, options.out.c_str(),
              study_uid.c_str());
  return 0;
}
