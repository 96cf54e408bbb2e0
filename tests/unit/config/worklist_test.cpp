// [worklist]: switched on by its presence (or off by `enabled = false`), required keys reported at
// the table header, per-key rules, and the positions errors are reported at.

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
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

// The three required keys; the header is on line 2, the keys on lines 3..5.
const std::string kWorklist =
    "# the RIS\n"
    "[worklist]\n"
    "ae_title = \"RIS_MWL\"\n"
    "host = \"ris.example.org\"\n"
    "port = 4006\n";

// ---- switched on and off --------------------------------------------------------------------

TEST(ConfigWorklist, AbsentTableMeansNoWorklist) {
  const RouterConfig c = parse_ok("[server]\nport = 104\n");
  EXPECT_FALSE(c.worklist.enabled);
  EXPECT_TRUE(c.worklist.ae_title.empty());
  EXPECT_TRUE(c.worklist.host.empty());
  EXPECT_EQ(c.worklist.port, 0);
}

TEST(ConfigWorklist, EmbeddedDefaultHasNoWorklistAndResolvedCallingAe) {
  const RouterConfig d = embedded_default();
  EXPECT_FALSE(d.worklist.enabled);
  EXPECT_EQ(d.worklist.calling_ae, d.server.ae_title);
  // An empty file and no file at all give the same worklist settings.
  const RouterConfig e = parse_ok("");
  EXPECT_EQ(e.worklist.enabled, d.worklist.enabled);
  EXPECT_EQ(e.worklist.calling_ae, d.worklist.calling_ae);
}

TEST(ConfigWorklist, PresentTableSwitchesItOnWithHeaderDefaults) {
  const RouterConfig c = parse_ok(kWorklist);
  const WorklistConfig defaults;
  EXPECT_TRUE(c.worklist.enabled);
  EXPECT_EQ(c.worklist.ae_title, "RIS_MWL");
  EXPECT_EQ(c.worklist.host, "ris.example.org");
  EXPECT_EQ(c.worklist.port, 4006);
  EXPECT_EQ(c.worklist.calling_ae, "ACCESSIONER");
  EXPECT_EQ(c.worklist.refresh_s, defaults.refresh_s);
  EXPECT_EQ(c.worklist.days_before, defaults.days_before);
  EXPECT_EQ(c.worklist.days_after, defaults.days_after);
  EXPECT_TRUE(c.worklist.modalities.empty());
  EXPECT_EQ(c.worklist.query_on_miss, defaults.query_on_miss);
  EXPECT_EQ(c.worklist.grace_s, defaults.grace_s);
  EXPECT_EQ(c.worklist.timeout_s, defaults.timeout_s);
}

TEST(ConfigWorklist, ReadsEveryKey) {
  const RouterConfig c = parse_ok(R"(
[worklist]
enabled = true
ae_title = " BROKER "
host = "10.1.2.3"
port = 104
calling_ae = "ACC_MWL"
refresh_s = 300
days_before = 2
days_after = 0
modalities = ["CT", "MR", "US_3D"]
query_on_miss = false
grace_s = 0
timeout_s = 5
)");
  EXPECT_TRUE(c.worklist.enabled);
  EXPECT_EQ(c.worklist.ae_title, "BROKER");  // AE title spaces are insignificant
  EXPECT_EQ(c.worklist.host, "10.1.2.3");
  EXPECT_EQ(c.worklist.port, 104);
  EXPECT_EQ(c.worklist.calling_ae, "ACC_MWL");
  EXPECT_EQ(c.worklist.refresh_s, 300u);
  EXPECT_EQ(c.worklist.days_before, 2u);
  EXPECT_EQ(c.worklist.days_after, 0u);
  EXPECT_EQ(c.worklist.modalities, (std::vector<std::string>{"CT", "MR", "US_3D"}));
  EXPECT_FALSE(c.worklist.query_on_miss);
  EXPECT_EQ(c.worklist.grace_s, 0u);
  EXPECT_EQ(c.worklist.timeout_s, 5u);
}

