// One test (at least) per error branch of the decoder. The labels are the UL_DECODE_ERR_nn
// comments in dicom/ul/pdu_decode.cpp.
//
// | Label | Branch                                             | Test(s) |
// |-------|----------------------------------------------------|-------------------------------------------|
// | 01    | header shorter than 6 bytes                        | UlDecodeHeader.ShorterThanSixBytes
// | | 02    | PDU type not 1..7                                  | UlDecodeHeader.UnknownType | |
// 03    | RJ/RELEASE/ABORT length other than 4               |
// UlDecodeHeader.FixedSizePduWithOtherLength        | | 04    | P-DATA-TF length < 6 |
// UlDecodeHeader.PDataTooShortForOnePdv             | | 05    | P-DATA-TF above the announced
// maximum              | UlDecodeHeader.PDataAboveAnnouncedMaximum,        | |       | |
// UlDecodeHeader.FourGibClaimRejectedWithoutAllocation | | 06    | A-ASSOCIATE length < 68 |
// UlDecodeHeader.AssociateShorterThanFixedFields    | | 07    | A-ASSOCIATE above the association
// cap              | UlDecodeHeader.AssociateAboveCap                  | | 08    | body shorter
// than the header's length              | UlDecodeBody.Truncated, UlDecodeBody.FourGibClaim... | |
// 09    | bytes after the PDU                                | UlDecodeBody.TrailingBytes | | 10 |
// item header overruns its parent                    | UlDecodeItems.ItemHeaderOverrunsPdu, | | |
// | UlDecodeItems.SubItemHeaderOverrunsItem           | | 11    | item body overruns its parent |
// UlDecodeItems.ItemBodyOverrunsPdu,                | |       | |
// UlDecodeItems.SubItemBodyOverrunsItem             | | 12    | two application contexts |
// UlDecodeItems.DuplicateApplicationContext         | | 13    | no application context |
// UlDecodeItems.MissingApplicationContext           | | 14    | no presentation context |
// UlDecodeItems.MissingPresentationContext          | | 15    | two user information items |
// UlDecodeItems.DuplicateUserInformation            | | 16    | no user information item |
// UlDecodeItems.MissingUserInformation              | | 17    | 0x21 in an RQ / 0x20 in an AC |
// UlDecodeItems.PresentationContextOfOtherDirection | | 18    | presentation context shorter than 4
// bytes          | UlDecodeContexts.ShorterThanFixedFields           | | 19    | even presentation
// context ID                       | UlDecodeContexts.EvenId                           | | 20    |
// presentation context ID proposed twice             | UlDecodeContexts.DuplicateId | | 21    | no
// abstract syntax                                 | UlDecodeContexts.MissingAbstractSyntax | | 22
// | two abstract syntaxes                              | UlDecodeContexts.DuplicateAbstractSyntax |
// | 23    | proposed context without transfer syntax           |
// UlDecodeContexts.MissingTransferSyntaxInRq        | | 24    | two transfer syntaxes in an AC
// context             | UlDecodeContexts.DuplicateTransferSyntaxInAc      | | 25    | accepted AC
// context without transfer syntax        | UlDecodeContexts.AcceptedWithoutTransferSyntax    | | 26
// | UID longer than 64 characters                      | LongUid/* (every UID-bearing field) | | 27
// | singular sub-item twice                            | UlDecodeUserInfo.DuplicateSingularSubItem
// | | 28    | maximum length or implementation class UID missing |
// UlDecodeUserInfo.MissingMandatorySubItem          | | 29    | maximum length sub-item not 4 bytes
// | UlDecodeUserInfo.MaxLengthNotFourBytes            | | 30    | async operations sub-item not 4
// bytes              | UlDecodeUserInfo.AsyncOpsNotFourBytes             | | 31    | field overruns
// its sub-item                        | MalformedSubItem/* (Overrun cases)        | | 32    | stray
// bytes after a sub-item's fields              | MalformedSubItem/* (Stray cases)          | | 33
// | fewer than 4 bytes after the last PDV              | UlDecodePData.StrayBytesAfterLastPdv | |
// 34    | PDV item length < 2                                | UlDecodePData.PdvShorterThanTwoBytes
// | | 35    | PDV overruns the PDU                               | UlDecodePData.PdvOverrunsPdu |

