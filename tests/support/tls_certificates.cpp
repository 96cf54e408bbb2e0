#include "tests/support/tls_certificates.hpp"

#include <chrono>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/support/process.hpp"

namespace acc::test {

namespace {

namespace fs = std::filesystem;

// Our own configuration, so the system openssl.cnf (whose [req] adds v3_ca extensions to every
// `req -x509` certificate, leaves included) does not decide what the certificates hold. `ca` needs
// a database: it is the only OpenSSL 3.0 command that sets arbitrary validity dates (x509 -req
// has no -not_before/-not_after before 3.4).
std::string openssl_config() {
  return "[req]\n"
         "distinguished_name = req_dn\n"
         "prompt = no\n"
         "[req_dn]\n"
         "CN = unused\n"
         "[ca_ext]\n"
         "basicConstraints = critical,CA:TRUE\n"
         "keyUsage = critical,keyCertSign,cRLSign\n"
         "subjectKeyIdentifier = hash\n"
         "[server_ext]\n"
         "basicConstraints = critical,CA:FALSE\n"
         "keyUsage = critical,digitalSignature\n"
         "extendedKeyUsage = serverAuth,clientAuth\n"
         "subjectAltName = DNS:localhost,IP:127.0.0.1\n"
         "subjectKeyIdentifier = hash\n"
         "authorityKeyIdentifier = keyid\n"
         "[client_ext]\n"
         "basicConstraints = critical,CA:FALSE\n"
         "keyUsage = critical,digitalSignature\n"
         "extendedKeyUsage = clientAuth\n"
         "subjectKeyIdentifier = hash\n"
         "authorityKeyIdentifier = keyid\n"
         "[any_policy]\n"
         "commonName = supplied\n"
         "organizationName = optional\n";
}

// An `openssl ca -name NAME` section with its own database in `db`.
std::string ca_section(const std::string& name, const fs::path& db) {
  return "[" + name + "]\n" + "database = " + (db / "index.txt").string() + "\n" +
         "new_certs_dir = " + db.string() + "\n" + "serial = " + (db / "serial").string() + "\n" +
         "default_md = sha256\n"
         "policy = any_policy\n"
         "unique_subject = no\n"
         "copy_extensions = none\n";
}

// One openssl command line (without "openssl") and the exit code it must end with.
struct Step {
  std::vector<std::string> args;
  int expected_exit = 0;
};

// Runs the steps at the same time (they must not depend on each other) and returns their outputs
// (stdout and stderr) in order. Throws with the command and its output unless each exits as
// expected. Parallel rounds keep the whole PKI at a few rounds of process start-up.
std::vector<std::string> run_round(const fs::path& log_dir, const std::string& round,
                                   const std::vector<Step>& steps) {
  std::vector<ChildProcess> children;
  std::vector<fs::path> logs;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    logs.push_back(log_dir / ("openssl-" + round + "-" + std::to_string(i) + ".log"));
    { std::ofstream truncate(logs.back(), std::ios::trunc); }
    std::vector<std::string> argv = {"openssl"};
    argv.insert(argv.end(), steps[i].args.begin(), steps[i].args.end());
    children.push_back(ChildProcess::spawn({.argv = argv, .log = logs.back()}));
  }
  std::vector<std::string> outputs;
  std::string failures;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    auto status = children[i].wait_for(std::chrono::seconds(30));
    if (!status) {
      children[i].kill_and_wait();
    }
    outputs.push_back(read_text(logs[i]));
    const int exit = status.value_or(ToolResult::kTimedOut);
    if (exit != steps[i].expected_exit) {
      failures += "\nexit " + std::to_string(exit) + " (expected " +
                  std::to_string(steps[i].expected_exit) + "): openssl";
      for (const auto& a : steps[i].args) {
        failures += " " + a;
      }
      failures += "\n" + outputs.back();
    }
  }
  if (!failures.empty()) {
    throw std::runtime_error("make_test_pki:" + failures);
  }
  return outputs;
}

