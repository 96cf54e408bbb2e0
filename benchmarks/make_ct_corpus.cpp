// Writes N CT Image Storage instances of one study and one series: 512x512x16-bit pixel data
// (512 KiB) unless --rows/--columns say otherwise, Explicit VR Little Endian, unique SOP Instance
// UIDs. Built on DCMTK so the files are
// what a real modality stack would produce; one data set is reused and only the per-instance
// attributes change, so 500 files take about a second.
//
// Large objects (benchmarks/large_object_benchmark.sh): --frames N makes each instance
// multi-frame (Number of Frames = N, rows*columns*2*N bytes of pixel data; native pixel data must
// stay below 0xFFFFFFFE bytes, its 32-bit length). --encapsulated writes the pixel data
// encapsulated under JPEG Lossless SV1 (1.2.840.10008.1.2.4.70): an empty Basic Offset Table, one
// fragment of rows*columns*2 bytes per frame, so an object may pass 4 GiB. The fragments hold the
// same gradient as native pixels, not a JPEG stream: nothing on the store-and-forward path decodes
// them. With either option DCMTK writes the file without its pixel data and the pixel data element
// is appended in 4 MiB chunks, so memory stays bounded whatever the object's size. Without them
// the output is what it always was.
//
// Usage: acc_make_ct_corpus --count N --out DIR [--rows 512] [--columns 512] [--frames 1]
//                           [--encapsulated]
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dctk.h>

namespace {

// Largest value length a native (defined-length) element may have: 0xFFFFFFFF means undefined
// length, and a value length must be even.
constexpr uint64_t kMaxNativeBytes = 0xFFFFFFFEULL;
// Pixel bytes generated and written per fwrite in the streamed (--frames/--encapsulated) path.
constexpr std::size_t kChunkBytes = std::size_t{4} << 20;

struct Options {
  int count = 500;
  std::filesystem::path out;
  uint16_t rows = 512;
  uint16_t columns = 512;
  uint32_t frames = 1;
  bool encapsulated = false;
};

// Parses "--key value" pairs and the "--encapsulated" flag; false on anything unknown, missing or
// out of range.
bool parse_args(int argc, char** argv, Options& options) {
  try {
    for (int i = 1; i < argc; ++i) {
      const std::string_view key = argv[i];
      if (key == "--encapsulated") {
        options.encapsulated = true;
        continue;
      }
      if (i + 1 >= argc) {
        return false;
      }
      const std::string value = argv[++i];
      if (key == "--count") {
        options.count = std::stoi(value);
      } else if (key == "--out") {
        options.out = value;
      } else if (key == "--rows" || key == "--columns") {
        const unsigned long n = std::stoul(value);
        if (n > 0xFFFF) {
          return false;
        }
        (key == "--rows" ? options.rows : options.columns) = static_cast<uint16_t>(n);
      } else if (key == "--frames") {
        // Number of Frames is an IS: at most 2^31 - 1.
        const unsigned long long n = std::stoull(value);
        if (n == 0 || n > 0x7FFFFFFFULL) {
          return false;
        }
        options.frames = static_cast<uint32_t>(n);
      } else {
        return false;
      }
    }
  } catch (const std::exception&) {
    return false;  // std::stoi and friends: not a number, or out of range
  }
  return options.count > 0 && !options.out.empty() && options.rows > 0 && options.columns > 0;
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

void put_u16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v & 0xFF);
  p[1] = static_cast<uint8_t>(v >> 8);
}

void put_u32(uint8_t* p, uint32_t v) {
  for (int k = 0; k < 4; ++k) {
    p[k] = static_cast<uint8_t>((v >> (8 * k)) & 0xFF);
  }
}

// Appends the bytes of the pixel data element (native OW, or encapsulated OB with its items) to a
// file DCMTK wrote without it. (7FE0,0010) is the last element of the data set, so appending keeps
// tag order. The values are make_pixels' gradient, with the frame number added to the slice
// number: frame 0 of a multi-frame instance equals the single-frame pixels.
class PixelDataWriter {
 public:
  PixelDataWriter(const Options& options, int slice)
      : options_(options), slice_(static_cast<std::size_t>(slice)), buffer_(kChunkBytes) {}

