#pragma once
// Test-side DCMTK helpers: build data sets to feed the decoders and parse what the encoders
// produce with an independent reader (DCMTK directly, not our wrappers).
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdatset.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcistrmb.h>
#include <dcmtk/dcmdata/dcostrmb.h>
#include <dcmtk/dcmdata/dcpixel.h>
#include <dcmtk/dcmdata/dcpixseq.h>
#include <dcmtk/dcmdata/dcpxitem.h>
#include <dcmtk/dcmdata/dcsequen.h>
#include <dcmtk/dcmdata/dcxfer.h>

namespace acc::dicom::data::testing {

inline const std::filesystem::path kSamples =
    "/usr/lib/python3/dist-packages/pydicom/data/test_files";
inline constexpr const char* kImplicitLe = "1.2.840.10008.1.2";
inline constexpr const char* kExplicitLe = "1.2.840.10008.1.2.1";

inline E_TransferSyntax xfer(const std::string& uid) {
  return DcmXfer(uid.c_str()).getXfer();
}

// `ds` encoded with explicit lengths and no group lengths (`gl` to change that).
inline std::vector<uint8_t> encode(DcmDataset& ds, const std::string& ts,
                                   E_GrpLenEncoding gl = EGL_withoutGL) {
  const E_TransferSyntax x = xfer(ts);
  std::vector<uint8_t> out(ds.calcElementLength(x, EET_ExplicitLength) + 4096);
  DcmOutputBufferStream stream(out.data(), out.size());
  ds.transferInit();
  const OFCondition c = ds.write(stream, x, EET_ExplicitLength, nullptr, gl);
  ds.transferEnd();
  EXPECT_TRUE(c.good()) << c.text();
  stream.flush();
  void* buffer = nullptr;
  offile_off_t length = 0;
  stream.flushBuffer(buffer, length);
  out.resize(static_cast<std::size_t>(length));
  return out;
}

// Parsed with DCMTK, nullptr (and a test failure) if it does not parse.
inline std::unique_ptr<DcmDataset> parse(std::span<const uint8_t> bytes, const std::string& ts) {
  auto ds = std::make_unique<DcmDataset>();
  DcmInputBufferStream stream;
  stream.setBuffer(const_cast<uint8_t*>(bytes.data()), static_cast<offile_off_t>(bytes.size()));
  stream.setEos();
  ds->transferInit();
  const OFCondition c = ds->read(stream, xfer(ts), EGL_noChange);
  ds->transferEnd();
  EXPECT_TRUE(c.good()) << c.text();
  return c.good() ? std::move(ds) : nullptr;
}

inline std::string str(DcmItem& item, const DcmTagKey& tag) {
  OFString v;
  item.findAndGetOFStringArray(tag, v);
  return v.c_str();
}

inline unsigned long items(DcmItem& item, const DcmTagKey& seq) {
  DcmSequenceOfItems* s = nullptr;
  if (item.findAndGetSequence(seq, s).bad() || s == nullptr) {
    return 0;
  }
  return s->card();
}

inline DcmItem* item_of(DcmItem& item, const DcmTagKey& seq, long index) {
  DcmItem* out = nullptr;
  item.findAndGetSequenceItem(seq, out, static_cast<int>(index));
  return out;
}

inline std::vector<uint8_t> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Encapsulated pixel data as its fragments, byte for byte (offset table included).
inline std::vector<std::vector<uint8_t>> fragments(DcmDataset& ds, E_TransferSyntax x) {
  std::vector<std::vector<uint8_t>> out;
  DcmElement* e = nullptr;
  if (ds.findAndGetElement(DCM_PixelData, e).bad() || e == nullptr) {
    return out;
  }
  DcmPixelSequence* seq = nullptr;
  if (static_cast<DcmPixelData*>(e)->getEncapsulatedRepresentation(x, nullptr, seq).bad() ||
      seq == nullptr) {
    return out;
  }
  for (unsigned long i = 0; i < seq->card(); ++i) {
    DcmPixelItem* item = nullptr;
    Uint8* bytes = nullptr;
    if (seq->getItem(item, i).good() && item->getUint8Array(bytes).good()) {
      out.emplace_back(bytes, bytes + item->getLength());
    }
  }
  return out;
}

}  // namespace acc::dicom::data::testing