const std::vector<std::string> kNewEcKey = {"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                                            "-noenc"};

std::vector<std::string> concat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// A self-signed CA, ten years.
Step make_ca(const fs::path& config, const fs::path& dir, const std::string& name,
             const std::string& subject) {
  return {
      concat(concat({"req", "-config", config.string(), "-x509"}, kNewEcKey),
             {"-keyout", (dir / (name + ".key")).string(), "-out", (dir / (name + ".crt")).string(),
              "-subj", subject, "-days", "3650", "-extensions", "ca_ext"})};
}

// A key and a certificate signed by `ca`, valid from now for a year (`req -x509 -CA`: one command).
Step make_leaf(const fs::path& config, const fs::path& dir, const std::string& name,
               const std::string& subject, const std::string& ca, const std::string& extensions) {
  return {
      concat(concat({"req", "-config", config.string(), "-x509"}, kNewEcKey),
             {"-keyout", (dir / (name + ".key")).string(), "-out", (dir / (name + ".crt")).string(),
              "-subj", subject, "-days", "365", "-CA", (dir / (ca + ".crt")).string(), "-CAkey",
              (dir / (ca + ".key")).string(), "-extensions", extensions})};
}

// The key and request of a certificate expired_leaf() signs.
Step make_request(const fs::path& config, const fs::path& dir, const fs::path& db,
                  const std::string& name, const std::string& subject) {
  return {concat(concat({"req", "-config", config.string(), "-new"}, kNewEcKey),
                 {"-keyout", (dir / (name + ".key")).string(), "-out",
                  (db / (name + ".csr")).string(), "-subj", subject})};
}

// Signs NAME.csr with ca.crt, valid 2020-01-01..2020-01-02 only, through the CA section NAME of
// the configuration (one database each, so the two run at the same time).
Step expired_leaf(const fs::path& config, const fs::path& dir, const fs::path& db,
                  const std::string& name, const std::string& extensions) {
  // -preserveDN: keep the request's RDN order (the policy's order otherwise: CN before O).
  return {{"ca",
           "-config",
           config.string(),
           "-name",
           name,
           "-batch",
           "-notext",
           "-preserveDN",
           "-cert",
           (dir / "ca.crt").string(),
           "-keyfile",
           (dir / "ca.key").string(),
           "-in",
           (db / (name + ".csr")).string(),
           "-out",
           (dir / (name + ".crt")).string(),
           "-startdate",
           "20200101000000Z",
           "-enddate",
           "20200102000000Z",
           "-extensions",
           extensions}};
}

Step print_subject(const fs::path& crt) {
  return {{"x509", "-in", crt.string(), "-noout", "-subject", "-nameopt", "RFC2253"}};
}

std::string subject_in(const std::string& output) {
  static const std::string kPrefix = "subject=";
  std::istringstream lines(output);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.starts_with(kPrefix)) {
      return line.substr(kPrefix.size());
    }
  }
  throw std::runtime_error("make_test_pki: no subject line in:\n" + output);
}

}  // namespace

