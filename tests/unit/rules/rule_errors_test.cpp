// Rule file validation: every mistake is rejected at load with file:line:column and one line of
// reason, and every mistake of a file is reported, not only the first.
#include <gtest/gtest.h>

#include <string>

#include "rules/rule_set.hpp"
#include "tests/unit/rules/rule_test_support.hpp"

namespace acc::rules {
namespace {

using test::contains;
using test::only_error;
using test::parse_errors;

#define EXPECT_AT(error, l, c)                           \
  do {                                                   \
    EXPECT_EQ((error).file, "rules.toml");               \
    EXPECT_EQ((error).line, l) << (error).to_string();   \
    EXPECT_EQ((error).column, c) << (error).to_string(); \
  } while (0)

#define EXPECT_SAYS(error, text) EXPECT_TRUE(contains((error).message, text)) << (error).to_string()

TEST(RuleErrors, TomlSyntaxErrorHasItsPosition) {
  const auto e = only_error(R"toml([[rule]]
name = "x"
stamp = 
)toml");
  EXPECT_EQ(e.line, 3u) << e.to_string();
  EXPECT_GE(e.column, 8u) << e.to_string();
  EXPECT_FALSE(e.message.empty());
}

TEST(RuleErrors, ToStringIsFileLineColumnMessage) {
  const RuleError e{"rules.d/10-ct.toml", 4, 7, "something is wrong"};
  EXPECT_EQ(e.to_string(), "rules.d/10-ct.toml:4:7: something is wrong");
}

TEST(RuleErrors, TopLevelOnlyAllowsRule) {
  const auto errors = parse_errors(R"toml(destination = "pacs"
[[rule]]
name = "x"

[rules]
name = "y"
)toml");
  ASSERT_EQ(errors.size(), 2u) << test::describe(errors);
  EXPECT_AT(errors[0], 1u, 1u);
  EXPECT_SAYS(errors[0], "unknown key 'destination'; the top level only allows [[rule]]");
  EXPECT_AT(errors[1], 5u, 2u);
  EXPECT_SAYS(errors[1], "unknown table 'rules'; the top level only allows [[rule]]");
}

TEST(RuleErrors, RuleMustBeAnArrayOfTables) {
  const auto e = only_error(R"toml(
[rule]
name = "x"
)toml");
  EXPECT_AT(e, 2u, 1u);
  EXPECT_SAYS(e, "write each rule as a [[rule]] table");

  const auto f = only_error(R"toml(rule = "x")toml");
  EXPECT_AT(f, 1u, 8u);
  EXPECT_SAYS(f, "rule: expected array of tables");
}

TEST(RuleErrors, UnknownKeysAtEveryLevel) {
  const auto errors = parse_errors(R"toml([[rule]]
name = "x"
priority = 1
[rule.when]
callingae = "CT*"
[rule.then]
stamp = true
forward = true
matching = { window = 2 }
)toml");
  ASSERT_EQ(errors.size(), 4u) << test::describe(errors);
  EXPECT_AT(errors[0], 3u, 1u);
  EXPECT_SAYS(errors[0], "unknown key 'rule[0].priority' (allowed: name, when, then)");
  EXPECT_AT(errors[1], 5u, 1u);
  EXPECT_SAYS(errors[1], "unknown key 'rule[0].when.callingae' (allowed: calling_ae,");
  EXPECT_AT(errors[2], 8u, 1u);
  EXPECT_SAYS(errors[2], "unknown key 'rule[0].then.forward'");
  EXPECT_AT(errors[3], 9u, 14u);
  EXPECT_SAYS(errors[3], "unknown key 'rule[0].then.matching.window' (allowed: date_window_days,");
}

TEST(RuleErrors, NameIsRequired) {
  const auto e = only_error(R"toml([[rule]]
name = "a"

[[rule]]
then.stamp = false
)toml");
  EXPECT_AT(e, 4u, 1u);
  EXPECT_SAYS(e, "rule[1]: missing required key 'name'");
}

TEST(RuleErrors, NameMustBeANonEmptyString) {
  const auto errors = parse_errors(R"toml([[rule]]
name = 7
[[rule]]
name = ""
)toml");
  ASSERT_EQ(errors.size(), 2u) << test::describe(errors);
  EXPECT_AT(errors[0], 2u, 8u);
  EXPECT_SAYS(errors[0], "rule[0].name: expected string, got integer");
  EXPECT_AT(errors[1], 4u, 8u);
  EXPECT_SAYS(errors[1], "must not be empty");
}

TEST(RuleErrors, NamesAreUnique) {
  const auto e = only_error(R"toml([[rule]]
name = "ct"
[[rule]]
name = "mr"
[[rule]]
name = "ct"
)toml");
  EXPECT_AT(e, 6u, 8u);
  EXPECT_SAYS(e, "rule name 'ct' is already used at rules.toml:1");
}

TEST(RuleErrors, WrongTypes) {
  const auto errors = parse_errors(R"toml([[rule]]
name = "types"
when = "always"
then.stamp = "yes"
then.stop = 1
then.set = ["InstitutionName"]
then.matching = "strict"
[[rule]]
name = "more types"
when.calling_ae = 5
when.modality = ["CT", 6]
when.tags = "StationName"
then.route = { pacs = true }
then.set = { InstitutionName = 1 }
then.matching.date_window_days = "1"
then.matching.on_unmatched = true
)toml");
  ASSERT_EQ(errors.size(), 12u) << test::describe(errors);
  EXPECT_AT(errors[0], 3u, 8u);
  EXPECT_SAYS(errors[0], "rule[0].when: expected table, got string");
  EXPECT_AT(errors[1], 4u, 14u);
  EXPECT_SAYS(errors[1], "rule[0].then.stamp: expected boolean, got string");
  EXPECT_AT(errors[2], 5u, 13u);
  EXPECT_SAYS(errors[2], "rule[0].then.stop: expected boolean, got integer");
  EXPECT_AT(errors[3], 6u, 12u);
  EXPECT_SAYS(errors[3], "rule[0].then.set: expected table of attribute = value, got array");
  EXPECT_AT(errors[4], 7u, 17u);
  EXPECT_SAYS(errors[4], "rule[0].then.matching: expected table, got string");
  EXPECT_AT(errors[5], 10u, 19u);
  EXPECT_SAYS(errors[5],
              "rule[1].when.calling_ae: expected string or array of strings, got integer");
  EXPECT_AT(errors[6], 11u, 24u);
  EXPECT_SAYS(errors[6], "rule[1].when.modality[1]: expected string, got integer");
  EXPECT_AT(errors[7], 12u, 13u);
  EXPECT_SAYS(errors[7], "rule[1].when.tags: expected table");
  EXPECT_AT(errors[8], 13u, 14u);
  EXPECT_SAYS(errors[8], "rule[1].then.route: expected string or array of strings, got table");
  EXPECT_AT(errors[9], 14u, 32u);
  EXPECT_SAYS(errors[9], "rule[1].then.set.InstitutionName: expected string, got integer");
  EXPECT_AT(errors[10], 15u, 34u);
  EXPECT_SAYS(errors[10], "date_window_days: expected integer 0..31, got string");
  EXPECT_AT(errors[11], 16u, 30u);
  EXPECT_SAYS(errors[11], "on_unmatched: expected string, got boolean");
}

TEST(RuleErrors, EmptyListsAreMistakes) {
  const auto errors = parse_errors(R"toml([[rule]]
name = "empty"
when.calling_ae = []
when.source = []
then.route = []
)toml");
  ASSERT_EQ(errors.size(), 3u) << test::describe(errors);
  EXPECT_AT(errors[0], 3u, 19u);
  EXPECT_SAYS(errors[0], "an empty list matches nothing");
  EXPECT_AT(errors[1], 4u, 15u);
  EXPECT_AT(errors[2], 5u, 14u);
  EXPECT_SAYS(errors[2], "an empty route sends nowhere");
}

TEST(RuleErrors, UnknownDestination) {
  const auto e = only_error(R"toml([[rule]]
name = "r"
[rule.then]
route = ["pacs", "pcas"]
)toml");
  EXPECT_AT(e, 4u, 18u);
  EXPECT_SAYS(
      e, "rule[0].then.route[1]: unknown destination 'pcas' (configured: archive, pacs, research)");
}

TEST(RuleErrors, UnknownDestinationWhenNoneAreConfigured) {
  auto result = RuleSet::parse("[[rule]]\nname = \"r\"\nthen.route = \"pacs\"\n", "x.toml", {});
  ASSERT_TRUE(std::holds_alternative<std::vector<RuleError>>(result));
  const auto& errors = std::get<std::vector<RuleError>>(result);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].to_string(),
            "x.toml:3:14: rule[0].then.route: unknown destination 'pacs' (no destinations are "
            "configured)");
}

