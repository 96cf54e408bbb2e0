// [[destination]] tables: required keys, per-key rules, cross-key and cross-entry rules, and the
// positions errors are reported at.

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
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

// The four required keys; tests append or replace lines after it.
const std::string kPacs =
    "[[destination]]\n"
    "name = \"pacs\"\n"
    "ae_title = \"PACS_MAIN\"\n"
    "host = \"pacs.example.org\"\n"
    "port = 104\n";

// A complete entry differing from kPacs in its name only.
std::string with_name(const std::string& name) {
  return "[[destination]]\nname = \"" + name + "\"\nae_title = \"A\"\nhost = \"h\"\nport = 1\n";
}

// ---- accepted -------------------------------------------------------------------------------

TEST(ConfigDestination, NoneUnlessConfigured) {
  EXPECT_TRUE(parse_ok("[server]\nport = 104\n").destinations.empty());
  EXPECT_TRUE(parse_ok("destination = []\n").destinations.empty());
}

TEST(ConfigDestination, RequiredKeysOnlyGiveHeaderDefaults) {
  const RouterConfig c = parse_ok(kPacs);
  ASSERT_EQ(c.destinations.size(), 1u);
  const DestinationConfig& d = c.destinations[0];
  const DestinationConfig defaults;
  EXPECT_EQ(d.name, "pacs");
  EXPECT_EQ(d.ae_title, "PACS_MAIN");
  EXPECT_EQ(d.host, "pacs.example.org");
  EXPECT_EQ(d.port, 104);
  EXPECT_EQ(d.calling_ae, "ACCESSIONER");
  EXPECT_EQ(d.max_associations, 4u);
  EXPECT_EQ(d.retry_initial_s, 5u);
  EXPECT_EQ(d.retry_max_s, 600u);
  EXPECT_EQ(d.max_attempts, 0u);
  EXPECT_EQ(d.connect_timeout_s, 10u);
  EXPECT_EQ(d.response_timeout_s, 120u);
  EXPECT_EQ(d.idle_release_s, 30u);
  EXPECT_EQ(d.max_pdu_length, 131072u);
  EXPECT_EQ(d.max_associations, defaults.max_associations);
  EXPECT_EQ(d.retry_max_s, defaults.retry_max_s);
}

TEST(ConfigDestination, ReadsEveryKey) {
  const RouterConfig c = parse_ok(R"(
[[destination]]
name = "PACS_1.main-a"
ae_title = " PACS "
host = "2001:db8::7"
port = 65535
calling_ae = "ROUTER_OUT"
max_associations = 64
retry_initial_s = 2
retry_max_s = 86400
max_attempts = 1000000
connect_timeout_s = 600
response_timeout_s = 3600
idle_release_s = 1
max_pdu_length = 4096
)");
  ASSERT_EQ(c.destinations.size(), 1u);
  const DestinationConfig& d = c.destinations[0];
  EXPECT_EQ(d.name, "PACS_1.main-a");
  EXPECT_EQ(d.ae_title, "PACS");  // AE titles are trimmed like server.ae_title
  EXPECT_EQ(d.host, "2001:db8::7");
  EXPECT_EQ(d.port, 65535);
  EXPECT_EQ(d.calling_ae, "ROUTER_OUT");
  EXPECT_EQ(d.max_associations, 64u);
  EXPECT_EQ(d.retry_initial_s, 2u);
  EXPECT_EQ(d.retry_max_s, 86400u);
  EXPECT_EQ(d.max_attempts, 1000000u);
  EXPECT_EQ(d.connect_timeout_s, 600u);
  EXPECT_EQ(d.response_timeout_s, 3600u);
  EXPECT_EQ(d.idle_release_s, 1u);
  EXPECT_EQ(d.max_pdu_length, 4096u);
}

TEST(ConfigDestination, EntriesKeepFileOrder) {
  const RouterConfig c = parse_ok(kPacs +
                                  "\n[[destination]]\nname = \"archive\"\nae_title = \"ARCH\"\n"
                                  "host = \"10.0.0.2\"\nport = 11112\nmax_associations = 1\n");
  ASSERT_EQ(c.destinations.size(), 2u);
  EXPECT_EQ(c.destinations[0].name, "pacs");
  EXPECT_EQ(c.destinations[0].max_associations, 4u);
  EXPECT_EQ(c.destinations[1].name, "archive");
  EXPECT_EQ(c.destinations[1].host, "10.0.0.2");
  EXPECT_EQ(c.destinations[1].max_associations, 1u);
}