TestPki make_test_pki(const fs::path& dir) {
  fs::create_directories(dir);
  const fs::path db = dir / "ca-db";
  std::string ca_sections;
  for (const char* name : {"expired-client", "expired-server"}) {
    fs::create_directories(db / name);
    { std::ofstream index(db / name / "index.txt", std::ios::trunc); }
    {
      std::ofstream serial(db / name / "serial", std::ios::trunc);
      serial << (std::string(name) == "expired-client" ? "1000\n" : "2000\n");
    }
    ca_sections += ca_section(name, db / name);
  }
  const fs::path config = dir / "openssl-test-pki.cnf";
  {
    std::ofstream out(config, std::ios::trunc);
    out << openssl_config() << ca_sections;
  }
  const fs::path logs = db;  // openssl's output, for a post-mortem (ACC_KEEP_TEST_DIRS=1)

  run_round(logs, "keys",
            {make_ca(config, dir, "ca", "/CN=Accessioner Test CA"),
             make_ca(config, dir, "other-ca", "/CN=Other Test CA"),
             make_request(config, dir, db, "expired-client", "/O=Test Hospital/CN=CT01"),
             make_request(config, dir, db, "expired-server", "/CN=pacs-test")});
  run_round(
      logs, "certificates",
      {make_leaf(config, dir, "server", "/CN=accessioner-test", "ca", "server_ext"),
       make_leaf(config, dir, "pacs", "/CN=pacs-test", "ca", "server_ext"),
       make_leaf(config, dir, "other-pacs", "/CN=pacs-test", "other-ca", "server_ext"),
       make_leaf(config, dir, "client", "/O=Test Hospital/CN=CT01", "ca", "client_ext"),
       make_leaf(config, dir, "other-client", "/O=Test Hospital/CN=MR99", "ca", "client_ext"),
       make_leaf(config, dir, "rogue-client", "/O=Test Hospital/CN=CT01", "other-ca", "client_ext"),
       expired_leaf(config, dir, db, "expired-client", "client_ext"),
       expired_leaf(config, dir, db, "expired-server", "server_ext")});

  TestPki pki;
  pki.dir = dir;
  auto crt = [&](const char* name) { return dir / (std::string(name) + ".crt"); };
  auto key = [&](const char* name) { return dir / (std::string(name) + ".key"); };
  pki.ca_crt = crt("ca");
  pki.ca_key = key("ca");
  pki.other_ca_crt = crt("other-ca");
  pki.other_ca_key = key("other-ca");
  pki.server_crt = crt("server");
  pki.server_key = key("server");
  pki.pacs_crt = crt("pacs");
  pki.pacs_key = key("pacs");
  pki.other_pacs_crt = crt("other-pacs");
  pki.other_pacs_key = key("other-pacs");
  pki.client_crt = crt("client");
  pki.client_key = key("client");
  pki.other_client_crt = crt("other-client");
  pki.other_client_key = key("other-client");
  pki.rogue_client_crt = crt("rogue-client");
  pki.rogue_client_key = key("rogue-client");
  pki.expired_client_crt = crt("expired-client");
  pki.expired_client_key = key("expired-client");
  pki.expired_server_crt = crt("expired-server");
  pki.expired_server_key = key("expired-server");

  // The PKI is what the tests assume, or they would prove nothing: each certificate verifies
  // against its CA (the expired ones with the time check off), the expired ones are expired
  // (-checkend 0 exits 1), and the subjects print as the allow-list tests expect.
  const auto checks =
      run_round(logs, "checks",
                {{{"verify", "-CAfile", pki.ca_crt.string(), pki.server_crt.string(),
                   pki.pacs_crt.string(), pki.client_crt.string(), pki.other_client_crt.string()}},
                 {{"verify", "-CAfile", pki.other_ca_crt.string(), pki.rogue_client_crt.string(),
                   pki.other_pacs_crt.string()}},
                 {{"verify", "-CAfile", pki.ca_crt.string(), "-no_check_time",
                   pki.expired_client_crt.string(), pki.expired_server_crt.string()}},
                 {{"x509", "-in", pki.expired_client_crt.string(), "-noout", "-checkend", "0"}, 1},
                 {{"x509", "-in", pki.expired_server_crt.string(), "-noout", "-checkend", "0"}, 1},
                 print_subject(pki.client_crt),
                 print_subject(pki.other_client_crt),
                 print_subject(pki.rogue_client_crt),
                 print_subject(pki.expired_client_crt)});
  pki.client_subject = subject_in(checks[5]);
  pki.other_client_subject = subject_in(checks[6]);
  const std::string rogue = subject_in(checks[7]);
  const std::string expired = subject_in(checks[8]);
  if (pki.client_subject != kClientSubject || pki.other_client_subject != kOtherClientSubject ||
      rogue != kClientSubject || expired != kClientSubject) {
    throw std::runtime_error("make_test_pki: unexpected client subjects: " + pki.client_subject +
                             " / " + pki.other_client_subject + " / " + rogue + " / " + expired);
  }
  return pki;
}

}  // namespace acc::test
