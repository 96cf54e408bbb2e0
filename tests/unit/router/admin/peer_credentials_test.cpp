// Who may use the admin socket (issue 12): root, the service user, members of [admin] group.
#include "router/admin/peer_credentials.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

namespace acc::router {
namespace {

constexpr uid_t kService = 998;
constexpr gid_t kAdmins = 1001;

PeerCredentials peer(uid_t uid, gid_t gid, std::vector<gid_t> groups = {}) {
  return {.uid = uid, .gid = gid, .pid = 42, .groups = std::move(groups)};
}

TEST(AdminPeer, RootAndTheServiceUserAreAllowed) {
  EXPECT_TRUE(admin_peer_allowed(peer(0, 0), kService, std::nullopt));
  EXPECT_TRUE(admin_peer_allowed(peer(kService, 998), kService, std::nullopt));
}

TEST(AdminPeer, AnyoneElseIsRefusedWithoutAGroup) {
  EXPECT_FALSE(admin_peer_allowed(peer(1000, 1000), kService, std::nullopt));
  EXPECT_FALSE(admin_peer_allowed(peer(1000, kAdmins, {kAdmins}), kService, std::nullopt));
}

TEST(AdminPeer, MembersOfTheGroupArePrimaryOrSupplementary) {
  EXPECT_TRUE(admin_peer_allowed(peer(1000, kAdmins), kService, kAdmins));
  EXPECT_TRUE(admin_peer_allowed(peer(1000, 1000, {27, kAdmins}), kService, kAdmins));
  EXPECT_FALSE(admin_peer_allowed(peer(1000, 1000, {27, 100}), kService, kAdmins));
}

TEST(AdminPeer, CredentialsComeFromTheKernel) {
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  const auto read = read_peer_credentials(fds[0]);
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(read->uid, ::geteuid());
  EXPECT_EQ(read->gid, ::getegid());
  EXPECT_EQ(read->pid, ::getpid());
  EXPECT_NE(describe(*read).find("pid " + std::to_string(::getpid())), std::string::npos);
  ::close(fds[0]);
  ::close(fds[1]);
  EXPECT_FALSE(read_peer_credentials(-1).has_value());
}

}  // namespace
}  // namespace acc::router
