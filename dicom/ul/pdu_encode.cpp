// PDU encoding (PS3.8 §9.3, PS3.7 Annex D.3.3). Items go out in the order PS3.8 lists them and
// user-information sub-items in ascending type, because some older receivers expect that.

#include <algorithm>
#include <string_view>

#include "dicom/ul/byte_io.hpp"
#include "dicom/ul/pdu.hpp"

namespace acc::dicom::ul {

namespace {

using detail::ByteWriter;

constexpr std::size_t kMaxU16Field = 0xFFFF;

void put_header(ByteWriter& w, PduType type, uint32_t length) {
  w.u8(static_cast<uint8_t>(type));
  w.u8(0);
  w.u32(length);
}

void put_ae(ByteWriter& w, std::string_view ae) {
  const auto title = ae.substr(0, kAeTitleLength);
  w.bytes(title);
  for (std::size_t i = title.size(); i < kAeTitleLength; ++i) {
    w.u8(' ');
  }
}

// Writes an item header with a placeholder length; returns where the length field is.
std::size_t begin_item(ByteWriter& w, uint8_t type) {
  w.u8(type);
  w.u8(0);  // reserved; for 0x57 this is the sub-item version, 0
  const std::size_t at = w.position();
  w.u16(0);
  return at;
}

void end_item(ByteWriter& w, std::size_t length_at) {
  w.patch_u16(length_at, length_at + 2);
}

void put_string_item(ByteWriter& w, uint8_t type, std::string_view value) {
  const auto at = begin_item(w, type);
  w.bytes(value.substr(0, kMaxU16Field));
  end_item(w, at);
}

void put_u16_field(ByteWriter& w, std::string_view value) {
  const auto v = value.substr(0, kMaxU16Field);
  w.u16(static_cast<uint16_t>(v.size()));
  w.bytes(v);
}

void put_user_info(ByteWriter& w, const UserInformation& ui) {
  const auto item = begin_item(w, 0x50);
  {
    const auto at = begin_item(w, 0x51);
    w.u32(ui.max_pdu_length);
    end_item(w, at);
  }
  put_string_item(w, 0x52, ui.implementation_class_uid);
  if (ui.async_ops) {
    const auto at = begin_item(w, 0x53);
    w.u16(ui.async_ops->max_invoked);
    w.u16(ui.async_ops->max_performed);
    end_item(w, at);
  }
  for (const auto& role : ui.roles) {
    const auto at = begin_item(w, 0x54);
    put_u16_field(w, role.sop_class_uid);
    w.u8(role.scu_role ? 1 : 0);
    w.u8(role.scp_role ? 1 : 0);
    end_item(w, at);
  }
  if (!ui.implementation_version_name.empty()) {
    put_string_item(w, 0x55, ui.implementation_version_name);
  }
  for (const auto& ext : ui.extended) {
    const auto at = begin_item(w, 0x56);
    put_u16_field(w, ext.sop_class_uid);
    w.bytes(std::span(ext.application_info));
    end_item(w, at);
  }
  for (const auto& ext : ui.common_extended) {
    const auto at = begin_item(w, 0x57);
    put_u16_field(w, ext.sop_class_uid);
    put_u16_field(w, ext.service_class_uid);
    const std::size_t list_at = w.position();
    w.u16(0);
    for (const auto& uid : ext.related_general_sop_classes) {
      put_u16_field(w, uid);
    }
    w.patch_u16(list_at, list_at + 2);
    end_item(w, at);
  }
  if (ui.identity_rq) {
    const auto at = begin_item(w, 0x58);
    w.u8(ui.identity_rq->identity_type);
    w.u8(ui.identity_rq->positive_response_requested ? 1 : 0);
    put_u16_field(w, ui.identity_rq->primary_field);
    put_u16_field(w, ui.identity_rq->secondary_field);
    end_item(w, at);
  }
  if (ui.identity_ac) {
    const auto at = begin_item(w, 0x59);
    put_u16_field(w, ui.identity_ac->server_response);
    end_item(w, at);
  }
  end_item(w, item);
}

void put_context(ByteWriter& w, const PresentationContextRq& pc) {
  const auto at = begin_item(w, 0x20);
  w.u8(pc.id);
  w.zeros(3);
  put_string_item(w, 0x30, pc.abstract_syntax);
  for (const auto& ts : pc.transfer_syntaxes) {
    put_string_item(w, 0x40, ts);
  }
  end_item(w, at);
}

void put_context(ByteWriter& w, const PresentationContextAc& pc) {
  const auto at = begin_item(w, 0x21);
  w.u8(pc.id);
  w.u8(0);
  w.u8(static_cast<uint8_t>(pc.result));
  w.u8(0);
  // A rejected context may omit the transfer syntax (PS3.8 §9.3.3.2); an accepted one must not.
  if (pc.result == PcResult::Acceptance || !pc.transfer_syntax.empty()) {
    put_string_item(w, 0x40, pc.transfer_syntax);
  }
  end_item(w, at);
}

template <class P>
std::vector<uint8_t> encode_associate(const P& pdu, PduType type) {
  std::vector<uint8_t> out;
  out.reserve(256 + pdu.contexts.size() * 96);
  ByteWriter w(out);
  put_header(w, type, 0);
  w.u16(pdu.protocol_version);
  w.u16(0);
  put_ae(w, pdu.called_ae);
  put_ae(w, pdu.calling_ae);
  w.zeros(32);
  put_string_item(w, 0x10, pdu.application_context);
  for (const auto& pc : pdu.contexts) {
    put_context(w, pc);
  }
  put_user_info(w, pdu.user_info);
  w.patch_u32(2, kPduHeaderLength);
  return out;
}

std::vector<uint8_t> encode_fixed(PduType type, uint8_t b7, uint8_t b8, uint8_t b9) {
  return {static_cast<uint8_t>(type), 0, 0, 0, 0, 4, 0, b7, b8, b9};
}

}  // namespace

std::vector<uint8_t> encode(const AssociateRq& pdu) {
  return encode_associate(pdu, PduType::AssociateRq);
}

std::vector<uint8_t> encode(const AssociateAc& pdu) {
  return encode_associate(pdu, PduType::AssociateAc);
}

std::vector<uint8_t> encode(const AssociateRj& pdu) {
  return encode_fixed(PduType::AssociateRj, static_cast<uint8_t>(pdu.result),
                      static_cast<uint8_t>(pdu.source), pdu.reason);
}

std::vector<uint8_t> encode(const ReleaseRq& /*pdu*/) {
  return encode_fixed(PduType::ReleaseRq, 0, 0, 0);
}

std::vector<uint8_t> encode(const ReleaseRp& /*pdu*/) {
  return encode_fixed(PduType::ReleaseRp, 0, 0, 0);
}

std::vector<uint8_t> encode(const Abort& pdu) {
  return encode_fixed(PduType::Abort, 0, static_cast<uint8_t>(pdu.source),
                      static_cast<uint8_t>(pdu.reason));
}

std::vector<uint8_t> encode(const PData& pdu) {
  std::size_t length = 0;
  for (const auto& pdv : pdu.pdvs) {
    length += 6 + pdv.fragment.size();
  }
  std::vector<uint8_t> out;
  out.reserve(kPduHeaderLength + length);
  ByteWriter w(out);
  put_header(w, PduType::PData, static_cast<uint32_t>(length));
  for (const auto& pdv : pdu.pdvs) {
    w.u32(static_cast<uint32_t>(pdv.fragment.size() + 2));
    w.u8(pdv.pc_id);
    w.u8(pdv.control);
    w.bytes(pdv.fragment);
  }
  return out;
}

std::array<uint8_t, kPDataOverhead> encode_pdata_header(uint8_t pc_id, uint8_t control,
                                                        uint32_t fragment_length) noexcept {
  const uint32_t pdu_length = fragment_length + 6;
  const uint32_t item_length = fragment_length + 2;
  return {static_cast<uint8_t>(PduType::PData),
          0,
          static_cast<uint8_t>(pdu_length >> 24),
          static_cast<uint8_t>(pdu_length >> 16),
          static_cast<uint8_t>(pdu_length >> 8),
          static_cast<uint8_t>(pdu_length),
          static_cast<uint8_t>(item_length >> 24),
          static_cast<uint8_t>(item_length >> 16),
          static_cast<uint8_t>(item_length >> 8),
          static_cast<uint8_t>(item_length),
          pc_id,
          control};
}

const char* pdu_name(PduType type) noexcept {
  switch (type) {
    case PduType::AssociateRq:
      return "A-ASSOCIATE-RQ";
    case PduType::AssociateAc:
      return "A-ASSOCIATE-AC";
    case PduType::AssociateRj:
      return "A-ASSOCIATE-RJ";
    case PduType::PData:
      return "P-DATA-TF";
    case PduType::ReleaseRq:
      return "A-RELEASE-RQ";
    case PduType::ReleaseRp:
      return "A-RELEASE-RP";
    case PduType::Abort:
      return "A-ABORT";
  }
  return "unknown PDU";
}

}  // namespace acc::dicom::ul