TEST(RuleErrors, TagKeywordsMustBeInTheDictionary) {
  const auto errors = parse_errors(R"toml([[rule]]
name = "tags"
[rule.when]
tags = { StationName = "ED*", Stationname = "x", "0008,101" = "y", "0008,1O10" = "z" }
)toml");
  ASSERT_EQ(errors.size(), 3u) << test::describe(errors);
  // toml++ visits keys in name order; the errors come back in column order.
  EXPECT_AT(errors[0], 4u, 31u);
  EXPECT_SAYS(errors[0], "unknown attribute keyword 'Stationname' (not in the DICOM dictionary");
  EXPECT_AT(errors[1], 4u, 50u);
  EXPECT_SAYS(errors[1], "malformed tag '0008,101' (expected gggg,eeee in hex)");
  EXPECT_AT(errors[2], 4u, 68u);
  EXPECT_SAYS(errors[2], "malformed tag '0008,1O10'");
}

TEST(RuleErrors, TheSameAttributeTwiceInTags) {
  const auto e = only_error(R"toml([[rule]]
name = "tags"
when.tags = { StationName = "A", "0008,1010" = "B" }
)toml");
  EXPECT_EQ(e.line, 3u);
  EXPECT_SAYS(e, "the same attribute as StationName given twice");
}