TEST(ConfigDestination, InlineArrayOfTablesIsEquivalent) {
  const RouterConfig c = parse_ok(
      "destination = [\n"
      "  { name = \"a\", ae_title = \"A\", host = \"h1\", port = 1 },\n"
      "  { name = \"b\", ae_title = \"B\", host = \"h2\", port = 2, retry_max_s = 60 },\n"
      "]\n");
  ASSERT_EQ(c.destinations.size(), 2u);
  EXPECT_EQ(c.destinations[0].name, "a");
  EXPECT_EQ(c.destinations[1].port, 2);
  EXPECT_EQ(c.destinations[1].retry_max_s, 60u);
}

TEST(ConfigDestination, CallingAeDefaultsToServerAeTitleWhateverTheOrder) {
  const std::string server = "[server]\nae_title = \"MY_ROUTER\"\n";
  EXPECT_EQ(parse_ok(server + kPacs).destinations.at(0).calling_ae, "MY_ROUTER");
  EXPECT_EQ(parse_ok(kPacs + server).destinations.at(0).calling_ae, "MY_ROUTER");
  EXPECT_EQ(parse_ok(kPacs + "calling_ae = \" OUT \"\n" + server).destinations.at(0).calling_ae,
            "OUT");
}

TEST(ConfigDestination, EqualRetryBoundsAccepted) {
  const RouterConfig c = parse_ok(kPacs + "retry_initial_s = 30\nretry_max_s = 30\n");
  EXPECT_EQ(c.destinations.at(0).retry_initial_s, 30u);
  EXPECT_EQ(c.destinations.at(0).retry_max_s, 30u);
}

TEST(ConfigDestination, RetryStatusesDefaultToTheTransientFailures) {
  const auto retry = parse_ok(kPacs).destinations.at(0).retry_statuses;
  std::vector<std::string> texts;
  for (const auto& p : retry) {
    texts.push_back(to_string(p));
  }
  EXPECT_EQ(texts, (std::vector<std::string>{"0xA7xx", "0x0110", "0x0213"}));
}

TEST(ConfigDestination, RetryStatusesAreASitesOwnList) {
  const auto retry = parse_ok(kPacs + "retry_statuses = [\"a7xx\", \"0xC0XX\"]\n")
                         .destinations.at(0)
                         .retry_statuses;
  ASSERT_EQ(retry.size(), 2u);
  EXPECT_EQ(to_string(retry[0]), "0xA7xx");
  EXPECT_TRUE(retry[1].matches(0xC001));
  EXPECT_FALSE(retry[1].matches(0x0110));
  EXPECT_TRUE(parse_ok(kPacs + "retry_statuses = []\n").destinations.at(0).retry_statuses.empty());
}

TEST(ConfigDestination, ARetryStatusThatIsNotOneIsRefusedWithItsPosition) {
  expect_error(kPacs + "retry_statuses = [\"0x0110\", \"busy\"]\n", 6,
               "destination[0].retry_statuses[1]: \"busy\" is not a DIMSE status: four hex digits");
  expect_error(kPacs + "retry_statuses = [\"0x011\"]\n", 6, "is not a DIMSE status");
  expect_error(kPacs + "retry_statuses = [\"0xG110\"]\n", 6, "is not a DIMSE status");
}

TEST(ConfigDestination, TlsNeedsACaAndACertificateNeedsItsKey) {
  const auto d = parse_ok(kPacs + "tls = true\ntls_ca_file = \"ca.crt\"\n").destinations.at(0);
  EXPECT_TRUE(d.tls);
  EXPECT_TRUE(d.tls_verify_hostname);
  EXPECT_FALSE(parse_ok(kPacs).destinations.at(0).tls);
  expect_error(kPacs + "tls = true\n", 1, "destination[0]: missing required key 'tls_ca_file'");
  expect_error(kPacs + "tls = true\ntls_ca_file = \"ca.crt\"\ntls_certificate = \"me.crt\"\n", 8,
               "destination[0].tls_certificate: given without tls_key");
}

// ---- required keys --------------------------------------------------------------------------

