// User-information sub-items of A-ASSOCIATE-RQ/AC (PS3.7 Annex D.3.3, PS3.8 Annex D.1).

#include <bitset>
#include <string>
#include <utility>

#include "dicom/ul/decode_util.hpp"

namespace acc::dicom::ul::detail {

namespace {

constexpr uint8_t kSubMaxLength = 0x51;
constexpr uint8_t kSubImplementationClass = 0x52;
constexpr uint8_t kSubAsyncOps = 0x53;
constexpr uint8_t kSubRole = 0x54;
constexpr uint8_t kSubImplementationVersion = 0x55;
constexpr uint8_t kSubExtNeg = 0x56;
constexpr uint8_t kSubCommonExtNeg = 0x57;
constexpr uint8_t kSubIdentityRq = 0x58;
constexpr uint8_t kSubIdentityAc = 0x59;

// u16 length followed by that many bytes, inside a user-information sub-item.
[[nodiscard]] Result<std::span<const uint8_t>> read_u16_field(ByteReader& r, const char* what) {
  if (r.has(2)) {
    const uint16_t length = r.u16();
    if (r.has(length)) {
      return r.take(length);
    }
  }
  // UL_DECODE_ERR_31: length field inside a sub-item overruns the sub-item
  return fail(UlErrc::invalid_pdu_parameter_value, std::string(what) + " overruns its sub-item");
}

[[nodiscard]] Result<void> expect_consumed(const ByteReader& r, const char* what) {
  if (!r.empty()) {
    // UL_DECODE_ERR_32: bytes left over after the fields of a sub-item
    return fail(UlErrc::invalid_pdu_parameter_value,
                std::to_string(r.remaining()) + " stray bytes in " + what);
  }
  return {};
}

[[nodiscard]] Result<RoleSelection> decode_role(std::span<const uint8_t> body) {
  ByteReader r(body);
  auto uid_bytes = read_u16_field(r, "role selection UID");
  if (!uid_bytes) {
    return fail(std::move(uid_bytes.error()));
  }
  auto uid = read_uid(*uid_bytes, "role selection");
  if (!uid) {
    return fail(std::move(uid.error()));
  }
  if (!r.has(2)) {
    // UL_DECODE_ERR_31 (role bytes)
    return fail(UlErrc::invalid_pdu_parameter_value, "role selection lacks SCU/SCP bytes");
  }
  RoleSelection role;
  role.sop_class_uid = std::move(*uid);
  role.scu_role = r.u8() != 0;
  role.scp_role = r.u8() != 0;
  if (auto done = expect_consumed(r, "role selection"); !done) {
    return fail(std::move(done.error()));
  }
  return role;
}

[[nodiscard]] Result<ExtendedNegotiation> decode_extended(std::span<const uint8_t> body) {
  ByteReader r(body);
  auto uid_bytes = read_u16_field(r, "extended negotiation UID");
  if (!uid_bytes) {
    return fail(std::move(uid_bytes.error()));
  }
  auto uid = read_uid(*uid_bytes, "extended negotiation");
  if (!uid) {
    return fail(std::move(uid.error()));
  }
  const auto info = r.rest();
  ExtendedNegotiation ext;
  ext.sop_class_uid = std::move(*uid);
  ext.application_info.assign(info.begin(), info.end());
  return ext;
}

[[nodiscard]] Result<std::string> read_uid_field(ByteReader& r, const char* what) {
  auto bytes = read_u16_field(r, what);
  if (!bytes) {
    return fail(std::move(bytes.error()));
  }
  return read_uid(*bytes, what);
}

[[nodiscard]] Result<CommonExtendedNegotiation> decode_common_extended(
    std::span<const uint8_t> body) {
  ByteReader r(body);
  CommonExtendedNegotiation ext;
  auto sop = read_uid_field(r, "common extended negotiation SOP class");
  if (!sop) {
    return fail(std::move(sop.error()));
  }
  ext.sop_class_uid = std::move(*sop);
  auto service = read_uid_field(r, "common extended negotiation service class");
  if (!service) {
    return fail(std::move(service.error()));
  }
  ext.service_class_uid = std::move(*service);
  auto related = read_u16_field(r, "related general SOP class list");
  if (!related) {
    return fail(std::move(related.error()));
  }
  ByteReader list(*related);
  while (!list.empty()) {
    auto uid = read_uid_field(list, "related general SOP class");
    if (!uid) {
      return fail(std::move(uid.error()));
    }
    ext.related_general_sop_classes.push_back(std::move(*uid));
  }
  if (auto done = expect_consumed(r, "common extended negotiation"); !done) {
    return fail(std::move(done.error()));
  }
  return ext;
}

[[nodiscard]] Result<UserIdentityRq> decode_identity_rq(std::span<const uint8_t> body) {
  ByteReader r(body);
  if (!r.has(2)) {
    // UL_DECODE_ERR_31 (identity type bytes)
    return fail(UlErrc::invalid_pdu_parameter_value, "user identity lacks type bytes");
  }
  UserIdentityRq id;
  id.identity_type = r.u8();
  id.positive_response_requested = r.u8() != 0;
  auto primary = read_u16_field(r, "user identity primary field");
  if (!primary) {
    return fail(std::move(primary.error()));
  }
  id.primary_field = to_string(*primary);
  auto secondary = read_u16_field(r, "user identity secondary field");
  if (!secondary) {
    return fail(std::move(secondary.error()));
  }
  id.secondary_field = to_string(*secondary);
  if (auto done = expect_consumed(r, "user identity"); !done) {
    return fail(std::move(done.error()));
  }
  return id;
}

[[nodiscard]] Result<UserIdentityAc> decode_identity_ac(std::span<const uint8_t> body) {
  ByteReader r(body);
  auto response = read_u16_field(r, "user identity server response");
  if (!response) {
    return fail(std::move(response.error()));
  }
  UserIdentityAc id;
  id.server_response = to_string(*response);
  if (auto done = expect_consumed(r, "user identity response"); !done) {
    return fail(std::move(done.error()));
  }
  return id;
}

bool is_singular(uint8_t type) {
  return type == kSubMaxLength || type == kSubImplementationClass || type == kSubAsyncOps ||
         type == kSubImplementationVersion || type == kSubIdentityRq || type == kSubIdentityAc;
}

[[nodiscard]] Result<void> decode_sub_item(const Item& sub, UserInformation& ui) {
  ByteReader r(sub.body);
  switch (sub.type) {
    case kSubMaxLength:
      if (sub.body.size() != 4) {
        // UL_DECODE_ERR_29: maximum length sub-item not 4 bytes
        return fail(UlErrc::invalid_pdu_parameter_value,
                    "maximum length sub-item of " + std::to_string(sub.body.size()) + " bytes");
      }
      ui.max_pdu_length = r.u32();
      return {};
    case kSubImplementationClass:
      return store(read_uid(sub.body, "implementation class"), ui.implementation_class_uid);
    case kSubAsyncOps:
      if (sub.body.size() != 4) {
        // UL_DECODE_ERR_30: asynchronous operations window sub-item not 4 bytes
        return fail(UlErrc::invalid_pdu_parameter_value,
                    "async operations sub-item of " + std::to_string(sub.body.size()) + " bytes");
      }
      ui.async_ops = AsyncOpsWindow{.max_invoked = r.u16(), .max_performed = r.u16()};
      return {};
    case kSubRole:
      return store(decode_role(sub.body), ui.roles);
    case kSubImplementationVersion:
      ui.implementation_version_name = to_string(strip_trailing_pad(sub.body));
      return {};
    case kSubExtNeg:
      return store(decode_extended(sub.body), ui.extended);
    case kSubCommonExtNeg:
      return store(decode_common_extended(sub.body), ui.common_extended);
    case kSubIdentityRq:
      return store(decode_identity_rq(sub.body), ui.identity_rq);
    case kSubIdentityAc:
      return store(decode_identity_ac(sub.body), ui.identity_ac);
    default:
      return {};  // PS3.8 D.2: unknown sub-items are ignored
  }
}

}  // namespace

[[nodiscard]] Result<UserInformation> decode_user_info(std::span<const uint8_t> body) {
  ByteReader r(body);
  UserInformation ui;
  std::bitset<256> seen;
  while (!r.empty()) {
    auto sub = next_item(r, "user information item");
    if (!sub) {
      return fail(std::move(sub.error()));
    }
    if (is_singular(sub->type)) {
      if (seen.test(sub->type)) {
        // UL_DECODE_ERR_27: a sub-item that may appear once appears twice
        return fail(UlErrc::unexpected_pdu_parameter, "duplicate sub-item " + hex(sub->type));
      }
      seen.set(sub->type);
    }
    if (auto stored = decode_sub_item(*sub, ui); !stored) {
      return fail(std::move(stored.error()));
    }
  }
  // Both are mandatory in RQ and AC (PS3.8 D.1, PS3.7 D.3.3.2); requiring them also keeps a
  // re-encoded item no larger than the one received.
  for (const uint8_t mandatory : {kSubMaxLength, kSubImplementationClass}) {
    if (!seen.test(mandatory)) {
      // UL_DECODE_ERR_28: maximum length or implementation class UID sub-item missing
      return fail(UlErrc::unrecognized_pdu_parameter, "user information lacks " + hex(mandatory));
    }
  }
  return ui;
}
}  // namespace acc::dicom::ul::detail
