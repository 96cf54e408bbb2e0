// PDU decoding (PS3.8 §9.3). Every error branch of the decoder (here, in decode_util.cpp and
// pdu_decode_user_info.cpp) carries a UL_DECODE_ERR_nn label; pdu_decode_errors_test.cpp maps
// each label to the tests that reach it.

#include <bitset>
#include <string>
#include <utility>

#include "dicom/ul/decode_util.hpp"
#include "dicom/ul/pdu.hpp"

namespace acc::dicom::ul {

namespace {

using detail::ByteReader;
using detail::decode_user_info;
using detail::hex;
using detail::Item;
using detail::next_item;
using detail::read_uid;
using detail::store;
using detail::trim_ae;

constexpr uint32_t kFixedPduLength = 4;
constexpr uint32_t kMinPDataLength = 6;         // one PDV: item length, PC ID, MCH
constexpr uint32_t kAssociateFixedLength = 68;  // version .. 32 reserved bytes

constexpr uint8_t kItemApplicationContext = 0x10;
constexpr uint8_t kItemPcRq = 0x20;
constexpr uint8_t kItemPcAc = 0x21;
constexpr uint8_t kItemAbstractSyntax = 0x30;
constexpr uint8_t kItemTransferSyntax = 0x40;
constexpr uint8_t kItemUserInfo = 0x50;

[[nodiscard]] Result<void> check_pc_fixed_fields(const ByteReader& r) {
  if (!r.has(4)) {
    // UL_DECODE_ERR_18: presentation context item shorter than its fixed fields
    return fail(UlErrc::invalid_pdu_parameter_value,
                "presentation context item of " + std::to_string(r.remaining()) + " bytes");
  }
  return {};
}

[[nodiscard]] Result<PresentationContextRq> decode_pc_rq(std::span<const uint8_t> body) {
  ByteReader r(body);
  if (auto ok = check_pc_fixed_fields(r); !ok) {
    return fail(std::move(ok.error()));
  }
  PresentationContextRq pc;
  pc.id = r.u8();
  r.skip(3);
  if (pc.id % 2 == 0) {
    // UL_DECODE_ERR_19: even presentation context ID
    return fail(UlErrc::invalid_pdu_parameter_value,
                "even presentation context ID " + std::to_string(pc.id));
  }
  bool have_abstract = false;
  while (!r.empty()) {
    auto sub = next_item(r, "presentation context item");
    if (!sub) {
      return fail(std::move(sub.error()));
    }
    if (sub->type == kItemAbstractSyntax) {
      if (have_abstract) {
        // UL_DECODE_ERR_22: two abstract syntaxes in one presentation context
        return fail(UlErrc::unexpected_pdu_parameter,
                    "two abstract syntaxes in presentation context " + std::to_string(pc.id));
      }
      have_abstract = true;
      if (auto ok = store(read_uid(sub->body, "abstract syntax"), pc.abstract_syntax); !ok) {
        return fail(std::move(ok.error()));
      }
    } else if (sub->type == kItemTransferSyntax) {
      if (auto ok = store(read_uid(sub->body, "transfer syntax"), pc.transfer_syntaxes); !ok) {
        return fail(std::move(ok.error()));
      }
    }
  }
  if (!have_abstract) {
    // UL_DECODE_ERR_21: presentation context without abstract syntax
    return fail(UlErrc::unrecognized_pdu_parameter,
                "no abstract syntax in presentation context " + std::to_string(pc.id));
  }
  if (pc.transfer_syntaxes.empty()) {
    // UL_DECODE_ERR_23: proposed presentation context without transfer syntax
    return fail(UlErrc::unrecognized_pdu_parameter,
                "no transfer syntax in presentation context " + std::to_string(pc.id));
  }
  return pc;
}

[[nodiscard]] Result<PresentationContextAc> decode_pc_ac(std::span<const uint8_t> body) {
  ByteReader r(body);
  if (auto ok = check_pc_fixed_fields(r); !ok) {
    return fail(std::move(ok.error()));
  }
  PresentationContextAc pc;
  pc.id = r.u8();
  r.skip(1);
  pc.result = static_cast<PcResult>(r.u8());
  r.skip(1);
  bool have_ts = false;
  while (!r.empty()) {
    auto sub = next_item(r, "presentation context item");
    if (!sub) {
      return fail(std::move(sub.error()));
    }
    if (sub->type == kItemTransferSyntax) {
      if (have_ts) {
        // UL_DECODE_ERR_24: two transfer syntaxes in an accepted presentation context
        return fail(UlErrc::unexpected_pdu_parameter,
                    "two transfer syntaxes in presentation context " + std::to_string(pc.id));
      }
      have_ts = true;
      if (auto ok = store(read_uid(sub->body, "transfer syntax"), pc.transfer_syntax); !ok) {
        return fail(std::move(ok.error()));
      }
    }
  }
  if (pc.result == PcResult::Acceptance && !have_ts) {
    // UL_DECODE_ERR_25: accepted presentation context without transfer syntax
    return fail(
        UlErrc::unrecognized_pdu_parameter,
        "accepted presentation context " + std::to_string(pc.id) + " has no transfer syntax");
  }
  return pc;
}

template <class P>
[[nodiscard]] Result<Pdu> decode_associate(std::span<const uint8_t> body) {
  constexpr bool kIsRq = std::is_same_v<P, AssociateRq>;
  constexpr uint8_t kPcType = kIsRq ? kItemPcRq : kItemPcAc;
  constexpr uint8_t kOtherPcType = kIsRq ? kItemPcAc : kItemPcRq;
  const char* name = kIsRq ? "A-ASSOCIATE-RQ" : "A-ASSOCIATE-AC";

  ByteReader r(body);  // at least kAssociateFixedLength bytes: checked by the header
  P pdu;
  pdu.protocol_version = r.u16();
  r.skip(2);
  pdu.called_ae = trim_ae(r.take(kAeTitleLength));
  pdu.calling_ae = trim_ae(r.take(kAeTitleLength));
  r.skip(32);

  bool have_context = false;
  bool have_user_info = false;
  std::bitset<256> pc_ids;
  while (!r.empty()) {
    auto item = next_item(r, name);
    if (!item) {
      return fail(std::move(item.error()));
    }
    if (item->type == kItemApplicationContext) {
      if (have_context) {
        // UL_DECODE_ERR_12: two application context items
        return fail(UlErrc::unexpected_pdu_parameter,
                    std::string("two application contexts in ") + name);
      }
      have_context = true;
      if (auto ok = store(read_uid(item->body, "application context"), pdu.application_context);
          !ok) {
        return fail(std::move(ok.error()));
      }
    } else if (item->type == kPcType) {
      auto pc = [&] {
        if constexpr (kIsRq) {
          return decode_pc_rq(item->body);
        } else {
          return decode_pc_ac(item->body);
        }
      }();
      if (!pc) {
        return fail(std::move(pc.error()));
      }
      if constexpr (kIsRq) {
        if (pc_ids.test(pc->id)) {
          // UL_DECODE_ERR_20: presentation context ID proposed twice
          return fail(UlErrc::invalid_pdu_parameter_value,
                      "presentation context ID " + std::to_string(pc->id) + " proposed twice");
        }
        pc_ids.set(pc->id);
      }
      pdu.contexts.push_back(std::move(*pc));
    } else if (item->type == kOtherPcType) {
      // UL_DECODE_ERR_17: presentation context item of the other direction
      return fail(UlErrc::unexpected_pdu_parameter,
                  "item " + hex(kOtherPcType) + " in " + std::string(name));
    } else if (item->type == kItemUserInfo) {
      if (have_user_info) {
        // UL_DECODE_ERR_15: two user information items
        return fail(UlErrc::unexpected_pdu_parameter,
                    std::string("two user information items in ") + name);
      }
      have_user_info = true;
      if (auto ok = store(decode_user_info(item->body), pdu.user_info); !ok) {
        return fail(std::move(ok.error()));
      }
    }
    // Other item types are skipped (PS3.8 §9.3.1).
  }
  if (!have_context) {
    // UL_DECODE_ERR_13: no application context item
    return fail(UlErrc::unrecognized_pdu_parameter,
                std::string("no application context in ") + name);
  }
  if (pdu.contexts.empty()) {
    // UL_DECODE_ERR_14: no presentation context item
    return fail(UlErrc::unrecognized_pdu_parameter,
                std::string("no presentation context in ") + name);
  }
  if (!have_user_info) {
    // UL_DECODE_ERR_16: no user information item
    return fail(UlErrc::unrecognized_pdu_parameter, std::string("no user information in ") + name);
  }
  return Pdu{std::move(pdu)};
}

// PDVs are views into `body`: a P-DATA is decoded in O(#PDVs) without copying its payload.
[[nodiscard]] Result<Pdu> decode_pdata(std::span<const uint8_t> body) {
  ByteReader r(body);
  PData pdata;
  while (!r.empty()) {
    if (!r.has(4)) {
      // UL_DECODE_ERR_33: PDV item length field overruns the PDU
      return fail(UlErrc::invalid_pdu_length,
                  std::to_string(r.remaining()) + " stray bytes after the last PDV");
    }
    const uint32_t length = r.u32();
    if (length < 2) {
      // UL_DECODE_ERR_34: PDV shorter than PC ID + message control header
      return fail(UlErrc::invalid_pdu_parameter_value, "PDV item length " + std::to_string(length));
    }
    if (!r.has(length)) {
      // UL_DECODE_ERR_35: PDV overruns the PDU
      return fail(UlErrc::invalid_pdu_length, "PDV of " + std::to_string(length) +
                                                  " bytes overruns the PDU (" +
                                                  std::to_string(r.remaining()) + " left)");
    }
    Pdv pdv;
    pdv.pc_id = r.u8();
    pdv.control = r.u8();
    pdv.fragment = r.take(length - 2);
    pdata.pdvs.push_back(pdv);
  }
  return Pdu{std::move(pdata)};
}

}  // namespace

[[nodiscard]] Result<PduHeader> decode_pdu_header(std::span<const uint8_t> header,
                                                  const PduLimits& limits) noexcept {
  if (header.size() < kPduHeaderLength) {
    // UL_DECODE_ERR_01: fewer than 6 header bytes
    return fail(UlErrc::truncated, "PDU header of " + std::to_string(header.size()) + " bytes");
  }
  ByteReader r(header);
  const uint8_t type = r.u8();
  r.skip(1);
  const uint32_t length = r.u32();
  if (type < static_cast<uint8_t>(PduType::AssociateRq) ||
      type > static_cast<uint8_t>(PduType::Abort)) {
    // UL_DECODE_ERR_02: unknown PDU type
    return fail(UlErrc::unrecognized_pdu, "PDU type " + hex(type));
  }
  const auto pdu_type = static_cast<PduType>(type);
  switch (pdu_type) {
    case PduType::AssociateRj:
    case PduType::ReleaseRq:
    case PduType::ReleaseRp:
    case PduType::Abort:
      if (length != kFixedPduLength) {
        // UL_DECODE_ERR_03: fixed-size PDU with a length other than 4
        return fail(UlErrc::invalid_pdu_length,
                    std::string(pdu_name(pdu_type)) + " length " + std::to_string(length));
      }
      break;
    case PduType::PData: {
      if (length < kMinPDataLength) {
        // UL_DECODE_ERR_04: P-DATA-TF too short to hold one PDV
        return fail(UlErrc::invalid_pdu_length, "P-DATA-TF length " + std::to_string(length));
      }
      const uint32_t max =
          limits.max_pdata_length != 0 ? limits.max_pdata_length : limits.absolute_max_length;
      if (length > max) {
        // UL_DECODE_ERR_05: P-DATA-TF above the maximum we announced
        return fail(UlErrc::pdu_too_large,
                    "P-DATA-TF length " + std::to_string(length) + " above " + std::to_string(max));
      }
      break;
    }
    case PduType::AssociateRq:
    case PduType::AssociateAc:
      if (length < kAssociateFixedLength) {
        // UL_DECODE_ERR_06: A-ASSOCIATE shorter than its fixed fields
        return fail(UlErrc::invalid_pdu_length,
                    std::string(pdu_name(pdu_type)) + " length " + std::to_string(length));
      }
      if (length > limits.max_association_length) {
        // UL_DECODE_ERR_07: A-ASSOCIATE above the association PDU cap
        return fail(UlErrc::pdu_too_large, std::string(pdu_name(pdu_type)) + " length " +
                                               std::to_string(length) + " above " +
                                               std::to_string(limits.max_association_length));
      }
      break;
  }
  return PduHeader{pdu_type, length};
}

[[nodiscard]] Result<Pdu> decode_pdu(std::span<const uint8_t> pdu) noexcept {
  // Size limits are the caller's business (it applied them to the header before reading the
  // body); here only the structure is checked.
  constexpr PduLimits kUnlimited{.max_pdata_length = UINT32_MAX,
                                 .max_association_length = UINT32_MAX,
                                 .absolute_max_length = UINT32_MAX};
  auto header = decode_pdu_header(pdu, kUnlimited);
  if (!header) {
    return fail(std::move(header.error()));
  }
  const uint64_t total = uint64_t{kPduHeaderLength} + header->length;
  if (pdu.size() < total) {
    // UL_DECODE_ERR_08: fewer bytes than the PDU length promises
    return fail(UlErrc::truncated, std::string(pdu_name(header->type)) + " has " +
                                       std::to_string(pdu.size()) + " of " + std::to_string(total) +
                                       " bytes");
  }
  if (pdu.size() > total) {
    // UL_DECODE_ERR_09: bytes after the end the PDU length announces
    return fail(UlErrc::invalid_pdu_length,
                std::to_string(pdu.size() - total) + " bytes after " + pdu_name(header->type));
  }
  const auto body = pdu.subspan(kPduHeaderLength);
  switch (header->type) {
    case PduType::AssociateRq:
      return decode_associate<AssociateRq>(body);
    case PduType::AssociateAc:
      return decode_associate<AssociateAc>(body);
    case PduType::AssociateRj:
      // Result, source and reason are kept raw: any RJ is a rejection, whatever it claims.
      return Pdu{AssociateRj{.result = static_cast<RjResult>(body[1]),
                             .source = static_cast<RjSource>(body[2]),
                             .reason = body[3]}};
    case PduType::PData:
      return decode_pdata(body);
    case PduType::ReleaseRq:
      return Pdu{ReleaseRq{}};
    case PduType::ReleaseRp:
      return Pdu{ReleaseRp{}};
    case PduType::Abort:
      return Pdu{Abort{.source = static_cast<AbortSource>(body[2]),
                       .reason = static_cast<AbortReason>(body[3])}};
  }
  return fail(UlErrc::unrecognized_pdu);  // unreachable: the header check bounds the type
}

}  // namespace acc::dicom::ul