TEST(ConfigDestinationRequired, MissingKeyIsReportedAtTheEntryHeader) {
  // Entries start at lines 1, 7 and 13; the third, indented, lacks host.
  const Failure f = parse_failure(kPacs + "\n" + with_name("b") + "\n" +
                                  "  [[destination]]\nname = \"c\"\nae_title = \"C\"\nport = 3\n");
  ASSERT_TRUE(f.thrown);
  EXPECT_EQ(f.line, 13u);
  EXPECT_EQ(f.column, 3u);
  EXPECT_EQ(f.message, "destination[2]: missing required key 'host'");
}

TEST(ConfigDestinationRequired, EachRequiredKeyIsRequired) {
  for (const char* key : {"name", "ae_title", "host", "port"}) {
    std::istringstream in(kPacs);
    std::string text = "[log]\n\n";
    for (std::string line; std::getline(in, line);) {
      if (line.rfind(std::string(key) + " =", 0) != 0) {
        text += line + "\n";
      }
    }
    const Failure f = parse_failure(text);
    ASSERT_TRUE(f.thrown) << key;
    EXPECT_EQ(f.line, 3u) << key;
    EXPECT_EQ(f.message, std::string("destination[0]: missing required key '") + key + "'");
  }
}

TEST(ConfigDestinationRequired, SeveralMissingKeysAreListedTogether) {
  expect_error("[[destination]]\nname = \"x\"\n", 1,
               "destination[0]: missing required keys 'ae_title', 'host', 'port'");
  expect_error("[[destination]]\n", 1,
               "destination[0]: missing required keys 'name', 'ae_title', 'host', 'port'");
}

TEST(ConfigDestinationRequired, HeaderComesBeforeProblemsInsideTheEntry) {
  // The missing key is reported at line 1, ahead of the bad port on line 2.
  expect_error("[[destination]]\nport = 0\n", 1, "missing required keys 'name', 'ae_title'");
}

// ---- names ----------------------------------------------------------------------------------

TEST(ConfigDestinationName, SixtyFourCharactersAccepted) {
  const std::string name(64, 'n');
  EXPECT_EQ(parse_ok(with_name(name)).destinations.at(0).name, name);
}

TEST(ConfigDestinationName, SixtyFiveCharactersRejected) {
  expect_error(with_name(std::string(65, 'n')), 2, "destination[0].name: \"nnnn");
  expect_error(with_name(std::string(65, 'n')), 2, "is 65 characters long; names are 1..64");
}

TEST(ConfigDestinationName, EmptyRejected) {
  expect_error(with_name(""), 2, "destination[0].name: must not be empty");
}

TEST(ConfigDestinationName, CharactersOutsideTheSetRejected) {
  expect_error(with_name("main pacs"), 2,
               "destination[0].name: \"main pacs\" contains a space at position 5; names are "
               "1..64 characters of A-Z, a-z, 0-9, '_', '.', '-'");
  expect_error(with_name("a/b"), 2, "contains '/' at position 2");
  expect_error(with_name("caf\xC3\xA9"), 2, "contains byte 0xC3 at position 4");
  expect_error(with_name("x\\ty"), 2, "contains byte 0x09 at position 2");
}

TEST(ConfigDestinationName, DuplicateIsReportedAtTheSecondWithTheFirstLine) {
  const Failure f = parse_failure(kPacs + "\n" + with_name("other") + "\n" + kPacs.substr(0, 16) +
                                  "ae_title = \"B\"\nhost = \"h\"\n  name = \"pacs\"\nport = 2\n");
  ASSERT_TRUE(f.thrown);
  EXPECT_EQ(f.line, 16u);
  EXPECT_EQ(f.column, 10u);  // the name's value
  EXPECT_EQ(f.message, "destination[2].name: destination 'pacs' defined twice (first at line 2)");
}

TEST(ConfigDestinationName, DuplicatesDifferingOnlyInCaseAreRejected) {
  expect_error(with_name("Pacs") + with_name("PACS"), 7,
               "destination[1].name: destination 'PACS' defined twice (first at line 2, as "
               "'Pacs'; names are compared ignoring case)");
}

// ---- AE titles and host ---------------------------------------------------------------------

