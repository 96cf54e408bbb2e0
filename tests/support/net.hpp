#pragma once
// Loopback TCP helpers: a free port, waiting for a listener, and a raw blocking client for
// feeding a server bytes no DICOM library would send.
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <span>
#include <vector>

namespace acc::test {

// A port nobody listens on right now (bind 127.0.0.1:0, read it back, close). Racy by nature:
// another process may take the number before the caller binds it. Only for third-party peers that
// must be told their port (see peer_start.hpp); our own server listens on port 0 instead.
[[nodiscard]] uint16_t free_port();

// True once a socket is in LISTEN state on 127.0.0.1:port or 0.0.0.0:port (read from
// /proc/net/tcp), false after `timeout`. It opens no connection, so a server sees no extra
// (empty) association that would hold one of its slots.
[[nodiscard]] bool wait_for_listen(uint16_t port, std::chrono::milliseconds timeout);

// True if process `pid` itself holds a socket in LISTEN state on `port` (any local address, IPv4
// or IPv6; from /proc/net/tcp{,6} and /proc/PID/fd). A listener of another process on the same
// number does not count: that is how a peer start tells "ours is up" from "the port was taken".
[[nodiscard]] bool process_listens(pid_t pid, uint16_t port);

class RawClient {
 public:
  // Connects to 127.0.0.1:port (throws std::system_error on failure).
  explicit RawClient(uint16_t port);
  ~RawClient();
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  // Writes everything; false if the peer already closed (EPIPE/ECONNRESET).
  bool send(std::span<const uint8_t> bytes);
  // Writes everything unless the peer stops reading for `timeout` (false then, or when closed).
  bool send_within(std::span<const uint8_t> bytes, std::chrono::milliseconds timeout);
  // Reads exactly `n` bytes unless the peer closes or `timeout` passes first.
  [[nodiscard]] std::vector<uint8_t> read_exactly(std::size_t n, std::chrono::milliseconds timeout);
  // Reads until the peer closes (or resets). Sets `closed` to false if `timeout` passed first.
  [[nodiscard]] std::vector<uint8_t> read_until_closed(std::chrono::milliseconds timeout,
                                                       bool& closed);
  // Reads one whole PDU (6-byte header + body up to `max_body`); empty if closed first.
  [[nodiscard]] std::vector<uint8_t> read_pdu(std::chrono::milliseconds timeout,
                                              std::size_t max_body = 1 << 20);
  // Half-close our sending side (the server sees EOF mid-PDU).
  void shutdown_write();
  void close();

 private:
  int fd_ = -1;
};

}  // namespace acc::test
