// UIDs from the wire, checked against PS3.5 §9.1 (issue 12: a UID is data, never a path).
#include <gtest/gtest.h>

#include <string>

#include "dicom/data/uid.hpp"

namespace acc::dicom::data {
namespace {

TEST(Uid, ConformingUidsPass) {
  for (const char* uid : {"0", "1.2", "1.2.840.10008.1.2.1", "2.25.0", "1.0.0.10",
                          "2.25.329800735698586629295641978511506172918"}) {
    EXPECT_EQ(uid_fault(uid), UidFault::none) << uid;
    EXPECT_TRUE(is_uid(uid)) << uid;
  }
  EXPECT_TRUE(is_uid(std::string(64, '1')));
}

TEST(Uid, EachFaultIsNamed) {
  EXPECT_EQ(uid_fault(""), UidFault::empty);
  EXPECT_EQ(uid_fault(std::string(65, '1')), UidFault::too_long);
  EXPECT_EQ(uid_fault(".1.2"), UidFault::empty_component);
  EXPECT_EQ(uid_fault("1.2."), UidFault::empty_component);
  EXPECT_EQ(uid_fault("1..2"), UidFault::empty_component);
  EXPECT_EQ(uid_fault("."), UidFault::empty_component);
  EXPECT_EQ(uid_fault(".."), UidFault::empty_component);
  EXPECT_EQ(uid_fault("1.02"), UidFault::leading_zero);
  EXPECT_EQ(uid_fault("00"), UidFault::leading_zero);
  EXPECT_EQ(uid_fault("../../etc/passwd"), UidFault::empty_component);
  EXPECT_EQ(uid_fault("1.2/3"), UidFault::not_digit_or_dot);
  EXPECT_EQ(uid_fault("/etc/passwd"), UidFault::not_digit_or_dot);
  EXPECT_EQ(uid_fault("1.2.3 "), UidFault::not_digit_or_dot);
  EXPECT_EQ(uid_fault(std::string("1.2\0.3", 6)), UidFault::not_digit_or_dot);
  EXPECT_EQ(uid_fault("1.2.x"), UidFault::not_digit_or_dot);
}

TEST(Uid, EveryFaultHasAReasonThatFitsAnErrorComment) {
  for (const auto fault : {UidFault::empty, UidFault::too_long, UidFault::empty_component,
                           UidFault::leading_zero, UidFault::not_digit_or_dot}) {
    const std::string comment = "SOP Instance UID has " + std::string(describe(fault));
    EXPECT_LE(comment.size(), 64u) << comment;  // Error Comment is LO
  }
}

}  // namespace
}  // namespace acc::dicom::data
