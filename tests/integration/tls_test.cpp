// DICOM TLS: the [server.tls] listener as DCMTK modalities see it (a client certificate signed by
// ca_file is required; another CA, an expired certificate, no certificate, a subject outside
// allowed_client_subjects and plain DICOM are refused without harming the server), and
// destinations with `tls = true` forwarding to a storescp +tls PACS that requires our client
// certificate (a PACS certificate that is expired or signed by another CA is never trusted: the
// job keeps retrying, nothing is delivered). Certificates: tests/support/tls_certificates.hpp.
//
// DCMTK's TLS command lines (3.6.7, built with OpenSSL 3.0), as used here:
//   storescp --fork -v -aet PACS +xa +tls pacs.key pacs.crt +cf ca.crt -od DIR PORT
//       (-rc, "require a peer certificate", is storescp's default: it refuses a client without one)
//   storescu -v +tls client.key client.crt +cf ca.crt -aec ACCESSIONER 127.0.0.1 PORT FILE
//   storescu -v +tla +cf ca.crt ...   TLS without a client certificate (still verifies the server)
//   echoscu  -v +tls client.key client.crt +cf ca.crt -aec ACCESSIONER 127.0.0.1 PORT
// Keys are unencrypted PEM, so DCMTK's default +ps (prompt for a password) never prompts. A server
// refusing the client's certificate (TLS 1.3: after the client's side of the handshake is done)
// shows on storescu as "Association Request Failed: 0006:0317 Peer aborted Association (or never
// connected)", exit 1; a server certificate storescu does not trust as "000b:0886 TLS error:
// certificate verify failed". DCMTK checks no host name.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <set>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include <asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "dicom/data/sop_classes.hpp"
#include "dicom/net/association.hpp"
#include "dicom/net/scu.hpp"
#include "dicom/net/tls.hpp"

#include "tests/integration/dcmtk_tools.hpp"
#include "tests/integration/forward_helpers.hpp"
#include "tests/support/accessioner_process.hpp"
#include "tests/support/dcmtk_senders.hpp"
#include "tests/support/dicom_files.hpp"
#include "tests/support/net.hpp"
#include "tests/support/pacs_peers.hpp"
#include "tests/support/peer_start.hpp"
#include "tests/support/process.hpp"
#include "tests/support/run_awaitable.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/tls_certificates.hpp"

namespace acc::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::string toml_string(const fs::path& p) {
  return "\"" + p.string() + "\"";
}

// [server.tls] with the test PKI: server.crt/key, clients trusted through ca.crt, a client
// certificate required. `extra`: further lines of the table.
std::string tls_listener_table(const TestPki& pki, const std::string& extra = "") {
  return "[server.tls]\n"
         "port = 0\n"
         "certificate = " +
         toml_string(pki.server_crt) + "\nkey = " + toml_string(pki.server_key) +
         "\nca_file = " + toml_string(pki.ca_crt) + "\nrequire_client_certificate = true\n" +
         extra + "\n";
}

// DCMTK's options for TLS with a client certificate; the server is verified against ca.crt.
std::vector<std::string> tls_with(const fs::path& key, const fs::path& crt, const TestPki& pki) {
  return {"+tls", key.string(), crt.string(), "+cf", pki.ca_crt.string()};
}

// storescu of CT_small to Accessioner at `port` with `options` (e.g. tls_with(...)).
ToolResult storescu_ct(uint16_t port, const std::vector<std::string>& options,
                       const fs::path& log) {
  return run_tool(storescu_argv(port, {kCtSmall}, options), log, 30s);
}

// True if one line of `text` contains every word.
bool has_line_with(const std::string& text, std::initializer_list<std::string> words) {
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    bool all = true;
    for (const auto& w : words) {
      all = all && line.find(w) != std::string::npos;
    }
    if (all) {
      return true;
    }
  }
  return false;
}

// Waits (the server logs after the peer has gone) for a log line holding every word.
bool wait_for_log_line(const AccessionerProcess& server, std::initializer_list<std::string> words,
                       std::chrono::milliseconds timeout = 10s) {
  return wait_until([&] { return has_line_with(server.log_text(), words); }, timeout, 50ms);
}

