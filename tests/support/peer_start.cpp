#include "tests/support/peer_start.hpp"

#include <iostream>
#include <stdexcept>
#include <thread>

#include "tests/support/net.hpp"

namespace acc::test {

namespace {

std::string numbers(const std::vector<uint16_t*>& ports) {
  std::string out;
  for (const uint16_t* p : ports) {
    out += (out.empty() ? "" : ", ") + std::to_string(*p);
  }
  return out;
}

}  // namespace

ChildProcess launch_peer(const PeerLaunch& launch) {
  for (int attempt = 1;; ++attempt) {
    ChildProcess child = launch.spawn();
    const auto deadline = std::chrono::steady_clock::now() + launch.timeout;
    for (;;) {
      bool all = true;
      for (const uint16_t* port : launch.ports) {
        all = all && process_listens(child.pid(), *port);
      }
      if (all) {
        return child;
      }
      if (!child.running()) {
        break;
      }
      if (std::chrono::steady_clock::now() >= deadline) {
        child.kill_and_wait();
        throw std::runtime_error(
            launch.name + " did not listen on port(s) " + numbers(launch.ports) + " within " +
            std::to_string(launch.timeout.count()) + " ms:\n" + tail(launch.log()));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    // Exited before listening: most likely its port was taken since free_port() chose it.
    if (attempt == kPeerStartAttempts) {
      throw std::runtime_error(launch.name + " exited with status " +
                               std::to_string(child.exit_status().value_or(-1)) + " on port(s) " +
                               numbers(launch.ports) + ", " + std::to_string(attempt) +
                               " attempts:\n" + tail(launch.log()));
    }
    std::cerr << "note: " << launch.name << " exited before listening on port(s) "
              << numbers(launch.ports) << " (taken meanwhile?), attempt " << attempt << " of "
              << kPeerStartAttempts << "\n";
    if (launch.ports_given_out) {
      // Whoever holds the number may let go (an outgoing connection's local port does).
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    } else {
      for (uint16_t* port : launch.ports) {
        // Two ports of one peer must differ (free_port() closes its socket, so it may repeat).
        const auto used_by_another = [&](uint16_t n) {
          for (const uint16_t* other : launch.ports) {
            if (other != port && *other == n) {
              return true;
            }
          }
          return false;
        };
        uint16_t fresh = free_port();
        while (used_by_another(fresh)) {
          fresh = free_port();
        }
        *port = fresh;
      }
    }
  }
}

}  // namespace acc::test
