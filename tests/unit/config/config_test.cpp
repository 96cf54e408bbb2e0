#include "config/config.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "tests/unit/config/config_test_util.hpp"

namespace acc::config {
namespace {

using testing::expect_error;
using testing::Failure;
using testing::parse_failure;
using testing::parse_ok;

// ---- defaults -------------------------------------------------------------------------------

TEST(ConfigDefaults, EmbeddedDefaultMatchesHeaderDefaults) {
  const RouterConfig c = embedded_default();
  EXPECT_EQ(c.source, "<embedded default>");
  EXPECT_EQ(c.server.ae_title, "ACCESSIONER");
  EXPECT_EQ(c.server.bind, "0.0.0.0");
  EXPECT_EQ(c.server.port, 11112);
  EXPECT_EQ(c.server.max_associations, 64u);
  EXPECT_EQ(c.server.max_pdu_length, 131072u);
  EXPECT_EQ(c.server.idle_timeout_s, 60u);
  EXPECT_EQ(c.server.artim_timeout_s, 30u);
  EXPECT_FALSE(c.server.allowed_calling_ae.has_value());
  EXPECT_EQ(c.server.io_threads, 0u);
  EXPECT_EQ(c.server.shutdown_grace_s, 30u);
  EXPECT_EQ(c.storage.path, "var/accessioner");
  EXPECT_EQ(c.server.receive_memory_budget_mb, 512u);
  EXPECT_EQ(c.server.spool_above_kb, 4096u);
  EXPECT_EQ(c.storage.max_instance_bytes, uint64_t{64} << 30);
  EXPECT_TRUE(c.storage.sync);
  EXPECT_EQ(c.storage.free_space_floor_mb, 100u);
  EXPECT_EQ(c.log.level, "info");
  EXPECT_TRUE(c.destinations.empty());
}

TEST(ConfigDefaults, EmptyTextGivesDefaultsAndSourceName) {
  const RouterConfig c = parse("", "empty.toml");
  EXPECT_EQ(c.source, "empty.toml");
  EXPECT_EQ(c.server.port, 11112);
  EXPECT_EQ(c.storage.path, "var/accessioner");
  EXPECT_EQ(c.log.level, "info");
}

TEST(ConfigDefaults, MissingKeysKeepDefaultsNextToGivenOnes) {
  const RouterConfig c = parse_ok("[server]\nport = 104\n[log]\n");
  EXPECT_EQ(c.server.port, 104);
  EXPECT_EQ(c.server.ae_title, "ACCESSIONER");
  EXPECT_EQ(c.server.max_associations, 64u);
  EXPECT_EQ(c.log.level, "info");
}

// ---- full file ------------------------------------------------------------------------------

TEST(ConfigParse, ReadsEveryKey) {
  const RouterConfig c = parse_ok(R"(
[server]
ae_title = "ROUTER1"
bind = "127.0.0.1"
port = 4242
max_associations = 8
max_pdu_length = 16384
idle_timeout_s = 120
artim_timeout_s = 10
allowed_calling_ae = ["CT1", "MR2"]
io_threads = 4
shutdown_grace_s = 5

[storage]
path = "/srv/acc"
max_instance_bytes = 1048576
sync = false
free_space_floor_mb = 2048

[log]
level = "debug"
)");
  EXPECT_EQ(c.server.ae_title, "ROUTER1");
  EXPECT_EQ(c.server.bind, "127.0.0.1");
  EXPECT_EQ(c.server.port, 4242);
  EXPECT_EQ(c.server.max_associations, 8u);
  EXPECT_EQ(c.server.max_pdu_length, 16384u);
  EXPECT_EQ(c.server.idle_timeout_s, 120u);
  EXPECT_EQ(c.server.artim_timeout_s, 10u);
  ASSERT_TRUE(c.server.allowed_calling_ae.has_value());
  EXPECT_EQ(*c.server.allowed_calling_ae, (std::vector<std::string>{"CT1", "MR2"}));
  EXPECT_EQ(c.server.io_threads, 4u);
  EXPECT_EQ(c.server.shutdown_grace_s, 5u);
  EXPECT_EQ(c.storage.path, "/srv/acc");
  EXPECT_EQ(c.storage.max_instance_bytes, 1048576u);
  EXPECT_FALSE(c.storage.sync);
  EXPECT_EQ(c.storage.free_space_floor_mb, 2048u);
  EXPECT_EQ(c.log.level, "debug");
}

TEST(ConfigParse, InlineTablesAndDottedKeysAreEquivalentToHeaders) {
  const RouterConfig c = parse_ok("server = { port = 1234 }\nlog.level = \"warn\"\n");
  EXPECT_EQ(c.server.port, 1234);
  EXPECT_EQ(c.log.level, "warn");
}

// ---- error format ---------------------------------------------------------------------------

TEST(ConfigErrorReport, WhatIsFileLineColumnMessage) {
  const ConfigError e("a.toml", 3, 7, "boom");
  EXPECT_STREQ(e.what(), "a.toml:3:7: boom");
  EXPECT_EQ(e.file(), "a.toml");
  EXPECT_EQ(e.line(), 3u);
  EXPECT_EQ(e.column(), 7u);
  EXPECT_EQ(e.message(), "boom");
}

TEST(ConfigErrorReport, ErrorCarriesSourceNameAndPointsAtValue) {
  const Failure f = parse_failure("[server]\nport =   70000\n", "site.toml");
  ASSERT_TRUE(f.thrown);
  EXPECT_EQ(f.file, "site.toml");
  EXPECT_EQ(f.line, 2u);
  EXPECT_EQ(f.column, 10u);  // the value, not the key
  EXPECT_EQ(f.what, "site.toml:2:10: " + f.message);
}

TEST(ConfigErrorReport, TomlSyntaxErrorHasItsLine) {
  const Failure f = parse_failure("[server]\nport = 1\nbind = \n", "bad.toml");
  ASSERT_TRUE(f.thrown);
  EXPECT_EQ(f.file, "bad.toml");
  EXPECT_EQ(f.line, 3u);
  EXPECT_GT(f.column, 0u);
  EXPECT_FALSE(f.message.empty());
}

TEST(ConfigErrorReport, DuplicateKeyIsASyntaxError) {
  expect_error("[server]\nport = 1\nport = 2\n", 3, "port");
}

TEST(ConfigErrorReport, FirstErrorInFileOrderWinsAcrossTables) {
  // toml++ iterates keys alphabetically ("log" < "server"); the report must follow the file.
  expect_error("[server]\nport = 70000\n[log]\nlevel = \"loud\"\n", 2, "server.port");
  expect_error("[log]\nlevel = \"loud\"\n[server]\nport = 70000\n", 2, "log.level");
}

TEST(ConfigErrorReport, FirstErrorInFileOrderWinsWithinATable) {
  expect_error("[server]\nport = 70000\nbind = \"nope\"\n", 2, "server.port");
  expect_error("[server]\nbind = \"nope\"\nport = 70000\n", 2, "server.bind");
  // Dotted keys interleave tables at the top level.
  expect_error("server.bind = \"::\"\nlog.level = \"x\"\nserver.port = 70000\n", 2, "log.level");
}

// ---- unknown keys ---------------------------------------------------------------------------

TEST(ConfigUnknown, UnknownKeyInKnownTable) {
  const Failure f = parse_failure("[server]\nport = 1\nfoo = 2\n");
  ASSERT_TRUE(f.thrown);
  EXPECT_EQ(f.line, 3u);
  EXPECT_EQ(f.column, 1u);
  EXPECT_EQ(f.message, "unknown key 'server.foo'");
}

TEST(ConfigUnknown, UnknownTopLevelKey) {
  expect_error("\n\ntitle = \"x\"\n", 3, "unknown key 'title'");
}

TEST(ConfigUnknown, UnknownTopLevelTable) {
  expect_error("[server]\n\n[frobnicate]\nx = 1\n", 3, "unknown table 'frobnicate'");
}

TEST(ConfigUnknown, UnknownSubTableOfKnownTable) {
  expect_error("[server]\nport = 1\n[server.extra]\nx = 1\n", 3, "unknown key 'server.extra'");
}

TEST(ConfigUnknown, DidYouMeanForMisspelledKey) {
  const Failure f = parse_failure("[server]\nprot = 104\n");
  ASSERT_TRUE(f.thrown);
  EXPECT_EQ(f.line, 2u);
  EXPECT_EQ(f.message, "unknown key 'server.prot'; did you mean 'port'?");
}

TEST(ConfigUnknown, DidYouMeanForMisspelledTableAndCase) {
  expect_error("[sever]\n", 1, "unknown table 'sever'; did you mean 'server'?");
  expect_error("[storage]\nSync = true\n", 2, "did you mean 'sync'?");
  expect_error("[server]\nmax_association = 3\n", 2, "did you mean 'max_associations'?");
}

TEST(ConfigUnknown, NoSuggestionWhenNothingIsClose) {
  const Failure f = parse_failure("[storage]\ncompression = \"zstd\"\n");
  ASSERT_TRUE(f.thrown);
  EXPECT_EQ(f.line, 2u);
  EXPECT_EQ(f.message, "unknown key 'storage.compression'");
}

// ---- types ----------------------------------------------------------------------------------

TEST(ConfigTypes, StringWhereIntegerExpected) {
  const Failure f = parse_failure("[server]\nport = \"104\"\n");
  ASSERT_TRUE(f.thrown);
  EXPECT_EQ(f.line, 2u);
  EXPECT_EQ(f.column, 8u);
  EXPECT_NE(f.message.find("server.port: expected integer, got string \"104\""), std::string::npos)
      << f.message;
  EXPECT_NE(f.message.find("0..65535"), std::string::npos) << f.message;
}

TEST(ConfigTypes, FloatWhereIntegerExpected) {
  expect_error("[server]\n\nidle_timeout_s = 1.5\n", 3,
               "server.idle_timeout_s: expected integer, got float 1.5");
}

TEST(ConfigTypes, IntegerWhereStringExpected) {
  expect_error("[log]\nlevel = 3\n", 2, "log.level: expected string, got integer 3");
}

TEST(ConfigTypes, StringWhereBooleanExpected) {
  expect_error("[storage]\nsync = \"yes\"\n", 2, "storage.sync: expected boolean, got string");
}

TEST(ConfigTypes, ScalarWhereTableExpected) {
  expect_error("server = 5\n", 1, "server: expected table, got integer 5");
}

TEST(ConfigTypes, ArrayOfTablesWhereTableExpected) {
  expect_error("[[storage]]\npath = \"x\"\n", 1, "storage: expected table, got array");
}

TEST(ConfigParse, AllowedSourcesAreNetworksInCanonicalForm) {
  const RouterConfig c = parse_ok(
      "[server]\nallowed_sources = [\"10.20.0.0/16\", \"192.168.1.7\", \"2001:DB8::/32\"]\n");
  ASSERT_TRUE(c.server.allowed_sources.has_value());
  EXPECT_EQ(*c.server.allowed_sources,
            (std::vector<std::string>{"10.20.0.0/16", "192.168.1.7/32", "2001:db8::/32"}));
  EXPECT_FALSE(parse_ok("").server.allowed_sources.has_value());
}

TEST(ConfigParse, ServerTlsIsOffUnlessItsTableIsPresent) {
  EXPECT_FALSE(parse_ok("").server.tls.enabled);
  const RouterConfig c = parse_ok(R"([server.tls]
certificate = "/etc/accessioner/tls/a.crt"
key = "/etc/accessioner/tls/a.key"
ca_file = "/etc/accessioner/tls/ca.crt"
allowed_client_subjects = ["CN=CT01,O=General Hospital"]
)");
  EXPECT_TRUE(c.server.tls.enabled);
  EXPECT_EQ(c.server.tls.port, 2762);
  EXPECT_TRUE(c.server.tls.require_client_certificate);
  EXPECT_EQ(c.server.tls.ca_file, "/etc/accessioner/tls/ca.crt");
  ASSERT_TRUE(c.server.tls.allowed_client_subjects.has_value());
  EXPECT_EQ(c.server.tls.allowed_client_subjects->front(), "CN=CT01,O=General Hospital");
}

TEST(ConfigTypes, ServerTlsNeedsItsCertificateKeyAndACaForClientCertificates) {
  expect_error("[server.tls]\nport = 2762\n", 1,
               "server.tls: missing required keys 'certificate', 'key', 'ca_file'");
  // Without client certificates no CA is needed.
  const RouterConfig c = parse_ok(
      "[server.tls]\ncertificate = \"a.crt\"\nkey = \"a.key\"\nrequire_client_certificate = "
      "false\n");
  EXPECT_FALSE(c.server.tls.require_client_certificate);
  // The BCP 195 settings are fixed: there is no key to weaken them.
  expect_error(
      "[server.tls]\ncertificate = \"a.crt\"\nkey = \"a.key\"\nca_file = \"ca\"\nciphers = "
      "\"ALL\"\n",
      5, "unknown key 'server.tls.ciphers'");
}

TEST(ConfigTypes, AllowedSourcesThatAreNotNetworksAreRefusedWithTheirPosition) {
  expect_error(
      "[server]\nallowed_sources = [\"10.0.0.0/8\", \"ct.hospital.local\"]\n", 2,
      "server.allowed_sources[1]: \"ct.hospital.local\" is not a network in CIDR notation");
  expect_error("[server]\nallowed_sources = [\"10.1.2.3/8\"]\n", 2,
               "has bits set after its /8 prefix");
}

TEST(ConfigTypes, StringWhereArrayExpected) {
  expect_error("[server]\nallowed_calling_ae = \"CT1\"\n", 2,
               "server.allowed_calling_ae: expected array of strings, got string");
}

// ---- ranges ---------------------------------------------------------------------------------

struct RangeCase {
  const char* table;
  const char* key;
  int64_t min;
  int64_t max;
};

class ConfigRange : public ::testing::TestWithParam<RangeCase> {};

std::string doc(const RangeCase& c, int64_t value) {
  return std::string("# leading comment\n[") + c.table + "]\n" + c.key + " = " +
         std::to_string(value) + "\n";
}

TEST_P(ConfigRange, BoundsAreInclusive) {
  const RangeCase& c = GetParam();
  EXPECT_NO_THROW((void)parse(doc(c, c.min), "t"));
  EXPECT_NO_THROW((void)parse(doc(c, c.max), "t"));
}

TEST_P(ConfigRange, JustOutsideIsRejectedWithKeyValueAndRange) {
  const RangeCase& c = GetParam();
  const std::string range = std::to_string(c.min) + ".." + std::to_string(c.max);
  const std::string key = std::string(c.table) + "." + c.key;
  for (int64_t bad : {c.min - 1, c.max + 1}) {
    const Failure f = parse_failure(doc(c, bad));
    ASSERT_TRUE(f.thrown) << key << " = " << bad;
    EXPECT_EQ(f.line, 3u);
    EXPECT_EQ(f.message,
              key + ": " + std::to_string(bad) + " is out of range (allowed " + range + ")");
  }
}

INSTANTIATE_TEST_SUITE_P(
    AllIntegerKeys, ConfigRange,
    ::testing::Values(RangeCase{"server", "port", 0, 65535},
                      RangeCase{"server", "max_associations", 1, 4096},
                      RangeCase{"server", "max_pdu_length", 4096, 4194304},
                      RangeCase{"server", "idle_timeout_s", 1, 86400},
                      RangeCase{"server", "artim_timeout_s", 1, 600},
                      RangeCase{"server", "io_threads", 0, 64},
                      RangeCase{"server", "shutdown_grace_s", 1, 3600},
                      RangeCase{"server", "receive_memory_budget_mb", 64, 1048576},
                      RangeCase{"server", "spool_above_kb", 64, 1048576},
                      RangeCase{"storage", "max_instance_bytes", 1024, int64_t{1} << 40},
                      RangeCase{"storage", "free_space_floor_mb", 0, 1048576}),
    [](const ::testing::TestParamInfo<RangeCase>& info) {
      return std::string(info.param.table) + "_" + info.param.key;
    });

TEST(ConfigRangeValues, BoundaryValuesAreStoredExactly) {
  const RouterConfig c = parse_ok(
      "[server]\nport = 65535\nmax_pdu_length = 4194304\n"
      "[storage]\nmax_instance_bytes = 1099511627776\n");
  EXPECT_EQ(c.server.port, 65535);
  EXPECT_EQ(c.server.max_pdu_length, 4194304u);
  EXPECT_EQ(c.storage.max_instance_bytes, uint64_t{1} << 40);
}

TEST(ConfigRangeValues, ServerPortZeroMeansAnyFreePort) {
  // Tests and scripts bind port 0 and read the bound port back (log line, admin status).
  EXPECT_EQ(parse_ok("[server]\nport = 0\n").server.port, 0);
}

TEST(ConfigRangeValues, NegativeAndHugeValuesAreOutOfRange) {
  expect_error("[server]\nport = -1\n", 2, "server.port: -1 is out of range");
  expect_error("[server]\nport = 4294967297\n", 2, "server.port: 4294967297 is out of range");
}

// ---- AE titles ------------------------------------------------------------------------------

TEST(ConfigAeTitle, SurroundingSpacesAreTrimmed) {
  EXPECT_EQ(parse_ok("[server]\nae_title = \"  CT ROUTER \"\n").server.ae_title, "CT ROUTER");
}

TEST(ConfigAeTitle, SixteenCharactersAccepted) {
  EXPECT_EQ(parse_ok("[server]\nae_title = \"ABCDEFGHIJKLMNOP\"\n").server.ae_title,
            "ABCDEFGHIJKLMNOP");
  // Sixteen significant characters plus padding is still sixteen.
  EXPECT_EQ(parse_ok("[server]\nae_title = \" ABCDEFGHIJKLMNOP  \"\n").server.ae_title,
            "ABCDEFGHIJKLMNOP");
}

TEST(ConfigAeTitle, SeventeenCharactersRejected) {
  expect_error("[server]\nae_title = \"ABCDEFGHIJKLMNOPQ\"\n", 2,
               "server.ae_title: \"ABCDEFGHIJKLMNOPQ\" is 17 characters long");
}

TEST(ConfigAeTitle, EmptyRejected) {
  expect_error("[server]\nae_title = \"\"\n", 2, "server.ae_title: must not be empty");
}

TEST(ConfigAeTitle, AllSpacesRejected) {
  expect_error("[server]\nae_title = \"    \"\n", 2, "server.ae_title: \"    \" is all spaces");
}

TEST(ConfigAeTitle, BackslashRejected) {
  expect_error("[server]\nae_title = 'CT\\1'\n", 2, "contains a backslash");
}

TEST(ConfigAeTitle, ControlCharacterRejected) {
  expect_error("[server]\nae_title = \"CT\\t1\"\n", 2,
               "contains byte 0x09 at position 3; only printable ASCII is allowed");
}

TEST(ConfigAeTitle, NonAsciiRejected) {
  expect_error("[server]\nae_title = \"CT\xC3\xA9\"\n", 2, "contains byte 0xC3 at position 3");
}

// ---- allowed_calling_ae ---------------------------------------------------------------------

TEST(ConfigAllowedCallingAe, AbsentMeansAnyone) {
  EXPECT_FALSE(parse_ok("[server]\nport = 104\n").server.allowed_calling_ae.has_value());
}

TEST(ConfigAllowedCallingAe, EmptyListMeansNobody) {
  const auto allowed = parse_ok("[server]\nallowed_calling_ae = []\n").server.allowed_calling_ae;
  ASSERT_TRUE(allowed.has_value());
  EXPECT_TRUE(allowed->empty());
}

TEST(ConfigAllowedCallingAe, ListIsKeptInOrderAndTrimmed) {
  const auto allowed = parse_ok("[server]\nallowed_calling_ae = [\"CT1\", \" MR2 \", \"US_3\"]\n")
                           .server.allowed_calling_ae;
  ASSERT_TRUE(allowed.has_value());
  EXPECT_EQ(*allowed, (std::vector<std::string>{"CT1", "MR2", "US_3"}));
}

TEST(ConfigAllowedCallingAe, BadElementIsPointedAt) {
  const Failure f = parse_failure(
      "[server]\nallowed_calling_ae = [\n  \"CT1\",\n  \"THIS_IS_FAR_TOO_LONG\",\n]\n");
  ASSERT_TRUE(f.thrown);
  EXPECT_EQ(f.line, 4u);
  EXPECT_EQ(f.column, 3u);
  EXPECT_NE(f.message.find("server.allowed_calling_ae[1]: \"THIS_IS_FAR_TOO_LONG\" is 20"),
            std::string::npos)
      << f.message;
}

TEST(ConfigAllowedCallingAe, NonStringElementIsPointedAt) {
  expect_error("[server]\nallowed_calling_ae = [\"CT1\",\n 7]\n", 3,
               "server.allowed_calling_ae[1]: expected string, got integer 7");
}

TEST(ConfigAllowedCallingAe, BlankElementRejected) {
  expect_error("[server]\nallowed_calling_ae = [\"  \"]\n", 2,
               "server.allowed_calling_ae[0]: \"  \" is all spaces");
}

// ---- bind -----------------------------------------------------------------------------------

TEST(ConfigBind, AcceptsIpv4AndIpv6Literals) {
  for (const char* addr : {"0.0.0.0", "127.0.0.1", "192.168.10.20", "::", "::1", "fe80::1",
                           "2001:db8::42", "::ffff:10.0.0.1"}) {
    EXPECT_EQ(parse_ok(std::string("[server]\nbind = \"") + addr + "\"\n").server.bind, addr);
  }
}

TEST(ConfigBind, RejectsHostNamesAndMalformedAddresses) {
  for (const char* addr :
       {"localhost", "", "256.1.1.1", "1.2.3", "[::1]", "::1%eth0", " 127.0.0.1", "1.2.3.4:104"}) {
    const Failure f = parse_failure(std::string("\n[server]\nbind = \"") + addr + "\"\n");
    ASSERT_TRUE(f.thrown) << addr;
    EXPECT_EQ(f.line, 3u);
    EXPECT_NE(f.message.find("server.bind: "), std::string::npos) << f.message;
    EXPECT_NE(f.message.find("is not an IPv4 or IPv6 address literal"), std::string::npos)
        << f.message;
  }
}

TEST(ConfigBind, RejectsEmbeddedNul) {
  expect_error("[server]\nbind = \"127.0.0.1\\u0000x\"\n", 2, "not an IPv4 or IPv6");
}

// ---- storage and log ------------------------------------------------------------------------

TEST(ConfigStorage, EmptyPathRejected) {
  expect_error("[storage]\npath = \"\"\n", 2, "storage.path: must not be empty");
}

TEST(ConfigLog, EveryLevelAccepted) {
  for (const char* level : {"trace", "debug", "info", "warn", "error", "critical", "off"}) {
    EXPECT_EQ(parse_ok(std::string("[log]\nlevel = \"") + level + "\"\n").log.level, level);
  }
}

TEST(ConfigLog, UnknownLevelListsTheChoices) {
  expect_error("[log]\nlevel = \"verbose\"\n", 2,
               "log.level: \"verbose\" is not one of trace, debug, info, warn, error, critical, "
               "off");
}

TEST(ConfigLog, NearMissLevelGetsSuggestion) {
  expect_error("[log]\nlevel = \"INFO\"\n", 2, "did you mean 'info'?");
  expect_error("[log]\nlevel = \"eror\"\n", 2, "did you mean 'error'?");
}

// ---- files ----------------------------------------------------------------------------------

class ConfigFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("acc_config_test_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
            "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path write(const std::string& name, const std::string& text) {
    const auto p = dir_ / name;
    std::ofstream(p, std::ios::binary) << text;
    return p;
  }