// Sum of every sample of `name` whose labels include `label` (e.g. result="failed"); -1 if none.
double metric_value(const std::string& metrics, const std::string& name, const std::string& label) {
  std::istringstream lines(metrics);
  std::string line;
  double sum = -1;
  while (std::getline(lines, line)) {
    if (!line.starts_with(name + "{") || line.find(label) == std::string::npos) {
      continue;
    }
    const auto space = line.rfind(' ');
    if (space == std::string::npos) {
      continue;
    }
    sum = (sum < 0 ? 0 : sum) + std::strtod(line.c_str() + space + 1, nullptr);
  }
  return sum;
}

double failed_handshakes(const AccessionerProcess& server) {
  return metric_value(http_get(server.metrics_port(), "/metrics"),
                      "accessioner_tls_handshakes_total", "result=\"failed\"");
}

// A storescp +tls as the PACS, requiring a client certificate signed by `ca` (storescp's default
// -rc), on a free port (retried if taken meanwhile, see peer_start.hpp). StorescpProcess has no
// way to pass +tls, hence this one. Stopped with its association children on destruction.
class TlsStorescp {
 public:
  TlsStorescp(const fs::path& key, const fs::path& crt, const fs::path& ca)
      : dir_("acc-tls-storescp"), port_(free_port()) {
    fs::create_directories(received_dir());
    std::vector<std::string> argv = {"storescp", "--fork", "-v", "-aet", "PACS", "+xa"};
    argv.insert(argv.end(), {"+tls", key.string(), crt.string(), "+cf", ca.string()});
    argv.insert(argv.end(), {"-od", received_dir().string()});
    child_ = launch_peer({.name = "storescp +tls",
                          .ports = {&port_},
                          .spawn =
                              [&] {
                                std::vector<std::string> full = argv;
                                full.push_back(std::to_string(port_));
                                return ChildProcess::spawn({.argv = full, .log = log_path()});
                              },
                          .log = [this] { return log_text(); }});
  }
  ~TlsStorescp() {
    if (child_.valid() && child_.running()) {
      ::kill(child_.pid(), SIGSTOP);  // no new association children while they are killed
      kill_children(child_.pid());
      child_.kill_and_wait();
    }
  }
  TlsStorescp(const TlsStorescp&) = delete;
  TlsStorescp& operator=(const TlsStorescp&) = delete;

  [[nodiscard]] uint16_t port() const noexcept { return port_; }
  [[nodiscard]] fs::path received_dir() const { return dir_ / "received"; }
  [[nodiscard]] fs::path log_path() const { return dir_ / "storescp.log"; }
  [[nodiscard]] std::string log_text() const { return read_text(log_path()); }
  // SOP Instance UIDs of the received files (storescp names them MODALITY.UID).
  [[nodiscard]] std::set<std::string> received_uids() const {
    std::set<std::string> out;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(received_dir(), ec)) {
      const std::string name = entry.path().filename().string();
      if (const auto dot = name.find('.'); dot != std::string::npos) {
        out.insert(name.substr(dot + 1));
      }
    }
    return out;
  }

 private:
  TempDir dir_;
  uint16_t port_;
  ChildProcess child_;
};

// A destination to `pacs` over TLS: ca.crt (or `trusted_ca`) decides which PACS certificates we
// trust, server.crt/key is our client certificate. tls_verify_hostname keeps its default (true):
// the destination is 127.0.0.1, so the PACS certificate's IP SAN is what matches.
DestinationOptions tls_destination(const TlsStorescp& pacs, const TestPki& pki,
                                   const std::string& extra = "") {
  return {.name = "pacs",
          .ae_title = "PACS",
          .port = pacs.port(),
          .extra = "tls = true\ntls_ca_file = " + toml_string(pki.ca_crt) +
                   "\ntls_certificate = " + toml_string(pki.server_crt) +
                   "\ntls_key = " + toml_string(pki.server_key) + "\n" + extra};
}

const std::string& ct_uid() {
  static const std::string uid = read_data_set(kCtSmall).sop_instance_uid;
  return uid;
}

