// The Upper Layer error category and the A-ABORT reason each error is reported with.

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "dicom/ul/errc.hpp"

namespace acc::dicom::ul {
namespace {

TEST(UlErrc, CategoryIsNamedAndEveryCodeHasItsOwnMessage) {
  EXPECT_STREQ(ul_category().name(), "dicom.ul");
  const UlErrc all[] = {UlErrc::ok,
                        UlErrc::truncated,
                        UlErrc::unrecognized_pdu,
                        UlErrc::unexpected_pdu,
                        UlErrc::invalid_pdu_length,
                        UlErrc::pdu_too_large,
                        UlErrc::unrecognized_pdu_parameter,
                        UlErrc::unexpected_pdu_parameter,
                        UlErrc::invalid_pdu_parameter_value};
  std::vector<std::string> seen;
  for (const auto e : all) {
    const std::string message = make_error_code(e).message();
    EXPECT_FALSE(message.empty());
    EXPECT_EQ(std::count(seen.begin(), seen.end(), message), 0) << message;
    seen.push_back(message);
  }
  EXPECT_FALSE(make_error_code(static_cast<UlErrc>(99)).message().empty());
}

TEST(UlErrc, ConvertsToErrorCodeImplicitly) {
  const std::error_code ec = UlErrc::pdu_too_large;
  EXPECT_EQ(&ec.category(), &ul_category());
  EXPECT_TRUE(ec);
  const Error error = fail(UlErrc::truncated, "PDV header").error();
  EXPECT_EQ(error.message(), "dicom.ul: truncated PDU (PDV header)");
}

TEST(UlErrc, AbortReasonForEachCode) {
  EXPECT_EQ(abort_reason_for(UlErrc::unrecognized_pdu), AbortReason::UnrecognizedPdu);
  EXPECT_EQ(abort_reason_for(UlErrc::unexpected_pdu), AbortReason::UnexpectedPdu);
  EXPECT_EQ(abort_reason_for(UlErrc::unrecognized_pdu_parameter),
            AbortReason::UnrecognizedPduParameter);
  EXPECT_EQ(abort_reason_for(UlErrc::unexpected_pdu_parameter),
            AbortReason::UnexpectedPduParameter);
  for (const auto e : {UlErrc::truncated, UlErrc::invalid_pdu_length, UlErrc::pdu_too_large,
                       UlErrc::invalid_pdu_parameter_value}) {
    EXPECT_EQ(abort_reason_for(e), AbortReason::InvalidPduParameterValue);
  }
  EXPECT_EQ(abort_reason_for(UlErrc::ok), AbortReason::NotSpecified);
}

TEST(UlErrc, AbortReasonForForeignCategoryIsNotSpecified) {
  EXPECT_EQ(abort_reason_for(std::make_error_code(std::errc::connection_reset)),
            AbortReason::NotSpecified);
  // Same numeric value as unrecognized_pdu, other category.
  EXPECT_EQ(abort_reason_for(std::error_code(2, std::generic_category())),
            AbortReason::NotSpecified);
  EXPECT_EQ(abort_reason_for(std::error_code()), AbortReason::NotSpecified);
}

}  // namespace
}  // namespace acc::dicom::ul
