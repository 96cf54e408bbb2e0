#include "router/admin/admin_client.hpp"

#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "router/admin/admin_protocol.hpp"

namespace acc::router {

namespace {

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  [[nodiscard]] int get() const { return fd_; }

 private:
  int fd_;
};

nlohmann::json failure(const std::string& text) {
  return {{"ok", false}, {"error", text}};
}

}  // namespace

std::optional<nlohmann::json> admin_call(const std::filesystem::path& socket_path,
                                         const nlohmann::json& request) {
  sockaddr_un addr{};
  const std::string path = socket_path.string();
  if (path.size() >= sizeof(addr.sun_path)) {
    return std::nullopt;
  }
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) {
    return std::nullopt;
  }
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    return std::nullopt;  // ENOENT, ECONNREFUSED: no server on this storage
  }
  // A purge of a large store takes a while; anything beyond this is a hung server.
  const timeval timeout{120, 0};
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));

  const std::string line = request.dump() + "\n";
  std::size_t sent = 0;
  while (sent < line.size()) {
    const ssize_t n = ::send(fd.get(), line.data() + sent, line.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) {
      return failure(std::string("admin socket write: ") + std::strerror(errno));
    }
    sent += static_cast<std::size_t>(n);
  }
  std::string reply;
  char buffer[65536];
  while (reply.find('\n') == std::string::npos) {
    const ssize_t n = ::recv(fd.get(), buffer, sizeof buffer, 0);
    if (n <= 0) {
      return failure(n == 0 ? "admin socket closed without a reply"
                            : std::string("admin socket read: ") + std::strerror(errno));
    }
    reply.append(buffer, static_cast<std::size_t>(n));
    if (reply.size() > (std::size_t{256} << 20)) {
      return failure("admin reply too large");
    }
  }
  auto parsed = nlohmann::json::parse(reply, nullptr, false);
  if (parsed.is_discarded()) {
    return failure("admin reply is not JSON");
  }
  return parsed;
}

}  // namespace acc::router
