#include "dicom/data/transcode.hpp"

#include <mutex>
#include <string>

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdatset.h>
#include <dcmtk/dcmdata/dcistrmb.h>
#include <dcmtk/dcmdata/dcostrmb.h>
#include <dcmtk/dcmdata/dcrledrg.h>
#include <dcmtk/dcmdata/dcxfer.h>
#include <dcmtk/dcmjpeg/djdecode.h>
#include <dcmtk/dcmjpls/djdecode.h>

#include "dicom/data/data_errc.hpp"

namespace acc::dicom::data {
namespace {

// DCMTK keeps its codec registry in a process-wide list; register the decoders once.
void register_decoders() {
  static std::once_flag once;
  std::call_once(once, [] {
    DJDecoderRegistration::registerCodecs();
    DJLSDecoderRegistration::registerCodecs();
    DcmRLEDecoderRegistration::registerCodecs();
  });
}

bool is_jpeg_family(E_TransferSyntax x) {
  switch (x) {
    case EXS_JPEGProcess1:
    case EXS_JPEGProcess2_4:
    case EXS_JPEGProcess14:
    case EXS_JPEGProcess14SV1:
    case EXS_JPEGLSLossless:
    case EXS_JPEGLSLossy:
    case EXS_RLELossless:
      return true;
    default:
      return false;
  }
}

}  // namespace

bool can_transcode_from(std::string_view ts) {
  const DcmXfer xfer(std::string(ts).c_str());
  if (xfer.getXfer() == EXS_Unknown) {
    return false;
  }
  return xfer.isNotEncapsulated() || is_jpeg_family(xfer.getXfer());
}

[[nodiscard]] Result<std::vector<uint8_t>> transcode(std::span<const uint8_t> data_set,
                                                     std::string_view from_ts,
                                                     std::string_view to_ts) noexcept {
  try {
    const DcmXfer from(std::string(from_ts).c_str());
    const DcmXfer to(std::string(to_ts).c_str());
    if (to.getXfer() != EXS_LittleEndianImplicit && to.getXfer() != EXS_LittleEndianExplicit) {
      return fail(DataErrc::cannot_transcode, "target " + std::string(to_ts));
    }
    if (!can_transcode_from(from_ts)) {
      return fail(DataErrc::cannot_transcode, "no decoder for " + std::string(from_ts));
    }
    register_decoders();
    DcmDataset ds;
    DcmInputBufferStream in;
    in.setBuffer(const_cast<uint8_t*>(data_set.data()), static_cast<offile_off_t>(data_set.size()));
    in.setEos();
    ds.transferInit();
    OFCondition cond = ds.read(in, from.getXfer(), EGL_noChange);
    ds.transferEnd();
    if (cond.bad()) {
      return fail(DataErrc::unparsable, cond.text());
    }
    cond = ds.chooseRepresentation(to.getXfer(), nullptr);
    if (cond.bad() || !ds.canWriteXfer(to.getXfer())) {
      return fail(DataErrc::cannot_transcode, std::string("decompression failed: ") + cond.text());
    }
    // Group lengths recalculated, explicit lengths: what every receiver handles.
    const uint32_t length = ds.calcElementLength(to.getXfer(), EET_ExplicitLength);
    std::vector<uint8_t> out(length + 1024);
    DcmOutputBufferStream stream(out.data(), out.size());
    ds.transferInit();
    cond = ds.write(stream, to.getXfer(), EET_ExplicitLength, nullptr, EGL_recalcGL);
    ds.transferEnd();
    if (cond.bad()) {
      return fail(DataErrc::cannot_transcode, std::string("encode: ") + cond.text());
    }
    void* buffer = nullptr;
    offile_off_t written = 0;
    stream.flushBuffer(buffer, written);
    out.resize(static_cast<std::size_t>(written));
    return out;
  } catch (const std::exception& e) {
    return fail(DataErrc::cannot_transcode, e.what());
  }
}

}  // namespace acc::dicom::data
