#pragma once
// One stored object, read in pieces: what a destination sends, PDV by PDV, without holding the
// whole object (issue 11, "forward by streaming"). Segment-backed objects are checked against
// their XXH3-64 as they are read, and the piece that would end the object is withheld when the
// bytes do not check out (QueueErrc::corrupt_record instead): a sender that aborts on that error
// never completes a corrupt data set at the peer.
#include <cstddef>
#include <cstdint>
#include <span>

#include "common/result.hpp"

namespace acc::queue {

class ObjectStream {
 public:
  virtual ~ObjectStream() = default;
  // Bytes of the whole object, and those not yet handed out.
  [[nodiscard]] virtual uint64_t size() const = 0;
  [[nodiscard]] virtual uint64_t remaining() const = 0;
  // Up to `max_bytes` (at least 1 while bytes remain and max_bytes > 0); empty at the end. The
  // span is valid until the next call.
  [[nodiscard]] virtual Result<std::span<const uint8_t>> next(std::size_t max_bytes) = 0;
};

}  // namespace acc::queue
