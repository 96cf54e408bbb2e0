#pragma once
// Who is on the other end of the admin socket, from the kernel (SO_PEERCRED, SO_PEERGROUPS),
// never from what the peer says, and whether that peer may use it (issue 12): root, the service
// user, or a member of [admin] group. The socket's file mode is the first gate; this is the
// second, so a socket made world-writable by mistake still serves nobody else.
#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace acc::router {

struct PeerCredentials {
  uid_t uid = 0;
  gid_t gid = 0;
  pid_t pid = 0;
  std::vector<gid_t> groups;  // supplementary groups (SO_PEERGROUPS); may be empty
};

// std::nullopt when the kernel will not say (not a Unix socket): such a peer is refused.
[[nodiscard]] std::optional<PeerCredentials> read_peer_credentials(int fd);

// "alice (uid 1000), pid 4242": for the log and for decisions recorded with their author.
[[nodiscard]] std::string describe(const PeerCredentials& peer);

// Root, `service_uid` (the user the server runs as), or a member of `group` (primary or
// supplementary).
[[nodiscard]] bool admin_peer_allowed(const PeerCredentials& peer, uid_t service_uid,
                                      std::optional<gid_t> group);

}  // namespace acc::router
