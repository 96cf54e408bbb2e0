#pragma once
// Re-encoding a data set into another transfer syntax for a destination that did not accept the
// stored one. Used only on the forward path, never when receiving: a router passes pixel data
// through unless the PACS leaves no other choice.
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace acc::dicom::data {

// True if DCMTK can decode pixel data in `ts` (JPEG baseline/extended/lossless, JPEG-LS, RLE) or
// it is not compressed at all. JPEG 2000 and MPEG are not: DCMTK 3.6.7 ships no decoder for them.
[[nodiscard]] bool can_transcode_from(std::string_view ts);

// Re-encodes `data_set` (in `from_ts`) into the uncompressed `to_ts` (Implicit/Explicit VR Little
// Endian), decompressing with DCMTK's codecs. DataErrc::cannot_transcode when no codec applies,
// DataErrc::unparsable when the input does not parse.
[[nodiscard]] Result<std::vector<uint8_t>> transcode(std::span<const uint8_t> data_set,
                                                     std::string_view from_ts,
                                                     std::string_view to_ts) noexcept;

}  // namespace acc::dicom::data
