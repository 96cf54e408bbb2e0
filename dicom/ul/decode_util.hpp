#pragma once
// Private helpers shared by the PDU decoder's translation units (pdu_decode.cpp and
// pdu_decode_user_info.cpp). Error branches keep their UL_DECODE_ERR_nn labels where defined.

#include <cstdint>
#include <span>
#include <string>
#include <utility>

#include "common/result.hpp"
#include "dicom/ul/byte_io.hpp"
#include "dicom/ul/pdu.hpp"

namespace acc::dicom::ul::detail {

// "0x2A", for error details.
std::string hex(uint32_t v);

std::string to_string(std::span<const uint8_t> b);

// AE titles: leading and trailing spaces are not significant (PS3.8 Table 9-11); NULs are
// tolerated because some implementations pad with them.
std::string trim_ae(std::span<const uint8_t> b);

// Drops trailing spaces and NULs.
std::span<const uint8_t> strip_trailing_pad(std::span<const uint8_t> b);

// UL items carry UIDs unpadded (PS3.8 Annex F), but peers that pad like in data sets exist: the
// padding is dropped, then the UID must be at most 64 characters.
[[nodiscard]] Result<std::string> read_uid(std::span<const uint8_t> b, const char* what);

struct Item {
  uint8_t type = 0;
  std::span<const uint8_t> body;
};

// Item and sub-item header: u8 type, u8 reserved, u16 length; the body must fit in the parent.
[[nodiscard]] Result<Item> next_item(ByteReader& r, const char* parent);

// The 0x50 item's payload: sub-items 0x51..0x59 (PS3.7 Annex D.3.3).
[[nodiscard]] Result<UserInformation> decode_user_info(std::span<const uint8_t> body);

// Stores a decoded value (appends to a vector, assigns otherwise) or forwards its error.
template <class T, class U>
[[nodiscard]] Result<void> store(Result<T>&& decoded, U& into) {
  if (!decoded) {
    return fail(std::move(decoded.error()));
  }
  if constexpr (requires { into.push_back(std::move(*decoded)); }) {
    into.push_back(std::move(*decoded));
  } else {
    into = std::move(*decoded);
  }
  return {};
}

}  // namespace acc::dicom::ul::detail