// After a refused TLS client: nothing was stored, and a modality with a good certificate is still
// served through the TLS port (the refusal harmed nothing).
void expect_nothing_stored_and_still_serving(const AccessionerProcess& server, const TestPki& pki) {
  EXPECT_EQ(find_instance(server.queue_list(), ct_uid()), nullptr) << "a refused client stored";
  const ToolResult good =
      storescu_ct(server.tls_port(), tls_with(pki.client_key, pki.client_crt, pki),
                  server.dir() / "storescu-good.log");
  EXPECT_EQ(good.exit_code, 0) << tail(good.output) << "\n" << tail(server.log_text());
  EXPECT_NE(find_instance(server.queue_list(), ct_uid()), nullptr) << tail(server.log_text());
}

// The DCMTK tools and the test PKI agree among themselves (no Accessioner involved): if this
// fails, the environment (DCMTK without OpenSSL, openssl missing) is at fault, not the product.
TEST(Tls, TheTestPkiWorksBetweenDcmtkPeers) {
  TempDir scratch("acc-tls");
  const TestPki pki = make_test_pki(scratch / "pki");
  EXPECT_EQ(pki.client_subject, kClientSubject);
  EXPECT_EQ(pki.other_client_subject, kOtherClientSubject);
  TlsStorescp pacs(pki.pacs_key, pki.pacs_crt, pki.ca_crt);
  const auto to_pacs = [&](const std::vector<std::string>& tls, const std::string& log) {
    std::vector<std::string> argv = {"storescu", "-v", "-aec", "PACS"};
    argv.insert(argv.end(), tls.begin(), tls.end());
    argv.insert(argv.end(), {"127.0.0.1", std::to_string(pacs.port()), kCtSmall.string()});
    return run_tool(argv, scratch / log, 30s);
  };
  const ToolResult good = to_pacs(tls_with(pki.client_key, pki.client_crt, pki), "good.log");
  EXPECT_EQ(good.exit_code, 0) << good.output << "\n" << pacs.log_text();
  EXPECT_TRUE(pacs.received_uids().contains(ct_uid())) << pacs.log_text();
  const ToolResult rogue =
      to_pacs(tls_with(pki.rogue_client_key, pki.rogue_client_crt, pki), "rogue.log");
  EXPECT_NE(rogue.exit_code, 0) << rogue.output;
  const ToolResult expired =
      to_pacs(tls_with(pki.expired_client_key, pki.expired_client_crt, pki), "expired.log");
  EXPECT_NE(expired.exit_code, 0) << expired.output;
  const ToolResult anonymous = to_pacs({"+tla", "+cf", pki.ca_crt.string()}, "anonymous.log");
  EXPECT_NE(anonymous.exit_code, 0) << anonymous.output;
  EXPECT_TRUE(wait_until(
      [&] { return count_occurrences(pacs.log_text(), "Receiving Association failed") >= 3; }, 5s))
      << pacs.log_text();
}

TEST(Tls, StorescuWithAClientCertificateStoresThroughTheTlsPort) {
  TempDir scratch("acc-tls");
  const TestPki pki = make_test_pki(scratch / "pki");
  AccessionerProcess server({.extra_tables = tls_listener_table(pki)});
  server.start();
  const uint16_t tls_port = server.tls_port();
  EXPECT_NE(tls_port, 0);
  EXPECT_NE(tls_port, server.port());

  const ToolResult sent = storescu_ct(tls_port, tls_with(pki.client_key, pki.client_crt, pki),
                                      scratch / "storescu.log");
  ASSERT_EQ(sent.exit_code, 0) << tail(sent.output) << "\n" << tail(server.log_text());
  EXPECT_EQ(storescu_acknowledged(sent.output).size(), 1u) << tail(sent.output);
  const nlohmann::json list = server.queue_list();
  const nlohmann::json* stored = find_instance(list, ct_uid());
  ASSERT_NE(stored, nullptr) << list.dump(2);
  EXPECT_EQ(stored->value("calling_ae", ""), "STORESCU") << stored->dump();
  EXPECT_EQ(stored->value("peer_address", ""), "127.0.0.1") << stored->dump();

  // The plain listener is still there beside the TLS one.
  const ToolResult plain = echoscu(server.port(), scratch / "echoscu.log");
  EXPECT_EQ(plain.exit_code, 0) << plain.output;
  EXPECT_NE(plain.output.find("Received Echo Response (Success)"), std::string::npos)
      << plain.output;
  EXPECT_EQ(server.stop(), 0) << tail(server.log_text());
}