TEST(RuleErrors, BadRegex) {
  const auto errors = parse_errors(R"toml([[rule]]
name = "re"
when.calling_ae = ["CT*", "re:(CT"]
when.tags = { StudyDescription = "re:[A-" }
)toml");
  ASSERT_EQ(errors.size(), 2u) << test::describe(errors);
  EXPECT_AT(errors[0], 3u, 27u);
  EXPECT_SAYS(errors[0], "rule[0].when.calling_ae[1]: invalid regular expression");
  EXPECT_AT(errors[1], 4u, 34u);
  EXPECT_SAYS(errors[1], "rule[0].when.tags.StudyDescription: invalid regular expression");
}

TEST(RuleErrors, BadCidr) {
  const auto errors = parse_errors(R"toml([[rule]]
name = "net"
when.source = ["10.2.0.0/16", "10.2.0.0/33", "10.2.3.4/16", "ed-scanner"]
)toml");
  ASSERT_EQ(errors.size(), 3u) << test::describe(errors);
  EXPECT_AT(errors[0], 3u, 31u);
  EXPECT_SAYS(errors[0], "rule[0].when.source[1]: '10.2.0.0/33': prefix length must be 0..32");
  EXPECT_AT(errors[1], 3u, 46u);
  EXPECT_SAYS(errors[1], "host bits are set; the network is 10.2.0.0/16");
  EXPECT_AT(errors[2], 3u, 61u);
  EXPECT_SAYS(errors[2], "'ed-scanner': not an IPv4 or IPv6 address");
}

TEST(RuleErrors, UnknownSopClass) {
  const auto errors = parse_errors(R"toml([[rule]]
name = "sop"
when.sop_class = ["CTImageStorage", "CtImageStorage", "1.2.840.10008.5.1.4.1.1.2.", "1.2.3"]
)toml");
  ASSERT_EQ(errors.size(), 2u) << test::describe(errors);
  EXPECT_AT(errors[0], 3u, 37u);
  EXPECT_SAYS(errors[0], "rule[0].when.sop_class[1]: unknown SOP class 'CtImageStorage'");
  EXPECT_AT(errors[1], 3u, 55u);
  EXPECT_SAYS(errors[1], "unknown SOP class '1.2.840.10008.5.1.4.1.1.2.'");
}

TEST(RuleErrors, ProtectedAttributesCannotBeSetOrRemoved) {
  const auto errors = parse_errors(R"toml([[rule]]
name = "protected"
[rule.then]
set = { SOPInstanceUID = "1.2.3", "7fe0,0010" = "", StationName = "ok" }
remove = ["OperatorsName", "SpecificCharacterSet", "0002,0010"]
)toml");
  ASSERT_EQ(errors.size(), 4u) << test::describe(errors);
  EXPECT_AT(errors[0], 4u, 9u);
  EXPECT_SAYS(errors[0], "rule[0].then.set.SOPInstanceUID: cannot set SOPInstanceUID: ");
  EXPECT_AT(errors[1], 4u, 35u);
  EXPECT_SAYS(errors[1], "cannot set PixelData: pixel data");
  EXPECT_AT(errors[2], 5u, 28u);
  EXPECT_SAYS(errors[2], "rule[0].then.remove[1]: cannot remove SpecificCharacterSet: ");
  EXPECT_AT(errors[3], 5u, 52u);
  EXPECT_SAYS(errors[3], "cannot remove TransferSyntaxUID: file meta information");
}

TEST(RuleErrors, TheSameTagInSetAndRemove) {
  const auto e = only_error(R"toml([[rule]]
name = "both"
[rule.then]
set = { StationName = "X" }
remove = ["OperatorsName", "0008,1010"]
)toml");
  EXPECT_AT(e, 5u, 28u);
  EXPECT_SAYS(e, "rule[0].then.remove[1]: StationName is both set and removed by this rule");
}

