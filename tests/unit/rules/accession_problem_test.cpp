// Which RIS accession numbers may be stamped into an instance.
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "rules/worklist_match.hpp"

namespace acc::rules {
namespace {

struct AccessionCase {
  std::string accession;
  std::optional<std::string> problem;
};

class AccessionProblem : public ::testing::TestWithParam<AccessionCase> {};

TEST_P(AccessionProblem, NamesTheFirstProblemOrNone) {
  EXPECT_EQ(accession_problem(GetParam().accession), GetParam().problem)
      << "accession '" << GetParam().accession << "'";
}

INSTANTIATE_TEST_SUITE_P(
    Cases, AccessionProblem,
    ::testing::Values(
        AccessionCase{"ACC12345", std::nullopt}, AccessionCase{"1234567890123456", std::nullopt},
        AccessionCase{"  ACC1  ", std::nullopt},          // padding is not part of the value
        AccessionCase{"ÄÖÜ-ÄÖÜ-ÄÖÜ-ÄÖÜ-", std::nullopt},  // 16 characters, 28 UTF-8 bytes
        AccessionCase{"", "empty accession number"},
        AccessionCase{"    ", "empty accession number"},
        AccessionCase{"12345678901234567", "longer than 16 characters"},
        AccessionCase{"ÄÖÜ-ÄÖÜ-ÄÖÜ-ÄÖÜ-Ä", "longer than 16 characters"},
        AccessionCase{"ACC*", "contains a wildcard"}, AccessionCase{"AC?1", "contains a wildcard"},
        AccessionCase{"*", "contains a wildcard"},
        AccessionCase{"ACC1\\ACC2", "contains a backslash (multi-valued)"},
        AccessionCase{"ACC\t1", "contains control characters"},
        AccessionCase{"ACC1\n", "contains control characters"},
        AccessionCase{std::string("ACC\0"
                                  "1",
                                  5),
                      "contains control characters"},
        AccessionCase{"ACC\x1b(B1", "contains control characters"},
        AccessionCase{"ACC\x7f", "contains control characters"}));

TEST(OutcomeName, NamesEachOutcome) {
  EXPECT_STREQ(outcome_name(Outcome::Matched), "matched");
  EXPECT_STREQ(outcome_name(Outcome::Ambiguous), "ambiguous");
  EXPECT_STREQ(outcome_name(Outcome::Unmatched), "unmatched");
}

}  // namespace
}  // namespace acc::rules
