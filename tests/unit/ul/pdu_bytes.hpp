#pragma once
// Hand assembly of PDU bytes for the codec tests. Deliberately independent of the production
// encoder, so a symmetric mistake in encoder and decoder cannot hide behind a round trip.

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string_view>
#include <vector>

namespace acc::dicom::ul::testing {

using Bytes = std::vector<uint8_t>;

inline Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) {
    out.insert(out.end(), p.begin(), p.end());
  }
  return out;
}

inline Bytes str(std::string_view s) {
  return {s.begin(), s.end()};
}

inline Bytes u16(uint16_t v) {
  return {static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
}

inline Bytes u32(uint32_t v) {
  return {static_cast<uint8_t>(v >> 24), static_cast<uint8_t>(v >> 16),
          static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
}

// u16 length + bytes, the field layout inside user-information sub-items.
inline Bytes field(std::string_view s) {
  return cat({u16(static_cast<uint16_t>(s.size())), str(s)});
}

// Item or sub-item: type, reserved, u16 length, payload.
inline Bytes item(uint8_t type, const Bytes& payload) {
  return cat({{type, 0}, u16(static_cast<uint16_t>(payload.size())), payload});
}

inline Bytes pdu(uint8_t type, const Bytes& body) {
  return cat({{type, 0}, u32(static_cast<uint32_t>(body.size())), body});
}

inline Bytes ae16(std::string_view s) {
  Bytes out = str(s);
  out.resize(16, ' ');
  return out;
}

inline constexpr std::string_view kVerification = "1.2.840.10008.1.1";
inline constexpr std::string_view kCtImage = "1.2.840.10008.5.1.4.1.1.2";
inline constexpr std::string_view kImplicitLe = "1.2.840.10008.1.2";
inline constexpr std::string_view kExplicitLe = "1.2.840.10008.1.2.1";
inline constexpr std::string_view kAppContext = "1.2.840.10008.3.1.1.1";
inline constexpr std::string_view kImplUid = "1.2.826.0.1.3680043.9.7433";

inline Bytes app_context_item() {
  return item(0x10, str(kAppContext));
}

inline Bytes pc_rq_item(uint8_t id, std::string_view abstract_syntax = kVerification,
                        std::string_view ts = kImplicitLe) {
  return item(0x20, cat({{id, 0, 0, 0}, item(0x30, str(abstract_syntax)), item(0x40, str(ts))}));
}

inline Bytes pc_ac_item(uint8_t id, uint8_t result = 0, std::string_view ts = kImplicitLe) {
  return item(0x21, cat({{id, 0, result, 0}, item(0x40, str(ts))}));
}

// The mandatory sub-items (maximum length 16384, implementation class UID) plus `extra`.
inline Bytes user_info_item(const Bytes& extra = {}) {
  return item(0x50, cat({item(0x51, u32(16384)), item(0x52, str(kImplUid)), extra}));
}

// A-ASSOCIATE-RQ (type 1) or -AC (type 2) around `items`: version 1, "SCP" called, "SCU" calling.
inline Bytes associate(uint8_t type, const Bytes& items) {
  return pdu(type, cat({u16(1), u16(0), ae16("SCP"), ae16("SCU"), Bytes(32, 0), items}));
}

inline Bytes minimal_rq(const Bytes& user_info_extra = {}) {
  return associate(1, cat({app_context_item(), pc_rq_item(1), user_info_item(user_info_extra)}));
}

inline Bytes minimal_ac(const Bytes& user_info_extra = {}) {
  return associate(2, cat({app_context_item(), pc_ac_item(1), user_info_item(user_info_extra)}));
}

inline Bytes pdv(uint8_t pc_id, uint8_t control, const Bytes& fragment) {
  return cat({u32(static_cast<uint32_t>(fragment.size() + 2)), {pc_id, control}, fragment});
}

}  // namespace acc::dicom::ul::testing
