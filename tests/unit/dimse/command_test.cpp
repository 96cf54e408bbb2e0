// Command set decoding and encoding.
//
// Error branches (labels `// DIMSE_ERR_nn` in dicom/dimse/*.cpp) and the tests that reach them:
//   01 CommandDecodeErrors.TrailingBytesShorterThanAnElementHeader
//   02 CommandDecodeErrors.ElementOutsideGroup0000
//   03 CommandDecodeErrors.TagsOutOfOrder, CommandDecodeErrors.DuplicateTag
//   04 CommandDecodeErrors.ValueRunsPastTheBuffer
//   05 CommandDecodeErrors.GroupLengthNotFourBytes
//   06 CommandDecodeErrors.GroupLengthTooSmall, CommandDecodeErrors.GroupLengthTooLarge
//   07 CommandDecodeErrors.UsElementNotTwoBytes
//   08 CommandDecodeErrors.OffendingElementNotMultipleOfFour
//   09 CommandDecodeErrors.NoCommandField, CommandDecodeErrors.EmptyBuffer
//   10 CommandDecodeErrors.CommandFieldNotInEnum
//   11 CommandRequiredFields.CancelNeedsMessageIdBeingRespondedTo
//   12 CommandRequiredFields.ResponseNeedsMessageIdBeingRespondedTo
//   13 CommandRequiredFields.ResponseNeedsStatus
//   14 CommandRequiredFields.RequestsNeedMessageId
//   15 CommandRequiredFields.StoreAndFindNeedAffectedSopClass
//   16 CommandRequiredFields.StoreNeedsAffectedSopInstance
//   17 CommandRequiredFields.StoreAndFindNeedDataSet
//   18 (allocation failure in decode_command: not reachable in a unit test)
//   19 (allocation failure while appending a fragment: not reachable in a unit test)
//   20 AssemblerOrder.DataBeforeCommand
//   21 AssemblerOrder.DataBeforeLastCommandFragment
//   22 AssemblerOrder.CommandAfterDataStarted, AssemblerOrder.CommandWhileAwaitingData
//   23 AssemblerOrder.PcIdChangeInCommand, AssemblerOrder.PcIdChangeInData
//   24 AssemblerLimits.CommandAboveCap
//   25 AssemblerLimits.BadCommandSetPropagatesDecodeError
//   26 AssemblerLimits.DataSetAboveCap, AssemblerLimits.DataSetAboveCapInOneFragment
#include "dicom/dimse/command.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "tests/unit/dimse/raw_command.hpp"

