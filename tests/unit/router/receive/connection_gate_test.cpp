// ConnectionGate: the process-wide and per-source connection caps (issue 12).
#include <gtest/gtest.h>

#include <optional>
#include <vector>

#include "router/receive/connection_gate.hpp"

namespace acc::router {
namespace {

TEST(ConnectionGate, ASourceGetsItsCapAndNoMoreWhileOthersGoOn) {
  ConnectionGate gate(10, 2);
  auto a1 = gate.admit("10.0.0.1");
  auto a2 = gate.admit("10.0.0.1");
  ASSERT_TRUE(a1 && a2);
  const auto a3 = gate.admit("10.0.0.1");
  ASSERT_FALSE(a3);
  EXPECT_EQ(a3.error(), ConnectionRefusal::source_limit);
  EXPECT_TRUE(gate.admit("10.0.0.2"));  // another modality is not affected
  EXPECT_EQ(gate.open_from("10.0.0.1"), 2u);
  { auto gone = std::move(*a1); }  // one closes
  EXPECT_EQ(gate.open_from("10.0.0.1"), 1u);
  EXPECT_TRUE(gate.admit("10.0.0.1"));
}

TEST(ConnectionGate, TheProcessCapCountsEverySource) {
  ConnectionGate gate(3, 3);
  std::vector<ConnectionGate::Ticket> held;
  for (const char* source : {"10.0.0.1", "10.0.0.2", "10.0.0.3"}) {
    auto t = gate.admit(source);
    ASSERT_TRUE(t);
    held.push_back(std::move(*t));
  }
  const auto refused = gate.admit("10.0.0.4");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), ConnectionRefusal::process_limit);
  EXPECT_EQ(gate.open_connections(), 3u);
  held.clear();
  EXPECT_EQ(gate.open_connections(), 0u);
  EXPECT_EQ(gate.open_from("10.0.0.1"), 0u);
}

TEST(ConnectionGate, ATicketOutlivingTheGateStillGivesBack) {
  std::optional<ConnectionGate::Ticket> ticket;
  {
    ConnectionGate gate(1, 1);
    auto t = gate.admit("10.0.0.1");
    ASSERT_TRUE(t);
    ticket.emplace(std::move(*t));
  }
  ticket.reset();  // no crash, no use after free (ASan in CI)
}

}  // namespace
}  // namespace acc::router
