// Value patterns (DICOM wildcards, "re:" regexes) and the file-name globs of rule patterns.
#include <gtest/gtest.h>

#include <string>

#include "rules/rule_detail.hpp"
#include "rules/rule_set.hpp"

namespace acc::rules {
namespace {

ValuePattern pattern(const std::string& text) {
  std::string why;
  auto p = ValuePattern::parse(text, why);
  EXPECT_TRUE(p) << text << ": " << why;
  return p ? std::move(*p) : ValuePattern{};
}

TEST(ValuePattern, LiteralMatchesTheWholeValueOnly) {
  const auto p = pattern("CT");
  EXPECT_TRUE(p.matches("CT"));
  EXPECT_FALSE(p.matches("CTX"));
  EXPECT_FALSE(p.matches("XCT"));
  EXPECT_FALSE(p.matches(""));
  EXPECT_EQ(p.text(), "CT");
}

TEST(ValuePattern, WildcardsAreCaseSensitive) {
  EXPECT_FALSE(pattern("ct").matches("CT"));
  EXPECT_FALSE(pattern("CT_ED*").matches("ct_ed1"));
  EXPECT_TRUE(pattern("CT_ED*").matches("CT_ED1"));
}

TEST(ValuePattern, StarMatchesAnyRunIncludingNone) {
  const auto p = pattern("CT_ED*");
  EXPECT_TRUE(p.matches("CT_ED"));
  EXPECT_TRUE(p.matches("CT_ED_SCANNER_2"));
  EXPECT_FALSE(p.matches("CT_E"));
  EXPECT_TRUE(pattern("*").matches(""));
  EXPECT_TRUE(pattern("*").matches("anything"));
  EXPECT_TRUE(pattern("*HEAD*").matches("CT HEAD W/O"));
  EXPECT_TRUE(pattern("a*b*c").matches("aXXbYYbZc"));
  EXPECT_FALSE(pattern("a*b*c").matches("aXXbYYbZ"));
  EXPECT_TRUE(pattern("**x").matches("x"));
}

TEST(ValuePattern, QuestionMarkIsExactlyOneCharacter) {
  const auto p = pattern("CT?");
  EXPECT_TRUE(p.matches("CT1"));
  EXPECT_FALSE(p.matches("CT"));
  EXPECT_FALSE(p.matches("CT12"));
  EXPECT_TRUE(pattern("?*?").matches("ab"));
  EXPECT_FALSE(pattern("?*?").matches("a"));
}

TEST(ValuePattern, RegexSearchesAnywhereUnlessAnchored) {
  EXPECT_TRUE(pattern("re:CHEST").matches("CT CHEST"));
  EXPECT_TRUE(pattern("re:^CHEST").matches("CHEST PA"));
  EXPECT_FALSE(pattern("re:^CHEST").matches("CT CHEST"));
  EXPECT_TRUE(pattern("re:^(CT|MR)$").matches("MR"));
  EXPECT_FALSE(pattern("re:^(CT|MR)$").matches("MRI"));
  // Wildcard characters mean regex things after "re:".
  EXPECT_TRUE(pattern("re:C.?T").matches("CT"));
  EXPECT_EQ(pattern("re:^CHEST").text(), "re:^CHEST");
}

TEST(ValuePattern, InvalidRegexIsRejectedWithAReason) {
  std::string why;
  EXPECT_FALSE(ValuePattern::parse("re:(unclosed", why));
  EXPECT_NE(why.find("invalid regular expression"), std::string::npos) << why;
  why.clear();
  EXPECT_FALSE(ValuePattern::parse("re:[z-a]", why));
  EXPECT_FALSE(why.empty());
}

TEST(ValuePattern, BracketsAreLiteralWithoutRePrefix) {
  // Only "re:" makes a regex: "[" in a wildcard pattern is an ordinary character.
  const auto p = pattern("A[1]");
  EXPECT_TRUE(p.matches("A[1]"));
  EXPECT_FALSE(p.matches("A1"));
}

TEST(ValuePattern, VeryLongValuesNeverMatchARegex) {
  // The cap protects the worker's stack from libstdc++'s recursive matcher.
  const std::string long_value(100000, 'a');
  EXPECT_FALSE(pattern("re:a").matches(long_value));
  EXPECT_TRUE(pattern("*").matches(long_value));
}

TEST(Glob, HasGlobChars) {
  EXPECT_TRUE(detail::has_glob_chars("*.toml"));
  EXPECT_TRUE(detail::has_glob_chars("rule?.toml"));
  EXPECT_TRUE(detail::has_glob_chars("[0-9]0-x.toml"));
  EXPECT_FALSE(detail::has_glob_chars("rules.toml"));
}

TEST(Glob, StarsAndQuestionMarks) {
  EXPECT_TRUE(detail::glob_match("*.toml", "10-ct.toml"));
  EXPECT_FALSE(detail::glob_match("*.toml", "10-ct.toml~"));
  EXPECT_FALSE(detail::glob_match("*.toml", "10-ct.TOML"));
  EXPECT_TRUE(detail::glob_match("rule?.toml", "rule1.toml"));
  EXPECT_FALSE(detail::glob_match("rule?.toml", "rule12.toml"));
}

TEST(Glob, CharacterClasses) {
  EXPECT_TRUE(detail::glob_match("[0-9]*.toml", "10-ct.toml"));
  EXPECT_FALSE(detail::glob_match("[0-9]*.toml", "ct.toml"));
  EXPECT_TRUE(detail::glob_match("[ab]x", "bx"));
  EXPECT_FALSE(detail::glob_match("[ab]x", "cx"));
  EXPECT_TRUE(detail::glob_match("[!ab]x", "cx"));
  EXPECT_FALSE(detail::glob_match("[^ab]x", "ax"));
  EXPECT_TRUE(detail::glob_match("[]]x", "]x"));
  EXPECT_TRUE(detail::glob_match("*[0-9].toml", "rules-2024.toml"));
  // An unclosed '[' is an ordinary character.
  EXPECT_TRUE(detail::glob_match("[ab", "[ab"));
  EXPECT_FALSE(detail::glob_match("[ab", "a"));
}

}  // namespace
}  // namespace acc::rules
