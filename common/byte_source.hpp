#pragma once
// Bytes that can be read at any offset without holding them (issue 11): a receive spool, or an
// object already stored in a segment. A commit copies an object's unchanged bulk from one of these
// in chunks, so a stamp or a rule change rewrites only the attributes before the pixel data.
#include <cstdint>
#include <span>

#include "common/result.hpp"

namespace acc {

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  [[nodiscard]] virtual uint64_t size() const noexcept = 0;
  // Fills all of `out` from `offset`; an error when that runs past size() or the read fails.
  [[nodiscard]] virtual Result<void> read_at(uint64_t offset, std::span<uint8_t> out) const = 0;
};

}  // namespace acc