TEST(RuleErrors, TheSameTagTwiceInSet) {
  const auto e = only_error(R"toml([[rule]]
name = "twice"
then.set = { StationName = "X", "0008,1010" = "Y" }
)toml");
  EXPECT_EQ(e.line, 3u);
  EXPECT_SAYS(e, "the same attribute as StationName set twice");
}

TEST(RuleErrors, SetAndRemoveNeedKnownAttributes) {
  const auto errors = parse_errors(R"toml([[rule]]
name = "unknown"
then.set = { Institution = "X" }
then.remove = ["Operator"]
)toml");
  ASSERT_EQ(errors.size(), 2u) << test::describe(errors);
  EXPECT_AT(errors[0], 3u, 14u);
  EXPECT_SAYS(errors[0], "unknown attribute keyword 'Institution'");
  EXPECT_AT(errors[1], 4u, 16u);
  EXPECT_SAYS(errors[1], "unknown attribute keyword 'Operator'");
}

TEST(RuleErrors, MatchingValuesOutsideTheirRanges) {
  const auto errors = parse_errors(R"toml([[rule]]
name = "matching"
[rule.then.matching]
date_window_days = 32
existing_accession = "replace"
on_unmatched = "drop"
on_ambiguous = "Hold"
[[rule]]
name = "negative"
then.matching.date_window_days = -1
)toml");
  ASSERT_EQ(errors.size(), 5u) << test::describe(errors);
  EXPECT_AT(errors[0], 4u, 20u);
  EXPECT_SAYS(errors[0],
              "rule[0].then.matching.date_window_days: 32 is out of range (allowed 0..31)");
  EXPECT_AT(errors[1], 5u, 22u);
  EXPECT_SAYS(errors[1], "existing_accession: 'replace' is not one of keep, verify, overwrite");
  EXPECT_AT(errors[2], 6u, 16u);
  EXPECT_SAYS(errors[2], "on_unmatched: 'drop' is not one of hold, forward, reject");
  EXPECT_AT(errors[3], 7u, 16u);
  EXPECT_SAYS(errors[3], "on_ambiguous: 'Hold' is not one of hold, forward, reject");
  EXPECT_AT(errors[4], 10u, 34u);
  EXPECT_SAYS(errors[4], "-1 is out of range (allowed 0..31)");
}

TEST(RuleErrors, TemplatesReferenceKnownAttributesAndAreTerminated) {
  const auto errors = parse_errors(R"toml([[rule]]
name = "templates"
[rule.then.set]
StudyDescription = "${StudyDescriptin} (ED)"
InstitutionName = "${InstitutionName"
StationName = "${}"
OperatorsName = "${0008,1070}${0008,107}"
)toml");
  ASSERT_EQ(errors.size(), 4u) << test::describe(errors);
  EXPECT_AT(errors[0], 4u, 20u);
  EXPECT_SAYS(errors[0], "'${StudyDescriptin}' names no attribute");
  EXPECT_AT(errors[1], 5u, 19u);
  EXPECT_SAYS(errors[1], "rule[0].then.set.InstitutionName: unterminated '${' at offset 0");
  EXPECT_AT(errors[2], 6u, 15u);
  EXPECT_SAYS(errors[2], "empty '${}'");
  EXPECT_AT(errors[3], 7u, 17u);
  EXPECT_SAYS(errors[3], "'${0008,107}' names no attribute");
}

TEST(RuleErrors, ControlCharactersInSetValues) {
  const auto errors = parse_errors(R"toml([[rule]]
name = "control"
then.set = { InstitutionName = "General\nHospital", StationName = "A\tB", StudyDescription = "ok\\fine" }
)toml");
  ASSERT_EQ(errors.size(), 2u) << test::describe(errors);
  EXPECT_AT(errors[0], 3u, 32u);
  EXPECT_SAYS(errors[0], "the value contains a control character ('\\x0A' at offset 7)");
  EXPECT_AT(errors[1], 3u, 67u);
  EXPECT_SAYS(errors[1], "('\\x09' at offset 1)");
}

TEST(RuleErrors, EveryErrorOfAFileInSourceOrderAndNoRuleSurvives) {
  const auto errors = parse_errors(R"toml([[rule]]
name = "good"

[[rule]]
name = "bad"
when.modality = 1
then.route = ["nowhere"]
then.stamp = "no"
)toml");
  ASSERT_EQ(errors.size(), 3u) << test::describe(errors);
  EXPECT_EQ(errors[0].line, 6u);
  EXPECT_EQ(errors[1].line, 7u);
  EXPECT_EQ(errors[2].line, 8u);
}

}  // namespace
}  // namespace acc::rules
