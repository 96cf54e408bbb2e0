#pragma once
// The attributes of a stored object without its bulk (issue 11). A held instance is re-decided and
// restamped from its head; the commit copies the pixel data into the new version unchanged, in
// chunks, so releasing a held 5 GiB tomosynthesis object costs its header in memory, not 5 GiB.
#include <cstdint>
#include <vector>

#include "common/byte_source.hpp"
#include "common/result.hpp"

namespace acc::router {

struct StoredObjectHead {
  std::vector<uint8_t> part10;  // meta information + the data set up to its bulk (group 7FE0 on)
  uint64_t bulk_offset = 0;     // where the bulk begins in the stored object
  uint64_t bulk_length = 0;     // 0: the object has no bulk; part10 is all of it
};

// Reads the Part-10 meta information and walks the data set's element headers where they lie.
// DataErrc::not_part10 / unparsable for a damaged object, std::errc::file_too_large when the head
// passes `max_head_bytes`; read errors as the source gives them.
[[nodiscard]] Result<StoredObjectHead> read_object_head(const ByteSource& object,
                                                        uint64_t max_head_bytes);

}  // namespace acc::router