TEST(ConfigDestinationAeTitle, FollowsTheServerAeTitleRules) {
  expect_error(kPacs + "calling_ae = \"ABCDEFGHIJKLMNOPQ\"\n", 6,
               "destination[0].calling_ae: \"ABCDEFGHIJKLMNOPQ\" is 17 characters long");
  expect_error(kPacs + "calling_ae = \"  \"\n", 6,
               "destination[0].calling_ae: \"  \" is all spaces");
  expect_error("[[destination]]\nname = \"p\"\nae_title = 'A\\B'\nhost = \"h\"\nport = 1\n", 3,
               "destination[0].ae_title: \"A\\\\B\" contains a backslash");
  expect_error("[[destination]]\nname = \"p\"\nae_title = \"\"\nhost = \"h\"\nport = 1\n", 3,
               "destination[0].ae_title: must not be empty");
}

std::string with_host(const std::string& host) {
  return "[[destination]]\nname = \"p\"\nae_title = \"A\"\nhost = \"" + host + "\"\nport = 1\n";
}

TEST(ConfigDestinationHost, NamesAndLiteralsAccepted) {
  const std::vector<std::string> hosts = {"pacs", "pacs.hospital.example", "10.1.2.3",
                                          "::1",  "fe80::1%eth0",          std::string(253, 'h')};
  for (const std::string& host : hosts) {
    EXPECT_EQ(parse_ok(with_host(host)).destinations.at(0).host, host);
  }
}

TEST(ConfigDestinationHost, EmptyRejected) {
  expect_error(with_host(""), 4, "destination[0].host: must not be empty");
}

TEST(ConfigDestinationHost, WhitespaceAndControlBytesRejected) {
  expect_error(with_host("pacs .local"), 4,
               "destination[0].host: \"pacs .local\" contains a space at position 5");
  expect_error(with_host(" pacs"), 4, "contains a space at position 1");
  expect_error(with_host("pacs\\t"), 4, "contains byte 0x09 at position 5");
  expect_error(with_host("pacs\\u0000x"), 4, "contains byte 0x00 at position 5");
}

TEST(ConfigDestinationHost, LongerThan253Rejected) {
  expect_error(with_host(std::string(254, 'h')), 4,
               "is 254 characters long; host names are at most 253");
}

// ---- integer ranges -------------------------------------------------------------------------

struct DestinationRange {
  const char* key;
  int64_t min;
  int64_t max;
};

class ConfigDestinationRange : public ::testing::TestWithParam<DestinationRange> {};

// The key under test is on line 7; `port` is replaced rather than given twice.
std::string destination_with(const std::string& key, int64_t value) {
  std::string base = "# comment\n" + kPacs;
  if (key == "port") {
    base = base.substr(0, base.find("port ="));
    base += "max_attempts = 0\n";
  }
  return base + key + " = " + std::to_string(value) + "\n";
}

TEST_P(ConfigDestinationRange, BoundsAreInclusive) {
  const DestinationRange& r = GetParam();
  const std::string key = r.key;
  for (int64_t v : {r.min, r.max}) {
    std::string text = destination_with(key, v);
    // The retry bounds must stay ordered, so test each at its extremes against a permissive other.
    if (key == "retry_max_s") {
      text += "retry_initial_s = 1\n";
    } else if (key == "retry_initial_s") {
      text += "retry_max_s = 86400\n";
    }
    EXPECT_NO_THROW((void)parse(text, "t")) << key << " = " << v;
  }
}

TEST_P(ConfigDestinationRange, JustOutsideIsRejectedWithKeyValueAndRange) {
  const DestinationRange& r = GetParam();
  const std::string range = std::to_string(r.min) + ".." + std::to_string(r.max);
  for (int64_t bad : {r.min - 1, r.max + 1}) {
    const Failure f = parse_failure(destination_with(r.key, bad));
    ASSERT_TRUE(f.thrown) << r.key << " = " << bad;
    EXPECT_EQ(f.line, 7u);
    EXPECT_EQ(f.message, std::string("destination[0].") + r.key + ": " + std::to_string(bad) +
                             " is out of range (allowed " + range + ")");
  }
}

