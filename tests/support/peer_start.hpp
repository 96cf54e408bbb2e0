#pragma once
// Starting third-party peers (DCMTK storescp and wlmscpfs, Orthanc) without a port race.
//
// Our own server listens on port 0 and reports the port it got. These peers cannot: they must be
// told their port, storescp and wlmscpfs refuse 0 ("Invalid parameter value 0"), and Orthanc binds
// 0 but logs "port: 0". So they get free_port() numbers, and another process (a parallel test) can
// take such a number between free_port() and the peer's bind. The peer then exits at once
// ("Address already in use"), so launch_peer() retries: with new numbers, or on the same ones
// after a pause when somebody was already told them (a destination pointing at a PACS that is
// started later). Success is the peer's *own* listening socket, never a connection probe and never
// somebody else's listener on the same number.
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "tests/support/process.hpp"

namespace acc::test {

struct PeerLaunch {
  std::string name;              // in messages, e.g. "storescp"
  std::vector<uint16_t*> ports;  // the numbers the peer binds; a retry may replace them
  // Somebody was told the numbers already: retry on the same ones.
  bool ports_given_out = false;
  std::function<ChildProcess()> spawn;  // starts the peer on the current *ports
  std::function<std::string()> log;     // the peer's log so far, for error messages
  std::chrono::milliseconds timeout = std::chrono::seconds(10);  // to listen, per attempt
};

// How many times launch_peer() starts a peer that keeps exiting before it listens.
inline constexpr int kPeerStartAttempts = 5;

// Spawns the peer and waits until it listens on every port. Throws std::runtime_error (with the
// log tail) if it does not listen within `timeout` (a taken port makes these peers exit at once,
// so a timeout is something else) or still exits after kPeerStartAttempts attempts.
[[nodiscard]] ChildProcess launch_peer(const PeerLaunch& launch);

}  // namespace acc::test
