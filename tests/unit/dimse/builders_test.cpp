// Builders for the commands we send (PS3.7 §9.3): field contents and encode/decode round trips.
#include <gtest/gtest.h>

#include <string>

#include "dicom/dimse/command.hpp"
#include "dicom/dimse/status.hpp"

namespace acc::dicom::dimse {
namespace {

constexpr const char* kCtImage = "1.2.840.10008.5.1.4.1.1.2";
constexpr const char* kMwlFind = "1.2.840.10008.5.1.4.31";
constexpr const char* kInstance = "1.2.826.0.1.3680043.2.1125.1.12345678901234567";

Command round_trip(const Command& c) {
  auto back = decode_command(encode_command(c));
  EXPECT_TRUE(back.has_value()) << back.error().message();
  return back.value_or(Command{});
}

TEST(Builders, EchoRq) {
  Command c = make_c_echo_rq(42);
  EXPECT_EQ(c.CommandField, CommandField::CEchoRq);
  EXPECT_EQ(c.AffectedSOPClassUID, "1.2.840.10008.1.1");
  EXPECT_EQ(c.MessageID, 42);
  EXPECT_FALSE(c.has_data_set());
  EXPECT_EQ(round_trip(c), c);
}

TEST(Builders, EchoRspAnswersTheRequest) {
  Command c = make_c_echo_rsp(make_c_echo_rq(42), status::kSuccess);
  EXPECT_EQ(c.CommandField, CommandField::CEchoRsp);
  EXPECT_TRUE(c.is_response());
  EXPECT_EQ(c.AffectedSOPClassUID, "1.2.840.10008.1.1");
  EXPECT_EQ(c.MessageIDBeingRespondedTo, 42);
  EXPECT_FALSE(c.MessageID.has_value());
  EXPECT_EQ(c.Status, status::kSuccess);
  EXPECT_EQ(c.CommandDataSetType, kNoDataSet);
  EXPECT_EQ(round_trip(c), c);
}

TEST(Builders, EchoRspFillsVerificationClassWhenRequestLackedIt) {
  Command rq = make_c_echo_rq(1);
  rq.AffectedSOPClassUID.clear();
  EXPECT_EQ(make_c_echo_rsp(rq, 0).AffectedSOPClassUID, "1.2.840.10008.1.1");
}

TEST(Builders, StoreRq) {
  Command c = make_c_store_rq(7, kCtImage, kInstance, Priority::Low);
  EXPECT_EQ(c.CommandField, CommandField::CStoreRq);
  EXPECT_EQ(c.AffectedSOPClassUID, kCtImage);
  EXPECT_EQ(c.AffectedSOPInstanceUID, kInstance);
  EXPECT_EQ(c.MessageID, 7);
  EXPECT_EQ(c.Priority, 0x0002);
  EXPECT_EQ(c.CommandDataSetType, 0x0001);
  EXPECT_TRUE(c.has_data_set());
  EXPECT_EQ(round_trip(c), c);
  EXPECT_EQ(make_c_store_rq(1, kCtImage, kInstance).Priority, 0x0000);
}

TEST(Builders, StoreRspCopiesClassAndInstance) {
  Command rq = make_c_store_rq(7, kCtImage, kInstance);
  Command c = make_c_store_rsp(rq, status::kSuccess);
  EXPECT_EQ(c.CommandField, CommandField::CStoreRsp);
  EXPECT_EQ(c.AffectedSOPClassUID, kCtImage);
  EXPECT_EQ(c.AffectedSOPInstanceUID, kInstance);
  EXPECT_EQ(c.MessageIDBeingRespondedTo, 7);
  EXPECT_EQ(c.Status, status::kSuccess);
  EXPECT_FALSE(c.has_data_set());
  EXPECT_TRUE(c.ErrorComment.empty());
  EXPECT_EQ(round_trip(c), c);
}

TEST(Builders, StoreRspErrorCommentTruncatedTo64) {
  Command rq = make_c_store_rq(7, kCtImage, kInstance);
  Command c = make_c_store_rsp(rq, status::kOutOfResources, std::string(100, 'x'));
  EXPECT_EQ(c.ErrorComment, std::string(64, 'x'));
  EXPECT_EQ(round_trip(c), c);
  Command short_comment = make_c_store_rsp(rq, status::kCannotUnderstand, "parse error");
  EXPECT_EQ(round_trip(short_comment).ErrorComment, "parse error");
}

TEST(Builders, FindRq) {
  Command c = make_c_find_rq(9, kMwlFind, Priority::High);
  EXPECT_EQ(c.CommandField, CommandField::CFindRq);
  EXPECT_EQ(c.AffectedSOPClassUID, kMwlFind);
  EXPECT_EQ(c.MessageID, 9);
  EXPECT_EQ(c.Priority, 0x0001);
  EXPECT_EQ(c.CommandDataSetType, 0x0001);
  EXPECT_EQ(round_trip(c), c);
}

TEST(Builders, FindRspPendingCarriesIdentifier) {
  Command rq = make_c_find_rq(9, kMwlFind);
  for (uint16_t s : {status::kPending, status::kPendingWarning}) {
    Command c = make_c_find_rsp(rq, s);
    EXPECT_EQ(c.CommandField, CommandField::CFindRsp);
    EXPECT_EQ(c.AffectedSOPClassUID, kMwlFind);
    EXPECT_EQ(c.MessageIDBeingRespondedTo, 9);
    EXPECT_EQ(c.Status, s);
    EXPECT_EQ(c.CommandDataSetType, 0x0001);
    EXPECT_EQ(round_trip(c), c);
  }
}

TEST(Builders, FindRspFinalHasNoIdentifier) {
  Command rq = make_c_find_rq(9, kMwlFind);
  for (uint16_t s :
       {status::kSuccess, status::kCancel, status::kOutOfResources, uint16_t{0xC001}}) {
    Command c = make_c_find_rsp(rq, s);
    EXPECT_EQ(c.CommandDataSetType, kNoDataSet) << s;
    EXPECT_EQ(round_trip(c), c);
  }
}

TEST(Builders, CancelRq) {
  Command c = make_c_cancel_rq(9);
  EXPECT_EQ(c.CommandField, CommandField::CCancelRq);
  EXPECT_EQ(c.MessageIDBeingRespondedTo, 9);
  EXPECT_FALSE(c.MessageID.has_value());
  EXPECT_FALSE(c.has_data_set());
  EXPECT_FALSE(c.is_response());
  EXPECT_EQ(round_trip(c), c);
}

}  // namespace
}  // namespace acc::dicom::dimse
