#pragma once
// Benchmark inputs built in memory: a CT pixel module with a gradient (so nothing compresses to
// zero) and the Explicit VR Little Endian encoding of a data set. Each benchmark adds its own
// descriptive attributes; these two steps are the same for all.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdatset.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcostrmb.h>
#include <dcmtk/dcmdata/dcxfer.h>

namespace acc::bench {

inline constexpr const char* kExplicitLe = "1.2.840.10008.1.2.1";

// MONOCHROME2, 16 bits allocated / 12 stored, rows x columns x frames of gradient pixels.
inline void put_ct_pixels(DcmDataset& ds, uint16_t rows, uint16_t columns, int frames) {
  ds.putAndInsertUint16(DCM_SamplesPerPixel, 1);
  ds.putAndInsertString(DCM_PhotometricInterpretation, "MONOCHROME2");
  if (frames > 1) {
    ds.putAndInsertString(DCM_NumberOfFrames, std::to_string(frames).c_str());
  }
  ds.putAndInsertUint16(DCM_Rows, rows);
  ds.putAndInsertUint16(DCM_Columns, columns);
  ds.putAndInsertUint16(DCM_BitsAllocated, 16);
  ds.putAndInsertUint16(DCM_BitsStored, 12);
  ds.putAndInsertUint16(DCM_HighBit, 11);
  ds.putAndInsertUint16(DCM_PixelRepresentation, 0);
  const std::size_t count = std::size_t{rows} * columns * static_cast<std::size_t>(frames);
  std::vector<Uint16> pixels(count);
  for (std::size_t i = 0; i < count; ++i) {
    pixels[i] = static_cast<Uint16>((i + i / columns) & 0x0FFF);
  }
  ds.putAndInsertUint16Array(DCM_PixelData, pixels.data(), static_cast<unsigned long>(count));
}

// `ds` in Explicit VR Little Endian, explicit lengths, no group lengths. Aborts on failure: a
// benchmark without its input measures nothing.
inline std::vector<uint8_t> encode_explicit_le(DcmDataset& ds) {
  const E_TransferSyntax x = DcmXfer(kExplicitLe).getXfer();
  std::vector<uint8_t> out(ds.calcElementLength(x, EET_ExplicitLength) + 4096);
  DcmOutputBufferStream stream(out.data(), out.size());
  ds.transferInit();
  const OFCondition c = ds.write(stream, x, EET_ExplicitLength, nullptr, EGL_withoutGL);
  ds.transferEnd();
  if (c.bad()) {
    std::fprintf(stderr, "encode failed: %s\n", c.text());
    std::abort();
  }
  stream.flush();
  void* buffer = nullptr;
  offile_off_t length = 0;
  stream.flushBuffer(buffer, length);
  out.resize(static_cast<std::size_t>(length));
  return out;
}

}  // namespace acc::bench