// A storescu with `options` is refused at the handshake: nothing acknowledged, a log line naming
// the peer and holding `reason`, counted as a failed handshake; nothing stored, CT01 still served.
void expect_refused_at_handshake(const AccessionerProcess& server, const TestPki& pki,
                                 const std::vector<std::string>& options, const std::string& reason,
                                 const fs::path& log) {
  const ToolResult refused = storescu_ct(server.tls_port(), options, log);
  EXPECT_NE(refused.exit_code, 0) << refused.output;
  EXPECT_TRUE(storescu_acknowledged(refused.output).empty()) << refused.output;
  EXPECT_TRUE(wait_for_log_line(server, {"TLS handshake", "127.0.0.1"})) << tail(server.log_text());
  EXPECT_TRUE(wait_for_log_line(server, {"TLS handshake", reason})) << tail(server.log_text());
  double failed = -1;
  EXPECT_TRUE(wait_until([&] { return (failed = failed_handshakes(server)) >= 1; }, 10s))
      << "accessioner_tls_handshakes_total{result=\"failed\"} = " << failed << "\n"
      << http_get(server.metrics_port(), "/metrics").substr(0, 4000);
  expect_nothing_stored_and_still_serving(server, pki);
}

TEST(Tls, AClientCertificateFromAnotherCaIsRefused) {
  TempDir scratch("acc-tls");
  const TestPki pki = make_test_pki(scratch / "pki");
  AccessionerProcess server({.extra_tables = tls_listener_table(pki)});
  server.start();
  expect_refused_at_handshake(server, pki,
                              tls_with(pki.rogue_client_key, pki.rogue_client_crt, pki),
                              "certificate", scratch / "storescu.log");
}

TEST(Tls, AnExpiredClientCertificateIsRefused) {
  TempDir scratch("acc-tls");
  const TestPki pki = make_test_pki(scratch / "pki");
  AccessionerProcess server({.extra_tables = tls_listener_table(pki)});
  server.start();
  // The operator must learn why: OpenSSL's verify result ("certificate has expired"), not only
  // "certificate verify failed".
  expect_refused_at_handshake(server, pki,
                              tls_with(pki.expired_client_key, pki.expired_client_crt, pki),
                              "expired", scratch / "storescu.log");
}

TEST(Tls, AClientWithoutACertificateIsRefusedWhenOneIsRequired) {
  TempDir scratch("acc-tls");
  const TestPki pki = make_test_pki(scratch / "pki");
  AccessionerProcess server({.extra_tables = tls_listener_table(pki)});
  server.start();
  // +tla: TLS without a client certificate (storescu still verifies the server against ca.crt,
  // so the missing certificate is the only fault).
  expect_refused_at_handshake(server, pki, {"+tla", "+cf", pki.ca_crt.string()}, "certificate",
                              scratch / "storescu.log");
}

TEST(Tls, AClientNotInAllowedSubjectsIsRefused) {
  TempDir scratch("acc-tls");
  const TestPki pki = make_test_pki(scratch / "pki");
  AccessionerProcess server(
      {.extra_tables =
           tls_listener_table(pki, "allowed_client_subjects = [\"" + pki.client_subject + "\"]")});
  server.start();

  // MR99's certificate is valid (signed by ca.crt, in date): only the allow-list refuses it.
  const ToolResult refused =
      storescu_ct(server.tls_port(), tls_with(pki.other_client_key, pki.other_client_crt, pki),
                  scratch / "storescu.log");
  EXPECT_NE(refused.exit_code, 0) << refused.output;
  EXPECT_TRUE(storescu_acknowledged(refused.output).empty()) << refused.output;
  EXPECT_TRUE(wait_for_log_line(server, {"not in allowed_client_subjects"}))
      << tail(server.log_text());
  // Which subject was refused, so the operator can add it if it should be allowed.
  EXPECT_TRUE(wait_for_log_line(server, {"not in allowed_client_subjects", "MR99"}))
      << tail(server.log_text());
  // CT01, the listed subject, is served.
  expect_nothing_stored_and_still_serving(server, pki);
}

