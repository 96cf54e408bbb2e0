// [accession] (the issuer stamped next to the accession number) and [matching] (what to do with
// what the worklist says): per-key rules, cross-key rules, and where errors are reported.

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "tests/unit/config/config_test_util.hpp"

namespace acc::config {
namespace {

using testing::expect_error;
using testing::Failure;
using testing::parse_failure;
using testing::parse_ok;

using Groups = std::vector<std::vector<std::string>>;

// ---- [accession] ----------------------------------------------------------------------------

TEST(ConfigAccession, DefaultsAreALocalNamespaceOnly) {
  for (const RouterConfig& c : {embedded_default(), parse_ok("")}) {
    EXPECT_EQ(c.accession.issuer_local_namespace, "RIS");
    EXPECT_EQ(c.accession.issuer_universal_id, "");
    EXPECT_EQ(c.accession.issuer_universal_id_type, "");
  }
}

TEST(ConfigAccession, ReadsEveryKey) {
  const RouterConfig c = parse_ok(R"(
[accession]
issuer_local_namespace = "HOSP_RIS"
issuer_universal_id = "1.2.826.0.1.3680043.10.1234"
issuer_universal_id_type = "ISO"
)");
  EXPECT_EQ(c.accession.issuer_local_namespace, "HOSP_RIS");
  EXPECT_EQ(c.accession.issuer_universal_id, "1.2.826.0.1.3680043.10.1234");
  EXPECT_EQ(c.accession.issuer_universal_id_type, "ISO");
}

TEST(ConfigAccession, UniversalIdAloneIsEnough) {
  const RouterConfig c = parse_ok(
      "[accession]\nissuer_local_namespace = \"\"\nissuer_universal_id = \"ris.example.org\"\n"
      "issuer_universal_id_type = \"DNS\"\n");
  EXPECT_EQ(c.accession.issuer_local_namespace, "");
  EXPECT_EQ(c.accession.issuer_universal_id, "ris.example.org");
}

TEST(ConfigAccession, EveryUniversalIdTypeAccepted) {
  for (const std::string type : {"DNS", "EUI64", "ISO", "URI", "UUID", "X400", "X500"}) {
    const RouterConfig c = parse_ok(
        "[accession]\nissuer_universal_id = \"x\"\n"
        "issuer_universal_id_type = \"" +
        type + "\"\n");
    EXPECT_EQ(c.accession.issuer_universal_id_type, type);
  }
}

TEST(ConfigAccession, UnknownUniversalIdTypeListsTheChoices) {
  const Failure f = parse_failure(
      "[accession]\nissuer_universal_id = \"1.2.3\"\nissuer_universal_id_type = \"OID\"\n");
  ASSERT_TRUE(f.thrown);
  // The bad type, not the pairing rule it breaks (which would point at line 2).
  EXPECT_EQ(f.line, 3u);
  EXPECT_EQ(f.message.rfind("accession.issuer_universal_id_type: \"OID\" is not one of DNS, EUI64, "
                            "ISO, URI, UUID, X400, X500",
                            0),
            0u)
      << f.message;
}

TEST(ConfigAccession, LowerCaseUniversalIdTypeGetsASuggestion) {
  expect_error("[accession]\nissuer_universal_id = \"1.2.3\"\nissuer_universal_id_type = \"iso\"\n",
               3, "did you mean 'ISO'?");
}

TEST(ConfigAccession, UniversalIdWithoutTypeIsReportedAtTheId) {
  const Failure f = parse_failure(
      "[accession]\nissuer_local_namespace = \"RIS\"\nissuer_universal_id = \"1.2.3\"\n");
  ASSERT_TRUE(f.thrown);
  EXPECT_EQ(f.line, 3u);
  EXPECT_EQ(f.column, 23u);
  EXPECT_EQ(f.message,
            "accession.issuer_universal_id: requires issuer_universal_id_type (one of DNS, EUI64, "
            "ISO, URI, UUID, X400, X500)");
}

TEST(ConfigAccession, EmptyTypeMeansNotSet) {
  const RouterConfig c =
      parse_ok("[accession]\nissuer_universal_id = \"\"\nissuer_universal_id_type = \"\"\n");
  EXPECT_EQ(c.accession.issuer_universal_id_type, "");
  expect_error("[accession]\nissuer_universal_id = \"1.2.3\"\nissuer_universal_id_type = \"\"\n", 2,
               "requires issuer_universal_id_type");
}

TEST(ConfigAccession, TypeWithoutUniversalIdIsReportedAtTheType) {
  expect_error(
      "[accession]\n# issuer_universal_id = \"1.2.3\"\nissuer_universal_id_type = \"ISO\"\n", 3,
      "accession.issuer_universal_id_type: \"ISO\" is set but issuer_universal_id is "
      "empty; set both or neither");
}

TEST(ConfigAccession, BothIdsEmptyIsReportedAtTheTableHeader) {
  const Failure f =
      parse_failure("[log]\nlevel = \"info\"\n\n[accession]\nissuer_local_namespace = \"\"\n");
  ASSERT_TRUE(f.thrown);
  EXPECT_EQ(f.line, 4u);
  EXPECT_EQ(f.column, 1u);
  EXPECT_NE(f.message.find("accession: issuer_local_namespace and issuer_universal_id are both "
                           "empty; set at least one"),
            std::string::npos)
      << f.message;
}

TEST(ConfigAccession, BothIdsEmptyWithDottedKeyIsReportedAtTheKey) {
  expect_error("log.level = \"info\"\n\naccession.issuer_local_namespace = \"\"\n", 3,
               "are both empty");
}

TEST(ConfigAccession, SixtyFourCharactersAcceptedSixtyFiveRejected) {
  const std::string ok(64, 'N');
  const std::string long_one(65, 'N');
  EXPECT_EQ(parse_ok("[accession]\nissuer_local_namespace = \"" + ok + "\"\n")
                .accession.issuer_local_namespace,
            ok);
  expect_error("[accession]\nissuer_local_namespace = \"" + long_one + "\"\n", 2,
               "accession.issuer_local_namespace: \"NNNN");
  expect_error("[accession]\nissuer_local_namespace = \"" + long_one + "\"\n", 2,
               "is 65 characters long");
  EXPECT_EQ(parse_ok("[accession]\nissuer_universal_id = \"" + ok +
                     "\"\nissuer_universal_id_type = \"URI\"\n")
                .accession.issuer_universal_id,
            ok);
  expect_error("[accession]\nissuer_universal_id = \"" + long_one +
                   "\"\nissuer_universal_id_type = \"URI\"\n",
               2, "accession.issuer_universal_id: \"NNNN");
}

TEST(ConfigAccession, BackslashRejectedInBothIds) {
  expect_error("[accession]\nissuer_local_namespace = 'RIS\\A'\n", 2,
               "accession.issuer_local_namespace: \"RIS\\\\A\" contains a backslash at position 4");
  expect_error(
      "[accession]\nissuer_universal_id = 'CN=a\\,b'\nissuer_universal_id_type = "
      "\"X500\"\n",
      2, "accession.issuer_universal_id: \"CN=a\\\\,b\" contains a backslash");
}

TEST(ConfigAccession, ControlAndNonAsciiCharactersRejected) {
  expect_error("[accession]\nissuer_local_namespace = \"RIS\\tA\"\n", 2,
               "contains byte 0x09 at position 4");
  expect_error("[accession]\nissuer_local_namespace = \"RIS\\u007F\"\n", 2, "contains byte 0x7F");
  expect_error("[accession]\nissuer_local_namespace = \"R\\u00D6NTGEN\"\n", 2,
               "contains byte 0xC3 at position 2");
}

TEST(ConfigAccession, UnknownKeyGetsASuggestion) {
  expect_error("[accession]\nissuer_universal_idtype = \"ISO\"\n", 2,
               "unknown key 'accession.issuer_universal_idtype'; did you mean "
               "'issuer_universal_id_type'?");
  expect_error("[accession]\nissuer = \"RIS\"\n", 2, "unknown key 'accession.issuer'");
}

TEST(ConfigAccession, WrongTypeNamesTheKey) {
  expect_error("[accession]\nissuer_universal_id = 1.2\n", 2,
               "accession.issuer_universal_id: expected string, got float 1.2");
  expect_error("accession = \"RIS\"\n", 1, "accession: expected table, got string");
}

// ---- [matching] -----------------------------------------------------------------------------

TEST(ConfigMatching, DefaultsFromTheHeader) {
  const MatchingConfig defaults;
  for (const RouterConfig& c : {embedded_default(), parse_ok("[matching]\n")}) {
    EXPECT_EQ(c.matching.date_window_days, defaults.date_window_days);
    EXPECT_EQ(c.matching.existing_accession, ExistingAccessionPolicy::keep);
    EXPECT_EQ(c.matching.on_unmatched, UnmatchedPolicy::hold);
    EXPECT_EQ(c.matching.on_ambiguous, UnmatchedPolicy::hold);
    EXPECT_EQ(c.matching.hold_s, defaults.hold_s);
    EXPECT_EQ(c.matching.after_hold, AfterHoldPolicy::forward);
    EXPECT_TRUE(c.matching.modality_aliases.empty());
  }
}

TEST(ConfigMatching, ReadsEveryKey) {
  const RouterConfig c = parse_ok(R"(
[matching]
date_window_days = 3
existing_accession = "overwrite"
on_unmatched = "reject"
on_ambiguous = "forward"
hold_s = 0
after_hold = "quarantine"
modality_aliases = [["PT", "PET"], ["CR", "DX", "DR"]]
)");
  EXPECT_EQ(c.matching.date_window_days, 3u);
  EXPECT_EQ(c.matching.existing_accession, ExistingAccessionPolicy::overwrite);
  EXPECT_EQ(c.matching.on_unmatched, UnmatchedPolicy::reject);
  EXPECT_EQ(c.matching.on_ambiguous, UnmatchedPolicy::forward);
  EXPECT_EQ(c.matching.hold_s, 0u);
  EXPECT_EQ(c.matching.after_hold, AfterHoldPolicy::quarantine);
  EXPECT_EQ(c.matching.modality_aliases, (Groups{{"PT", "PET"}, {"CR", "DX", "DR"}}));
}

struct ChoiceCase {
  const char* key;
  std::vector<std::string> allowed;
};

class ConfigMatchingChoice : public ::testing::TestWithParam<ChoiceCase> {};

TEST_P(ConfigMatchingChoice, EveryChoiceAccepted) {
  const ChoiceCase& c = GetParam();
  for (const std::string& value : c.allowed) {
    EXPECT_NO_THROW(
        (void)parse("[matching]\n" + std::string(c.key) + " = \"" + value + "\"\n", "t"))
        << c.key << " = " << value;
  }
}

TEST_P(ConfigMatchingChoice, AnythingElseIsRejectedWithTheChoicesListed) {
  const ChoiceCase& c = GetParam();
  std::string list;
  for (const std::string& value : c.allowed) {
    list += (list.empty() ? "" : ", ") + value;
  }
  const std::string key = std::string("matching.") + c.key;
  for (const std::string bad : {"drop", "", "HOLD "}) {
    const Failure f =
        parse_failure("# policy\n[matching]\n" + std::string(c.key) + " = \"" + bad + "\"\n");
    ASSERT_TRUE(f.thrown) << key << " = " << bad;
    EXPECT_EQ(f.line, 3u);
    EXPECT_EQ(f.message.rfind(key + ": \"" + bad + "\" is not one of " + list, 0), 0u) << f.message;
  }
}

INSTANTIATE_TEST_SUITE_P(
    AllChoiceKeys, ConfigMatchingChoice,
    ::testing::Values(ChoiceCase{"existing_accession", {"keep", "verify", "overwrite"}},
                      ChoiceCase{"on_unmatched", {"hold", "forward", "reject"}},
                      ChoiceCase{"on_ambiguous", {"hold", "forward", "reject"}},
                      ChoiceCase{"after_hold", {"forward", "quarantine"}}),
    [](const ::testing::TestParamInfo<ChoiceCase>& info) { return std::string(info.param.key); });

TEST(ConfigMatching, NearMissChoiceGetsASuggestion) {
  expect_error("[matching]\non_unmatched = \"fowrard\"\n", 2, "did you mean 'forward'?");
  expect_error("[matching]\nafter_hold = \"quarantaine\"\n", 2, "did you mean 'quarantine'?");
}

TEST(ConfigMatching, IntegerRangesAreInclusive) {
  EXPECT_EQ(parse_ok("[matching]\ndate_window_days = 31\n").matching.date_window_days, 31u);
  EXPECT_EQ(parse_ok("[matching]\ndate_window_days = 0\n").matching.date_window_days, 0u);
  EXPECT_EQ(parse_ok("[matching]\nhold_s = 604800\n").matching.hold_s, 604800u);
  expect_error("[matching]\n\ndate_window_days = 32\n", 3,
               "matching.date_window_days: 32 is out of range (allowed 0..31)");
  expect_error("[matching]\ndate_window_days = -1\n", 2,
               "matching.date_window_days: -1 is out of range (allowed 0..31)");
  expect_error("[matching]\nhold_s = 604801\n", 2,
               "matching.hold_s: 604801 is out of range (allowed 0..604800)");
  expect_error("[matching]\nhold_s = -1\n", 2, "matching.hold_s: -1 is out of range");
}

TEST(ConfigMatching, UnknownKeyGetsASuggestion) {
  expect_error("[matching]\nmodality_alias = []\n", 2,
               "unknown key 'matching.modality_alias'; did you mean 'modality_aliases'?");
  expect_error("[matching]\nhold = 10\n", 2, "did you mean 'hold_s'?");
}

// ---- modality_aliases -----------------------------------------------------------------------

TEST(ConfigModalityAliases, EmptyListAccepted) {
  EXPECT_TRUE(parse_ok("[matching]\nmodality_aliases = []\n").matching.modality_aliases.empty());
}

TEST(ConfigModalityAliases, MultiLineGroupsKeepTheirOrder) {
  const RouterConfig c = parse_ok(
      "[matching]\nmodality_aliases = [\n  [\"PT\", \"PET\"],\n  [\"US\", \"ECHO\", "
      "\"IVUS\"],\n]\n");
  EXPECT_EQ(c.matching.modality_aliases, (Groups{{"PT", "PET"}, {"US", "ECHO", "IVUS"}}));
}

TEST(ConfigModalityAliases, GroupOfOneIsReportedAtTheGroup) {
  const Failure f =
      parse_failure("[matching]\nmodality_aliases = [\n  [\"PT\", \"PET\"],\n  [\"CR\"],\n]\n");
  ASSERT_TRUE(f.thrown);
  EXPECT_EQ(f.line, 4u);
  EXPECT_EQ(f.column, 3u);
  EXPECT_EQ(f.message,
            "matching.modality_aliases[1]: a group needs at least 2 modality codes, got 1");
}

TEST(ConfigModalityAliases, EmptyGroupRejected) {
  expect_error("[matching]\nmodality_aliases = [[]]\n", 2,
               "matching.modality_aliases[0]: a group needs at least 2 modality codes, got 0");
}

TEST(ConfigModalityAliases, CodeInTwoGroupsIsReportedAtTheSecondWithTheFirstLine) {
  const Failure f = parse_failure(
      "[matching]\nmodality_aliases = [\n  [\"CR\", \"DX\"],\n  [\"DR\",\n   \"DX\"],\n]\n");
  ASSERT_TRUE(f.thrown);
  EXPECT_EQ(f.line, 5u);
  EXPECT_EQ(f.column, 4u);
  EXPECT_EQ(f.message,
            "matching.modality_aliases[1][1]: \"DX\" is already in group 0 (line 3); a code may "
            "belong to one group only, merge the groups");
}

TEST(ConfigModalityAliases, CodeTwiceInOneGroupRejected) {
  expect_error("[matching]\nmodality_aliases = [[\"PT\", \"PET\", \"PT\"]]\n", 2,
               "matching.modality_aliases[0][2]: \"PT\" is listed twice in this group (first at "
               "line 2)");
}

TEST(ConfigModalityAliases, CodesFollowTheModalityRules) {
  expect_error("[matching]\nmodality_aliases = [[\"PT\", \"pet\"]]\n", 2,
               "matching.modality_aliases[0][1]: \"pet\" contains 'p' at position 1; modality "
               "codes are 1..16 characters of A-Z, 0-9, '_'; did you mean \"PET\"?");
  expect_error("[matching]\nmodality_aliases = [[\"PT\", \"\"]]\n", 2,
               "matching.modality_aliases[0][1]: must not be empty");
  expect_error("[matching]\nmodality_aliases = [[\"PT\", \"ABCDEFGHIJKLMNOPQ\"]]\n", 2,
               "is 17 characters long");
}

TEST(ConfigModalityAliases, WrongShapesAreReported) {
  expect_error("[matching]\nmodality_aliases = [\"PT\", \"PET\"]\n", 2,
               "matching.modality_aliases[0]: expected array of strings, got string \"PT\"");
  expect_error("[matching]\nmodality_aliases = \"PT=PET\"\n", 2,
               "matching.modality_aliases: expected array of arrays of strings, got string");
  expect_error("[matching]\nmodality_aliases = [[\"PT\", 1]]\n", 2,
               "matching.modality_aliases[0][1]: expected string, got integer 1");
}

TEST(ConfigModalityAliases, EarliestProblemInTheArrayWins) {
  // The group of one (line 3) comes before the repeated code (line 4).
  expect_error("[matching]\nmodality_aliases = [\n[\"CT\"],\n[\"CR\", \"CR\"]]\n", 3,
               "at least 2 modality codes");
}

// Issue 10, invariant 5: a matching window wider than what the cache holds would compare an
// instance against an incomplete set of orders.
TEST(ConfigMatching, DateWindowWiderThanTheWorklistQueryIsAnErrorAtTheWindow) {
  const std::string worklist =
      "[worklist]\nae_title = \"RIS\"\nhost = \"127.0.0.1\"\nport = 104\ndays_before = 2\n"
      "days_after = 1\n";
  expect_error(worklist + "[matching]\ndate_window_days = 2\n", 8,
               "wider than the worklist query window");
  EXPECT_EQ(
      parse(worklist + "[matching]\ndate_window_days = 1\n", "t.toml").matching.date_window_days,
      1u);
  // Without a worklist nothing is matched: no constraint.
  EXPECT_EQ(parse("[matching]\ndate_window_days = 5\n", "t.toml").matching.date_window_days, 5u);
}

}  // namespace
}  // namespace acc::config
