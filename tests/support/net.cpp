#include "tests/support/net.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <system_error>
#include <thread>

namespace acc::test {

namespace {

sockaddr_in loopback(uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

int connect_once(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return -1;
  }
  const sockaddr_in addr = loopback(port);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

int remaining_ms(std::chrono::steady_clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

}  // namespace

uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    throw std::system_error(errno, std::generic_category(), "socket");
  }
  sockaddr_in addr = loopback(0);
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    const int err = errno;
    ::close(fd);
    throw std::system_error(err, std::generic_category(), "bind 127.0.0.1:0");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

namespace {

// One socket of /proc/net/tcp or /proc/net/tcp6.
struct SocketLine {
  std::string local;  // "0100007F:2B67": address and port in hex
  std::string state;  // "0A" = LISTEN
  std::string inode;
};

std::vector<SocketLine> sockets(const char* table) {
  std::vector<SocketLine> out;
  std::ifstream tcp(table);
  std::string line;
  std::getline(tcp, line);  // header
  while (std::getline(tcp, line)) {
    // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
    std::istringstream fields(line);
    std::string skip;
    SocketLine s;
    fields >> skip >> s.local >> skip >> s.state >> skip >> skip >> skip >> skip >> skip >> s.inode;
    out.push_back(std::move(s));
  }
  return out;
}

std::string hex_port(uint16_t port) {
  char buf[8];
  std::snprintf(buf, sizeof buf, ":%04X", port);
  return buf;
}

bool listening(uint16_t port) {
  const std::string wanted_loopback = "0100007F" + hex_port(port);
  const std::string wanted_any = "00000000" + hex_port(port);
  for (const auto& s : sockets("/proc/net/tcp")) {
    if (s.state == "0A" && (s.local == wanted_loopback || s.local == wanted_any)) {
      return true;
    }
  }
  return false;
}

}  // namespace

bool wait_for_listen(uint16_t port, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!listening(port)) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

bool process_listens(pid_t pid, uint16_t port) {
  std::set<std::string> inodes;  // of the LISTEN sockets on `port`, whoever holds them
  const std::string suffix = hex_port(port);
  for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    for (const auto& s : sockets(table)) {
      if (s.state == "0A" && s.local.ends_with(suffix)) {
        inodes.insert(s.inode);
      }
    }
  }
  if (inodes.empty()) {
    return false;
  }
  std::error_code ec;
  const std::filesystem::path fds = "/proc/" + std::to_string(pid) + "/fd";
  for (const auto& fd : std::filesystem::directory_iterator(fds, ec)) {
    std::error_code link_ec;
    const std::string target = std::filesystem::read_symlink(fd.path(), link_ec).string();
    // "socket:[INODE]"
    if (!link_ec && target.starts_with("socket:[") && target.ends_with("]") &&
        inodes.contains(target.substr(8, target.size() - 9))) {
      return true;
    }
  }
  return false;
}

RawClient::RawClient(uint16_t port) : fd_(connect_once(port)) {
  if (fd_ < 0) {
    throw std::system_error(errno, std::generic_category(), "connect 127.0.0.1");
  }
  const int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

RawClient::~RawClient() {
  close();
}

void RawClient::close() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

void RawClient::shutdown_write() {
  if (fd_ >= 0) {
    ::shutdown(fd_, SHUT_WR);
  }
}

bool RawClient::send(std::span<const uint8_t> bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  return true;
}

bool RawClient::send_within(std::span<const uint8_t> bytes, std::chrono::milliseconds timeout) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    pollfd p{fd_, POLLOUT, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) {
      return false;
    }
    const ssize_t n =
        ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) {
        continue;
      }
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  return true;
}

std::vector<uint8_t> RawClient::read_exactly(std::size_t n, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::vector<uint8_t> out;
  out.reserve(n);
  uint8_t buf[4096];
  while (out.size() < n) {
    pollfd p{fd_, POLLIN, 0};
    const int ready = ::poll(&p, 1, remaining_ms(deadline));
    if (ready <= 0) {
      break;
    }
    const std::size_t want = std::min(sizeof buf, n - out.size());
    const ssize_t got = ::recv(fd_, buf, want, 0);
    if (got <= 0) {
      break;
    }
    out.insert(out.end(), buf, buf + got);
  }
  return out;
}

std::vector<uint8_t> RawClient::read_until_closed(std::chrono::milliseconds timeout, bool& closed) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::vector<uint8_t> out;
  uint8_t buf[4096];
  closed = false;
  for (;;) {
    pollfd p{fd_, POLLIN, 0};
    const int ready = ::poll(&p, 1, remaining_ms(deadline));
    if (ready <= 0) {
      return out;
    }
    const ssize_t got = ::recv(fd_, buf, sizeof buf, 0);
    if (got <= 0) {
      closed = true;
      return out;
    }
    out.insert(out.end(), buf, buf + got);
  }
}

std::vector<uint8_t> RawClient::read_pdu(std::chrono::milliseconds timeout, std::size_t max_body) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::vector<uint8_t> pdu = read_exactly(6, timeout);
  if (pdu.size() < 6) {
    return {};
  }
  const std::size_t length = (std::size_t{pdu[2]} << 24) | (std::size_t{pdu[3]} << 16) |
                             (std::size_t{pdu[4]} << 8) | std::size_t{pdu[5]};
  if (length > max_body) {
    return pdu;
  }
  const auto body =
      read_exactly(length, std::chrono::milliseconds(std::max(remaining_ms(deadline), 1)));
  pdu.insert(pdu.end(), body.begin(), body.end());
  return pdu;
}

}  // namespace acc::test