  std::filesystem::path dir_;
};

TEST_F(ConfigFile, LoadsFileAndRecordsItsPath) {
  const auto p = write("good.toml", "[server]\nport = 2104\n");
  const RouterConfig c = load_file(p);
  EXPECT_EQ(c.server.port, 2104);
  EXPECT_EQ(c.source, p.string());
}

TEST_F(ConfigFile, ErrorsInAFileNameThePath) {
  const auto p = write("bad.toml", "[server]\n\nport = 70000\n");
  try {
    (void)load_file(p);
    FAIL() << "accepted";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.file(), p.string());
    EXPECT_EQ(e.line(), 3u);
    EXPECT_EQ(std::string(e.what()).rfind(p.string() + ":3:", 0), 0u) << e.what();
  }
}

TEST_F(ConfigFile, MissingFileIsLineZero) {
  const auto p = dir_ / "absent.toml";
  try {
    (void)load_file(p);
    FAIL() << "accepted";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.file(), p.string());
    EXPECT_EQ(e.line(), 0u);
    EXPECT_EQ(e.column(), 0u);
    EXPECT_EQ(e.message(), "cannot read file: No such file or directory");
    EXPECT_EQ(std::string(e.what()), p.string() + ":0:0: " + e.message());
  }
}

TEST_F(ConfigFile, DirectoryIsUnreadable) {
  try {
    (void)load_file(dir_);
    FAIL() << "accepted";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.line(), 0u);
    EXPECT_EQ(e.message().rfind("cannot read file: ", 0), 0u) << e.message();
  }
}

