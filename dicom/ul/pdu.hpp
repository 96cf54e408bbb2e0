#pragma once
// Upper Layer PDUs (PS3.8 §9.3) as plain values, and their encoding and decoding.
// Sans-I/O: nothing here knows about sockets. Decoders are noexcept, bound every length by what
// remains in the buffer before allocating, and return UlErrc on malformed input.

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "common/result.hpp"
#include "dicom/ul/errc.hpp"

namespace acc::dicom::ul {

inline constexpr std::size_t kPduHeaderLength = 6;  // type, reserved, u32 length
inline constexpr std::size_t kPDataOverhead = 12;   // PDU header + PDV item length + PC ID + MCH
inline constexpr const char* kApplicationContext = "1.2.840.10008.3.1.1.1";
inline constexpr std::size_t kMaxUidLength = 64;
inline constexpr std::size_t kAeTitleLength = 16;

enum class PduType : uint8_t {
  AssociateRq = 0x01,
  AssociateAc = 0x02,
  AssociateRj = 0x03,
  PData = 0x04,
  ReleaseRq = 0x05,
  ReleaseRp = 0x06,
  Abort = 0x07,
};

// Limits applied to a PDU header before its body is read or allocated.
struct PduLimits {
  uint32_t max_pdata_length = 16384;  // what we announced in our 0x51 sub-item (0 = none)
  // A-ASSOCIATE-RQ/AC cap (issue 12): 128 presentation contexts with a few transfer syntaxes
  // each and a user identity take well under 64 KiB; a claim above it is refused unread.
  uint32_t max_association_length = 64u << 10;
  uint32_t absolute_max_length = 64u << 20;  // used for P-DATA when we announced 0 (no limit)
};

struct PduHeader {
  PduType type;
  uint32_t length;  // bytes after the 6-byte header
};

// Checks type and length claim: unknown type -> unrecognized_pdu; fixed-size PDU with a length
// other than 4 -> invalid_pdu_length; claim above the limits -> pdu_too_large.
[[nodiscard]] Result<PduHeader> decode_pdu_header(std::span<const uint8_t> header,
                                                  const PduLimits& limits) noexcept;

// ---- A-ASSOCIATE items -------------------------------------------------------------------

// PS3.8 §9.3.2.2: presentation context item (0x20) in an A-ASSOCIATE-RQ.
struct PresentationContextRq {
  uint8_t id = 0;  // odd, 1..255
  std::string abstract_syntax;
  std::vector<std::string> transfer_syntaxes;
  bool operator==(const PresentationContextRq&) const = default;
};

// PS3.8 §9.3.3.2 Table 9-18 result/reason.
enum class PcResult : uint8_t {
  Acceptance = 0,
  UserRejection = 1,
  NoReason = 2,
  AbstractSyntaxNotSupported = 3,
  TransferSyntaxesNotSupported = 4,
};

// Presentation context item (0x21) in an A-ASSOCIATE-AC.
struct PresentationContextAc {
  uint8_t id = 0;
  PcResult result = PcResult::Acceptance;
  std::string transfer_syntax;  // empty when not accepted (the sub-item may be absent then)
  bool operator==(const PresentationContextAc&) const = default;
};

// 0x53, PS3.7 D.3.3.3. Absent means 1/1 (synchronous).
struct AsyncOpsWindow {
  uint16_t max_invoked = 1;
  uint16_t max_performed = 1;
  bool operator==(const AsyncOpsWindow&) const = default;
};

// 0x54, PS3.7 D.3.3.4. In an RQ true = proposed; in an AC true = accepted.
struct RoleSelection {
  std::string sop_class_uid;
  bool scu_role = false;
  bool scp_role = false;
  bool operator==(const RoleSelection&) const = default;
};

// 0x56, PS3.7 D.3.3.5.
struct ExtendedNegotiation {
  std::string sop_class_uid;
  std::vector<uint8_t> application_info;
  bool operator==(const ExtendedNegotiation&) const = default;
};

// 0x57, PS3.7 D.3.3.6 (RQ only).
struct CommonExtendedNegotiation {
  std::string sop_class_uid;
  std::string service_class_uid;
  std::vector<std::string> related_general_sop_classes;
  bool operator==(const CommonExtendedNegotiation&) const = default;
};

// 0x58, PS3.7 D.3.3.7.1. Fields are opaque bytes (Kerberos tickets, SAML, JWT).
struct UserIdentityRq {
  uint8_t identity_type = 1;  // 1 username, 2 username+passcode, 3 Kerberos, 4 SAML, 5 JWT
  bool positive_response_requested = false;
  std::string primary_field;
  std::string secondary_field;  // only for type 2
  bool operator==(const UserIdentityRq&) const = default;
};

// 0x59, PS3.7 D.3.3.7.2.
struct UserIdentityAc {
  std::string server_response;
  bool operator==(const UserIdentityAc&) const = default;
};

// 0x50 user information item and its sub-items. Unknown sub-item types are skipped on decode.
struct UserInformation {
  uint32_t max_pdu_length = 0;  // 0x51: largest P-DATA-TF PDU-length the sender accepts; 0 = none
  std::string implementation_class_uid;                    // 0x52
  std::string implementation_version_name;                 // 0x55, empty = absent
  std::optional<AsyncOpsWindow> async_ops;                 // 0x53
  std::vector<RoleSelection> roles;                        // 0x54
  std::vector<ExtendedNegotiation> extended;               // 0x56
  std::vector<CommonExtendedNegotiation> common_extended;  // 0x57
  std::optional<UserIdentityRq> identity_rq;               // 0x58
  std::optional<UserIdentityAc> identity_ac;               // 0x59
  bool operator==(const UserInformation&) const = default;
};

// ---- PDUs ----------------------------------------------------------------------------------

// AE titles are held without padding (leading/trailing spaces and NULs removed on decode) and
// padded to 16 bytes with spaces on encode.
struct AssociateRq {
  uint16_t protocol_version = 1;
  std::string called_ae;
  std::string calling_ae;
  std::string application_context = kApplicationContext;
  std::vector<PresentationContextRq> contexts;
  UserInformation user_info;
  bool operator==(const AssociateRq&) const = default;
};

struct AssociateAc {
  uint16_t protocol_version = 1;
  std::string called_ae;   // reserved in the AC: echoes the RQ, never tested on receipt
  std::string calling_ae;  // idem
  std::string application_context = kApplicationContext;
  std::vector<PresentationContextAc> contexts;
  UserInformation user_info;
  bool operator==(const AssociateAc&) const = default;
};

// PS3.8 Table 9-21.
enum class RjResult : uint8_t { RejectedPermanent = 1, RejectedTransient = 2 };
enum class RjSource : uint8_t {
  ServiceUser = 1,
  ServiceProviderAcse = 2,
  ServiceProviderPresentation = 3
};
namespace rj_reason {
// source 1
inline constexpr uint8_t kNoReasonGiven = 1;
inline constexpr uint8_t kApplicationContextNotSupported = 2;
inline constexpr uint8_t kCallingAeNotRecognized = 3;
inline constexpr uint8_t kCalledAeNotRecognized = 7;
// source 2
inline constexpr uint8_t kProtocolVersionNotSupported = 2;
// source 3
inline constexpr uint8_t kTemporaryCongestion = 1;
inline constexpr uint8_t kLocalLimitExceeded = 2;
}  // namespace rj_reason

struct AssociateRj {
  RjResult result = RjResult::RejectedPermanent;
  RjSource source = RjSource::ServiceUser;
  uint8_t reason = rj_reason::kNoReasonGiven;
  bool operator==(const AssociateRj&) const = default;
};

// Message control header bits (PS3.8 Annex E.2).
inline constexpr uint8_t kMchCommand = 0x01;
inline constexpr uint8_t kMchLast = 0x02;

// One presentation data value. `fragment` views the buffer the PDU was decoded from: the caller
// keeps that buffer alive while the PDV is in use (zero copy on the receive path).
struct Pdv {
  uint8_t pc_id = 0;
  uint8_t control = 0;  // message control header
  std::span<const uint8_t> fragment;
  [[nodiscard]] bool is_command() const { return (control & kMchCommand) != 0; }
  [[nodiscard]] bool is_last() const { return (control & kMchLast) != 0; }
};

struct PData {
  std::vector<Pdv> pdvs;  // at least one
};

struct ReleaseRq {
  bool operator==(const ReleaseRq&) const = default;
};
struct ReleaseRp {
  bool operator==(const ReleaseRp&) const = default;
};

// PS3.8 Table 9-26.
enum class AbortSource : uint8_t { ServiceUser = 0, ServiceProvider = 2 };
struct Abort {
  AbortSource source = AbortSource::ServiceUser;
  AbortReason reason = AbortReason::NotSpecified;
  bool operator==(const Abort&) const = default;
};

using Pdu = std::variant<AssociateRq, AssociateAc, AssociateRj, PData, ReleaseRq, ReleaseRp, Abort>;

// Decodes one whole PDU (header included). Trailing bytes beyond the header's length, a length
// that disagrees with the content, items overrunning their parent, UIDs over 64 characters, an
// even presentation context ID or a PDV shorter than 2 bytes are errors. Unknown item and sub-item
// types are skipped (PS3.8 §9.3.1). A PData's PDVs view `pdu`.
[[nodiscard]] Result<Pdu> decode_pdu(std::span<const uint8_t> pdu) noexcept;

// Encoders produce a whole PDU, header included. Items are written in the order PS3.8 asks for
// and sub-items in ascending type.
[[nodiscard]] std::vector<uint8_t> encode(const AssociateRq& pdu);
[[nodiscard]] std::vector<uint8_t> encode(const AssociateAc& pdu);
[[nodiscard]] std::vector<uint8_t> encode(const AssociateRj& pdu);
[[nodiscard]] std::vector<uint8_t> encode(const ReleaseRq& pdu);
[[nodiscard]] std::vector<uint8_t> encode(const ReleaseRp& pdu);
[[nodiscard]] std::vector<uint8_t> encode(const Abort& pdu);
// P-DATA-TF with the given PDVs, copied into the result (for tests and small messages).
[[nodiscard]] std::vector<uint8_t> encode(const PData& pdu);

// Header of a P-DATA-TF that carries exactly one PDV of `fragment_length` bytes: the PDU header,
// the PDV item length, PC ID and message control header. The fragment itself is written after it
// with a gathered write, so large data sets are never copied to build a PDU.
[[nodiscard]] std::array<uint8_t, kPDataOverhead> encode_pdata_header(
    uint8_t pc_id, uint8_t control, uint32_t fragment_length) noexcept;

// Name of a PDU type for logs ("A-ASSOCIATE-RQ").
[[nodiscard]] const char* pdu_name(PduType type) noexcept;

}  // namespace acc::dicom::ul