TEST(ConfigWorklist, CallingAeDefaultsToServerAeTitleWhateverTheOrder) {
  EXPECT_EQ(parse_ok(kWorklist + "[server]\nae_title = \"CT_ROUTER\"\n").worklist.calling_ae,
            "CT_ROUTER");
  EXPECT_EQ(parse_ok("[server]\nae_title = \"CT_ROUTER\"\n" + kWorklist).worklist.calling_ae,
            "CT_ROUTER");
}

TEST(ConfigWorklist, EnabledFalseKeepsTheTableButSwitchesItOff) {
  const RouterConfig c = parse_ok(kWorklist + "enabled = false\nrefresh_s = 120\n");
  EXPECT_FALSE(c.worklist.enabled);
  // The rest is still read, so switching it back on is a one-word edit.
  EXPECT_EQ(c.worklist.host, "ris.example.org");
  EXPECT_EQ(c.worklist.refresh_s, 120u);
}

TEST(ConfigWorklist, EnabledFalseMakesNoKeyRequired) {
  const RouterConfig c = parse_ok("[worklist]\nenabled = false\n");
  EXPECT_FALSE(c.worklist.enabled);
  EXPECT_TRUE(c.worklist.host.empty());
}

TEST(ConfigWorklist, EnabledFalseStillValidatesTheKeysGiven) {
  expect_error("[worklist]\nenabled = false\nport = 0\n", 3,
               "worklist.port: 0 is out of range (allowed 1..65535)");
  expect_error("[worklist]\nenabled = false\nprot = 104\n", 3,
               "unknown key 'worklist.prot'; did you mean 'port'?");
}

TEST(ConfigWorklist, EnabledTrueIsTheSameAsPresent) {
  EXPECT_TRUE(parse_ok(kWorklist + "enabled = true\n").worklist.enabled);
  expect_error("[worklist]\nenabled = true\n", 1, "worklist: missing required keys");
}

TEST(ConfigWorklist, EnabledOfTheWrongTypeIsReportedInsteadOfMissingKeys) {
  const Failure f = parse_failure("[worklist]\nenabled = \"no\"\n");
  ASSERT_TRUE(f.thrown);
  EXPECT_EQ(f.line, 2u);
  EXPECT_EQ(f.message, "worklist.enabled: expected boolean, got string \"no\"");
}

TEST(ConfigWorklist, InlineTableAndDottedKeysAreEquivalent) {
  const RouterConfig inline_table =
      parse_ok("worklist = { ae_title = \"MWL\", host = \"ris\", port = 104 }\n");
  EXPECT_TRUE(inline_table.worklist.enabled);
  EXPECT_EQ(inline_table.worklist.ae_title, "MWL");
  const RouterConfig dotted =
      parse_ok("worklist.ae_title = \"MWL\"\nworklist.host = \"ris\"\nworklist.port = 104\n");
  EXPECT_TRUE(dotted.worklist.enabled);
  EXPECT_EQ(dotted.worklist.port, 104);
}

// ---- required keys --------------------------------------------------------------------------

TEST(ConfigWorklistRequired, MissingKeyIsReportedAtTheTableHeader) {
  const Failure f = parse_failure(
      "[server]\nport = 104\n\n[worklist]\nae_title = \"MWL\"\nport = 104\n", "site.toml");
  ASSERT_TRUE(f.thrown);
  EXPECT_EQ(f.line, 4u);
  EXPECT_EQ(f.column, 1u);
  EXPECT_EQ(f.message, "worklist: missing required key 'host'");
  EXPECT_EQ(f.what, "site.toml:4:1: worklist: missing required key 'host'");
}

TEST(ConfigWorklistRequired, EachRequiredKeyIsRequired) {
  for (const std::string key : {"ae_title", "host", "port"}) {
    std::string text;
    for (const std::string line :
         {"ae_title = \"MWL\"", "host = \"ris.example.org\"", "port = 4006"}) {
      if (line.rfind(key + " ", 0) != 0) {
        text += line + "\n";
      }
    }
    expect_error("\n[worklist]\n" + text, 2, "worklist: missing required key '" + key + "'");
  }
}

