#pragma once
// Value encodings of the instance store. The meta record is JSON so that a future version can add
// fields without a migration: unknown fields are ignored and absent optional ones take defaults.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.hpp"
#include "queue/instance_store.hpp"

namespace acc::queue {

[[nodiscard]] std::string encode_record(const InstanceRecord& record);
// Fails with QueueErrc::corrupt_record; never throws.
[[nodiscard]] Result<InstanceRecord> decode_record(std::string_view bytes);

// Big-endian so that keys built from it sort numerically (future `jobs` keys reuse this).
[[nodiscard]] std::array<char, 8> encode_u64_be(uint64_t value);
[[nodiscard]] Result<uint64_t> decode_u64_be(std::string_view bytes);

}  // namespace acc::queue
