// The DA/TM parsing and text helpers worklist matching relies on.
#include "rules/dicom_text.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string_view>
#include <vector>

namespace acc::rules::detail {
namespace {

TEST(ParseDa, CountsCalendarDaysAcrossMonthsYearsAndLeapDays) {
  EXPECT_EQ(parse_da("19700101"), 0);
  EXPECT_EQ(*parse_da("20240101") - *parse_da("20231231"), 1);
  EXPECT_EQ(*parse_da("20240301") - *parse_da("20240228"), 2);  // 2024 is a leap year
  EXPECT_EQ(*parse_da("20230301") - *parse_da("20230228"), 1);
  EXPECT_EQ(*parse_da("20250101") - *parse_da("20240101"), 366);
  EXPECT_TRUE(parse_da("20000229").has_value());  // divisible by 400
  EXPECT_TRUE(parse_da("00010101").has_value());
  EXPECT_TRUE(parse_da("99991231").has_value());
}

TEST(ParseDa, RejectsEverythingButAValidYyyymmdd) {
  for (const std::string_view bad :
       {"", "2024010", "202401071", "2024-01-07", "2024.01.07", "20241301", "20240001", "20240100",
        "20240132", "20230229", "19000229", "20240431", "00000101", "2024O107", " 20240107",
        "20240107-20240108"}) {
    EXPECT_FALSE(parse_da(bad).has_value()) << bad;
  }
}

TEST(ParseTm, AcceptsTheTruncatedFormsAndFractionsOfPs35) {
  EXPECT_EQ(parse_tm("10"), 10LL * 3600 * 1'000'000);
  EXPECT_EQ(parse_tm("1030"), (10LL * 3600 + 30 * 60) * 1'000'000);
  EXPECT_EQ(parse_tm("103015"), (10LL * 3600 + 30 * 60 + 15) * 1'000'000);
  EXPECT_EQ(*parse_tm("103015.5") - *parse_tm("103015"), 500'000);
  EXPECT_EQ(*parse_tm("103015.000001") - *parse_tm("103015"), 1);
  EXPECT_EQ(parse_tm("000000"), 0);
  EXPECT_TRUE(parse_tm("235960").has_value());  // leap second
}

TEST(ParseTm, RejectsMalformedTimes) {
  for (const std::string_view bad :
       {"", "1", "103", "10301", "1030150", "24", "2400", "1060", "103061", "10:30:15", "1030.5",
        "103015.", "103015.1234567", "103015.5a", "ab"}) {
    EXPECT_FALSE(parse_tm(bad).has_value()) << bad;
  }
}

TEST(FormatDuration, SaysTheLargestUnitsAndDropsZeroParts) {
  EXPECT_EQ(format_duration(0), "0 s");
  EXPECT_EQ(format_duration(400'000), "<1 s");
  EXPECT_EQ(format_duration(45'000'000), "45 s");
  EXPECT_EQ(format_duration(5'400'000'000), "1 h 30 min");
  EXPECT_EQ(format_duration(-5'400'000'000), "1 h 30 min");
  EXPECT_EQ(format_duration(97'200'000'000), "1 d 3 h");
}

TEST(TrimSpaces, RemovesOnlySpacePadding) {
  EXPECT_EQ(trim_spaces("  PAT1 "), "PAT1");
  EXPECT_EQ(trim_spaces("   "), "");
  EXPECT_EQ(trim_spaces("A B"), "A B");
  EXPECT_EQ(trim_spaces("\tPAT1"), "\tPAT1");
}

TEST(SplitValues, SplitsOnBackslashTrimsAndDropsEmptyValues) {
  EXPECT_EQ(split_values("PT\\CT"), (std::vector<std::string_view>{"PT", "CT"}));
  EXPECT_EQ(split_values(" PT \\\\CT "), (std::vector<std::string_view>{"PT", "CT"}));
  EXPECT_EQ(split_values("CT"), (std::vector<std::string_view>{"CT"}));
  EXPECT_TRUE(split_values("").empty());
  EXPECT_TRUE(split_values("\\").empty());
}

}  // namespace
}  // namespace acc::rules::detail