TEST(ConfigWorklistRequired, EmptyTableListsAllMissingKeysTogether) {
  const Failure f = parse_failure("[worklist]\n");
  ASSERT_TRUE(f.thrown);
  EXPECT_EQ(f.line, 1u);
  EXPECT_EQ(f.message, "worklist: missing required keys 'ae_title', 'host', 'port'");
}

TEST(ConfigWorklistRequired, DottedKeysReportAtTheFirstKey) {
  expect_error("log.level = \"info\"\n\nworklist.host = \"ris\"\n[server]\n", 3,
               "worklist: missing required keys 'ae_title', 'port'");
}

TEST(ConfigWorklistRequired, HeaderComesBeforeProblemsInsideTheTable) {
  expect_error("[worklist]\nhost = \"ris\"\nport = 0\n", 1, "missing required key 'ae_title'");
}

// ---- per-key rules --------------------------------------------------------------------------

TEST(ConfigWorklistAeTitle, FollowsTheAeTitleRules) {
  expect_error(kWorklist + "calling_ae = \"ABCDEFGHIJKLMNOPQ\"\n", 6,
               "worklist.calling_ae: \"ABCDEFGHIJKLMNOPQ\" is 17 characters long");
  expect_error("[worklist]\nae_title = \"A\\\\B\"\nhost = \"h\"\nport = 1\n", 2,
               "worklist.ae_title: \"A\\\\B\" contains a backslash");
  expect_error("[worklist]\nae_title = \"   \"\nhost = \"h\"\nport = 1\n", 2,
               "worklist.ae_title: \"   \" is all spaces");
  expect_error(kWorklist + "calling_ae = \"\"\n", 6, "worklist.calling_ae: must not be empty");
}

TEST(ConfigWorklistHost, FollowsTheHostRules) {
  expect_error("[worklist]\nae_title = \"A\"\nhost = \"ris example\"\nport = 1\n", 3,
               "worklist.host: \"ris example\" contains a space at position 4");
  expect_error("[worklist]\nae_title = \"A\"\nhost = \"\"\nport = 1\n", 3,
               "worklist.host: must not be empty");
}

TEST(ConfigWorklistTypes, WrongTypesNameTheKey) {
  expect_error(kWorklist + "query_on_miss = 1\n", 6,
               "worklist.query_on_miss: expected boolean, got integer 1");
  expect_error(kWorklist + "refresh_s = \"60\"\n", 6,
               "worklist.refresh_s: expected integer, got string \"60\"; allowed range 5..86400");
  expect_error("worklist = 1\n", 1, "worklist: expected table, got integer 1");
  expect_error("[[worklist]]\n", 1, "worklist: expected table, got array");
}

TEST(ConfigWorklistUnknown, UnknownKeysGetASuggestion) {
  expect_error(kWorklist + "timeout = 30\n", 6,
               "unknown key 'worklist.timeout'; did you mean 'timeout_s'?");
  expect_error(kWorklist + "calling_aet = \"X\"\n", 6, "did you mean 'calling_ae'?");
  expect_error("[worklsit]\n", 1, "unknown table 'worklsit'; did you mean 'worklist'?");
  expect_error(kWorklist + "[worklist.filter]\nx = 1\n", 6, "unknown key 'worklist.filter'");
}

// ---- ranges ---------------------------------------------------------------------------------

struct WorklistRange {
  const char* key;
  int64_t min;
  int64_t max;
};

class ConfigWorklistRange : public ::testing::TestWithParam<WorklistRange> {};

// The key under test goes on line 5, after whichever required keys it is not.
std::string worklist_with(const WorklistRange& r, int64_t value) {
  std::string text = "[worklist]\nae_title = \"MWL\"\nhost = \"ris\"\n";
  text += std::string(r.key) == "port" ? "\n" : "port = 104\n";
  return text + r.key + " = " + std::to_string(value) + "\n";
}