namespace acc::dicom::dimse {
namespace {

using test::RawCommand;

// C-ECHO-RQ exactly as DCMTK 3.6.7 echoscu sends it (message ID 1), captured from the wire:
// group length 56, the Verification SOP Class UID padded with one NUL to 18 bytes, then
// CommandField 0x0030, MessageID 1 and CommandDataSetType 0x0101 (no data set).
const std::vector<uint8_t> kDcmtkEchoRq = {
    0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x38, 0x00, 0x00, 0x00,  // (0000,0000) UL 56
    0x00, 0x00, 0x02, 0x00, 0x12, 0x00, 0x00, 0x00,                          // (0000,0002) 18
    '1',  '.',  '2',  '.',  '8',  '4',  '0',  '.',  '1',  '0',  '0',  '0',
    '8',  '.',  '1',  '.',  '1',  0x00,                          // UI + NUL pad
    0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x30, 0x00,  // (0000,0100) 0x0030
    0x00, 0x00, 0x10, 0x01, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00,  // (0000,0110) 1
    0x00, 0x00, 0x00, 0x08, 0x02, 0x00, 0x00, 0x00, 0x01, 0x01,  // (0000,0800) 0x0101
};

DimseErrc error_of(const Result<Command>& r) {
  EXPECT_FALSE(r.has_value());
  if (r.has_value()) {
    return DimseErrc::ok;
  }
  EXPECT_EQ(&r.error().code.category(), &dimse_category());
  return static_cast<DimseErrc>(r.error().code.value());
}

// A minimal valid C-ECHO-RQ body (without group length) to which tests add elements.
RawCommand echo_rq_body() {
  return RawCommand{}.us(0x0100, 0x0030).us(0x0110, 7).us(0x0800, kNoDataSet);
}

TEST(CommandGolden, DecodesDcmtkEchoRq) {
  auto c = decode_command(kDcmtkEchoRq);
  ASSERT_TRUE(c.has_value()) << c.error().message();
  EXPECT_EQ(c->CommandField, CommandField::CEchoRq);
  EXPECT_EQ(c->AffectedSOPClassUID, "1.2.840.10008.1.1");
  EXPECT_EQ(c->MessageID, 1);
  EXPECT_FALSE(c->has_data_set());
  EXPECT_FALSE(c->is_response());
}

TEST(CommandGolden, EncodesEchoRqLikeDcmtk) {
  EXPECT_EQ(encode_command(make_c_echo_rq(1)), kDcmtkEchoRq);
}

std::vector<uint8_t> from_hex(std::string_view hex) {
  std::vector<uint8_t> out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<uint8_t>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

// Captured from DCMTK 3.6.7 storescu / findscu --cancel 1 against storescp / wlmscpfs.
// DCMTK announces a data set with CommandDataSetType 0x0001.
TEST(CommandGolden, DecodesDcmtkStoreRq) {
  auto c = decode_command(from_hex(
      "000000000400000070000000000002001a000000312e322e3834302e31303030382e352e312e342e312e312e32"
      "0000000001020000000100000010010200000001000000000702000000000000000008020000000100000000101e"
      "000000312e322e3832362e302e312e333638303034332e322e313132352e392e31"));
  ASSERT_TRUE(c.has_value()) << c.error().message();
  EXPECT_EQ(c->CommandField, CommandField::CStoreRq);
  EXPECT_EQ(c->AffectedSOPClassUID, "1.2.840.10008.5.1.4.1.1.2");
  EXPECT_EQ(c->AffectedSOPInstanceUID, "1.2.826.0.1.3680043.2.1125.9.1");
  EXPECT_EQ(c->MessageID, 1);
  EXPECT_EQ(c->Priority, 0);
  EXPECT_EQ(c->CommandDataSetType, 0x0001);
  EXPECT_TRUE(c->has_data_set());
}

TEST(CommandGolden, DecodesDcmtkPendingFindRsp) {
  auto c = decode_command(from_hex(
      "0000000004000000460000000000020016000000312e322e3834302e31303030382e352e312e342e3331000000"
      "010200000020800000200102000000010000000008020000000100000000090200000000ff"));
  ASSERT_TRUE(c.has_value()) << c.error().message();
  EXPECT_EQ(c->CommandField, CommandField::CFindRsp);
  EXPECT_EQ(c->AffectedSOPClassUID, "1.2.840.10008.5.1.4.31");
  EXPECT_EQ(c->MessageIDBeingRespondedTo, 1);
  EXPECT_EQ(c->Status, 0xFF00);
  EXPECT_TRUE(c->has_data_set());
}

TEST(CommandGolden, DecodesDcmtkCancelRq) {
  auto c = decode_command(from_hex(
      "00000000040000001e0000000000000102000000ff0f0000200102000000010000000008020000000101"));
  ASSERT_TRUE(c.has_value()) << c.error().message();
  EXPECT_EQ(c->CommandField, CommandField::CCancelRq);
  EXPECT_EQ(c->MessageIDBeingRespondedTo, 1);
  EXPECT_FALSE(c->has_data_set());
  EXPECT_EQ(encode_command(make_c_cancel_rq(1)), encode_command(*c));
}

// Our responses to DCMTK's requests are byte-identical to the ones DCMTK's own SCPs sent.
TEST(CommandGolden, ResponsesMatchDcmtkScps) {
  const Command echo_rsp = make_c_echo_rsp(make_c_echo_rq(1), 0x0000);
  EXPECT_EQ(encode_command(echo_rsp),
            from_hex("0000000004000000420000000000020012000000312e322e3834302e31303030382e312e3100"
                     "00000001020000003080000020010200000001000000000802000000010100000009020000"
                     "000000"));
  const Command store_rsp = make_c_store_rsp(
      make_c_store_rq(1, "1.2.840.10008.5.1.4.1.1.2", "1.2.826.0.1.3680043.2.1125.9.1"), 0x0000);
  EXPECT_EQ(encode_command(store_rsp),
            from_hex("000000000400000070000000000002001a000000312e322e3834302e31303030382e352e31"
                     "2e342e312e312e320000000001020000000180000020010200000001000000000802000000"
                     "010100000009020000000000000000101e000000312e322e3832362e302e312e3336383030"
                     "34332e322e313132352e392e31"));
  const Command find_final = make_c_find_rsp(make_c_find_rq(1, "1.2.840.10008.5.1.4.31"), 0x0000);
  EXPECT_EQ(encode_command(find_final),
            from_hex("0000000004000000460000000000020016000000312e322e3834302e31303030382e352e31"
                     "2e342e333100000001020000002080000020010200000001000000000802000000010100000"
                     "009020000000000"));
}

TEST(CommandDecode, StripsUidPaddingOfNulAndSpace) {
  auto bytes = RawCommand{}
                   .text(0x0002, std::string("1.2.3\0", 6))
                   .us(0x0100, 0x0001)
                   .us(0x0110, 3)
                   .us(0x0800, 0x0000)
                   .text(0x1000, "1.2.3.4 ")
                   .with_group_length();
  auto c = decode_command(bytes);
  ASSERT_TRUE(c.has_value()) << c.error().message();
  EXPECT_EQ(c->AffectedSOPClassUID, "1.2.3");
  EXPECT_EQ(c->AffectedSOPInstanceUID, "1.2.3.4");
  EXPECT_TRUE(c->has_data_set());
}

TEST(CommandDecode, TrimsAeTitlesAndErrorCommentOnBothSides) {
  auto bytes = RawCommand{}
                   .us(0x0100, 0x8001)
                   .us(0x0120, 9)
                   .us(0x0800, kNoDataSet)
                   .us(0x0900, 0xA700)
                   .text(0x0902, "  disk full  ")
                   .text(0x1030, "  STORESCU        ")
                   .bytes();
  auto c = decode_command(bytes);
  ASSERT_TRUE(c.has_value()) << c.error().message();
  EXPECT_EQ(c->ErrorComment, "disk full");
  EXPECT_EQ(c->MoveOriginatorApplicationEntityTitle, "STORESCU");
  EXPECT_EQ(c->Status, 0xA700);
}

TEST(CommandDecode, GroupLengthIsOptional) {
  auto c = decode_command(echo_rq_body().bytes());
  ASSERT_TRUE(c.has_value()) << c.error().message();
  EXPECT_EQ(c->MessageID, 7);
}

TEST(CommandDecode, SkipsUnknownGroup0000Elements) {
  auto bytes = RawCommand{}
                   .element(0, 0x0001, {0x10, 0, 0, 0})  // retired CommandLengthToEnd
                   .us(0x0100, 0x0030)
                   .us(0x0110, 7)
                   .us(0x0800, kNoDataSet)
                   .text(0x1001, "1.2.3.4")  // RequestedSOPInstanceUID, not used here
                   .with_group_length();
  auto c = decode_command(bytes);
  ASSERT_TRUE(c.has_value()) << c.error().message();
  EXPECT_EQ(c->CommandField, CommandField::CEchoRq);
}

TEST(CommandDecode, OffendingElementKeepsFirstOfSeveralTags) {
  auto bytes = RawCommand{}
                   .us(0x0100, 0x8001)
                   .us(0x0120, 1)
                   .us(0x0800, kNoDataSet)
                   .us(0x0900, 0xC000)
                   // (0010,0020) then (0008,0018), each as two little-endian u16
                   .element(0, 0x0901, {0x10, 0x00, 0x20, 0x00, 0x08, 0x00, 0x18, 0x00})
                   .bytes();
  auto c = decode_command(bytes);
  ASSERT_TRUE(c.has_value()) << c.error().message();
  EXPECT_EQ(c->OffendingElement, 0x00100020u);
}

TEST(CommandDecode, ListedButUnimplementedCommandFieldStillDecodes) {
  // N-GET-RQ: the caller answers "unrecognized operation", which needs the MessageID.
  auto c = decode_command(RawCommand{}.us(0x0100, 0x0110).us(0x0110, 5).bytes());
  ASSERT_TRUE(c.has_value()) << c.error().message();
  EXPECT_EQ(c->CommandField, CommandField::NGetRq);
  EXPECT_EQ(c->MessageID, 5);
}

TEST(CommandDecode, AnyValueOtherThan0101AnnouncesADataSet) {
  for (uint16_t present : {0x0000, 0x0001, 0x0102, 0xFEFE}) {
    auto c = decode_command(RawCommand{}
                                .text(0x0002, "1.2.840.10008.5.1.4.31")
                                .us(0x0100, 0x0020)
                                .us(0x0110, 2)
                                .us(0x0700, 0)
                                .us(0x0800, present)
                                .bytes());
    ASSERT_TRUE(c.has_value()) << c.error().message();
    EXPECT_TRUE(c->has_data_set()) << present;
    EXPECT_EQ(c->CommandDataSetType, present);
  }
}

TEST(CommandDecode, MissingDataSetTypeMeansNoDataSet) {
  auto c = decode_command(RawCommand{}.us(0x0100, 0x0030).us(0x0110, 1).bytes());
  ASSERT_TRUE(c.has_value()) << c.error().message();
  EXPECT_FALSE(c->has_data_set());
}

TEST(CommandDecode, ErrorMessageNamesCategory) {
  auto r = decode_command(std::vector<uint8_t>{});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(std::string(dimse_category().name()), "dicom.dimse");
  EXPECT_NE(r.error().message().find("dicom.dimse"), std::string::npos);
}

// ---- error branches ------------------------------------------------------------------------

TEST(CommandDecodeErrors, TrailingBytesShorterThanAnElementHeader) {
  auto bytes = echo_rq_body().raw({0x00, 0x00, 0x00, 0x09, 0x02}).bytes();
  EXPECT_EQ(error_of(decode_command(bytes)), DimseErrc::truncated_element);
}

TEST(CommandDecodeErrors, ElementOutsideGroup0000) {
  auto bytes = echo_rq_body().element(0x0008, 0x0016, {'1', 0}).bytes();
  auto r = decode_command(bytes);
  EXPECT_EQ(error_of(r), DimseErrc::not_command_group);
  EXPECT_EQ(r.error().detail, "(0008,0016)");
}

TEST(CommandDecodeErrors, TagsOutOfOrder) {
  auto bytes = RawCommand{}.us(0x0110, 1).us(0x0100, 0x0030).bytes();
  EXPECT_EQ(error_of(decode_command(bytes)), DimseErrc::tags_not_ascending);
}

TEST(CommandDecodeErrors, DuplicateTag) {
  auto bytes = RawCommand{}.us(0x0100, 0x0030).us(0x0100, 0x0030).us(0x0110, 1).bytes();
  EXPECT_EQ(error_of(decode_command(bytes)), DimseErrc::tags_not_ascending);
}

TEST(CommandDecodeErrors, ValueRunsPastTheBuffer) {
  auto bytes = echo_rq_body().header_only(0, 0x0902, 10).raw({'a', 'b'}).bytes();
  EXPECT_EQ(error_of(decode_command(bytes)), DimseErrc::truncated_element);
  // An undefined length must not wrap any arithmetic either.
  auto undefined = echo_rq_body().header_only(0, 0x0902, 0xFFFFFFFF).bytes();
  EXPECT_EQ(error_of(decode_command(undefined)), DimseErrc::truncated_element);
}

TEST(CommandDecodeErrors, GroupLengthNotFourBytes) {
  auto body = echo_rq_body().bytes();
  std::vector<uint8_t> bytes = RawCommand{}.element(0, 0x0000, {0x1E, 0x00}).bytes();
  bytes.insert(bytes.end(), body.begin(), body.end());
  EXPECT_EQ(error_of(decode_command(bytes)), DimseErrc::bad_element_length);
}

TEST(CommandDecodeErrors, GroupLengthTooSmall) {
  EXPECT_EQ(error_of(decode_command(echo_rq_body().with_group_length(-2))),
            DimseErrc::group_length_mismatch);
}

TEST(CommandDecodeErrors, GroupLengthTooLarge) {
  EXPECT_EQ(error_of(decode_command(echo_rq_body().with_group_length(+10))),
            DimseErrc::group_length_mismatch);
}

TEST(CommandDecodeErrors, UsElementNotTwoBytes) {
  auto bytes = RawCommand{}.us(0x0100, 0x0030).element(0, 0x0110, {1, 0, 0, 0}).bytes();
  auto r = decode_command(bytes);
  EXPECT_EQ(error_of(r), DimseErrc::bad_element_length);
  EXPECT_NE(r.error().detail.find("(0000,0110)"), std::string::npos);
}

TEST(CommandDecodeErrors, OffendingElementNotMultipleOfFour) {
  auto base =
      RawCommand{}.us(0x0100, 0x8001).us(0x0120, 1).us(0x0800, kNoDataSet).us(0x0900, 0xC000);
  EXPECT_EQ(
      error_of(decode_command(RawCommand(base).element(0, 0x0901, {1, 0, 2, 0, 3, 0}).bytes())),
      DimseErrc::bad_element_length);
  EXPECT_EQ(error_of(decode_command(RawCommand(base).element(0, 0x0901, {}).bytes())),
            DimseErrc::bad_element_length);
}

TEST(CommandDecodeErrors, NoCommandField) {
  auto bytes = RawCommand{}.us(0x0110, 1).us(0x0800, kNoDataSet).with_group_length();
  EXPECT_EQ(error_of(decode_command(bytes)), DimseErrc::missing_command_field);
}

TEST(CommandDecodeErrors, EmptyBuffer) {
  EXPECT_EQ(error_of(decode_command(std::vector<uint8_t>{})), DimseErrc::missing_command_field);
}

TEST(CommandDecodeErrors, CommandFieldNotInEnum) {
  // 0x8100 would be N-EVENT-REPORT-RSP, which the enum does not list.
  for (uint16_t field : {0x0000, 0x0031, 0x8100, 0xFFFF}) {
    auto r = decode_command(RawCommand{}.us(0x0100, field).us(0x0110, 1).bytes());
    EXPECT_EQ(error_of(r), DimseErrc::unknown_command_field) << field;
  }
}

// ---- required fields (what PS3.7 §9.3 makes mandatory in what we receive) ----------------------

DimseErrc missing_field(const Result<Command>& r, const std::string& keyword) {
  const DimseErrc e = error_of(r);
  if (!r.has_value()) {
    EXPECT_EQ(r.error().detail, keyword);
  }
  return e;
}

TEST(CommandRequiredFields, CancelNeedsMessageIdBeingRespondedTo) {
  auto r = decode_command(RawCommand{}.us(0x0100, 0x0FFF).us(0x0110, 4).bytes());
  EXPECT_EQ(missing_field(r, "MessageIDBeingRespondedTo"), DimseErrc::missing_required_field);
  auto ok = decode_command(RawCommand{}.us(0x0100, 0x0FFF).us(0x0120, 4).bytes());
  ASSERT_TRUE(ok.has_value()) << ok.error().message();
  EXPECT_EQ(ok->MessageIDBeingRespondedTo, 4);
}

TEST(CommandRequiredFields, ResponseNeedsMessageIdBeingRespondedTo) {
  for (uint16_t field : {0x8001, 0x8010, 0x8020, 0x8021, 0x8030}) {
    auto r = decode_command(RawCommand{}.us(0x0100, field).us(0x0900, 0).bytes());
    EXPECT_EQ(missing_field(r, "MessageIDBeingRespondedTo"), DimseErrc::missing_required_field);
  }
}

TEST(CommandRequiredFields, ResponseNeedsStatus) {
  auto r = decode_command(RawCommand{}.us(0x0100, 0x8030).us(0x0120, 1).bytes());
  EXPECT_EQ(missing_field(r, "Status"), DimseErrc::missing_required_field);
}

TEST(CommandRequiredFields, RequestsNeedMessageId) {
  for (uint16_t field : {0x0001, 0x0020, 0x0030, 0x0021, 0x0150}) {
    auto r = decode_command(RawCommand{}
                                .text(0x0002, "1.2.3.4")
                                .us(0x0100, field)
                                .us(0x0800, 0x0000)
                                .text(0x1000, "1.2.3.4.5")
                                .bytes());
    EXPECT_EQ(missing_field(r, "MessageID"), DimseErrc::missing_required_field) << field;
  }
}

TEST(CommandRequiredFields, StoreAndFindNeedAffectedSopClass) {
  for (uint16_t field : {0x0001, 0x0020}) {
    auto r = decode_command(
        RawCommand{}.us(0x0100, field).us(0x0110, 1).us(0x0800, 0).text(0x1000, "1.2.3").bytes());
    EXPECT_EQ(missing_field(r, "AffectedSOPClassUID"), DimseErrc::missing_required_field);
  }
  // An all-padding UID counts as absent.
  auto r = decode_command(RawCommand{}
                              .text(0x0002, std::string("\0\0", 2))
                              .us(0x0100, 0x0020)
                              .us(0x0110, 1)
                              .us(0x0800, 0)
                              .bytes());
  EXPECT_EQ(missing_field(r, "AffectedSOPClassUID"), DimseErrc::missing_required_field);
}

TEST(CommandRequiredFields, StoreNeedsAffectedSopInstance) {
  auto r = decode_command(
      RawCommand{}.text(0x0002, "1.2.3").us(0x0100, 0x0001).us(0x0110, 1).us(0x0800, 0).bytes());
  EXPECT_EQ(missing_field(r, "AffectedSOPInstanceUID"), DimseErrc::missing_required_field);
}

TEST(CommandRequiredFields, StoreAndFindNeedDataSet) {
  auto store = decode_command(RawCommand{}
                                  .text(0x0002, "1.2.3")
                                  .us(0x0100, 0x0001)
                                  .us(0x0110, 1)
                                  .us(0x0800, kNoDataSet)
                                  .text(0x1000, "1.2.3.4")
                                  .bytes());
  EXPECT_EQ(missing_field(store, "CommandDataSetType"), DimseErrc::missing_required_field);
  // Absent CommandDataSetType means "no data set" too.
  auto find =
      decode_command(RawCommand{}.text(0x0002, "1.2.3").us(0x0100, 0x0020).us(0x0110, 1).bytes());
  EXPECT_EQ(missing_field(find, "CommandDataSetType"), DimseErrc::missing_required_field);
}

// ---- encoding ------------------------------------------------------------------------------

TEST(CommandEncode, PadsUidWithNulAndTextWithSpace) {
  Command c = make_c_store_rsp(make_c_store_rq(1, "1.2.3", "1.2.345"), 0xC000, "bad");
  c.MoveOriginatorApplicationEntityTitle = "ABC";
  auto bytes = encode_command(c);
  auto contains = [&](std::vector<uint8_t> needle) {
    return std::search(bytes.begin(), bytes.end(), needle.begin(), needle.end()) != bytes.end();
  };
  EXPECT_TRUE(contains({0x02, 0x00, 0x06, 0x00, 0x00, 0x00, '1', '.', '2', '.', '3', 0x00}));
  EXPECT_TRUE(contains({0x00, 0x10, 0x08, 0x00, 0x00, 0x00, '1', '.', '2', '.', '3', '4', '5', 0}));
  EXPECT_TRUE(contains({0x02, 0x09, 0x04, 0x00, 0x00, 0x00, 'b', 'a', 'd', ' '}));
  EXPECT_TRUE(contains({0x30, 0x10, 0x04, 0x00, 0x00, 0x00, 'A', 'B', 'C', ' '}));
  EXPECT_EQ(bytes.size() % 2, 0u);
}

TEST(CommandEncode, GroupLengthFirstAndTagsAscending) {
  Command c = make_c_store_rq(3, "1.2.840.10008.5.1.4.1.1.2", "1.2.3.4.5.6.7", Priority::High);
  c.MoveOriginatorApplicationEntityTitle = "MOVER";
  c.MoveOriginatorMessageID = 17;
  auto bytes = encode_command(c);
  ASSERT_GE(bytes.size(), 12u);
  EXPECT_EQ(bytes[2], 0x00);
  EXPECT_EQ(bytes[3], 0x00);
  const uint32_t group_length = bytes[8] | (bytes[9] << 8) | (bytes[10] << 16) | (bytes[11] << 24);
  EXPECT_EQ(group_length, bytes.size() - 12);
  uint16_t previous = 0;
  std::size_t offset = 12;
  while (offset + 8 <= bytes.size()) {
    const uint16_t element = static_cast<uint16_t>(bytes[offset + 2] | (bytes[offset + 3] << 8));
    const uint32_t length = bytes[offset + 4] | (bytes[offset + 5] << 8);
    EXPECT_GT(element, previous);
    previous = element;
    offset += 8 + length;
  }
  EXPECT_EQ(offset, bytes.size());
}

TEST(CommandEncode, AbsentFieldsAreNotWrittenButDataSetTypeAlwaysIs) {
  Command c;
  c.CommandField = CommandField::CEchoRq;
  c.MessageID = 1;
  auto bytes = encode_command(c);
  // group length + CommandField + MessageID + CommandDataSetType
  EXPECT_EQ(bytes.size(), 12u + 10u + 10u + 10u);
}

TEST(CommandEncode, EveryFieldRoundTrips) {
  Command c;
  c.CommandField = CommandField::CMoveRsp;
  c.AffectedSOPClassUID = "1.2.840.10008.5.1.4.1.2.2.2";
  c.RequestedSOPClassUID = "1.2.3";
  c.MessageIDBeingRespondedTo = 0xFFFF;
  c.MoveDestination = "DEST_AE";
  c.Priority = 2;
  c.CommandDataSetType = 0x0001;
  c.Status = 0xFF00;
  c.OffendingElement = 0x00100010;
  c.ErrorComment = "odd";
  c.AffectedSOPInstanceUID = "1.2.3.4.5";
  c.NumberOfRemainingSuboperations = 1;
  c.NumberOfCompletedSuboperations = 2;
  c.NumberOfFailedSuboperations = 3;
  c.NumberOfWarningSuboperations = 4;
  c.MoveOriginatorApplicationEntityTitle = "ORIG";
  c.MoveOriginatorMessageID = 9;
  auto back = decode_command(encode_command(c));
  ASSERT_TRUE(back.has_value()) << back.error().message();
  EXPECT_EQ(*back, c);
}

}  // namespace
}  // namespace acc::dicom::dimse
