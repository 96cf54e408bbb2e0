#pragma once
// Where a data set's bulk begins, found by walking its element headers without DCMTK and without
// reading values (issue 11): the attributes the router reads (identity, matching, rules) all lie
// before Pixel Data, so DCMTK parses only that header part and never copies the pixels. The walk
// also checks the framing of every element to the end (a length beyond the data set, a broken
// sequence or item delimitation), which a parse of the header alone would not see.
//
// Sans-I/O and noexcept: bytes from a peer never throw; nesting is bounded.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string_view>

#include "common/result.hpp"

namespace acc::dicom::data {

// Top-level elements of this group and above are the bulk: (7FE0,0008/0009/0010) Float, Double
// Float and Pixel Data, and what may follow them (e.g. (FFFA,FFFA) Digital Signatures Sequence,
// (FFFC,FFFC) Data Set Trailing Padding).
inline constexpr uint16_t kBulkGroup = 0x7FE0;

struct DataSetLayout {
  // False when the transfer syntax cannot be walked as it is (deflated): parse the whole data set.
  bool walked = false;
  // Offset of the first top-level element of group >= kBulkGroup; absent if there is none.
  std::optional<std::size_t> bulk_start;
};

// DataErrc::unparsable (with the offset) when the framing is broken.
[[nodiscard]] Result<DataSetLayout> walk_data_set(std::span<const uint8_t> data_set,
                                                  std::string_view transfer_syntax_uid) noexcept;

// The same walk over a data set of `size` bytes that is not in memory (the receive spool of a
// large object). `read(offset, out)` fills all of `out` from `offset` (within `size`); the walk
// reads element headers only, through a 64 KiB window, never the values. Its errors are passed
// on as they are.
using ReadAt = std::function<Result<void>(uint64_t offset, std::span<uint8_t> out)>;
[[nodiscard]] Result<DataSetLayout> walk_data_set(const ReadAt& read, uint64_t size,
                                                  std::string_view transfer_syntax_uid) noexcept;

}  // namespace acc::dicom::data
