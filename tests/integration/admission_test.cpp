// Association admission as DCMTK peers see it: called AE, calling AE allow-list and the
// concurrent association limit (issue 2, tests 1 and 5); connection caps, and association slots
// taken only by associations (issue 12).
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include <asio/io_context.hpp>

#include <nlohmann/json.hpp>

#include "dicom/data/sop_classes.hpp"
#include "dicom/net/scu.hpp"
#include "tests/integration/dcmtk_tools.hpp"
#include "tests/support/accessioner_process.hpp"
#include "tests/support/net.hpp"
#include "tests/support/pacs_peers.hpp"
#include "tests/support/requestor_session.hpp"
#include "tests/support/run_awaitable.hpp"

namespace acc::test {
namespace {

namespace net = acc::dicom::net;
namespace data = acc::dicom::data;

// echoscu until it succeeds or 10 s pass: a slot or a connection is given back when the
// server's session ends, which follows the peer's release or close closely but asynchronously.
ToolResult echoscu_until_accepted(const AccessionerProcess& server) {
  ToolResult result;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  do {
    result = echoscu(server.port(), server.dir() / "again.log");
  } while (result.exit_code != 0 && std::chrono::steady_clock::now() < deadline);
  return result;
}

TEST(Admission, EchoscuSucceedsAndTheServerLogsTheAssociation) {
  AccessionerProcess server;
  server.start();
  const ToolResult r = echoscu(server.port(), server.dir() / "echoscu.log");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("Received Echo Response (Success)"), std::string::npos) << r.output;
  // The log line is written when the association is accepted, before echoscu gets the AC.
  const std::string log = server.log_text();
  EXPECT_NE(log.find("ECHOSCU -> ACCESSIONER from 127.0.0.1: accepted"), std::string::npos) << log;
  EXPECT_EQ(server.stop(), 0) << tail(server.log_text());
}

TEST(Admission, WrongCalledAeIsRejectedAsNotRecognized) {
  AccessionerProcess server;
  server.start();
  const ToolResult r = echoscu(server.port(), server.dir() / "echoscu.log", {}, "WRONG");
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("Association Rejected"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("Rejected Permanent"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("Called AE Title Not Recognized"), std::string::npos) << r.output;
  // Still serving after a rejection.
  EXPECT_EQ(echoscu(server.port(), server.dir() / "echoscu2.log").exit_code, 0);
}

TEST(Admission, CallingAeOutsideTheAllowListIsRejectedAndAListedOneAccepted) {
  AccessionerProcess server({.server_extra = R"(allowed_calling_ae = ["MODALITY1", "CT_2"])"});
  server.start();
  const ToolResult denied =
      echoscu(server.port(), server.dir() / "denied.log", {"-aet", "INTRUDER"});
  EXPECT_NE(denied.exit_code, 0) << denied.output;
  EXPECT_NE(denied.output.find("Association Rejected"), std::string::npos) << denied.output;
  EXPECT_NE(denied.output.find("Calling AE Title Not Recognized"), std::string::npos)
      << denied.output;

  const ToolResult allowed = echoscu(server.port(), server.dir() / "allowed.log", {"-aet", "CT_2"});
  EXPECT_EQ(allowed.exit_code, 0) << allowed.output;
  EXPECT_NE(allowed.output.find("Received Echo Response (Success)"), std::string::npos)
      << allowed.output;
}

TEST(Admission, AssociationBeyondMaxAssociationsIsRejectedTransientUntilOneEnds) {
  AccessionerProcess server({.server_extra = "max_associations = 1"});
  server.start();

  // Hold the only slot with our own requestor. Nothing runs the io_context in between, so the
  // association simply stays open on the server's side.
  asio::io_context io;
  auto held = request_association(io, server.port(), "HOLDER", "ACCESSIONER",
                                  {{data::kVerificationSopClass, {data::kImplicitVrLittleEndian}}});
  ASSERT_TRUE(held) << held.error().message();
  ASSERT_TRUE((*held)->established());
  const auto echo_status = run_awaitable(io, net::c_echo(**held));
  ASSERT_TRUE(echo_status) << echo_status.error().message();
  EXPECT_EQ(*echo_status, 0x0000);

  const ToolResult busy = echoscu(server.port(), server.dir() / "busy.log");
  EXPECT_NE(busy.exit_code, 0) << busy.output;
  EXPECT_NE(busy.output.find("Rejected Transient"), std::string::npos) << busy.output;
  EXPECT_NE(busy.output.find("Local Limit Exceeded"), std::string::npos) << busy.output;

  const auto released = run_awaitable(io, (*held)->release());
  EXPECT_TRUE(released) << released.error().message();
  held->reset();

  // The slot is freed when the server's session ends, which follows the release closely but
  // asynchronously.
  const ToolResult again = echoscu_until_accepted(server);
  EXPECT_EQ(again.exit_code, 0) << again.output << "\n" << tail(server.log_text());
}

// Issue 12: sockets that never send an A-ASSOCIATE-RQ hold no association slot. Five silent
// connections against max_associations = 2 used to make every modality get A-ASSOCIATE-RJ
// "local limit exceeded" until ARTIM; now the modality is served at once.
// Issue 12: 200 sockets that never send an A-ASSOCIATE-RQ (the "65 silent connections" attack,
// three times over) hold no association slot: with max_associations = 2 a modality is still served,
// and the server's RSS grows by what 200 idle sockets cost, not more.
TEST(Admission, SilentConnectionsHoldNoAssociationSlot) {
  constexpr int kSilent = 200;
  AccessionerProcess server(
      {.server_extra = "max_associations = 2\nmax_connections_per_source = 256",
       .artim_timeout_s = 30});
  server.start();
  const ToolResult warm = echoscu(server.port(), server.dir() / "echo-warm.log");
  ASSERT_EQ(warm.exit_code, 0) << warm.output;
  const long rss_before = server.vm_rss_kib();
  std::vector<std::unique_ptr<RawClient>> silent;
  for (int i = 0; i < kSilent; ++i) {
    silent.push_back(std::make_unique<RawClient>(server.port()));
  }
  const ToolResult echo = echoscu(server.port(), server.dir() / "echo.log");
  EXPECT_EQ(echo.exit_code, 0) << echo.output << "\n" << tail(server.log_text());
  const auto status = nlohmann::json::parse(http_get(server.metrics_port(), "/status"));
  EXPECT_EQ(status.at("listener").at("active_associations").get<uint32_t>(), 0u);
  const long rss_after = server.vm_rss_kib();
  std::printf("%d silent connections: VmRSS %ld KiB -> %ld KiB\n", kSilent, rss_before, rss_after);
  EXPECT_LT(rss_after - rss_before, kSilent * 64) << rss_before << " KiB -> " << rss_after;
}

// Connections past server.max_connections_per_source are closed at once, before any PDU is read,
// and counted; the cap frees as connections close. (All test peers are 127.0.0.1, so one source.)
TEST(Admission, ConnectionsPastThePerSourceCapAreClosedAtOnceAndCounted) {
  AccessionerProcess server(
      {.server_extra = "max_connections_per_source = 3", .artim_timeout_s = 30});
  server.start();
  std::vector<std::unique_ptr<RawClient>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(std::make_unique<RawClient>(server.port()));
  }
  // The accept and its refusal happen on the server's loop: poll until it has seen ours.
  RawClient extra(server.port());
  bool closed = false;
  const auto reply = extra.read_until_closed(std::chrono::seconds(5), closed);
  EXPECT_TRUE(closed) << "a fourth connection from the same source was not closed";
  EXPECT_TRUE(reply.empty());
  const ToolResult refused = echoscu(server.port(), server.dir() / "refused.log");
  EXPECT_NE(refused.exit_code, 0) << refused.output;
  const std::string metrics = http_get(server.metrics_port(), "/metrics");
  EXPECT_NE(metrics.find("accessioner_connections_refused_total{reason=\"source_limit\"} 2"),
            std::string::npos)
      << metrics.substr(0, 4000);
  EXPECT_NE(server.log_text().find("max_connections_per_source reached"), std::string::npos);

  held.pop_back();  // one closes: the next modality connection is admitted
  const ToolResult again = echoscu_until_accepted(server);
  EXPECT_EQ(again.exit_code, 0) << again.output << "\n" << tail(server.log_text());
}

// server.allowed_sources: a connection from any other network is closed before a byte of it is
// read, and counted; with allowed_calling_ae beside it a site runs deny-by-default.
TEST(Admission, ASourceOutsideAllowedSourcesIsClosedBeforeAnyPduAndCounted) {
  AccessionerProcess server({.server_extra = R"(allowed_sources = ["10.0.0.0/8", "::1"])"});
  server.start();
  RawClient raw(server.port());
  bool closed = false;
  const auto reply = raw.read_until_closed(std::chrono::seconds(5), closed);
  EXPECT_TRUE(closed) << "a connection from 127.0.0.1 was not closed";
  EXPECT_TRUE(reply.empty());
  const ToolResult refused = echoscu(server.port(), server.dir() / "refused.log");
  EXPECT_NE(refused.exit_code, 0) << refused.output;
  const std::string metrics = http_get(server.metrics_port(), "/metrics");
  EXPECT_NE(metrics.find("accessioner_connections_refused_total{reason=\"source_not_allowed\"} 2"),
            std::string::npos)
      << metrics.substr(0, 4000);
  EXPECT_NE(metrics.find("accessioner_associations_total{result=\"rejected\"} 0"),
            std::string::npos)
      << "a refused source must not reach association admission";
  EXPECT_NE(server.log_text().find("connection from 127.0.0.1 closed at once: not in "
                                   "allowed_sources"),
            std::string::npos)
      << tail(server.log_text());
}

TEST(Admission, AnAllowedSourceWithAnAllowedCallingAeIsServed) {
  AccessionerProcess server({.server_extra = R"(allowed_sources = ["127.0.0.0/8"]
allowed_calling_ae = ["ECHOSCU"])"});
  server.start();
  const ToolResult ok = echoscu(server.port(), server.dir() / "ok.log");
  EXPECT_EQ(ok.exit_code, 0) << ok.output << "\n" << tail(server.log_text());
  const std::string metrics = http_get(server.metrics_port(), "/metrics");
  EXPECT_NE(metrics.find("accessioner_connections_refused_total{reason=\"source_not_allowed\"} 0"),
            std::string::npos)
      << metrics.substr(0, 4000);
}

TEST(Admission, ConnectionsPastTheProcessCapAreClosedAtOnceAndCounted) {
  AccessionerProcess server({.server_extra = "max_connections = 2", .artim_timeout_s = 30});
  server.start();
  RawClient first(server.port());
  RawClient second(server.port());
  RawClient third(server.port());
  bool closed = false;
  (void)third.read_until_closed(std::chrono::seconds(5), closed);
  EXPECT_TRUE(closed);
  const std::string metrics = http_get(server.metrics_port(), "/metrics");
  EXPECT_NE(metrics.find("accessioner_connections_refused_total{reason=\"process_limit\"} 1"),
            std::string::npos)
      << metrics.substr(0, 4000);
}

}  // namespace
}  // namespace acc::test