INSTANTIATE_TEST_SUITE_P(AllIntegerKeys, ConfigDestinationRange,
                         ::testing::Values(DestinationRange{"port", 1, 65535},
                                           DestinationRange{"max_associations", 1, 64},
                                           DestinationRange{"retry_initial_s", 1, 86400},
                                           DestinationRange{"retry_max_s", 1, 86400},
                                           DestinationRange{"max_attempts", 0, 1000000},
                                           DestinationRange{"connect_timeout_s", 1, 600},
                                           DestinationRange{"response_timeout_s", 1, 3600},
                                           DestinationRange{"idle_release_s", 1, 3600},
                                           DestinationRange{"max_pdu_length", 4096, 4194304}),
                         [](const ::testing::TestParamInfo<DestinationRange>& info) {
                           return std::string(info.param.key);
                         });

// ---- retry ordering -------------------------------------------------------------------------

TEST(ConfigDestinationRetry, MaxBelowInitialIsReportedAtMax) {
  const Failure f = parse_failure(kPacs + "retry_max_s = 10\nretry_initial_s = 60\n");
  ASSERT_TRUE(f.thrown);
  EXPECT_EQ(f.line, 6u);
  EXPECT_EQ(f.column, 15u);
  EXPECT_EQ(f.message, "destination[0].retry_max_s: 10 is less than retry_initial_s (60)");
}

TEST(ConfigDestinationRetry, InitialAboveTheDefaultCapIsReportedAtInitial) {
  expect_error(kPacs + "retry_initial_s = 900\n", 6,
               "destination[0].retry_initial_s: 900 is greater than retry_max_s (default 600); "
               "set retry_max_s as well");
}

TEST(ConfigDestinationRetry, OrderIsNotJudgedOnAnEntryWithAnInvalidKey) {
  // retry_initial_s is out of range on line 7; comparing its default (5) with retry_max_s = 3 on
  // line 6 would report a misleading, earlier error.
  expect_error(kPacs + "retry_max_s = 3\nretry_initial_s = 0\n", 7,
               "destination[0].retry_initial_s: 0 is out of range");
}

TEST(ConfigDestinationRetry, EachEntryIsJudgedOnItsOwn) {
  expect_error(
      kPacs + "retry_initial_s = 100\nretry_max_s = 100\n" + with_name("b") + "retry_max_s = 4\n",
      13, "destination[1].retry_max_s: 4 is less than retry_initial_s (5)");
}

// ---- types and unknown keys -----------------------------------------------------------------

TEST(ConfigDestinationTypes, PlainTableIsAnError) {
  const Failure f = parse_failure("[destination]\nname = \"pacs\"\n");
  ASSERT_TRUE(f.thrown);
  EXPECT_EQ(f.line, 1u);
  EXPECT_EQ(f.message,
            "destination: expected array of tables, got table; write each entry as a "
            "[[destination]] table");
}

TEST(ConfigDestinationTypes, ScalarIsAnError) {
  expect_error("destination = \"pacs\"\n", 1,
               "destination: expected array of tables, got string \"pacs\"");
}

TEST(ConfigDestinationTypes, NonTableElementIsPointedAt) {
  expect_error("destination = [1, 2]\n", 1, "destination[0]: expected table, got integer 1");
  const Failure f = parse_failure(
      "destination = [\n  { name = \"a\", ae_title = \"A\", host = \"h\", port = 1 },\n  "
      "\"b\",\n]\n");
  ASSERT_TRUE(f.thrown);
  EXPECT_EQ(f.line, 3u);
  EXPECT_EQ(f.column, 3u);
  EXPECT_EQ(f.message, "destination[1]: expected table, got string \"b\"");
}

TEST(ConfigDestinationTypes, WrongValueTypeNamesTheElementKey) {
  expect_error("[[destination]]\nname = \"p\"\nae_title = \"A\"\nhost = \"h\"\nport = \"104\"\n", 5,
               "destination[0].port: expected integer, got string \"104\"; allowed range 1..65535");
  expect_error("[[destination]]\nname = 7\nae_title = \"A\"\nhost = \"h\"\nport = 1\n", 2,
               "destination[0].name: expected string, got integer 7");
}

TEST(ConfigDestinationUnknown, UnknownKeyInAnEntryGetsASuggestion) {
  const Failure f = parse_failure(kPacs + with_name("b") + "prot = 104\n");
  ASSERT_TRUE(f.thrown);
  EXPECT_EQ(f.line, 11u);
  EXPECT_EQ(f.column, 1u);
  EXPECT_EQ(f.message, "unknown key 'destination[1].prot'; did you mean 'port'?");
}