TEST_F(ConfigFile, EmptyFileIsValid) {
  const RouterConfig c = load_file(write("empty.toml", ""));
  EXPECT_EQ(c.server.port, 11112);
}

TEST(ConfigExample, PackagedExampleParsesAndSetsEveryTable) {
  const std::filesystem::path p =
      std::filesystem::path(ACC_SOURCE_DIR) / "packaging" / "accessioner.example.toml";
  const RouterConfig c = load_file(p);
  EXPECT_EQ(c.source, p.string());
  // The example documents the defaults; it must not drift from them.
  RouterConfig expected = embedded_default();
  EXPECT_EQ(c.server.ae_title, expected.server.ae_title);
  EXPECT_EQ(c.server.bind, expected.server.bind);
  EXPECT_EQ(c.server.port, expected.server.port);
  EXPECT_EQ(c.server.max_associations, expected.server.max_associations);
  EXPECT_EQ(c.server.max_pdu_length, expected.server.max_pdu_length);
  EXPECT_EQ(c.server.idle_timeout_s, expected.server.idle_timeout_s);
  EXPECT_EQ(c.server.artim_timeout_s, expected.server.artim_timeout_s);
  EXPECT_EQ(c.server.allowed_calling_ae, expected.server.allowed_calling_ae);
  EXPECT_EQ(c.server.io_threads, expected.server.io_threads);
  EXPECT_EQ(c.server.shutdown_grace_s, expected.server.shutdown_grace_s);
  EXPECT_EQ(c.storage.path, expected.storage.path);
  EXPECT_EQ(c.storage.max_instance_bytes, expected.storage.max_instance_bytes);
  EXPECT_EQ(c.storage.sync, expected.storage.sync);
  EXPECT_EQ(c.storage.free_space_floor_mb, expected.storage.free_space_floor_mb);
  EXPECT_EQ(c.log.level, expected.log.level);
  EXPECT_EQ(c.log.format, expected.log.format);
  EXPECT_EQ(c.log.file, expected.log.file);
  EXPECT_EQ(c.log.max_file_mb, expected.log.max_file_mb);
  EXPECT_EQ(c.log.max_files, expected.log.max_files);
  EXPECT_EQ(c.metrics.enabled, expected.metrics.enabled);
  EXPECT_EQ(c.metrics.bind, expected.metrics.bind);
  EXPECT_EQ(c.metrics.port, expected.metrics.port);
  EXPECT_EQ(c.metrics.max_connections, expected.metrics.max_connections);
  EXPECT_EQ(c.metrics.request_timeout_s, expected.metrics.request_timeout_s);
  // [worklist] is commented out: the example must not make the router depend on a RIS.
  EXPECT_FALSE(c.worklist.enabled);
  EXPECT_EQ(c.accession.issuer_local_namespace, expected.accession.issuer_local_namespace);
  EXPECT_EQ(c.accession.issuer_universal_id, expected.accession.issuer_universal_id);
  EXPECT_EQ(c.accession.issuer_universal_id_type, expected.accession.issuer_universal_id_type);
  EXPECT_EQ(c.matching.date_window_days, expected.matching.date_window_days);
  EXPECT_EQ(c.matching.existing_accession, expected.matching.existing_accession);
  EXPECT_EQ(c.matching.on_unmatched, expected.matching.on_unmatched);
  EXPECT_EQ(c.matching.on_ambiguous, expected.matching.on_ambiguous);
  EXPECT_EQ(c.matching.hold_s, expected.matching.hold_s);
  EXPECT_EQ(c.matching.after_hold, expected.matching.after_hold);
  EXPECT_EQ(c.matching.modality_aliases, expected.matching.modality_aliases);
  EXPECT_EQ(c.rules.files, expected.rules.files);
  // The destination example is commented out (there is no sensible default PACS); the test below
  // checks that it parses once uncommented.
  EXPECT_TRUE(c.destinations.empty());
}

}  // namespace
}  // namespace acc::config
