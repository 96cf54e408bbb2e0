// Evaluating rules: conditions, order, overrides and attribute changes.
#include <gtest/gtest.h>

#include <string>

#include "rules/rule_set.hpp"
#include "tests/unit/rules/rule_test_support.hpp"

namespace acc::rules {
namespace {

using test::evaluate;
using test::kInstitutionName;
using test::kOperatorsName;
using test::kPatientId;
using test::kStationName;
using test::kStudyDescription;
using test::parse_ok;
using test::Subject;

using Names = std::vector<std::string>;

// One rule "r" with the given [rule.when] body.
RuleSet when(const std::string& body) {
  return parse_ok(std::string("[[rule]]\nname = \"r\"\n[rule.when]\n").append(body).append("\n"));
}

bool matches(const RuleSet& rules, const Subject& subject = {}) {
  return evaluate(rules, subject).matched == Names{"r"};
}

TEST(RuleEval, NoRulesGiveTheDefaults) {
  const RuleOutcome out = evaluate(RuleSet{});
  EXPECT_TRUE(out.matched.empty());
  EXPECT_FALSE(out.route);
  EXPECT_TRUE(out.changes.empty());
  EXPECT_TRUE(out.stamp);
  EXPECT_EQ(out.matching, MatchingOverrides{});
}

TEST(RuleEval, NoMatchingRuleGivesTheDefaults) {
  const RuleSet rules = parse_ok(R"toml([[rule]]
name = "MR only"
when.modality = "MR"
then = { route = "research", stamp = false, set = { InstitutionName = "X" }, matching.on_unmatched = "reject" }
)toml");
  const RuleOutcome out = evaluate(rules);
  EXPECT_TRUE(out.matched.empty());
  EXPECT_FALSE(out.route);
  EXPECT_TRUE(out.changes.empty());
  EXPECT_TRUE(out.stamp);
  EXPECT_EQ(out.matching, MatchingOverrides{});
}

TEST(RuleEval, ARuleWithoutWhenMatchesEverything) {
  const RuleSet rules = parse_ok(R"toml([[rule]]
name = "all"
then.route = "archive"
)toml");
  Subject odd;
  odd.calling_ae = "";
  odd.peer = "garbage";
  odd.modality = "";
  odd.sop_class = "";
  odd.attributes.clear();
  const RuleOutcome out = evaluate(rules, odd);
  EXPECT_EQ(out.matched, Names{"all"});
  EXPECT_EQ(out.route, Names{"archive"});
}

TEST(RuleEval, CallingAe) {
  const RuleSet rules = when(R"toml(calling_ae = "CT_ED*")toml");
  Subject s;
  EXPECT_TRUE(matches(rules, s));
  s.calling_ae = "CT_ED1          ";  // AE titles arrive space-padded to 16
  EXPECT_TRUE(matches(rules, s));
  s.calling_ae = "CT_WARD1";
  EXPECT_FALSE(matches(rules, s));
  s.calling_ae = "ct_ed1";
  EXPECT_FALSE(matches(rules, s));
}

TEST(RuleEval, Source) {
  const RuleSet rules = when(R"toml(source = "10.2.0.0/16")toml");
  Subject s;
  EXPECT_TRUE(matches(rules, s));
  s.peer = "::ffff:10.2.9.9";
  EXPECT_TRUE(matches(rules, s));
  s.peer = "10.3.0.1";
  EXPECT_FALSE(matches(rules, s));
  s.peer = "2001:db8::1";
  EXPECT_FALSE(matches(rules, s));
  s.peer = "";
  EXPECT_FALSE(matches(rules, s));
}

TEST(RuleEval, SourceIpv6) {
  const RuleSet rules = when(R"toml(source = ["2001:db8:1::/48"])toml");
  Subject s;
  s.peer = "2001:db8:1::42";
  EXPECT_TRUE(matches(rules, s));
  s.peer = "2001:db8:2::42";
  EXPECT_FALSE(matches(rules, s));
}

TEST(RuleEval, Modality) {
  const RuleSet rules = when(R"toml(modality = "CT")toml");
  Subject s;
  EXPECT_TRUE(matches(rules, s));
  s.modality = "MR";
  EXPECT_FALSE(matches(rules, s));
  s.modality = "";
  EXPECT_FALSE(matches(rules, s));
}

TEST(RuleEval, SopClassByNameOrUid) {
  Subject s;
  EXPECT_TRUE(matches(when(R"toml(sop_class = "CTImageStorage")toml"), s));
  EXPECT_TRUE(matches(when(R"toml(sop_class = "1.2.840.10008.5.1.4.1.1.2")toml"), s));
  EXPECT_FALSE(matches(when(R"toml(sop_class = "MRImageStorage")toml"), s));
  s.sop_class = std::string(test::kCtImageStorage).append(1, '\0');  // UID padding
  EXPECT_TRUE(matches(when(R"toml(sop_class = "CTImageStorage")toml"), s));
}

TEST(RuleEval, TagsByKeywordNumberAndRegex) {
  Subject s;  // StationName "ED_CT_1", StudyDescription "CHEST PA"
  EXPECT_TRUE(matches(when(R"toml(tags = { StationName = "ED*" })toml"), s));
  EXPECT_FALSE(matches(when(R"toml(tags = { StationName = "WARD*" })toml"), s));
  EXPECT_TRUE(matches(when(R"toml(tags = { "0008,1030" = "re:^CHEST" })toml"), s));
  EXPECT_FALSE(matches(when(R"toml(tags = { "0008,1030" = "re:^PA" })toml"), s));
  EXPECT_TRUE(matches(when(R"toml(tags = { "0008,1030" = "re:PA$" })toml"), s));
}

TEST(RuleEval, AllTagsMustMatch) {
  const RuleSet rules =
      when(R"toml(tags = { StationName = "ED*", StudyDescription = "CHEST*" })toml");
  Subject s;
  EXPECT_TRUE(matches(rules, s));
  s.attributes[kStudyDescription] = "HEAD";
  EXPECT_FALSE(matches(rules, s));
}

TEST(RuleEval, AnAbsentAttributeMatchesNoPatternButAnEmptyOneMatchesStar) {
  const RuleSet rules = when(R"toml(tags = { BodyPartExamined = "*" })toml");
  Subject s;
  EXPECT_FALSE(matches(rules, s));
  s.attributes[test::kBodyPart] = "";
  EXPECT_TRUE(matches(rules, s));
}

TEST(RuleEval, AListMeansAnyOf) {
  Subject s;
  EXPECT_TRUE(matches(when(R"toml(calling_ae = ["MR*", "CT*"])toml"), s));
  EXPECT_FALSE(matches(when(R"toml(calling_ae = ["MR*", "US*"])toml"), s));
  EXPECT_TRUE(matches(when(R"toml(source = ["192.168.0.0/16", "10.2.3.4"])toml"), s));
  EXPECT_TRUE(matches(when(R"toml(modality = ["MR", "C?"])toml"), s));
  EXPECT_TRUE(matches(when(R"toml(sop_class = ["MRImageStorage", "CTImageStorage"])toml"), s));
  EXPECT_FALSE(matches(when(R"toml(sop_class = ["MRImageStorage", "1.2.3"])toml"), s));
}

TEST(RuleEval, AllConditionsCombinedMustEachHold) {
  const RuleSet rules = when(R"toml(calling_ae = ["CT_ED*"]
source = ["10.2.0.0/16"]
modality = ["CT"]
sop_class = ["CTImageStorage"]
tags = { StationName = "ED*", "0008,1030" = "re:^CHEST" })toml");
  const Subject good;
  EXPECT_TRUE(matches(rules, good));

  Subject s = good;
  s.calling_ae = "MR1";
  EXPECT_FALSE(matches(rules, s)) << "calling_ae";
  s = good;
  s.peer = "10.9.0.1";
  EXPECT_FALSE(matches(rules, s)) << "source";
  s = good;
  s.modality = "MR";
  EXPECT_FALSE(matches(rules, s)) << "modality";
  s = good;
  s.sop_class = test::kMrImageStorage;
  EXPECT_FALSE(matches(rules, s)) << "sop_class";
  s = good;
  s.attributes[kStationName] = "WARD";
  EXPECT_FALSE(matches(rules, s)) << "StationName";
  s = good;
  s.attributes.erase(kStudyDescription);
  EXPECT_FALSE(matches(rules, s)) << "StudyDescription";
}

TEST(RuleEval, EveryMatchingRuleInOrderUntilStop) {
  const RuleSet rules = parse_ok(R"toml([[rule]]
name = "one"
when.modality = "CT"
then.route = "pacs"

[[rule]]
name = "not me"
when.modality = "MR"
then.route = "archive"

[[rule]]
name = "two, stops"
when.calling_ae = "CT*"
then = { route = "research", stop = true }

[[rule]]
name = "never reached"
then = { route = "archive", stamp = false, set = { InstitutionName = "X" } }
)toml");
  const RuleOutcome out = evaluate(rules);
  EXPECT_EQ(out.matched, (Names{"one", "two, stops"}));
  EXPECT_EQ(out.route, (Names{"pacs", "research"}));
  EXPECT_TRUE(out.stamp);
  EXPECT_TRUE(out.changes.empty());

  Subject mr;
  mr.modality = "MR";
  mr.calling_ae = "MR1";
  const RuleOutcome other = evaluate(rules, mr);
  EXPECT_EQ(other.matched, (Names{"not me", "never reached"}));
  EXPECT_EQ(other.route, Names{"archive"});
  EXPECT_FALSE(other.stamp);
}

TEST(RuleEval, AStopRuleThatDoesNotMatchStopsNothing) {
  const RuleSet rules = parse_ok(R"toml([[rule]]
name = "MR stop"
when.modality = "MR"
then.stop = true
[[rule]]
name = "after"
)toml");
  EXPECT_EQ(evaluate(rules).matched, Names{"after"});
}

TEST(RuleEval, LaterRulesOverrideStampMatchingAndAttributes) {
  const RuleSet rules = parse_ok(R"toml([[rule]]
name = "site"
[rule.then]
stamp = false
matching = { date_window_days = 1, on_unmatched = "forward", on_ambiguous = "hold" }
set = { InstitutionName = "General Hospital", StationName = "S1" }

[[rule]]
name = "ED"
[rule.then]
stamp = true
matching = { date_window_days = 3, existing_accession = "verify" }
set = { InstitutionName = "General Hospital ED" }

[[rule]]
name = "says nothing"
)toml");
  const RuleOutcome out = evaluate(rules);
  EXPECT_EQ(out.matched, (Names{"site", "ED", "says nothing"}));
  EXPECT_TRUE(out.stamp);
  EXPECT_EQ(out.matching.date_window_days, 3u);
  EXPECT_EQ(out.matching.existing_accession, config::ExistingAccessionPolicy::verify);
  EXPECT_EQ(out.matching.on_unmatched,
            config::UnmatchedPolicy::forward);  // kept from "site": per key
  EXPECT_EQ(out.matching.on_ambiguous, config::UnmatchedPolicy::hold);
  EXPECT_FALSE(out.route);
  ASSERT_EQ(out.changes.size(), 2u);
  EXPECT_EQ(out.changes[0],
            (AttributeChange{kInstitutionName, "St. Elsewhere", "General Hospital ED", "ED"}));
  EXPECT_EQ(out.changes[1], (AttributeChange{kStationName, "ED_CT_1", "S1", "site"}));
}

TEST(RuleEval, RoutesAccumulateWithoutDuplicatesInFirstMentionOrder) {
  const RuleSet rules = parse_ok(R"toml([[rule]]
name = "a"
then.route = ["research", "pacs"]
[[rule]]
name = "b"
[[rule]]
name = "c"
then.route = ["archive", "research"]
)toml");
  EXPECT_EQ(evaluate(rules).route, (Names{"research", "pacs", "archive"}));
}

TEST(RuleEval, RemoveAndSetOverrideEachOther) {
  const RuleSet rules = parse_ok(R"toml([[rule]]
name = "remove first"
then = { remove = ["StationName"], set = { InstitutionName = "A" } }
[[rule]]
name = "then set"
then = { set = { StationName = "NEW" }, remove = ["InstitutionName"] }
)toml");
  const RuleOutcome out = evaluate(rules);
  ASSERT_EQ(out.changes.size(), 2u);
  EXPECT_EQ(out.changes[0],
            (AttributeChange{kInstitutionName, "St. Elsewhere", std::nullopt, "then set"}));
  EXPECT_EQ(out.changes[1], (AttributeChange{kStationName, "ED_CT_1", "NEW", "then set"}));
}

TEST(RuleEval, ALaterNoOpCancelsAnEarlierChange) {
  const RuleSet rules = parse_ok(R"toml([[rule]]
name = "rename"
then.set = { StationName = "OTHER" }
[[rule]]
name = "keep"
then.set = { StationName = "ED_CT_1" }
)toml");
  EXPECT_TRUE(evaluate(rules).changes.empty());
}

TEST(RuleEval, ChangesAreOnePerTagInTagOrder) {
  const RuleSet rules = parse_ok(R"toml([[rule]]
name = "many"
[rule.then]
set = { PatientID = "P", StationName = "S", InstitutionName = "I", "0008,1030" = "D" }
remove = ["OperatorsName"]
)toml");
  Subject s;
  s.attributes[kOperatorsName] = "Smith^J";
  const RuleOutcome out = evaluate(rules, s);
  ASSERT_EQ(out.changes.size(), 5u);
  EXPECT_EQ(out.changes[0].tag, kInstitutionName);   // (0008,0080)
  EXPECT_EQ(out.changes[1].tag, kStationName);       // (0008,1010)
  EXPECT_EQ(out.changes[2].tag, kStudyDescription);  // (0008,1030)
  EXPECT_EQ(out.changes[3].tag, kOperatorsName);     // (0008,1070)
  EXPECT_EQ(out.changes[3].before, "Smith^J");
  EXPECT_FALSE(out.changes[3].after);
  EXPECT_EQ(out.changes[4].tag, kPatientId);  // (0010,0020)
  for (const auto& c : out.changes) {
    EXPECT_EQ(c.rule, "many");
  }
}

TEST(RuleEval, SettingTheIncomingValueOrRemovingAnAbsentOneIsNoChange) {
  const RuleSet rules = parse_ok(R"toml([[rule]]
name = "no-ops"
then = { set = { InstitutionName = "St. Elsewhere", StationName = "${StationName}" }, remove = ["OperatorsName"] }
)toml");
  const RuleOutcome out = evaluate(rules);
  EXPECT_EQ(out.matched, Names{"no-ops"});
  EXPECT_TRUE(out.changes.empty());
}

TEST(RuleEval, SettingAnAbsentAttributeRecordsNoBefore) {
  const RuleSet rules = parse_ok(R"toml([[rule]]
name = "add"
then.set = { OperatorsName = "Tech^A" }
)toml");
  const RuleOutcome out = evaluate(rules);
  ASSERT_EQ(out.changes.size(), 1u);
  EXPECT_EQ(out.changes[0], (AttributeChange{kOperatorsName, std::nullopt, "Tech^A", "add"}));
}

TEST(RuleEval, TemplatesExpandKeywordsAndNumbers) {
  const RuleSet rules = parse_ok(R"toml([[rule]]
name = "expand"
[rule.then.set]
StudyDescription = "${StudyDescription} (ED)"
InstitutionName = "${0008,1010}/${(0010,0020)}/${OperatorsName}."
)toml");
  const RuleOutcome out = evaluate(rules);
  ASSERT_EQ(out.changes.size(), 2u);
  // An absent attribute (OperatorsName) expands to "".
  EXPECT_EQ(out.changes[0],
            (AttributeChange{kInstitutionName, "St. Elsewhere", "ED_CT_1/PAT1/.", "expand"}));
  EXPECT_EQ(out.changes[1],
            (AttributeChange{kStudyDescription, "CHEST PA", "CHEST PA (ED)", "expand"}));
}

TEST(RuleEval, TemplatesExpandIncomingValuesNotEarlierChanges) {
  const RuleSet rules = parse_ok(R"toml([[rule]]
name = "first"
then.set = { StationName = "CHANGED", StudyDescription = "${StationName}" }
[[rule]]
name = "second"
then.set = { InstitutionName = "${StationName} ${StudyDescription}" }
)toml");
  const RuleOutcome out = evaluate(rules);
  ASSERT_EQ(out.changes.size(), 3u);
  EXPECT_EQ(out.changes[0].after, "ED_CT_1 CHEST PA");
  EXPECT_EQ(out.changes[1].after, "CHANGED");
  EXPECT_EQ(out.changes[2].after, "ED_CT_1");
}

TEST(RuleEval, MultiValuedAttributesExpandAsTheyCame) {
  const RuleSet rules = parse_ok(R"toml([[rule]]
name = "copy"
then.set = { StudyDescription = "${StationName}" }
)toml");
  Subject s;
  s.attributes[kStationName] = "A\\B";
  const RuleOutcome out = evaluate(rules, s);
  ASSERT_EQ(out.changes.size(), 1u);
  EXPECT_EQ(out.changes[0].after, "A\\B");
}

TEST(RuleEval, EachAttributeIsReadOnceHoweverManyRulesAskForIt) {
  std::string toml;
  for (int i = 0; i < 50; ++i) {
    toml.append("[[rule]]\nname = \"r").append(std::to_string(i)).append("\"\n");
    toml += "when.tags = { StationName = \"ED*\", PatientID = \"PAT?\" }\n";
    toml += "then.set = { StudyDescription = \"${StationName} ${StudyDescription}\" }\n";
  }
  const RuleSet rules = parse_ok(toml);
  Subject s;
  const RuleOutcome out = evaluate(rules, s);
  EXPECT_EQ(out.matched.size(), 50u);
  ASSERT_EQ(out.changes.size(), 1u);
  EXPECT_EQ(out.changes[0].rule, "r49");
  EXPECT_EQ(*s.lookups, 3);  // StationName, PatientID, StudyDescription
}

TEST(RuleEval, ASubjectWithoutAttributeReaderSeesEverythingAbsent) {
  const RuleSet rules = parse_ok(R"toml([[rule]]
name = "needs a tag"
when.tags = { StationName = "*" }
[[rule]]
name = "sets"
then.set = { StudyDescription = "[${StudyDescription}]" }
)toml");
  RuleSubject bare;
  bare.modality = "CT";
  const RuleOutcome out = rules.evaluate(bare);
  EXPECT_EQ(out.matched, Names{"sets"});
  ASSERT_EQ(out.changes.size(), 1u);
  EXPECT_EQ(out.changes[0], (AttributeChange{kStudyDescription, std::nullopt, "[]", "sets"}));
}

}  // namespace
}  // namespace acc::rules