TEST(Tls, PlainDicomSentToTheTlsPortIsRefused) {
  TempDir scratch("acc-tls");
  const TestPki pki = make_test_pki(scratch / "pki");
  AccessionerProcess server({.extra_tables = tls_listener_table(pki)});
  server.start();

  const ToolResult plain = echoscu(server.tls_port(), scratch / "plain.log");
  EXPECT_NE(plain.exit_code, 0) << plain.output;
  EXPECT_EQ(plain.output.find("Received Echo Response"), std::string::npos) << plain.output;
  EXPECT_TRUE(wait_for_log_line(server, {"TLS handshake", "127.0.0.1"})) << tail(server.log_text());

  // The server is unharmed: TLS on the TLS port and plain DICOM on the plain port still work.
  const ToolResult tls = echoscu(server.tls_port(), scratch / "tls.log",
                                 tls_with(pki.client_key, pki.client_crt, pki));
  EXPECT_EQ(tls.exit_code, 0) << tls.output << "\n" << tail(server.log_text());
  EXPECT_NE(tls.output.find("Received Echo Response (Success)"), std::string::npos) << tls.output;
  const ToolResult again = echoscu(server.port(), scratch / "plain-port.log");
  EXPECT_EQ(again.exit_code, 0) << again.output;
}

TEST(Tls, ForwardingToAStorescpOverTls) {
  TempDir scratch("acc-tls");
  const TestPki pki = make_test_pki(scratch / "pki");
  // The PACS requires a client certificate signed by ca.crt: ours, server.crt.
  TlsStorescp pacs(pki.pacs_key, pki.pacs_crt, pki.ca_crt);
  AccessionerProcess server(
      {.sync = false,
       .destinations = {tls_destination(pacs, pki, "retry_initial_s = 1\nretry_max_s = 2\n")}});
  server.start();

  const ToolResult sent = storescu_ct(server.port(), {}, scratch / "storescu.log");
  ASSERT_EQ(sent.exit_code, 0) << tail(sent.output);
  EXPECT_TRUE(wait_until([&] { return pacs.received_uids().contains(ct_uid()); }, 30s))
      << "not at the PACS\n"
      << tail(server.log_text()) << "\n--- storescp:\n"
      << tail(pacs.log_text());
  const nlohmann::json left = wait_until_drained(server, 30s);
  EXPECT_TRUE(left.at("jobs").empty()) << left.dump(2) << "\n" << tail(server.log_text());
  EXPECT_TRUE(left.at("instances").empty()) << left.dump(2);
  EXPECT_EQ(pacs.log_text().find("TLS error"), std::string::npos) << pacs.log_text();
  const std::string metrics = http_get(server.metrics_port(), "/metrics");
  // No attempt failed before the one that delivered (-1: no such sample, none either).
  EXPECT_LE(metric_value(metrics, "accessioner_forward_attempts_total", "result=\"retry\""), 0)
      << "a TLS forward failed before it succeeded\n"
      << tail(server.log_text());
}

// A PACS whose certificate we must not trust: the instance is received, its job is retried (it is
// the PACS that is wrong, maybe only until its certificate is renewed) and never delivered, and
// the log says it is the certificate.
void forwarding_to_an_untrusted_pacs_is_not_delivered(const fs::path& pacs_key,
                                                      const fs::path& pacs_crt,
                                                      const std::string& log_word) {
  TempDir scratch("acc-tls");
  const TestPki pki = make_test_pki(scratch / "pki");
  TlsStorescp pacs(pki.dir / pacs_key, pki.dir / pacs_crt, pki.ca_crt);
  AccessionerProcess server(
      {.sync = false,
       .destinations = {tls_destination(pacs, pki, "retry_initial_s = 1\nretry_max_s = 2\n")}});
  server.start();

  const ToolResult sent = storescu_ct(server.port(), {}, scratch / "storescu.log");
  ASSERT_EQ(sent.exit_code, 0) << tail(sent.output);
  // Two attempts: it failed, was rescheduled and failed again, still not given up.
  nlohmann::json all;
  nlohmann::json job;
  const bool retried = wait_until(
      [&] {
        all = server.queue_list_all();
        const auto jobs = jobs_in(all, "pacs");
        job = jobs.empty() ? nlohmann::json() : jobs.front();
        return !job.is_null() && job.value("attempts", 0) >= 2;
      },
      30s, 200ms);
  ASSERT_TRUE(retried) << all.dump(2) << "\n" << tail(server.log_text());
  EXPECT_NE(job.value("state", ""), "dead") << job.dump(2);
  EXPECT_TRUE(instance_uids_in(all).contains(ct_uid())) << all.dump(2);
  EXPECT_TRUE(pacs.received_uids().empty()) << pacs.log_text();
  EXPECT_TRUE(has_line_with(server.log_text(), {"certificate"}))
      << "no log line names the certificate\n"
      << tail(server.log_text());
  EXPECT_TRUE(has_line_with(server.log_text(), {log_word}))
      << "no log line says \"" << log_word << "\"\n"
      << tail(server.log_text());
}

