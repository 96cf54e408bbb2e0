#include "dicom/data/dcmtk_io.hpp"

#include <dcmtk/dcmdata/dcistrmb.h>
#include <dcmtk/dcmdata/dcostrmb.h>

#include "dicom/data/data_errc.hpp"

namespace acc::dicom::data::detail {
namespace {
// Chunk DCMTK encodes into before we append it to the result; DCMTK suspends and resumes
// (EC_StreamNotifyClient) when an element does not fit, so any size works.
constexpr std::size_t kWriteChunk = 64 * 1024;
}  // namespace

[[nodiscard]] Result<E_TransferSyntax> xfer_of(std::string_view ts_uid) {
  const DcmXfer xfer(std::string(ts_uid).c_str());
  if (xfer.getXfer() == EXS_Unknown) {
    return fail(DataErrc::unknown_transfer_syntax, std::string(ts_uid));
  }
  return xfer.getXfer();
}

[[nodiscard]] Result<std::unique_ptr<DcmDataset>> read_dataset(std::span<const uint8_t> bytes,
                                                               E_TransferSyntax xfer) {
  if (bytes.empty()) {
    return fail(DataErrc::unparsable, "empty data set");
  }
  auto ds = std::make_unique<DcmDataset>();
  DcmInputBufferStream stream;
  // DCMTK's buffer stream does not write through the pointer; the cast is its API's.
  stream.setBuffer(const_cast<uint8_t*>(bytes.data()), static_cast<offile_off_t>(bytes.size()));
  stream.setEos();
  ds->transferInit();
  const OFCondition cond = ds->read(stream, xfer, EGL_noChange);
  ds->transferEnd();
  if (cond.bad()) {
    return fail(DataErrc::unparsable, cond.text());
  }
  return ds;
}

[[nodiscard]] Result<std::vector<uint8_t>> write_dataset(DcmDataset& ds, E_TransferSyntax xfer) {
  std::vector<uint8_t> out;
  std::vector<uint8_t> chunk(kWriteChunk);
  DcmOutputBufferStream stream(chunk.data(), chunk.size());
  ds.transferInit();
  bool done = false;
  while (!done) {
    // EGL_recalcGL, not EGL_noChange: DCMTK documents noChange as unusable for writing, since a
    // group length read from the input would no longer match the changed group.
    const OFCondition cond =
        ds.write(stream, xfer, EET_ExplicitLength, nullptr, EGL_recalcGL, EPD_noChange);
    if (cond.good()) {
      stream.flush();  // drains the deflate filter for Deflated Explicit VR Little Endian
    } else if (cond != EC_StreamNotifyClient) {
      ds.transferEnd();
      return fail(DataErrc::unparsable, std::string("encode: ") + cond.text());
    }
    void* buffer = nullptr;
    offile_off_t length = 0;
    stream.flushBuffer(buffer, length);
    const auto* bytes = static_cast<const uint8_t*>(buffer);
    out.insert(out.end(), bytes, bytes + length);
    done = cond.good() && stream.isFlushed();
  }
  ds.transferEnd();
  return out;
}

std::string trim(std::string_view v) {
  while (!v.empty() && (v.back() == ' ' || v.back() == '\0')) {
    v.remove_suffix(1);
  }
  while (!v.empty() && v.front() == ' ') {
    v.remove_prefix(1);
  }
  return std::string(v);
}

bool is_ascii(std::string_view v) {
  for (const char c : v) {
    if (static_cast<unsigned char>(c) >= 0x80) {
      return false;
    }
  }
  return true;
}

bool is_valid_utf8(std::string_view v) {
  std::size_t i = 0;
  while (i < v.size()) {
    const auto b0 = static_cast<unsigned char>(v[i]);
    std::size_t n = 0;
    uint32_t cp = 0;
    if (b0 < 0x80) {
      ++i;
      continue;
    }
    if ((b0 & 0xE0) == 0xC0) {
      n = 1;
      cp = b0 & 0x1F;
    } else if ((b0 & 0xF0) == 0xE0) {
      n = 2;
      cp = b0 & 0x0F;
    } else if ((b0 & 0xF8) == 0xF0) {
      n = 3;
      cp = b0 & 0x07;
    } else {
      return false;
    }
    if (n >= v.size() - i) {  // truncated sequence
      return false;
    }
    for (std::size_t k = 1; k <= n; ++k) {
      const auto b = static_cast<unsigned char>(v[i + k]);
      if ((b & 0xC0) != 0x80) {
        return false;
      }
      cp = (cp << 6) | (b & 0x3F);
    }
    // Overlong forms, UTF-16 surrogates and values above U+10FFFF are not UTF-8.
    static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

bool is_single_text_value(std::string_view v) {
  for (const char c : v) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\\' || u < 0x20 || u == 0x7F) {
      return false;
    }
  }
  return true;
}

}  // namespace acc::dicom::data::detail
