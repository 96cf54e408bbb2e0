// decode(encode(x)) == x for every PDU and sub-item, plus the lenient parts of decoding (padding,
// unknown items, raw enum values) and the zero-copy P-DATA path.

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <string>
#include <variant>

#include "dicom/ul/pdu.hpp"
#include "tests/unit/ul/pdu_bytes.hpp"

namespace acc::dicom::ul {
namespace {

using namespace std::string_literals;
using testing::Bytes;
using testing::cat;
using testing::item;
using testing::str;

template <class P>
P round_trip(const P& value) {
  const auto bytes = encode(value);
  auto decoded = decode_pdu(bytes);
  EXPECT_TRUE(decoded.has_value()) << (decoded ? "" : decoded.error().message());
  if (!decoded || !std::holds_alternative<P>(*decoded)) {
    ADD_FAILURE() << "round trip changed the PDU type";
    return P{};
  }
  return std::get<P>(*decoded);
}

template <class P>
P decode_as(const Bytes& bytes) {
  auto decoded = decode_pdu(bytes);
  EXPECT_TRUE(decoded.has_value()) << (decoded ? "" : decoded.error().message());
  if (!decoded || !std::holds_alternative<P>(*decoded)) {
    ADD_FAILURE() << "unexpected PDU type";
    return P{};
  }
  return std::get<P>(*decoded);
}

UserInformation full_user_info() {
  UserInformation ui;
  ui.max_pdu_length = 65536;
  ui.implementation_class_uid = "1.2.826.0.1.3680043.9.7433.1";
  ui.implementation_version_name = "ACCESSIONER_01";
  ui.async_ops = AsyncOpsWindow{.max_invoked = 5, .max_performed = 0};
  ui.roles = {{"1.2.840.10008.5.1.4.1.1.2", false, true},
              {"1.2.840.10008.5.1.4.1.1.4", true, true}};
  ui.extended = {{"1.2.840.10008.5.1.4.1.2.2.1", {1, 1, 0, 1}}, {"1.2.840.10008.5.1.4.31", {}}};
  ui.common_extended = {
      {"1.2.840.10008.5.1.4.1.1.2.1", "1.2.840.10008.4.2", {"1.2.840.10008.5.1.4.1.1.2"}},
      {"1.2.840.10008.5.1.4.1.1.4.1", "1.2.840.10008.4.2", {}}};
  ui.identity_rq = UserIdentityRq{.identity_type = 5,
                                  .positive_response_requested = true,
                                  .primary_field = std::string(3000, 'j'),
                                  .secondary_field = ""};
  ui.identity_ac = UserIdentityAc{.server_response = std::string("\x00\x01\xFF", 3)};
  return ui;
}

TEST(PduRoundTrip, AssociateRqWithEverySubItem) {
  AssociateRq rq;
  rq.protocol_version = 1;
  rq.called_ae = "ROUTER";
  rq.calling_ae = "CT_SCANNER_0001";
  for (uint8_t id = 1; id < 255; id += 2) {
    rq.contexts.push_back({.id = id,
                           .abstract_syntax = "1.2.840.10008.5.1.4.1.1." + std::to_string(id),
                           .transfer_syntaxes = {"1.2.840.10008.1.2.1", "1.2.840.10008.1.2"}});
  }
  rq.user_info = full_user_info();
  EXPECT_EQ(round_trip(rq), rq);
}

TEST(PduRoundTrip, AssociateAcWithEverySubItemAndMixedResults) {
  AssociateAc ac;
  ac.called_ae = "ROUTER";
  ac.calling_ae = "MODALITY";
  ac.contexts = {{1, PcResult::Acceptance, "1.2.840.10008.1.2.1"},
                 {3, PcResult::UserRejection, ""},
                 {5, PcResult::NoReason, "1.2.840.10008.1.2"},
                 {7, PcResult::AbstractSyntaxNotSupported, ""},
                 {9, PcResult::TransferSyntaxesNotSupported, ""}};
  ac.user_info = full_user_info();
  EXPECT_EQ(round_trip(ac), ac);
}

TEST(PduRoundTrip, EachUserInformationSubItemAlone) {
  const UserInformation full = full_user_info();
  std::vector<UserInformation> cases(8);
  for (auto& ui : cases) {
    ui.max_pdu_length = 0;  // "no limit" must survive too
    ui.implementation_class_uid = full.implementation_class_uid;
  }
  cases[1].implementation_version_name = full.implementation_version_name;
  cases[2].async_ops = full.async_ops;
  cases[3].roles = full.roles;
  cases[4].extended = full.extended;
  cases[5].common_extended = full.common_extended;
  cases[6].identity_rq = full.identity_rq;
  cases[7].identity_ac = full.identity_ac;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    AssociateRq rq;
    rq.called_ae = "A";
    rq.calling_ae = "B";
    rq.contexts = {{.id = 1, .abstract_syntax = "1.2", .transfer_syntaxes = {"1.2.3"}}};
    rq.user_info = cases[i];
    EXPECT_EQ(round_trip(rq), rq) << "case " << i;
    AssociateAc ac;
    ac.contexts = {{.id = 1, .result = PcResult::Acceptance, .transfer_syntax = "1.2.3"}};
    ac.user_info = cases[i];
    EXPECT_EQ(round_trip(ac), ac) << "case " << i;
  }
}

TEST(PduRoundTrip, FixedSizePdusIncludingValuesOutsideTheEnums) {
  for (const auto& rj :
       {AssociateRj{RjResult::RejectedTransient, RjSource::ServiceProviderPresentation,
                    rj_reason::kLocalLimitExceeded},
        AssociateRj{RjResult::RejectedPermanent, RjSource::ServiceProviderAcse,
                    rj_reason::kProtocolVersionNotSupported},
        AssociateRj{static_cast<RjResult>(9), static_cast<RjSource>(0), 200}}) {
    EXPECT_EQ(round_trip(rj), rj);
  }
  for (const auto& abort :
       {Abort{}, Abort{AbortSource::ServiceProvider, AbortReason::UnexpectedPdu},
        Abort{AbortSource::ServiceProvider, static_cast<AbortReason>(3)},
        Abort{static_cast<AbortSource>(1), static_cast<AbortReason>(0xEE)}}) {
    EXPECT_EQ(round_trip(abort), abort);
  }
  EXPECT_EQ(round_trip(ReleaseRq{}), ReleaseRq{});
  EXPECT_EQ(round_trip(ReleaseRp{}), ReleaseRp{});
}

TEST(PduRoundTrip, ProtocolVersionIsKeptAsSentForTheStateMachineToJudge) {
  for (const uint16_t version : {0x0000, 0x0002, 0x0003, 0xFFFF}) {
    AssociateRq rq;
    rq.protocol_version = version;
    rq.contexts = {{.id = 1, .abstract_syntax = "1.2", .transfer_syntaxes = {"1.2.3"}}};
    EXPECT_EQ(round_trip(rq).protocol_version, version);
  }
}

TEST(PduRoundTrip, PDataWithThreePdvsCopiesFragmentsIntoTheEncoding) {
  const Bytes command(40, 0xC0);
  const Bytes data1(1000, 0xD1);
  const Bytes data2 = {1, 2, 3, 4};
  PData pdata;
  pdata.pdvs = {{1, kMchCommand | kMchLast, command}, {1, 0, data1}, {1, kMchLast, data2}};
  const auto bytes = encode(pdata);
  EXPECT_EQ(bytes.size(), kPduHeaderLength + 3 * 6 + 1044);
  const auto decoded = decode_as<PData>(bytes);
  ASSERT_EQ(decoded.pdvs.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(decoded.pdvs[i].pc_id, 1);
    EXPECT_EQ(decoded.pdvs[i].control, pdata.pdvs[i].control);
    EXPECT_TRUE(std::ranges::equal(decoded.pdvs[i].fragment, pdata.pdvs[i].fragment));
  }
  EXPECT_TRUE(decoded.pdvs[0].is_command());
  EXPECT_FALSE(decoded.pdvs[1].is_command());
  EXPECT_FALSE(decoded.pdvs[1].is_last());
  EXPECT_TRUE(decoded.pdvs[2].is_last());
}

TEST(PduRoundTrip, LargePDataDecodesWithoutCopyingTheFragment) {
  Bytes fragment(128 * 1024 - 6);
  std::iota(fragment.begin(), fragment.end(), uint8_t{0});
  const auto header = encode_pdata_header(7, kMchLast, static_cast<uint32_t>(fragment.size()));
  Bytes bytes(header.begin(), header.end());
  bytes.insert(bytes.end(), fragment.begin(), fragment.end());

  const auto pdata = decode_as<PData>(bytes);
  ASSERT_EQ(pdata.pdvs.size(), 1u);
  EXPECT_EQ(pdata.pdvs[0].pc_id, 7);
  EXPECT_EQ(pdata.pdvs[0].fragment.data(), bytes.data() + kPDataOverhead);
  EXPECT_EQ(pdata.pdvs[0].fragment.size(), fragment.size());
  EXPECT_EQ(encode(pdata), bytes);
}

TEST(PduRoundTrip, ManySmallPdvsInOnePData) {
  Bytes body;
  for (int i = 0; i < 2000; ++i) {
    body = cat({body, testing::pdv(3, 0, {static_cast<uint8_t>(i), 0})});
  }
  // The decoded PDVs are views into the PDU bytes: keep them alive (ASan found a read of a
  // temporary here).
  const Bytes raw = testing::pdu(4, body);
  const auto pdata = decode_as<PData>(raw);
  ASSERT_EQ(pdata.pdvs.size(), 2000u);
  EXPECT_EQ(pdata.pdvs[1999].fragment[0], static_cast<uint8_t>(1999));
}

TEST(PduRoundTrip, EmptyFragmentPdvIsTolerated) {
  // PS3.8 Annex E: MCH-only PDVs should not be sent but should be accepted.
  const auto pdata = decode_as<PData>(testing::pdu(4, testing::pdv(1, kMchLast, {})));
  ASSERT_EQ(pdata.pdvs.size(), 1u);
  EXPECT_TRUE(pdata.pdvs[0].fragment.empty());
  EXPECT_TRUE(pdata.pdvs[0].is_last());
}

TEST(PduRoundTrip, PDataHeaderLayout) {
  const auto h = encode_pdata_header(0x35, kMchCommand, 0x01020304);
  const std::array<uint8_t, kPDataOverhead> expected = {0x04, 0x00, 0x01, 0x02, 0x03, 0x0A,
                                                        0x01, 0x02, 0x03, 0x06, 0x35, 0x01};
  EXPECT_EQ(h, expected);
}

TEST(PduDecodeLenient, AeTitlesLoseLeadingAndTrailingSpacesAndNuls) {
  Bytes bytes = testing::minimal_rq();
  const Bytes called = {' ', ' ', 'S', 'T', 'O', 'R', 'E', ' ', 'S', 'C', 'P', ' ', 0, 0, 0, 0};
  std::copy(called.begin(), called.end(), bytes.begin() + 10);
  const auto rq = decode_as<AssociateRq>(bytes);
  EXPECT_EQ(rq.called_ae, "STORE SCP");
  EXPECT_EQ(rq.calling_ae, "SCU");
}

TEST(PduEncode, AeTitlesArePaddedOrCutToSixteenBytes) {
  AssociateRq rq;
  rq.called_ae = "ABCDEFGHIJKLMNOPQRS";  // 19: the caller should have refused it
  rq.calling_ae = "X";
  rq.contexts = {{.id = 1, .abstract_syntax = "1.2", .transfer_syntaxes = {"1.2.3"}}};
  const auto bytes = encode(rq);
  EXPECT_EQ(std::string(bytes.begin() + 10, bytes.begin() + 26), "ABCDEFGHIJKLMNOP");
  EXPECT_EQ(std::string(bytes.begin() + 26, bytes.begin() + 42), "X               ");
  EXPECT_TRUE(
      std::all_of(bytes.begin() + 42, bytes.begin() + 74, [](uint8_t b) { return b == 0; }));
}

TEST(PduEncode, AssociateAcEchoesAeTitlesAndWritesItemsInStandardOrder) {
  AssociateAc ac;
  ac.called_ae = "ROUTER";
  ac.calling_ae = "CT1";
  ac.contexts = {{1, PcResult::Acceptance, "1.2.840.10008.1.2"}, {3, PcResult::NoReason, ""}};
  ac.user_info.implementation_class_uid = "1.2.3";
  const auto bytes = encode(ac);
  EXPECT_EQ(std::string(bytes.begin() + 10, bytes.begin() + 42),
            "ROUTER          CT1             ");
  // 0x10 then 0x21, 0x21 then 0x50.
  std::size_t at = 74;
  std::vector<uint8_t> types;
  while (at + 4 <= bytes.size()) {
    types.push_back(bytes[at]);
    at += 4 + (static_cast<std::size_t>(bytes[at + 2]) << 8 | bytes[at + 3]);
  }
  EXPECT_EQ(at, bytes.size());
  EXPECT_EQ(types, (std::vector<uint8_t>{0x10, 0x21, 0x21, 0x50}));
}

TEST(PduDecodeLenient, UidsLoseTrailingNulAndSpacePadding) {
  const Bytes bytes = testing::associate(
      1, cat({item(0x10, str(std::string(testing::kAppContext) + '\0')),
              item(0x20, cat({{1, 0, 0, 0},
                              item(0x30, str(std::string(testing::kCtImage) + " ")),
                              item(0x40, str(std::string(testing::kImplicitLe) + '\0'))})),
              item(0x50, cat({item(0x51, testing::u32(0)),
                              item(0x52, str(std::string(testing::kImplUid) + "\0 "s))}))}));
  const auto rq = decode_as<AssociateRq>(bytes);
  EXPECT_EQ(rq.application_context, kApplicationContext);
  EXPECT_EQ(rq.contexts[0].abstract_syntax, testing::kCtImage);
  EXPECT_EQ(rq.contexts[0].transfer_syntaxes[0], testing::kImplicitLe);
  EXPECT_EQ(rq.user_info.implementation_class_uid, testing::kImplUid);
}

TEST(PduDecodeLenient, SixtyFourCharacterUidPaddedToSixtyFiveIsAccepted) {
  const std::string uid64 = "1.2." + std::string(60, '9');
  const auto rq = decode_as<AssociateRq>(
      testing::associate(1, cat({testing::app_context_item(), testing::pc_rq_item(1, uid64 + '\0'),
                                 testing::user_info_item()})));
  EXPECT_EQ(rq.contexts[0].abstract_syntax, uid64);
}

TEST(PduDecodeLenient, UnknownItemsAndSubItemsAreSkipped) {
  const Bytes unknown = item(0x7F, {1, 2, 3});
  const Bytes bytes = testing::associate(
      1,
      cat({unknown, testing::app_context_item(), item(0x60, {}),
           item(0x20, cat({{1, 0, 0, 0},
                           unknown,
                           item(0x30, str(testing::kVerification)),
                           item(0x31, {9}),
                           item(0x40, str(testing::kImplicitLe))})),
           testing::user_info_item(cat({item(0x5A, {1, 2}), item(0xFF, {}), item(0x55, str("V"))})),
           unknown}));
  const auto rq = decode_as<AssociateRq>(bytes);
  ASSERT_EQ(rq.contexts.size(), 1u);
  EXPECT_EQ(rq.contexts[0].abstract_syntax, testing::kVerification);
  EXPECT_EQ(rq.contexts[0].transfer_syntaxes.size(), 1u);
  EXPECT_EQ(rq.user_info.implementation_version_name, "V");
}

TEST(PduDecodeLenient, ItemsAndSubItemsInAnyOrder) {
  const Bytes bytes = testing::associate(
      2, cat({item(0x50, cat({item(0x55, str("V")), item(0x52, str(testing::kImplUid)),
                              item(0x51, testing::u32(1234))})),
              testing::pc_ac_item(3), testing::app_context_item(), testing::pc_ac_item(1)}));
  const auto ac = decode_as<AssociateAc>(bytes);
  EXPECT_EQ(ac.user_info.max_pdu_length, 1234u);
  ASSERT_EQ(ac.contexts.size(), 2u);
  EXPECT_EQ(ac.contexts[0].id, 3);
  EXPECT_EQ(ac.contexts[1].id, 1);
}

TEST(PduDecodeLenient, ReservedFieldsAreNotTested) {
  Bytes rq = testing::minimal_rq();
  rq[1] = 0xAA;   // PDU reserved
  rq[8] = 0xBB;   // after protocol version
  rq[50] = 0xCC;  // 32 reserved bytes
  EXPECT_TRUE(decode_pdu(rq).has_value());
  const Bytes abort = {0x07, 0x55, 0x00, 0x00, 0x00, 0x04, 0x66, 0x77, 0x02, 0x01};
  EXPECT_EQ(decode_as<Abort>(abort),
            (Abort{AbortSource::ServiceProvider, AbortReason::UnrecognizedPdu}));
}

TEST(PduName, NamesEveryPduType) {
  EXPECT_STREQ(pdu_name(PduType::AssociateRq), "A-ASSOCIATE-RQ");
  EXPECT_STREQ(pdu_name(PduType::AssociateAc), "A-ASSOCIATE-AC");
  EXPECT_STREQ(pdu_name(PduType::AssociateRj), "A-ASSOCIATE-RJ");
  EXPECT_STREQ(pdu_name(PduType::PData), "P-DATA-TF");
  EXPECT_STREQ(pdu_name(PduType::ReleaseRq), "A-RELEASE-RQ");
  EXPECT_STREQ(pdu_name(PduType::ReleaseRp), "A-RELEASE-RP");
  EXPECT_STREQ(pdu_name(PduType::Abort), "A-ABORT");
  EXPECT_STREQ(pdu_name(static_cast<PduType>(0x42)), "unknown PDU");
}

}  // namespace
}  // namespace acc::dicom::ul