TEST(ConfigDestinationUnknown, MisspeltArrayNameIsAnUnknownTable) {
  expect_error("[[destinations]]\nname = \"p\"\n", 1,
               "unknown table 'destinations'; did you mean 'destination'?");
}

TEST(ConfigDestinationUnknown, SubTableOfAnEntryIsUnknown) {
  expect_error(kPacs + "[destination.pool]\nsize = 2\n", 6, "unknown key 'destination[0].pool'");
  // `tls` is a key of a destination (issue 12), a boolean: not a table of its own.
  expect_error(kPacs + "[destination.tls]\nenabled = true\n", 6,
               "destination[0].tls: expected boolean, got table");
}

// ---- ordering across the file ---------------------------------------------------------------

TEST(ConfigDestinationOrder, EarliestProblemWinsAcrossTablesAndEntries) {
  const std::string bad_server = "[server]\nport = 70000\n";
  // toml++ iterates "destination" before "server"; the file order decides.
  expect_error(bad_server + kPacs + "max_associations = 0\n", 2, "server.port");
  expect_error(kPacs + "max_associations = 0\n" + bad_server, 6, "destination[0].max_associations");
  // A later entry's problem does not hide an earlier entry's.
  expect_error(kPacs + "idle_release_s = 0\n" + with_name("pacs"), 6, "idle_release_s");
  expect_error(kPacs + with_name("pacs") + "idle_release_s = 0\n", 7, "defined twice");
}

// ---- packaged example -----------------------------------------------------------------------

TEST(ConfigDestinationExample, CommentedOutExampleParsesOnceUncommented) {
  const std::filesystem::path p =
      std::filesystem::path(ACC_SOURCE_DIR) / "packaging" / "accessioner.example.toml";
  std::ifstream in(p);
  ASSERT_TRUE(in) << p;
  std::string text;
  bool in_block = false;
  for (std::string line; std::getline(in, line);) {
    in_block = in_block || line == "# [[destination]]";
    if (in_block) {
      ASSERT_TRUE(line.empty() || line == "#" || line.rfind("# ", 0) == 0) << line;
      line = line.size() > 2 ? line.substr(2) : "";
    }
    text += line + "\n";
  }
  ASSERT_TRUE(in_block) << "no '# [[destination]]' block in " << p;
  const RouterConfig c = parse_ok(text);
  ASSERT_EQ(c.destinations.size(), 2u);
  // The first block documents the defaults; it must not drift from the header.
  const DestinationConfig& d = c.destinations[0];
  const DestinationConfig defaults;
  EXPECT_EQ(d.calling_ae, c.server.ae_title);
  EXPECT_EQ(d.max_associations, defaults.max_associations);
  EXPECT_EQ(d.retry_initial_s, defaults.retry_initial_s);
  EXPECT_EQ(d.retry_max_s, defaults.retry_max_s);
  EXPECT_EQ(d.max_attempts, defaults.max_attempts);
  EXPECT_EQ(d.connect_timeout_s, defaults.connect_timeout_s);
  EXPECT_EQ(d.response_timeout_s, defaults.response_timeout_s);
  EXPECT_EQ(d.idle_release_s, defaults.idle_release_s);
  EXPECT_EQ(d.max_pdu_length, defaults.max_pdu_length);
  EXPECT_EQ(c.destinations[1].calling_ae, "ACC_RESEARCH");
}

TEST(ConfigDocs, EveryTomlExampleInTheDocsParses) {
  const std::filesystem::path p =
      std::filesystem::path(ACC_SOURCE_DIR) / "docs" / "configuration.md";
  std::ifstream in(p);
  ASSERT_TRUE(in) << p;
  int blocks = 0;
  bool in_block = false;
  std::string text;
  for (std::string line; std::getline(in, line);) {
    if (!in_block && line == "```toml") {
      in_block = true;
      text.clear();
    } else if (in_block && line == "```") {
      in_block = false;
      ++blocks;
      EXPECT_NO_THROW((void)parse(text, "docs block " + std::to_string(blocks))) << text;
    } else if (in_block) {
      text += line + "\n";
    }
  }
  EXPECT_GE(blocks, 3);
}

}  // namespace
}  // namespace acc::config