TEST_P(ConfigWorklistRange, BoundsAreInclusiveAndStoredExactly) {
  const WorklistRange& r = GetParam();
  for (int64_t v : {r.min, r.max}) {
    const RouterConfig c = parse_ok(worklist_with(r, v));
    const std::string key = r.key;
    const int64_t stored = key == "port"          ? c.worklist.port
                           : key == "refresh_s"   ? c.worklist.refresh_s
                           : key == "days_before" ? c.worklist.days_before
                           : key == "days_after"  ? c.worklist.days_after
                           : key == "grace_s"     ? c.worklist.grace_s
                                                  : c.worklist.timeout_s;
    EXPECT_EQ(stored, v) << key;
  }
}

TEST_P(ConfigWorklistRange, JustOutsideIsRejectedWithKeyValueAndRange) {
  const WorklistRange& r = GetParam();
  const std::string range = std::to_string(r.min) + ".." + std::to_string(r.max);
  for (int64_t bad : {r.min - 1, r.max + 1}) {
    const Failure f = parse_failure(worklist_with(r, bad));
    ASSERT_TRUE(f.thrown) << r.key << " = " << bad;
    EXPECT_EQ(f.line, 5u);
    EXPECT_EQ(f.message, std::string("worklist.") + r.key + ": " + std::to_string(bad) +
                             " is out of range (allowed " + range + ")");
  }
}

INSTANTIATE_TEST_SUITE_P(
    AllIntegerKeys, ConfigWorklistRange,
    ::testing::Values(WorklistRange{"port", 1, 65535}, WorklistRange{"refresh_s", 5, 86400},
                      WorklistRange{"days_before", 0, 31}, WorklistRange{"days_after", 0, 31},
                      WorklistRange{"grace_s", 0, 604800}, WorklistRange{"timeout_s", 1, 600}),
    [](const ::testing::TestParamInfo<WorklistRange>& info) {
      return std::string(info.param.key);
    });

// ---- modalities -----------------------------------------------------------------------------

TEST(ConfigWorklistModalities, EmptyListMeansAll) {
  EXPECT_TRUE(parse_ok(kWorklist + "modalities = []\n").worklist.modalities.empty());
}

TEST(ConfigWorklistModalities, SixteenCharacterCodeAccepted) {
  const RouterConfig c = parse_ok(kWorklist + "modalities = [\"ABCDEFGHIJ_12345\"]\n");
  EXPECT_EQ(c.worklist.modalities, std::vector<std::string>{"ABCDEFGHIJ_12345"});
}

TEST(ConfigWorklistModalities, BadCodeIsPointedAtItsElement) {
  const Failure f = parse_failure(kWorklist + "modalities = [\n  \"CT\",\n  \"M R\",\n]\n");
  ASSERT_TRUE(f.thrown);
  EXPECT_EQ(f.line, 8u);
  EXPECT_EQ(f.column, 3u);
  EXPECT_EQ(f.message,
            "worklist.modalities[1]: \"M R\" contains a space at position 2; modality codes are "
            "1..16 characters of A-Z, 0-9, '_'");
}

TEST(ConfigWorklistModalities, LowerCaseIsRefusedWithTheUpperCaseSpelling) {
  expect_error(kWorklist + "modalities = [\"ct\"]\n", 6,
               "worklist.modalities[0]: \"ct\" contains 'c' at position 1; modality codes are "
               "1..16 characters of A-Z, 0-9, '_'; did you mean \"CT\"?");
}

TEST(ConfigWorklistModalities, NoUpperCaseSuggestionWhenThatWouldNotHelp) {
  const Failure f = parse_failure(kWorklist + "modalities = [\"c-t\"]\n");
  ASSERT_TRUE(f.thrown);
  EXPECT_EQ(f.line, 6u);
  EXPECT_EQ(f.message.find("did you mean"), std::string::npos) << f.message;
}