  // False (with a message) when the file cannot be written.
  bool append_to(const std::string& path) {
    file_ = std::fopen(path.c_str(), "ab");
    if (file_ == nullptr) {
      std::perror(path.c_str());
      return false;
    }
    const bool ok = options_.encapsulated ? write_encapsulated() : write_native();
    const bool closed = std::fclose(file_) == 0;
    file_ = nullptr;
    if (ok && !closed) {
      std::perror(path.c_str());
    }
    return ok && closed;
  }

 private:
  uint64_t frame_bytes() const { return uint64_t{options_.rows} * uint64_t{options_.columns} * 2; }

  bool write_raw(const uint8_t* data, std::size_t n) {
    if (std::fwrite(data, 1, n, file_) != n) {
      std::perror("acc_make_ct_corpus: write");
      return false;
    }
    return true;
  }

  // Tag (group, element) in Explicit VR Little Endian with a 2-character VR that has a 4-byte
  // length (OB, OW): tag, VR, two reserved bytes, length.
  bool write_long_vr_header(uint16_t group, uint16_t element, const char* vr, uint32_t length) {
    uint8_t h[12];
    put_u16(h, group);
    put_u16(h + 2, element);
    h[4] = static_cast<uint8_t>(vr[0]);
    h[5] = static_cast<uint8_t>(vr[1]);
    h[6] = 0;
    h[7] = 0;
    put_u32(h + 8, length);
    return write_raw(h, sizeof h);
  }

  // An item tag (FFFE,E000) or delimiter (FFFE,E0DD) with its 4-byte length; no VR.
  bool write_item_header(uint16_t element, uint32_t length) {
    uint8_t h[8];
    put_u16(h, 0xFFFE);
    put_u16(h + 2, element);
    put_u32(h + 4, length);
    return write_raw(h, sizeof h);
  }

  // The frame's pixels, rows*columns 16-bit little-endian values, in chunks of kChunkBytes.
  bool write_frame(uint32_t frame) {
    const std::size_t rows = options_.rows;
    const std::size_t columns = options_.columns;
    const std::size_t base = slice_ + frame;
    const std::size_t per_chunk = kChunkBytes / 2;
    std::size_t filled = 0;  // values in buffer_
    for (std::size_t y = 0; y < rows; ++y) {
      for (std::size_t x = 0; x < columns;) {
        const std::size_t n = std::min(columns - x, per_chunk - filled);
        uint8_t* p = buffer_.data() + filled * 2;
        for (std::size_t k = 0; k < n; ++k, ++x, p += 2) {
          put_u16(p, static_cast<uint16_t>((x + y + base) & 0x0FFF));
        }
        filled += n;
        if (filled == per_chunk) {
          if (!write_raw(buffer_.data(), filled * 2)) {
            return false;
          }
          filled = 0;
        }
      }
    }
    return filled == 0 || write_raw(buffer_.data(), filled * 2);
  }

  bool write_native() {
    const uint64_t total = frame_bytes() * options_.frames;  // checked < kMaxNativeBytes
    if (!write_long_vr_header(0x7FE0, 0x0010, "OW", static_cast<uint32_t>(total))) {
      return false;
    }
    for (uint32_t f = 0; f < options_.frames; ++f) {
      if (!write_frame(f)) {
        return false;
      }
    }
    return true;
  }

  bool write_encapsulated() {
    // Undefined length, an empty Basic Offset Table, one fragment per frame, the delimiter.
    if (!write_long_vr_header(0x7FE0, 0x0010, "OB", 0xFFFFFFFFU) || !write_item_header(0xE000, 0)) {
      return false;
    }
    const auto fragment = static_cast<uint32_t>(frame_bytes());  // checked < kMaxNativeBytes
    for (uint32_t f = 0; f < options_.frames; ++f) {
      if (!write_item_header(0xE000, fragment) || !write_frame(f)) {
        return false;
      }
    }
    return write_item_header(0xE0DD, 0);
  }

