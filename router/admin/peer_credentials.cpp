#include "router/admin/peer_credentials.hpp"

#include <pwd.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>

namespace acc::router {

std::optional<PeerCredentials> read_peer_credentials(int fd) {
  ucred cred{};
  socklen_t length = sizeof(cred);
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &length) != 0) {
    return std::nullopt;
  }
  PeerCredentials peer{.uid = cred.uid, .gid = cred.gid, .pid = cred.pid, .groups = {}};
  // Linux 4.13+. A peer in more groups than fit is judged on those that do: a refusal, at worst.
  std::array<gid_t, 256> groups{};
  socklen_t groups_length = sizeof(groups);
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &groups_length) == 0) {
    peer.groups.assign(groups.begin(), groups.begin() + groups_length / sizeof(gid_t));
  }
  return peer;
}

std::string describe(const PeerCredentials& peer) {
  std::string user = "uid " + std::to_string(peer.uid);
  std::array<char, 1024> buffer{};
  passwd entry{};
  passwd* found = nullptr;
  if (::getpwuid_r(peer.uid, &entry, buffer.data(), buffer.size(), &found) == 0 && found) {
    user = std::string(found->pw_name) + " (uid " + std::to_string(peer.uid) + ")";
  }
  return user + ", pid " + std::to_string(peer.pid);
}

bool admin_peer_allowed(const PeerCredentials& peer, uid_t service_uid,
                        std::optional<gid_t> group) {
  if (peer.uid == 0 || peer.uid == service_uid) {
    return true;
  }
  return group && (peer.gid == *group ||
                   std::find(peer.groups.begin(), peer.groups.end(), *group) != peer.groups.end());
}

}  // namespace acc::router
