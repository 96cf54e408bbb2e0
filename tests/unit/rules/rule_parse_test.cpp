// Rule files -> Rule values: the format of issue 5, accepted as written.
#include <gtest/gtest.h>

#include <string>

#include "rules/rule_set.hpp"
#include "tests/unit/rules/rule_test_support.hpp"

namespace acc::rules {
namespace {

using test::kCtImageStorage;
using test::kInstitutionName;
using test::kOperatorsName;
using test::kStationName;
using test::kStudyDescription;
using test::parse_ok;

constexpr std::string_view kIssueExample = R"toml([[rule]]
name = "CT from the ED scanner"
[rule.when]                      # all conditions must hold; a list means any of
calling_ae = ["CT_ED*"]          # wildcards * and ?
source = ["10.2.0.0/16"]         # peer address, CIDR
modality = ["CT"]
sop_class = ["CTImageStorage"]   # DCMTK keyword names or UIDs
tags = { StationName = "ED*", "0008,1030" = "re:^CHEST" }   # keyword or "gggg,eeee"; wildcard or re: regex
[rule.then]
route = ["pacs", "research"]     # destination names; default: all destinations
set = { InstitutionName = "General Hospital", StudyDescription = "${StudyDescription} (ED)" }
remove = ["OperatorsName"]
stamp = true                     # false: this source has MWL itself; never stamp
matching = { date_window_days = 1, on_unmatched = "forward" }
stop = true                      # do not evaluate later rules
)toml";

TEST(RuleParse, TheIssueExampleLoadsAsWritten) {
  const RuleSet set = parse_ok(kIssueExample);
  ASSERT_EQ(set.rules().size(), 1u);
  EXPECT_EQ(set.files(), std::vector<std::string>{"rules.toml"});
  const Rule& r = set.rules()[0];
  EXPECT_EQ(r.name, "CT from the ED scanner");
  EXPECT_EQ(r.file, "rules.toml");
  EXPECT_EQ(r.line, 1u);

  ASSERT_EQ(r.when.calling_ae.size(), 1u);
  EXPECT_EQ(r.when.calling_ae[0].text(), "CT_ED*");
  ASSERT_EQ(r.when.source.size(), 1u);
  EXPECT_EQ(r.when.source[0].text(), "10.2.0.0/16");
  ASSERT_EQ(r.when.modality.size(), 1u);
  EXPECT_EQ(r.when.modality[0].text(), "CT");
  EXPECT_EQ(r.when.sop_class, std::vector<std::string>{kCtImageStorage});
  ASSERT_EQ(r.when.tags.size(), 2u);
  // toml++ keeps keys in name order: "0008,1030" before "StationName".
  EXPECT_EQ(r.when.tags[0].first, kStudyDescription);
  EXPECT_EQ(r.when.tags[0].second.text(), "re:^CHEST");
  EXPECT_EQ(r.when.tags[1].first, kStationName);
  EXPECT_EQ(r.when.tags[1].second.text(), "ED*");

  EXPECT_EQ(r.then.route, (std::vector<std::string>{"pacs", "research"}));
  ASSERT_EQ(r.then.set.size(), 2u);
  EXPECT_EQ(r.then.set[0].tag, kInstitutionName);
  EXPECT_EQ(r.then.set[0].value_template, "General Hospital");
  EXPECT_EQ(r.then.set[0].parts, (std::vector<TemplatePart>{{"General Hospital", std::nullopt}}));
  EXPECT_EQ(r.then.set[1].tag, kStudyDescription);
  EXPECT_EQ(r.then.set[1].value_template, "${StudyDescription} (ED)");
  EXPECT_EQ(r.then.set[1].parts,
            (std::vector<TemplatePart>{{"", kStudyDescription}, {" (ED)", std::nullopt}}));
  EXPECT_EQ(r.then.remove, std::vector<dicom::data::Tag>{kOperatorsName});
  EXPECT_EQ(r.then.stamp, true);
  EXPECT_EQ(r.then.matching.date_window_days, 1u);
  EXPECT_EQ(r.then.matching.on_unmatched, config::UnmatchedPolicy::forward);
  EXPECT_FALSE(r.then.matching.on_ambiguous);
  EXPECT_FALSE(r.then.matching.existing_accession);
  EXPECT_TRUE(r.then.stop);
}

TEST(RuleParse, ASingleStringIsAOneElementList) {
  const RuleSet set = parse_ok(R"toml([[rule]]
name = "strings"
when.calling_ae = "CT*"
when.source = "10.0.0.0/8"
when.modality = "MR"
when.sop_class = "1.2.840.10008.5.1.4.1.1.4"
then.route = "archive"
then.remove = "OperatorsName"
)toml");
  ASSERT_EQ(set.rules().size(), 1u);
  const Rule& r = set.rules()[0];
  ASSERT_EQ(r.when.calling_ae.size(), 1u);
  EXPECT_EQ(r.when.calling_ae[0].text(), "CT*");
  ASSERT_EQ(r.when.source.size(), 1u);
  EXPECT_EQ(r.when.source[0].text(), "10.0.0.0/8");
  ASSERT_EQ(r.when.modality.size(), 1u);
  EXPECT_EQ(r.when.sop_class, std::vector<std::string>{test::kMrImageStorage});
  EXPECT_EQ(r.then.route, std::vector<std::string>{"archive"});
  EXPECT_EQ(r.then.remove, std::vector<dicom::data::Tag>{kOperatorsName});
}

TEST(RuleParse, DefaultsWhenKeysAreAbsent) {
  const RuleSet set = parse_ok(R"toml([[rule]]
name = "only a name"
)toml");
  ASSERT_EQ(set.rules().size(), 1u);
  const Rule& r = set.rules()[0];
  EXPECT_TRUE(r.when.calling_ae.empty());
  EXPECT_TRUE(r.when.source.empty());
  EXPECT_TRUE(r.when.modality.empty());
  EXPECT_TRUE(r.when.sop_class.empty());
  EXPECT_TRUE(r.when.tags.empty());
  EXPECT_FALSE(r.then.route);
  EXPECT_TRUE(r.then.set.empty());
  EXPECT_TRUE(r.then.remove.empty());
  EXPECT_FALSE(r.then.stamp);
  EXPECT_EQ(r.then.matching, MatchingOverrides{});
  EXPECT_FALSE(r.then.stop);
}

TEST(RuleParse, RulesKeepFileOrderAndHeaderLines) {
  const RuleSet set = parse_ok(R"toml([[rule]]
name = "first"

# a comment
[[rule]]
name = "second"
[rule.then]
stamp = false

[[rule]]
name = "third"
)toml");
  ASSERT_EQ(set.rules().size(), 3u);
  EXPECT_EQ(set.rules()[0].name, "first");
  EXPECT_EQ(set.rules()[0].line, 1u);
  EXPECT_EQ(set.rules()[1].name, "second");
  EXPECT_EQ(set.rules()[1].line, 5u);
  EXPECT_EQ(set.rules()[1].then.stamp, false);
  EXPECT_EQ(set.rules()[2].name, "third");
  EXPECT_EQ(set.rules()[2].line, 10u);
}

TEST(RuleParse, AnEmptyFileHasNoRules) {
  const RuleSet set = parse_ok("# nothing here yet\n");
  EXPECT_TRUE(set.rules().empty());
}

TEST(RuleParse, TagsByNumberAndMatchingKeysAtTheirLimits) {
  const RuleSet set = parse_ok(R"toml([[rule]]
name = "limits"
when.tags = { "(0008,1010)" = "X", "0018,0015" = "CHEST" }
then.set = { "0008,0080" = "${0008,1010}/${(0010,0020)}" }
then.matching = { date_window_days = 31, existing_accession = "overwrite", on_unmatched = "reject", on_ambiguous = "hold" }

[[rule]]
name = "zero window"
then.matching.date_window_days = 0
then.matching.existing_accession = "keep"
)toml");
  ASSERT_EQ(set.rules().size(), 2u);
  const Rule& r = set.rules()[0];
  ASSERT_EQ(r.when.tags.size(), 2u);
  EXPECT_EQ(r.when.tags[0].first, kStationName);
  EXPECT_EQ(r.when.tags[1].first, test::kBodyPart);
  ASSERT_EQ(r.then.set.size(), 1u);
  EXPECT_EQ(r.then.set[0].parts,
            (std::vector<TemplatePart>{{"", kStationName}, {"/", test::kPatientId}}));
  EXPECT_EQ(r.then.matching.date_window_days, 31u);
  EXPECT_EQ(r.then.matching.existing_accession, config::ExistingAccessionPolicy::overwrite);
  EXPECT_EQ(r.then.matching.on_unmatched, config::UnmatchedPolicy::reject);
  EXPECT_EQ(r.then.matching.on_ambiguous, config::UnmatchedPolicy::hold);
  EXPECT_EQ(set.rules()[1].then.matching.date_window_days, 0u);
  EXPECT_EQ(set.rules()[1].then.matching.existing_accession, config::ExistingAccessionPolicy::keep);
}

TEST(RuleParse, DuplicateRouteEntriesAreKeptOnce) {
  const RuleSet set = parse_ok(R"toml([[rule]]
name = "r"
then.route = ["pacs", "research", "pacs"]
)toml");
  ASSERT_EQ(set.rules().size(), 1u);
  EXPECT_EQ(set.rules()[0].then.route, (std::vector<std::string>{"pacs", "research"}));
}

TEST(RuleParse, ADollarWithoutBraceIsLiteral) {
  const RuleSet set = parse_ok(R"toml([[rule]]
name = "r"
then.set = { InstitutionName = "$5 $ {x} }" }
)toml");
  ASSERT_EQ(set.rules().size(), 1u);
  EXPECT_EQ(set.rules()[0].then.set[0].parts,
            (std::vector<TemplatePart>{{"$5 $ {x} }", std::nullopt}}));
}

}  // namespace
}  // namespace acc::rules