  const Options& options_;
  std::size_t slice_;
  std::vector<uint8_t> buffer_;
  std::FILE* file_ = nullptr;
};

// The --frames/--encapsulated path: per instance, DCMTK writes the meta header and the data set
// up to the pixel data (the transfer syntax of both says how the pixel data is encoded), then
// PixelDataWriter appends the pixel data. A file that fails half-way is removed.
bool write_streamed(DcmFileFormat& file, const Options& options, const std::string& study_uid,
                    uint64_t pixel_bytes) {
  DcmDataset* ds = file.getDataset();
  const std::string frames = std::to_string(options.frames);
  if (!check(ds->putAndInsertString(DCM_NumberOfFrames, frames.c_str()), "NumberOfFrames")) {
    return false;
  }
  delete ds->remove(DCM_PixelData);
  const E_TransferSyntax xfer =
      options.encapsulated ? EXS_JPEGProcess14SV1 : EXS_LittleEndianExplicit;
  for (int i = 1; i <= options.count; ++i) {
    const std::string sop_uid = new_uid(SITE_INSTANCE_UID_ROOT);
    const std::string number = std::to_string(i);
    const std::string position = "0\\0\\" + std::to_string(i);
    if (!check(ds->putAndInsertString(DCM_SOPInstanceUID, sop_uid.c_str()), "SOP UID") ||
        !check(ds->putAndInsertString(DCM_InstanceNumber, number.c_str()), "InstanceNumber") ||
        !check(ds->putAndInsertString(DCM_ImagePositionPatient, position.c_str()), "IPP")) {
      return false;
    }
    char name[32];
    std::snprintf(name, sizeof name, "ct%05d.dcm", i);
    const std::string path = (options.out / name).string();
    PixelDataWriter pixels(options, i);
    if (!check(file.saveFile(path.c_str(), xfer, EET_ExplicitLength, EGL_recalcGL, EPD_noChange, 0,
                             0, EWM_createNewMeta),
               path.c_str()) ||
        !pixels.append_to(path)) {
      std::error_code ignored;
      std::filesystem::remove(path, ignored);
      return false;
    }
  }
  std::printf("%d instances in %s (study %s): %u frame(s), %llu bytes of %s pixel data each\n",
              options.count, options.out.c_str(), study_uid.c_str(), options.frames,
              static_cast<unsigned long long>(pixel_bytes),
              options.encapsulated ? "encapsulated (JPEG Lossless SV1)" : "native");
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  if (!parse_args(argc, argv, options)) {
    std::fprintf(stderr,
                 "usage: acc_make_ct_corpus --count N --out DIR [--rows R] [--columns C] "
                 "[--frames F] [--encapsulated]\n");
    return 2;
  }
  // The streamed path: a multi-frame or encapsulated object, written without holding its pixels.
  const bool streamed = options.frames > 1 || options.encapsulated;
  const uint64_t frame_bytes = uint64_t{options.rows} * uint64_t{options.columns} * 2;
  const uint64_t pixel_bytes = frame_bytes * options.frames;
  if (!options.encapsulated && pixel_bytes >= kMaxNativeBytes) {
    std::fprintf(stderr,
                 "acc_make_ct_corpus: native pixel data of %llu bytes does not fit a 32-bit "
                 "value length (must be < %llu); use --encapsulated or fewer frames\n",
                 static_cast<unsigned long long>(pixel_bytes),
                 static_cast<unsigned long long>(kMaxNativeBytes));
    return 2;
  }
  if (options.encapsulated && frame_bytes >= kMaxNativeBytes) {
    std::fprintf(stderr,
                 "acc_make_ct_corpus: a fragment of %llu bytes (one frame) does not fit a 32-bit "
                 "item length (must be < %llu)\n",
                 static_cast<unsigned long long>(frame_bytes),
                 static_cast<unsigned long long>(kMaxNativeBytes));
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
  if (streamed) {
    return write_streamed(file, options, study_uid, pixel_bytes) ? 0 : 1;
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