TEST(Tls, ForwardingToAPacsWithAnExpiredCertificateIsNotDelivered) {
  forwarding_to_an_untrusted_pacs_is_not_delivered("expired-server.key", "expired-server.crt",
                                                   "expired");
}

TEST(Tls, ForwardingToAPacsSignedByAnotherCaIsNotDelivered) {
  forwarding_to_an_untrusted_pacs_is_not_delivered("other-pacs.key", "other-pacs.crt",
                                                   "certificate");
}

// An association of our own (dicom::net, as a destination opens one) over TLS to `port`, with
// client.crt and the acceptor verified against `trusted`: held open across a reload.
Result<dicom::net::Association::Ptr> open_tls_verification(asio::io_context& io, uint16_t port,
                                                           const TestPki& pki,
                                                           const fs::path& trusted) {
  auto context = dicom::net::make_tls_context(dicom::net::TlsSide::requestor,
                                              {.certificate = pki.client_crt.string(),
                                               .key = pki.client_key.string(),
                                               .ca_file = trusted.string()},
                                              true);
  if (!context) {
    return fail(context.error());
  }
  dicom::net::AssociationSettings settings;
  settings.tls = dicom::net::TlsPeerPolicy{.context = *context,
                                           .server_name = "127.0.0.1",
                                           .verify_hostname = true,
                                           .allowed_subjects = {}};
  auto rq = dicom::net::make_associate_rq(
      "HELD_SCU", "ACCESSIONER",
      {{dicom::data::kVerificationSopClass, {dicom::data::kImplicitVrLittleEndian}}}, 16384);
  return run_awaitable(io, dicom::net::Association::request(io.get_executor(), "127.0.0.1", port,
                                                            std::move(rq), settings));
}

// Issue 12: certificates are rotated with `accessioner reload` (or SIGHUP) without dropping an
// association: connections made after it get the new certificate, the one made before goes on
// with the old; a set that does not load is refused and the one in force stays.
TEST(Tls, ReloadRotatesTheCertificateWithoutDroppingAnAssociation) {
  TempDir scratch("acc-tls-reload");
  const TestPki pki = make_test_pki(scratch / "pki");
  const fs::path live_crt = scratch / "live.crt";
  const fs::path live_key = scratch / "live.key";
  fs::copy_file(pki.server_crt, live_crt);
  fs::copy_file(pki.server_key, live_key);
  AccessionerProcess server(
      {.extra_tables = "[server.tls]\nport = 0\ncertificate = " + toml_string(live_crt) +
                       "\nkey = " + toml_string(live_key) +
                       "\nca_file = " + toml_string(pki.ca_crt) + "\n"});
  server.start();
  const uint16_t port = server.tls_port();

  asio::io_context io;
  auto held = open_tls_verification(io, port, pki, pki.ca_crt);
  ASSERT_TRUE(held.has_value()) << held.error().message() << "\n" << tail(server.log_text());
  EXPECT_EQ(run_awaitable(io, dicom::net::c_echo(**held)).value_or(0xFFFF), 0x0000);

  // The rotation: a certificate from another CA (as if the site changed its PKI).
  fs::copy_file(pki.other_pacs_crt, live_crt, fs::copy_options::overwrite_existing);
  fs::copy_file(pki.other_pacs_key, live_key, fs::copy_options::overwrite_existing);
  const ToolResult reloaded = server.command({"reload"});
  EXPECT_EQ(reloaded.exit_code, 0) << reloaded.output << "\n" << tail(server.log_text());
  EXPECT_TRUE(wait_for_log_line(server, {"TLS certificates reloaded"}));

  EXPECT_FALSE(open_tls_verification(io, port, pki, pki.ca_crt).has_value())
      << "a new connection still got the old certificate";
  auto fresh = open_tls_verification(io, port, pki, pki.other_ca_crt);
  ASSERT_TRUE(fresh.has_value()) << fresh.error().message() << "\n" << tail(server.log_text());
  EXPECT_EQ(run_awaitable(io, dicom::net::c_echo(**fresh)).value_or(0xFFFF), 0x0000);
  EXPECT_TRUE(run_awaitable(io, (*fresh)->release()).has_value());
  // The association opened before the reload was not dropped.
  EXPECT_EQ(run_awaitable(io, dicom::net::c_echo(**held)).value_or(0xFFFF), 0x0000)
      << tail(server.log_text());
  EXPECT_TRUE(run_awaitable(io, (*held)->release()).has_value());

  // A key that does not load: refused, loudly; the certificate in force stays.
  {
    std::ofstream broken(live_key, std::ios::trunc);
    broken << "not a key\n";
  }
  const ToolResult refused = server.command({"reload"});
  EXPECT_NE(refused.exit_code, 0) << refused.output;
  EXPECT_TRUE(wait_for_log_line(server, {"TLS certificates not reloaded", "live.key"}))
      << tail(server.log_text());
  auto after = open_tls_verification(io, port, pki, pki.other_ca_crt);
  EXPECT_TRUE(after.has_value()) << tail(server.log_text());
  if (after) {
    EXPECT_TRUE(run_awaitable(io, (*after)->release()).has_value());
  }
  EXPECT_EQ(server.stop(), 0) << tail(server.log_text());
}