TEST(ConfigWorklistModalities, EmptyAndOverlongCodesRejected) {
  expect_error(kWorklist + "modalities = [\"CT\", \"\"]\n", 6,
               "worklist.modalities[1]: must not be empty");
  expect_error(kWorklist + "modalities = [\"ABCDEFGHIJKLMNOPQ\"]\n", 6,
               "worklist.modalities[0]: \"ABCDEFGHIJKLMNOPQ\" is 17 characters long");
  expect_error(kWorklist + "modalities = [\"\\u00C9CHO\"]\n", 6, "contains byte 0xC3");
}

TEST(ConfigWorklistModalities, RepeatedCodeIsReportedAtTheRepeat) {
  const Failure f = parse_failure(kWorklist + "modalities = [\n\"CT\",\n\"MR\",\n\"CT\"]\n");
  ASSERT_TRUE(f.thrown);
  EXPECT_EQ(f.line, 9u);
  EXPECT_EQ(f.message, "worklist.modalities[2]: \"CT\" is listed twice (first at line 7)");
}

TEST(ConfigWorklistModalities, WrongTypesAreReported) {
  expect_error(kWorklist + "modalities = \"CT\"\n", 6,
               "worklist.modalities: expected array of strings, got string \"CT\"");
  expect_error(kWorklist + "modalities = [\"CT\", 3]\n", 6,
               "worklist.modalities[1]: expected string, got integer 3");
}

// ---- order across the file ------------------------------------------------------------------

TEST(ConfigWorklistOrder, EarliestProblemWinsAcrossTables) {
  // toml++ iterates "server" before "worklist"; the file decides.
  expect_error("[worklist]\nhost = \"ris\"\n[server]\nport = 70000\n", 1, "worklist: missing");
  expect_error("[server]\nport = 70000\n[worklist]\nhost = \"ris\"\n", 2, "server.port");
  expect_error(kWorklist + "timeout_s = 0\n[log]\nlevel = \"x\"\n", 6, "worklist.timeout_s");
}

// ---- packaged example -----------------------------------------------------------------------

TEST(ConfigWorklistExample, CommentedOutBlockParsesOnceUncommentedAndShowsTheDefaults) {
  const std::filesystem::path p =
      std::filesystem::path(ACC_SOURCE_DIR) / "packaging" / "accessioner.example.toml";
  std::ifstream in(p);
  ASSERT_TRUE(in) << p;
  std::string text;
  bool in_block = false;
  bool found = false;
  for (std::string line; std::getline(in, line);) {
    if (line == "# [worklist]") {
      in_block = true;
      found = true;
    } else if (in_block && line.empty()) {
      in_block = false;  // the block ends at the first blank line
    }
    if (in_block) {
      ASSERT_TRUE(line.rfind("# ", 0) == 0) << line;
      line = line.substr(2);
    }
    text += line + "\n";
  }
  ASSERT_TRUE(found) << "no '# [worklist]' block in " << p;
  const RouterConfig c = parse_ok(text);
  const WorklistConfig defaults;
  EXPECT_TRUE(c.worklist.enabled);
  EXPECT_FALSE(c.worklist.host.empty());
  EXPECT_EQ(c.worklist.calling_ae, c.server.ae_title);
  EXPECT_EQ(c.worklist.refresh_s, defaults.refresh_s);
  EXPECT_EQ(c.worklist.days_before, defaults.days_before);
  EXPECT_EQ(c.worklist.days_after, defaults.days_after);
  EXPECT_EQ(c.worklist.modalities, defaults.modalities);
  EXPECT_EQ(c.worklist.query_on_miss, defaults.query_on_miss);
  EXPECT_EQ(c.worklist.grace_s, defaults.grace_s);
  EXPECT_EQ(c.worklist.timeout_s, defaults.timeout_s);
}

}  // namespace
}  // namespace acc::config