#include <gtest/gtest.h>

#include <limits>
#include <string>

#include "dicom/ul/pdu.hpp"
#include "tests/unit/ul/pdu_bytes.hpp"

namespace acc::dicom::ul {
namespace {

using testing::app_context_item;
using testing::associate;
using testing::Bytes;
using testing::cat;
using testing::field;
using testing::item;
using testing::pc_ac_item;
using testing::pc_rq_item;
using testing::str;
using testing::u16;
using testing::u32;
using testing::user_info_item;

void expect_error(const Bytes& bytes, UlErrc expected) {
  const auto pdu = decode_pdu(bytes);
  ASSERT_FALSE(pdu.has_value()) << "decoded although " << make_error_code(expected).message();
  EXPECT_EQ(pdu.error().code, make_error_code(expected)) << pdu.error().message();
  EXPECT_FALSE(pdu.error().detail.empty());
}

void expect_header_error(const Bytes& bytes, UlErrc expected, const PduLimits& limits = {}) {
  const auto header = decode_pdu_header(bytes, limits);
  ASSERT_FALSE(header.has_value());
  EXPECT_EQ(header.error().code, make_error_code(expected)) << header.error().message();
}

// ---- header -------------------------------------------------------------------------------

TEST(UlDecodeHeader, ShorterThanSixBytes) {
  for (std::size_t n = 0; n < kPduHeaderLength; ++n) {
    const Bytes bytes(n, 0x04);
    expect_header_error(bytes, UlErrc::truncated);
    expect_error(bytes, UlErrc::truncated);
  }
}

TEST(UlDecodeHeader, UnknownType) {
  for (const uint8_t type : {0x00, 0x08, 0x10, 0xFF}) {
    expect_header_error({type, 0, 0, 0, 0, 4}, UlErrc::unrecognized_pdu);
    expect_error({type, 0, 0, 0, 0, 4, 0, 0, 0, 0}, UlErrc::unrecognized_pdu);
  }
}

TEST(UlDecodeHeader, FixedSizePduWithOtherLength) {
  for (const uint8_t type : {0x03, 0x05, 0x06, 0x07}) {
    expect_header_error({type, 0, 0, 0, 0, 3}, UlErrc::invalid_pdu_length);
    expect_header_error({type, 0, 0, 0, 0, 5}, UlErrc::invalid_pdu_length);
    expect_header_error({type, 0, 0, 1, 0, 4}, UlErrc::invalid_pdu_length);
    expect_error({type, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0}, UlErrc::invalid_pdu_length);
  }
}

TEST(UlDecodeHeader, PDataTooShortForOnePdv) {
  expect_header_error({0x04, 0, 0, 0, 0, 5}, UlErrc::invalid_pdu_length);
  expect_header_error({0x04, 0, 0, 0, 0, 0}, UlErrc::invalid_pdu_length);
  expect_error({0x04, 0, 0, 0, 0, 0}, UlErrc::invalid_pdu_length);
  EXPECT_TRUE(decode_pdu_header(Bytes{0x04, 0, 0, 0, 0, 6}, PduLimits{}).has_value());
}

TEST(UlDecodeHeader, PDataAboveAnnouncedMaximum) {
  const PduLimits limits{.max_pdata_length = 16384};
  const auto at_limit = decode_pdu_header(Bytes{0x04, 0, 0, 0, 0x40, 0x00}, limits);
  ASSERT_TRUE(at_limit.has_value());
  EXPECT_EQ(at_limit->type, PduType::PData);
  EXPECT_EQ(at_limit->length, 16384u);
  expect_header_error({0x04, 0, 0, 0, 0x40, 0x01}, UlErrc::pdu_too_large, limits);

  // Announcing 0 ("no limit") falls back to the absolute cap.
  const PduLimits unlimited{.max_pdata_length = 0, .absolute_max_length = 1 << 20};
  EXPECT_TRUE(decode_pdu_header(Bytes{0x04, 0, 0, 0x10, 0, 0}, unlimited).has_value());
  expect_header_error({0x04, 0, 0, 0x10, 0, 1}, UlErrc::pdu_too_large, unlimited);
}

TEST(UlDecodeHeader, FourGibClaimRejectedWithoutAllocation) {
  // Only the six header bytes exist; nothing is sized from the claim.
  const Bytes pdata = {0x04, 0, 0xFF, 0xFF, 0xFF, 0xFF};
  expect_header_error(pdata, UlErrc::pdu_too_large, PduLimits{.max_pdata_length = 0});
  expect_header_error({0x01, 0, 0xFF, 0xFF, 0xFF, 0xFF}, UlErrc::pdu_too_large);
  expect_header_error({0x02, 0, 0xFF, 0xFF, 0xFF, 0xFF}, UlErrc::pdu_too_large);
}

TEST(UlDecodeHeader, AssociateShorterThanFixedFields) {
  for (const uint8_t type : {0x01, 0x02}) {
    expect_header_error({type, 0, 0, 0, 0, 67}, UlErrc::invalid_pdu_length);
    EXPECT_TRUE(decode_pdu_header(Bytes{type, 0, 0, 0, 0, 68}, PduLimits{}).has_value());
    Bytes short_pdu = {type, 0, 0, 0, 0, 10};
    short_pdu.resize(16, 0);
    expect_error(short_pdu, UlErrc::invalid_pdu_length);
  }
}

TEST(UlDecodeHeader, AssociateAboveCap) {
  const PduLimits limits{.max_association_length = 4096};
  EXPECT_TRUE(decode_pdu_header(Bytes{0x01, 0, 0, 0, 0x10, 0x00}, limits).has_value());
  expect_header_error({0x01, 0, 0, 0, 0x10, 0x01}, UlErrc::pdu_too_large, limits);
  expect_header_error({0x02, 0, 0, 0, 0x10, 0x01}, UlErrc::pdu_too_large, limits);
}

// ---- whole PDU ----------------------------------------------------------------------------

TEST(UlDecodeBody, Truncated) {
  const Bytes rq = testing::minimal_rq();
  expect_error(Bytes(rq.begin(), rq.end() - 1), UlErrc::truncated);
  expect_error(Bytes(rq.begin(), rq.begin() + 6), UlErrc::truncated);
  expect_error({0x07, 0, 0, 0, 0, 4, 0, 0, 2}, UlErrc::truncated);
  const Bytes pdata = testing::pdu(4, testing::pdv(1, 2, {1, 2, 3, 4}));
  expect_error(Bytes(pdata.begin(), pdata.end() - 2), UlErrc::truncated);
}

TEST(UlDecodeBody, FourGibClaimWithSixBytesIsTruncatedNotAllocated) {
  expect_error({0x04, 0, 0xFF, 0xFF, 0xFF, 0xFF}, UlErrc::truncated);
  expect_error({0x01, 0, 0xFF, 0xFF, 0xFF, 0xFF}, UlErrc::truncated);
}

TEST(UlDecodeBody, TrailingBytes) {
  Bytes rq = testing::minimal_rq();
  rq.push_back(0);
  expect_error(rq, UlErrc::invalid_pdu_length);
  expect_error({0x05, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0x05}, UlErrc::invalid_pdu_length);
  Bytes pdata = testing::pdu(4, testing::pdv(1, 2, {1, 2}));
  pdata.insert(pdata.end(), {0, 0, 0, 2, 1, 2});  // a second PDV the length does not cover
  expect_error(pdata, UlErrc::invalid_pdu_length);
}

// ---- A-ASSOCIATE items --------------------------------------------------------------------

Bytes rq_with(const Bytes& items) {
  return associate(1, items);
}
Bytes ac_with(const Bytes& items) {
  return associate(2, items);
}

TEST(UlDecodeItems, ItemHeaderOverrunsPdu) {
  expect_error(rq_with(cat({app_context_item(), pc_rq_item(1), user_info_item(), {0x60, 0, 0}})),
               UlErrc::invalid_pdu_length);
}

TEST(UlDecodeItems, SubItemHeaderOverrunsItem) {
  // Presentation context item whose last two bytes start a sub-item header.
  expect_error(
      rq_with(cat(
          {app_context_item(),
           item(0x20,
                cat({{1, 0, 0, 0}, item(0x30, str("1.2")), item(0x40, str("1.2.3")), {0x40, 0}})),
           user_info_item()})),
      UlErrc::invalid_pdu_length);
  expect_error(testing::minimal_rq({0x55, 0, 0}), UlErrc::invalid_pdu_length);
}

TEST(UlDecodeItems, ItemBodyOverrunsPdu) {
  Bytes rq = testing::minimal_rq();
  // The user information item is last: claim one byte more than the PDU holds.
  const std::size_t ui_at = rq.size() - (4 + 8 + 4 + testing::kImplUid.size());
  ASSERT_EQ(rq[ui_at], 0x50);
  ++rq[ui_at + 3];
  expect_error(rq, UlErrc::invalid_pdu_length);
}

TEST(UlDecodeItems, SubItemBodyOverrunsItem) {
  // Abstract syntax claims 200 bytes inside a presentation context of 30.
  expect_error(rq_with(cat({app_context_item(),
                            item(0x20, cat({{1, 0, 0, 0}, {0x30, 0, 0, 200}, Bytes(22, '1')})),
                            user_info_item()})),
               UlErrc::invalid_pdu_length);
  expect_error(testing::minimal_rq({0x55, 0, 0, 9, 'A'}), UlErrc::invalid_pdu_length);
}

TEST(UlDecodeItems, DuplicateApplicationContext) {
  expect_error(
      rq_with(cat({app_context_item(), pc_rq_item(1), app_context_item(), user_info_item()})),
      UlErrc::unexpected_pdu_parameter);
  expect_error(
      ac_with(cat({app_context_item(), app_context_item(), pc_ac_item(1), user_info_item()})),
      UlErrc::unexpected_pdu_parameter);
}

TEST(UlDecodeItems, MissingApplicationContext) {
  expect_error(rq_with(cat({pc_rq_item(1), user_info_item()})), UlErrc::unrecognized_pdu_parameter);
  expect_error(ac_with(cat({pc_ac_item(1), user_info_item()})), UlErrc::unrecognized_pdu_parameter);
}

TEST(UlDecodeItems, MissingPresentationContext) {
  expect_error(rq_with(cat({app_context_item(), user_info_item()})),
               UlErrc::unrecognized_pdu_parameter);
  expect_error(ac_with(cat({app_context_item(), user_info_item()})),
               UlErrc::unrecognized_pdu_parameter);
}

TEST(UlDecodeItems, DuplicateUserInformation) {
  expect_error(
      rq_with(cat({app_context_item(), pc_rq_item(1), user_info_item(), user_info_item()})),
      UlErrc::unexpected_pdu_parameter);
  expect_error(
      ac_with(cat({app_context_item(), pc_ac_item(1), user_info_item(), user_info_item()})),
      UlErrc::unexpected_pdu_parameter);
}

TEST(UlDecodeItems, MissingUserInformation) {
  expect_error(rq_with(cat({app_context_item(), pc_rq_item(1)})),
               UlErrc::unrecognized_pdu_parameter);
  expect_error(ac_with(cat({app_context_item(), pc_ac_item(1)})),
               UlErrc::unrecognized_pdu_parameter);
  // Only the fixed fields, no items at all.
  expect_error(rq_with({}), UlErrc::unrecognized_pdu_parameter);
}

TEST(UlDecodeItems, PresentationContextOfOtherDirection) {
  expect_error(rq_with(cat({app_context_item(), pc_rq_item(1), pc_ac_item(3), user_info_item()})),
               UlErrc::unexpected_pdu_parameter);
  expect_error(ac_with(cat({app_context_item(), pc_ac_item(1), pc_rq_item(3), user_info_item()})),
               UlErrc::unexpected_pdu_parameter);
}

// ---- presentation contexts ----------------------------------------------------------------

TEST(UlDecodeContexts, ShorterThanFixedFields) {
  expect_error(rq_with(cat({app_context_item(), item(0x20, {1, 0, 0}), user_info_item()})),
               UlErrc::invalid_pdu_parameter_value);
  expect_error(ac_with(cat({app_context_item(), item(0x21, {1}), user_info_item()})),
               UlErrc::invalid_pdu_parameter_value);
}

TEST(UlDecodeContexts, EvenId) {
  for (const uint8_t id : {0, 2, 254}) {
    expect_error(rq_with(cat({app_context_item(), pc_rq_item(id), user_info_item()})),
                 UlErrc::invalid_pdu_parameter_value);
  }
}

TEST(UlDecodeContexts, DuplicateId) {
  expect_error(rq_with(cat({app_context_item(), pc_rq_item(5), pc_rq_item(3),
                            pc_rq_item(5, testing::kCtImage), user_info_item()})),
               UlErrc::invalid_pdu_parameter_value);
}

TEST(UlDecodeContexts, MissingAbstractSyntax) {
  expect_error(rq_with(cat({app_context_item(),
                            item(0x20, cat({{1, 0, 0, 0}, item(0x40, str(testing::kImplicitLe))})),
                            user_info_item()})),
               UlErrc::unrecognized_pdu_parameter);
}

TEST(UlDecodeContexts, DuplicateAbstractSyntax) {
  expect_error(rq_with(cat({app_context_item(),
                            item(0x20, cat({{1, 0, 0, 0},
                                            item(0x30, str(testing::kVerification)),
                                            item(0x30, str(testing::kCtImage)),
                                            item(0x40, str(testing::kImplicitLe))})),
                            user_info_item()})),
               UlErrc::unexpected_pdu_parameter);
}

TEST(UlDecodeContexts, MissingTransferSyntaxInRq) {
  expect_error(
      rq_with(cat({app_context_item(),
                   item(0x20, cat({{1, 0, 0, 0}, item(0x30, str(testing::kVerification))})),
                   user_info_item()})),
      UlErrc::unrecognized_pdu_parameter);
}

TEST(UlDecodeContexts, DuplicateTransferSyntaxInAc) {
  expect_error(ac_with(cat({app_context_item(),
                            item(0x21, cat({{1, 0, 0, 0},
                                            item(0x40, str(testing::kImplicitLe)),
                                            item(0x40, str(testing::kExplicitLe))})),
                            user_info_item()})),
               UlErrc::unexpected_pdu_parameter);
}

TEST(UlDecodeContexts, AcceptedWithoutTransferSyntax) {
  expect_error(ac_with(cat({app_context_item(), item(0x21, {1, 0, 0, 0}), user_info_item()})),
               UlErrc::unrecognized_pdu_parameter);
}

// ---- UIDs ---------------------------------------------------------------------------------

const std::string kUid65 = "1.2." + std::string(61, '7');

struct LongUidCase {
  const char* name;
  Bytes pdu;
};

class LongUid : public ::testing::TestWithParam<LongUidCase> {};

TEST_P(LongUid, IsInvalidParameterValue) {
  ASSERT_EQ(kUid65.size(), 65u);
  expect_error(GetParam().pdu, UlErrc::invalid_pdu_parameter_value);
}

INSTANTIATE_TEST_SUITE_P(
    UlDecode, LongUid,
    ::testing::Values(
        LongUidCase{"ApplicationContext",
                    rq_with(cat({item(0x10, str(kUid65)), pc_rq_item(1), user_info_item()}))},
        LongUidCase{"AbstractSyntax",
                    rq_with(cat({app_context_item(), pc_rq_item(1, kUid65), user_info_item()}))},
        LongUidCase{"TransferSyntaxRq",
                    rq_with(cat({app_context_item(), pc_rq_item(1, testing::kVerification, kUid65),
                                 user_info_item()}))},
        LongUidCase{"TransferSyntaxAc",
                    ac_with(cat({app_context_item(), pc_ac_item(1, 0, kUid65), user_info_item()}))},
        LongUidCase{"ImplementationClass",
                    rq_with(cat({app_context_item(), pc_rq_item(1),
                                 item(0x50, cat({item(0x51, u32(0)), item(0x52, str(kUid65))}))}))},
        LongUidCase{"RoleSelection", testing::minimal_rq(item(0x54, cat({field(kUid65), {1, 1}})))},
        LongUidCase{"ExtendedNegotiation", testing::minimal_rq(item(0x56, field(kUid65)))},
        LongUidCase{"CommonExtendedSopClass",
                    testing::minimal_rq(item(0x57, cat({field(kUid65), field("1.2"), u16(0)})))},
        LongUidCase{"CommonExtendedServiceClass",
                    testing::minimal_rq(item(0x57, cat({field("1.2"), field(kUid65), u16(0)})))},
        LongUidCase{"CommonExtendedRelated",
                    testing::minimal_rq(item(0x57, cat({field("1.2"), field("1.3"), u16(67),
                                                        field(kUid65)})))}),
    [](const ::testing::TestParamInfo<LongUidCase>& info) { return info.param.name; });

// ---- user information ---------------------------------------------------------------------

TEST(UlDecodeUserInfo, DuplicateSingularSubItem) {
  for (const auto& dup : {item(0x51, u32(1)), item(0x52, str("1.2")),
                          item(0x53, cat({u16(1), u16(1)})), item(0x55, str("V")),
                          item(0x58, cat({{1, 0}, field("u"), u16(0)})), item(0x59, field("r"))}) {
    const Bytes twice = (dup[0] == 0x51 || dup[0] == 0x52) ? dup : cat({dup, dup});
    expect_error(testing::minimal_rq(twice), UlErrc::unexpected_pdu_parameter);
  }
}

TEST(UlDecodeUserInfo, RepeatableSubItemsMayRepeat) {
  const Bytes role = item(0x54, cat({field("1.2"), {1, 0}}));
  EXPECT_TRUE(decode_pdu(testing::minimal_rq(cat({role, role}))).has_value());
}

TEST(UlDecodeUserInfo, MissingMandatorySubItem) {
  const Bytes no_max = item(0x50, item(0x52, str(testing::kImplUid)));
  const Bytes no_impl = item(0x50, item(0x51, u32(16384)));
  for (const auto& ui : {no_max, no_impl, item(0x50, {})}) {
    expect_error(rq_with(cat({app_context_item(), pc_rq_item(1), ui})),
                 UlErrc::unrecognized_pdu_parameter);
    expect_error(ac_with(cat({app_context_item(), pc_ac_item(1), ui})),
                 UlErrc::unrecognized_pdu_parameter);
  }
}

TEST(UlDecodeUserInfo, MaxLengthNotFourBytes) {
  for (const auto& payload : {Bytes{}, Bytes{0, 0, 0x40}, Bytes{0, 0, 0x40, 0, 0}}) {
    expect_error(
        rq_with(cat({app_context_item(), pc_rq_item(1),
                     item(0x50, cat({item(0x51, payload), item(0x52, str(testing::kImplUid))}))})),
        UlErrc::invalid_pdu_parameter_value);
  }
}

TEST(UlDecodeUserInfo, AsyncOpsNotFourBytes) {
  expect_error(testing::minimal_rq(item(0x53, {0, 1, 0})), UlErrc::invalid_pdu_parameter_value);
  expect_error(testing::minimal_rq(item(0x53, {0, 1, 0, 1, 0})),
               UlErrc::invalid_pdu_parameter_value);
}

struct MalformedCase {
  const char* name;
  Bytes sub_item;
};

class MalformedSubItem : public ::testing::TestWithParam<MalformedCase> {};

TEST_P(MalformedSubItem, IsInvalidParameterValue) {
  expect_error(testing::minimal_rq(GetParam().sub_item), UlErrc::invalid_pdu_parameter_value);
  expect_error(testing::minimal_ac(GetParam().sub_item), UlErrc::invalid_pdu_parameter_value);
}

INSTANTIATE_TEST_SUITE_P(
    UlDecode, MalformedSubItem,
    ::testing::Values(
        // UL_DECODE_ERR_31
        MalformedCase{"RoleEmpty", item(0x54, {})},
        MalformedCase{"RoleUidOverrun", item(0x54, cat({u16(10), str("1.2"), {1, 1}}))},
        MalformedCase{"RoleLacksRoleBytes", item(0x54, cat({field("1.2"), {1}}))},
        MalformedCase{"ExtNegUidOverrun", item(0x56, cat({u16(4), str("1.2")}))},
        MalformedCase{"ExtNegLengthByteOnly", item(0x56, {0})},
        MalformedCase{"CommonSopOverrun", item(0x57, cat({u16(50), str("1.2")}))},
        MalformedCase{"CommonServiceMissing", item(0x57, field("1.2"))},
        MalformedCase{"CommonRelatedListOverrun",
                      item(0x57, cat({field("1.2"), field("1.3"), u16(20), field("1.4")}))},
        MalformedCase{"CommonRelatedUidOverrun",
                      item(0x57, cat({field("1.2"), field("1.3"), u16(5), u16(9), str("1.4")}))},
        MalformedCase{"IdentityLacksTypeBytes", item(0x58, {1})},
        MalformedCase{"IdentityPrimaryOverrun", item(0x58, cat({{1, 0}, u16(9), str("bob")}))},
        MalformedCase{"IdentitySecondaryMissing", item(0x58, cat({{1, 0}, field("bob")}))},
        MalformedCase{"IdentityResponseOverrun", item(0x59, cat({u16(3), str("o")}))},
        MalformedCase{"IdentityResponseEmpty", item(0x59, {})},
        // UL_DECODE_ERR_32
        MalformedCase{"RoleStray", item(0x54, cat({field("1.2"), {1, 0, 0}}))},
        MalformedCase{"CommonStray", item(0x57, cat({field("1.2"), field("1.3"), u16(0), {0xAB}}))},
        MalformedCase{"IdentityRqStray", item(0x58, cat({{2, 0}, field("bob"), field("pw"), {0}}))},
        MalformedCase{"IdentityAcStray", item(0x59, cat({field("ok"), {0, 0}}))}),
    [](const ::testing::TestParamInfo<MalformedCase>& info) { return info.param.name; });

// ---- P-DATA-TF ----------------------------------------------------------------------------

TEST(UlDecodePData, StrayBytesAfterLastPdv) {
  for (const Bytes& stray : {Bytes{0}, Bytes{0, 0, 0}}) {
    expect_error(testing::pdu(4, cat({testing::pdv(1, 0, {1, 2}), stray})),
                 UlErrc::invalid_pdu_length);
  }
}

TEST(UlDecodePData, PdvShorterThanTwoBytes) {
  expect_error(testing::pdu(4, cat({u32(1), {1}, Bytes(5, 0)})),
               UlErrc::invalid_pdu_parameter_value);
  expect_error(testing::pdu(4, cat({u32(0), {0, 0}})), UlErrc::invalid_pdu_parameter_value);
  expect_error(testing::pdu(4, cat({testing::pdv(1, 0, {1, 2}), u32(1), {1}, {0}})),
               UlErrc::invalid_pdu_parameter_value);
}

TEST(UlDecodePData, PdvOverrunsPdu) {
  expect_error(testing::pdu(4, cat({u32(10), {1, 2, 3, 4}})), UlErrc::invalid_pdu_length);
  expect_error(testing::pdu(4, cat({testing::pdv(1, 0, {1, 2}), u32(0xFFFFFFFF), {1, 2}})),
               UlErrc::invalid_pdu_length);
}

}  // namespace
}  // namespace acc::dicom::ul
