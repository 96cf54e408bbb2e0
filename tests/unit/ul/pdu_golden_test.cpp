// Golden PDUs. The A-ASSOCIATE-RQ/AC, the P-DATA-TF and the A-RELEASE/A-ABORT/A-ASSOCIATE-RJ
// bytes were captured between DCMTK 3.6.7 echoscu/storescp (Debian 12) through a logging proxy;
// the user-information sub-items are assembled by hand from PS3.7 Annex D.3.3.

#include <gtest/gtest.h>

#include <array>
#include <variant>

#include "dicom/ul/pdu.hpp"
#include "tests/unit/ul/pdu_bytes.hpp"

namespace acc::dicom::ul {
namespace {

using testing::Bytes;
using testing::cat;
using testing::field;
using testing::item;
using testing::str;
using testing::u16;
using testing::u32;

template <class P>
P decode_as(std::span<const uint8_t> bytes) {
  auto pdu = decode_pdu(bytes);
  EXPECT_TRUE(pdu.has_value()) << (pdu ? "" : pdu.error().message());
  if (!pdu || !std::holds_alternative<P>(*pdu)) {
    ADD_FAILURE() << "not the expected PDU type";
    return P{};
  }
  return std::get<P>(*pdu);
}

// `echoscu -aec ANY-SCP -aet ECHOSCU`: one presentation context (ID 1, Verification, Implicit VR
// LE), maximum length 16384, DCMTK implementation class UID and version name.
const Bytes kEchoscuRq = {
    // PDU type 1, reserved, length 205
    0x01, 0x00, 0x00, 0x00, 0x00, 0xCD,
    // protocol version 1, reserved
    0x00, 0x01, 0x00, 0x00,
    // called AE "ANY-SCP" (space padded)
    0x41, 0x4E, 0x59, 0x2D, 0x53, 0x43, 0x50, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20,
    // calling AE "ECHOSCU"
    0x45, 0x43, 0x48, 0x4F, 0x53, 0x43, 0x55, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20,
    // 32 reserved bytes
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    // 0x10 application context "1.2.840.10008.3.1.1.1"
    0x10, 0x00, 0x00, 0x15, 0x31, 0x2E, 0x32, 0x2E, 0x38, 0x34, 0x30, 0x2E, 0x31, 0x30, 0x30, 0x30,
    0x38, 0x2E, 0x33, 0x2E, 0x31, 0x2E, 0x31, 0x2E, 0x31,
    // 0x20 presentation context, ID 1, reserved (DCMTK sends 0xFF in byte 6)
    0x20, 0x00, 0x00, 0x2E, 0x01, 0x00, 0xFF, 0x00,
    //   0x30 abstract syntax "1.2.840.10008.1.1"
    0x30, 0x00, 0x00, 0x11, 0x31, 0x2E, 0x32, 0x2E, 0x38, 0x34, 0x30, 0x2E, 0x31, 0x30, 0x30, 0x30,
    0x38, 0x2E, 0x31, 0x2E, 0x31,
    //   0x40 transfer syntax "1.2.840.10008.1.2"
    0x40, 0x00, 0x00, 0x11, 0x31, 0x2E, 0x32, 0x2E, 0x38, 0x34, 0x30, 0x2E, 0x31, 0x30, 0x30, 0x30,
    0x38, 0x2E, 0x31, 0x2E, 0x32,
    // 0x50 user information, 58 bytes
    0x50, 0x00, 0x00, 0x3A,
    //   0x51 maximum length 16384
    0x51, 0x00, 0x00, 0x04, 0x00, 0x00, 0x40, 0x00,
    //   0x52 implementation class UID "1.2.276.0.7230010.3.0.3.6.7"
    0x52, 0x00, 0x00, 0x1B, 0x31, 0x2E, 0x32, 0x2E, 0x32, 0x37, 0x36, 0x2E, 0x30, 0x2E, 0x37, 0x32,
    0x33, 0x30, 0x30, 0x31, 0x30, 0x2E, 0x33, 0x2E, 0x30, 0x2E, 0x33, 0x2E, 0x36, 0x2E, 0x37,
    //   0x55 implementation version "OFFIS_DCMTK_367"
    0x55, 0x00, 0x00, 0x0F, 0x4F, 0x46, 0x46, 0x49, 0x53, 0x5F, 0x44, 0x43, 0x4D, 0x54, 0x4B, 0x5F,
    0x33, 0x36, 0x37};
// DCMTK writes 0xFF into the reserved byte after the PC ID; we send 0 there (and never test it).
constexpr std::size_t kDcmtkReservedOffset = 105;

// storescp's answer to kEchoscuRq: context 1 accepted with Implicit VR LE, AE titles echoed.
const Bytes kEchoAc = {
    // PDU type 2, reserved, length 184
    0x02, 0x00, 0x00, 0x00, 0x00, 0xB8,
    // protocol version 1, reserved
    0x00, 0x01, 0x00, 0x00,
    // called AE "ANY-SCP" (space padded)
    0x41, 0x4E, 0x59, 0x2D, 0x53, 0x43, 0x50, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20,
    // calling AE "ECHOSCU"
    0x45, 0x43, 0x48, 0x4F, 0x53, 0x43, 0x55, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20,
    // 32 reserved bytes
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    // 0x10 application context "1.2.840.10008.3.1.1.1"
    0x10, 0x00, 0x00, 0x15, 0x31, 0x2E, 0x32, 0x2E, 0x38, 0x34, 0x30, 0x2E, 0x31, 0x30, 0x30, 0x30,
    0x38, 0x2E, 0x33, 0x2E, 0x31, 0x2E, 0x31, 0x2E, 0x31,
    // 0x21 presentation context, ID 1, result 0
    0x21, 0x00, 0x00, 0x19, 0x01, 0x00, 0x00, 0x00,
    //   0x40 transfer syntax "1.2.840.10008.1.2"
    0x40, 0x00, 0x00, 0x11, 0x31, 0x2E, 0x32, 0x2E, 0x38, 0x34, 0x30, 0x2E, 0x31, 0x30, 0x30, 0x30,
    0x38, 0x2E, 0x31, 0x2E, 0x32,
    // 0x50 user information, 58 bytes
    0x50, 0x00, 0x00, 0x3A,
    //   0x51 maximum length 16384
    0x51, 0x00, 0x00, 0x04, 0x00, 0x00, 0x40, 0x00,
    //   0x52 implementation class UID "1.2.276.0.7230010.3.0.3.6.7"
    0x52, 0x00, 0x00, 0x1B, 0x31, 0x2E, 0x32, 0x2E, 0x32, 0x37, 0x36, 0x2E, 0x30, 0x2E, 0x37, 0x32,
    0x33, 0x30, 0x30, 0x31, 0x30, 0x2E, 0x33, 0x2E, 0x30, 0x2E, 0x33, 0x2E, 0x36, 0x2E, 0x37,
    //   0x55 implementation version "OFFIS_DCMTK_367"
    0x55, 0x00, 0x00, 0x0F, 0x4F, 0x46, 0x46, 0x49, 0x53, 0x5F, 0x44, 0x43, 0x4D, 0x54, 0x4B, 0x5F,
    0x33, 0x36, 0x37};

// C-ECHO-RQ command set in a single PDV: PC ID 1, message control header 0x03 (last command
// fragment), 68 bytes of Implicit VR LE command elements.
const Bytes kEchoCommandPData = {
    // P-DATA-TF, length 74; PDV item length 70, PC ID 1, MCH 0x03
    0x04, 0x00, 0x00, 0x00, 0x00, 0x4A, 0x00, 0x00, 0x00, 0x46, 0x01, 0x03,
    // (0000,0000) UL 56, (0000,0002) UI "1.2.840.10008.1.1\0", (0000,0100) US 0x0030,
    // (0000,0110) US 1, (0000,0800) US 0x0101
    0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x38, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00,
    0x12, 0x00, 0x00, 0x00, 0x31, 0x2E, 0x32, 0x2E, 0x38, 0x34, 0x30, 0x2E, 0x31, 0x30, 0x30, 0x30,
    0x38, 0x2E, 0x31, 0x2E, 0x31, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x30, 0x00,
    0x00, 0x00, 0x10, 0x01, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x08, 0x02, 0x00,
    0x00, 0x00, 0x01, 0x01};

// storescp --refuse: rejected-permanent (1), source service-user (1), reason no-reason-given (1).
const Bytes kRefusedRj = {0x03, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x01, 0x01, 0x01};
const Bytes kReleaseRq = {0x05, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00};
const Bytes kReleaseRp = {0x06, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00};
// echoscu --abort: source service-user (0), reason 0.
const Bytes kUserAbort = {0x07, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00};
// Service-provider abort (2), invalid PDU parameter value (6).
const Bytes kProviderAbort = {0x07, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x02, 0x06};

AssociateRq echoscu_rq_value() {
  AssociateRq rq;
  rq.called_ae = "ANY-SCP";
  rq.calling_ae = "ECHOSCU";
  rq.contexts = {{.id = 1,
                  .abstract_syntax = "1.2.840.10008.1.1",
                  .transfer_syntaxes = {"1.2.840.10008.1.2"}}};
  rq.user_info.max_pdu_length = 16384;
  rq.user_info.implementation_class_uid = "1.2.276.0.7230010.3.0.3.6.7";
  rq.user_info.implementation_version_name = "OFFIS_DCMTK_367";
  return rq;
}

TEST(PduGolden, DecodesEchoscuAssociateRqFieldByField) {
  const auto rq = decode_as<AssociateRq>(kEchoscuRq);
  EXPECT_EQ(rq.protocol_version, 1);
  EXPECT_EQ(rq.called_ae, "ANY-SCP");
  EXPECT_EQ(rq.calling_ae, "ECHOSCU");
  EXPECT_EQ(rq.application_context, kApplicationContext);
  ASSERT_EQ(rq.contexts.size(), 1u);
  EXPECT_EQ(rq.contexts[0].id, 1);
  EXPECT_EQ(rq.contexts[0].abstract_syntax, "1.2.840.10008.1.1");
  EXPECT_EQ(rq.contexts[0].transfer_syntaxes, std::vector<std::string>{"1.2.840.10008.1.2"});
  EXPECT_EQ(rq.user_info.max_pdu_length, 16384u);
  EXPECT_EQ(rq.user_info.implementation_class_uid, "1.2.276.0.7230010.3.0.3.6.7");
  EXPECT_EQ(rq.user_info.implementation_version_name, "OFFIS_DCMTK_367");
  EXPECT_FALSE(rq.user_info.async_ops.has_value());
  EXPECT_TRUE(rq.user_info.roles.empty());
  EXPECT_EQ(rq, echoscu_rq_value());
}

TEST(PduGolden, EncodesEchoscuAssociateRqWithZeroInTheReservedByteDcmtkSetsToFf) {
  Bytes expected = kEchoscuRq;
  ASSERT_EQ(expected[kDcmtkReservedOffset], 0xFF);
  expected[kDcmtkReservedOffset] = 0x00;
  EXPECT_EQ(encode(echoscu_rq_value()), expected);
  EXPECT_EQ(encode(decode_as<AssociateRq>(kEchoscuRq)), expected);
}

TEST(PduGolden, DecodesAndReencodesStorescpAssociateAc) {
  const auto ac = decode_as<AssociateAc>(kEchoAc);
  EXPECT_EQ(ac.protocol_version, 1);
  EXPECT_EQ(ac.called_ae, "ANY-SCP");
  EXPECT_EQ(ac.calling_ae, "ECHOSCU");
  ASSERT_EQ(ac.contexts.size(), 1u);
  EXPECT_EQ(ac.contexts[0],
            (PresentationContextAc{
                .id = 1, .result = PcResult::Acceptance, .transfer_syntax = "1.2.840.10008.1.2"}));
  EXPECT_EQ(ac.user_info.max_pdu_length, 16384u);
  EXPECT_EQ(ac.user_info.implementation_version_name, "OFFIS_DCMTK_367");
  EXPECT_EQ(encode(ac), kEchoAc);

  AssociateAc built;
  built.called_ae = "ANY-SCP";
  built.calling_ae = "ECHOSCU";
  built.contexts = {
      {.id = 1, .result = PcResult::Acceptance, .transfer_syntax = "1.2.840.10008.1.2"}};
  built.user_info = echoscu_rq_value().user_info;
  EXPECT_EQ(encode(built), kEchoAc);
}

TEST(PduGolden, DecodesEchoCommandPDataAsViewIntoTheInput) {
  const auto pdata = decode_as<PData>(kEchoCommandPData);
  ASSERT_EQ(pdata.pdvs.size(), 1u);
  const Pdv& pdv = pdata.pdvs[0];
  EXPECT_EQ(pdv.pc_id, 1);
  EXPECT_TRUE(pdv.is_command());
  EXPECT_TRUE(pdv.is_last());
  EXPECT_EQ(pdv.fragment.size(), 68u);
  EXPECT_EQ(pdv.fragment.data(), kEchoCommandPData.data() + kPDataOverhead);
  EXPECT_EQ(encode(pdata), kEchoCommandPData);
  const auto header = encode_pdata_header(1, kMchCommand | kMchLast, 68);
  EXPECT_TRUE(std::equal(header.begin(), header.end(), kEchoCommandPData.begin()));
}

TEST(PduGolden, DecodesAndEncodesFixedSizePdus) {
  EXPECT_EQ(decode_as<AssociateRj>(kRefusedRj), (AssociateRj{.result = RjResult::RejectedPermanent,
                                                             .source = RjSource::ServiceUser,
                                                             .reason = rj_reason::kNoReasonGiven}));
  EXPECT_EQ(encode(AssociateRj{RjResult::RejectedPermanent, RjSource::ServiceUser,
                               rj_reason::kNoReasonGiven}),
            kRefusedRj);
  EXPECT_EQ(decode_as<ReleaseRq>(kReleaseRq), ReleaseRq{});
  EXPECT_EQ(encode(ReleaseRq{}), kReleaseRq);
  EXPECT_EQ(decode_as<ReleaseRp>(kReleaseRp), ReleaseRp{});
  EXPECT_EQ(encode(ReleaseRp{}), kReleaseRp);
  EXPECT_EQ(decode_as<Abort>(kUserAbort), Abort{});
  EXPECT_EQ(encode(Abort{}), kUserAbort);
  const Abort provider{AbortSource::ServiceProvider, AbortReason::InvalidPduParameterValue};
  EXPECT_EQ(decode_as<Abort>(kProviderAbort), provider);
  EXPECT_EQ(encode(provider), kProviderAbort);
}

// ---- user-information sub-items, one at a time (PS3.7 D.3.3) --------------------------------

struct SubItemCase {
  const char* name;
  Bytes sub_item;                 // as it appears after 0x51 and 0x52
  void (*set)(UserInformation&);  // the value the bytes stand for
};

UserInformation mandatory_only() {
  UserInformation ui;
  ui.max_pdu_length = 16384;
  ui.implementation_class_uid = std::string(testing::kImplUid);
  return ui;
}

class SubItemGolden : public ::testing::TestWithParam<SubItemCase> {};

TEST_P(SubItemGolden, DecodesToTheValueAndEncodesToTheBytes) {
  const auto& c = GetParam();
  const Bytes bytes = testing::minimal_rq(c.sub_item);
  UserInformation expected = mandatory_only();
  c.set(expected);

  const auto rq = decode_as<AssociateRq>(bytes);
  EXPECT_EQ(rq.user_info, expected);

  AssociateRq value = rq;
  value.user_info = expected;
  EXPECT_EQ(encode(value), bytes);
}

INSTANTIATE_TEST_SUITE_P(
    PduGolden, SubItemGolden,
    ::testing::Values(
        // 0x53: max operations invoked 2, performed 0 (unlimited)
        SubItemCase{"AsyncOps", item(0x53, cat({u16(2), u16(0)})),
                    [](UserInformation& ui) {
                      ui.async_ops = AsyncOpsWindow{2, 0};
                    }},
        // 0x54: CT Image Storage, SCU role not proposed (byte first), SCP role proposed
        SubItemCase{"Role", item(0x54, cat({field(testing::kCtImage), {0x00, 0x01}})),
                    [](UserInformation& ui) {
                      ui.roles = {{std::string(testing::kCtImage), false, true}};
                    }},
        // 0x55: implementation version name
        SubItemCase{"VersionName", item(0x55, str("ACC_0.1")),
                    [](UserInformation& ui) { ui.implementation_version_name = "ACC_0.1"; }},
        // 0x56: Study Root FIND with relational queries, date-time matching off, fuzzy on
        SubItemCase{"ExtendedNegotiation",
                    item(0x56, cat({field("1.2.840.10008.5.1.4.1.2.2.1"), {0x01, 0x00, 0x01}})),
                    [](UserInformation& ui) {
                      ui.extended = {{"1.2.840.10008.5.1.4.1.2.2.1", {0x01, 0x00, 0x01}}};
                    }},
        // 0x57: Enhanced CT, Storage service class, related general SOP class CT Image
        SubItemCase{
            "CommonExtendedNegotiation",
            item(0x57, cat({field("1.2.840.10008.5.1.4.1.1.2.1"), field("1.2.840.10008.4.2"),
                            u16(static_cast<uint16_t>(2 + testing::kCtImage.size())),
                            field(testing::kCtImage)})),
            [](UserInformation& ui) {
              ui.common_extended = {{"1.2.840.10008.5.1.4.1.1.2.1",
                                     "1.2.840.10008.4.2",
                                     {std::string(testing::kCtImage)}}};
            }},
        // 0x58: username + passcode, positive response requested
        SubItemCase{"UserIdentityRq",
                    item(0x58, cat({{0x02, 0x01}, field("alice"), field("secret")})),
                    [](UserInformation& ui) {
                      ui.identity_rq = UserIdentityRq{2, true, "alice", "secret"};
                    }},
        // 0x58: username only: the secondary field is present with length 0
        SubItemCase{
            "UserIdentityRqUsernameOnly", item(0x58, cat({{0x01, 0x00}, field("bob"), u16(0)})),
            [](UserInformation& ui) {
              ui.identity_rq = UserIdentityRq{1, false, "bob", ""};
            }},
        // 0x59: server response
        SubItemCase{"UserIdentityAc", item(0x59, field("ok-token")),
                    [](UserInformation& ui) { ui.identity_ac = UserIdentityAc{"ok-token"}; }},
        // Several sub-items in ascending type, repeated 0x54 kept in order
        SubItemCase{"SeveralInAscendingOrder",
                    cat({item(0x53, cat({u16(1), u16(1)})),
                         item(0x54, cat({field(testing::kCtImage), {0x01, 0x00}})),
                         item(0x54, cat({field(testing::kVerification), {0x01, 0x01}})),
                         item(0x55, str("V1"))}),
                    [](UserInformation& ui) {
                      ui.async_ops = AsyncOpsWindow{};
                      ui.roles = {{std::string(testing::kCtImage), true, false},
                                  {std::string(testing::kVerification), true, true}};
                      ui.implementation_version_name = "V1";
                    }}),
    [](const ::testing::TestParamInfo<SubItemCase>& info) { return info.param.name; });

TEST(PduGolden, RejectedAcContextWithoutTransferSyntaxSubItem) {
  // Context 3 rejected with abstract-syntax-not-supported and no 0x40 sub-item.
  const Bytes bytes =
      testing::associate(2, cat({testing::app_context_item(), testing::pc_ac_item(1),
                                 item(0x21, {0x03, 0x00, 0x03, 0x00}), testing::user_info_item()}));
  const auto ac = decode_as<AssociateAc>(bytes);
  ASSERT_EQ(ac.contexts.size(), 2u);
  EXPECT_EQ(ac.contexts[1],
            (PresentationContextAc{
                .id = 3, .result = PcResult::AbstractSyntaxNotSupported, .transfer_syntax = ""}));
  EXPECT_EQ(encode(ac), bytes);
}

TEST(PduGolden, RejectedAcContextKeepsATransferSyntaxItWasGiven) {
  const Bytes bytes = testing::associate(
      2, cat({testing::app_context_item(), testing::pc_ac_item(5, 4, testing::kExplicitLe),
              testing::user_info_item()}));
  const auto ac = decode_as<AssociateAc>(bytes);
  ASSERT_EQ(ac.contexts.size(), 1u);
  EXPECT_EQ(ac.contexts[0].result, PcResult::TransferSyntaxesNotSupported);
  EXPECT_EQ(ac.contexts[0].transfer_syntax, testing::kExplicitLe);
  EXPECT_EQ(encode(ac), bytes);
}

}  // namespace
}  // namespace acc::dicom::ul