// BCP 195 (PS3.15 B.9): TLS 1.2 and 1.3 only, and for 1.2 forward-secret AEAD suites only. A
// client limited to TLS 1.1, or to a 1.2 suite without forward secrecy, gets no handshake.
TEST(Tls, OnlyTheBcp195ProtocolsAndSuitesAreOffered) {
  TempDir scratch("acc-tls-bcp195");
  const TestPki pki = make_test_pki(scratch / "pki");
  AccessionerProcess server({.extra_tables = tls_listener_table(pki)});
  server.start();
  const std::string target = "127.0.0.1:" + std::to_string(server.tls_port());
  auto s_client = [&](std::vector<std::string> options, const std::string& name) {
    std::vector<std::string> argv = {"openssl",
                                     "s_client",
                                     "-connect",
                                     target,
                                     "-cert",
                                     pki.client_crt.string(),
                                     "-key",
                                     pki.client_key.string(),
                                     "-CAfile",
                                     pki.ca_crt.string(),
                                     "-verify_return_error",
                                     "-brief"};
    argv.insert(argv.end(), options.begin(), options.end());
    return run_tool(argv, scratch / (name + ".log"), 20s);
  };
  // SECLEVEL=0: Debian's client would otherwise refuse TLS 1.1 itself; the refusal must be ours
  // (the server answers with a protocol_version alert).
  const ToolResult tls11 = s_client({"-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0"}, "tls11");
  EXPECT_NE(tls11.exit_code, 0) << tls11.output;
  EXPECT_NE(tls11.output.find("protocol version"), std::string::npos) << tls11.output;
  // A forward-secret suite that is not AEAD (CBC): not in the profile's TLS 1.2 list.
  const ToolResult cbc = s_client({"-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-SHA"}, "cbc");
  EXPECT_NE(cbc.exit_code, 0) << cbc.output;
  EXPECT_NE(cbc.output.find("handshake failure"), std::string::npos) << cbc.output;
  const ToolResult tls12 = s_client({"-tls1_2"}, "tls12");
  EXPECT_NE(tls12.output.find("Protocol version: TLSv1.2"), std::string::npos) << tls12.output;
  EXPECT_NE(tls12.output.find("GCM"), std::string::npos) << tls12.output;
  const ToolResult tls13 = s_client({"-tls1_3"}, "tls13");
  EXPECT_NE(tls13.output.find("Protocol version: TLSv1.3"), std::string::npos) << tls13.output;
}

}  // namespace
}  // namespace acc::test
