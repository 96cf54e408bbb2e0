// `accessioner queue stats --json` and `queue purge` against a running server (issue 3, test 9);
// who may use the admin socket (issue 12).
#include <grp.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <set>

#include "router/admin/admin_client.hpp"
#include "router/admin/admin_protocol.hpp"
#include "tests/integration/forward_helpers.hpp"
#include "tests/support/accessioner_process.hpp"
#include "tests/support/dicom_files.hpp"
#include "tests/support/pacs_peers.hpp"
#include "tests/support/temp_dir.hpp"

namespace acc::test {
namespace {

using namespace std::chrono_literals;

const nlohmann::json* entry_for(const nlohmann::json& array, const std::string& destination) {
  for (const auto& e : array) {
    if (e.value("destination", "") == destination) {
      return &e;
    }
  }
  return nullptr;
}

TEST(QueueAdmin, StatsCountTheBacklogAndPurgeNeedsYesAndEmptiesTheQueue) {
  constexpr std::size_t kCount = 20;
  TempDir scratch("acc-queue-admin");
  const auto copies = make_unique_copies(kCtSmall, scratch.path(), kCount + 1);
  const std::vector<CopiedFile> backlog(copies.begin(), copies.begin() + kCount);
  StorescpProcess pacs;  // never started: everything stays queued
  AccessionerProcess server(
      {.sync = false,
       .destinations = {destination_to(pacs, "pacs", "retry_initial_s = 1\nretry_max_s = 2\n")}});
  server.start();
  send_all_with_storescu(server.port(), backlog, scratch / "storescu.log");
  if (HasFatalFailure()) {
    return;
  }

  nlohmann::json stats;
  ASSERT_TRUE(wait_until(
      [&] {
        stats = server.queue_stats();
        if (!stats.contains("forwarders")) {
          return false;
        }
        const auto* f = entry_for(stats.at("forwarders"), "pacs");
        return f != nullptr && f->value("consecutive_failures", 0) >= 1;
      },
      15s, 200ms))
      << stats.dump(2);
  EXPECT_TRUE(stats.value("ok", false));
  const auto* s = entry_for(stats.at("stats"), "pacs");
  ASSERT_NE(s, nullptr) << stats.dump(2);
  EXPECT_EQ(s->value("pending", 0) + s->value("in_flight", 0), kCount) << stats.dump(2);
  EXPECT_LE(s->value("waiting_retry", 0), s->value("pending", 0));
  EXPECT_EQ(s->value("dead", 1), 0);
  EXPECT_GT(s->value("oldest_age_s", 0.0), 0.0);
  const auto* f = entry_for(stats.at("forwarders"), "pacs");
  ASSERT_NE(f, nullptr);
  EXPECT_TRUE(f->value("backing_off", false));
  EXPECT_EQ(f->value("delivered", 1), 0);
  EXPECT_NE(f->value("last_error", "").find("connect"), std::string::npos) << f->dump();

  // Without --yes: refused with status 2, nothing removed.
  const ToolResult refused = server.queue_command({"purge"});
  EXPECT_EQ(refused.exit_code, 2) << refused.output;
  EXPECT_NE(refused.output.find("--yes"), std::string::npos) << refused.output;
  nlohmann::json all = server.queue_list_all();
  EXPECT_EQ(instance_uids_in(all), uids_of(backlog));
  EXPECT_EQ(jobs_in(all).size(), kCount);

  const ToolResult purged = server.queue_command({"purge", "--yes"});
  EXPECT_EQ(purged.exit_code, 0) << purged.output;
  EXPECT_NE(purged.output.find("purged " + std::to_string(kCount) + " instance(s)"),
            std::string::npos)
      << purged.output;
  all = server.queue_list_all();
  EXPECT_TRUE(all.at("instances").empty()) << all.dump(2);
  EXPECT_TRUE(all.at("jobs").empty()) << all.dump(2);
  stats = server.queue_stats();
  if (const auto* after = entry_for(stats.at("stats"), "pacs")) {
    EXPECT_EQ(after->value("pending", 1), 0) << stats.dump(2);
    EXPECT_EQ(after->value("in_flight", 1), 0) << stats.dump(2);
    EXPECT_EQ(after->value("dead", 1), 0) << stats.dump(2);
  }

  // The server carries on: a new instance is stored and queued, and delivered once the PACS is up.
  const std::vector<CopiedFile> one(copies.begin() + kCount, copies.end());
  send_all_with_storescu(server.port(), one, scratch / "storescu-after.log");
  if (HasFatalFailure()) {
    return;
  }
  all = server.queue_list_all();
  EXPECT_EQ(instance_uids_in(all), uids_of(one));
  EXPECT_EQ(jobs_in(all).size(), 1u);
  pacs.start();
  const nlohmann::json left = wait_until_drained(server, 30s);
  EXPECT_TRUE(left.at("jobs").empty()) << left.dump(2);
  EXPECT_EQ(pacs.received_uids(), uids_of(one)) << "a purged instance was delivered";
}

// The admin socket is a local control interface, but what arrives on it is still input: wrong
// types and shapes get an error reply, and the server keeps answering.
TEST(QueueAdmin, MalformedAdminRequestsAreAnsweredNotFatal) {
  AccessionerProcess server({.sync = false});
  server.start();
  const auto socket = router::admin_socket_path(server.storage_path().string());
  for (const nlohmann::json& bad :
       {nlohmann::json{{"op", 5}}, nlohmann::json{{"op", "jobs"}, {"destination", 7}},
        nlohmann::json::array({1, 2}), nlohmann::json{{"op", "no_such_op"}},
        nlohmann::json{{"op", "retry"}, {"uids", "not-a-list"}}}) {
    const auto reply = router::admin_call(socket, bad);
    ASSERT_TRUE(reply.has_value()) << bad.dump();
    EXPECT_FALSE(reply->value("ok", true)) << bad.dump() << " -> " << reply->dump();
    EXPECT_FALSE(reply->value("error", std::string()).empty()) << reply->dump();
  }
  const auto good = router::admin_call(socket, {{"op", "stats"}});
  ASSERT_TRUE(good.has_value());
  EXPECT_TRUE(good->value("ok", false)) << good->dump();
  EXPECT_EQ(server.stop(), 0);
}

// admin_call from a child process running as `uid`, `gid` and supplementary `groups`: the reply,
// or "no reply".
std::string admin_call_as(uid_t uid, gid_t gid, const std::vector<gid_t>& groups,
                          const std::filesystem::path& socket, const nlohmann::json& request) {
  int out[2];
  if (::pipe(out) != 0) {
    return "pipe failed";
  }
  const pid_t child = ::fork();
  if (child == 0) {
    ::close(out[0]);
    if (::setgroups(groups.size(), groups.data()) != 0 || ::setresgid(gid, gid, gid) != 0 ||
        ::setresuid(uid, uid, uid) != 0) {
      _exit(2);
    }
    const auto reply = router::admin_call(socket, request);
    const std::string text = reply ? reply->dump() : std::string("no reply");
    const ssize_t written = ::write(out[1], text.data(), text.size());
    _exit(written == static_cast<ssize_t>(text.size()) ? 0 : 3);
  }
  ::close(out[1]);
  std::string text;
  char buffer[4096];
  for (ssize_t n; (n = ::read(out[0], buffer, sizeof buffer)) > 0;) {
    text.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(out[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  return text;
}

// Issue 12: the socket was made 0600 by a chmod after listen (a window, its result ignored) and
// any peer that could reach it was served. It is now created with its mode, and a peer is judged
// by its kernel credentials, so a socket file opened up by mistake still serves nobody else.
TEST(AdminSocket, IsCreatedWithItsModeAndServesOnlyRootTheServiceUserAndItsGroup) {
  if (::geteuid() != 0) {
    GTEST_SKIP() << "acting as other users needs root";
  }
  const group* daemon_group = ::getgrnam("daemon");
  ASSERT_NE(daemon_group, nullptr);
  const gid_t admins = daemon_group->gr_gid;
  AccessionerProcess server({.extra_tables = "[admin]\ngroup = \"daemon\"\n", .sync = false});
  server.start();
  const auto socket = router::admin_socket_path(server.storage_path().string());
  struct stat st {};
  ASSERT_EQ(::stat(socket.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0660u);
  EXPECT_EQ(st.st_gid, admins);

  // Open the way on the file system, as a careless chmod would: only the credential check stands.
  ASSERT_EQ(::chmod(socket.c_str(), 0666), 0);
  for (auto dir = socket.parent_path(); dir != dir.root_path(); dir = dir.parent_path()) {
    struct stat d {};
    ASSERT_EQ(::stat(dir.c_str(), &d), 0);
    ASSERT_EQ(::chmod(dir.c_str(), (d.st_mode & 07777) | 0001), 0) << dir;
  }
  constexpr uid_t kNobody = 65534;
  const std::string refused = admin_call_as(kNobody, kNobody, {}, socket, {{"op", "stats"}});
  EXPECT_NE(refused.find("not authorized"), std::string::npos) << refused;
  EXPECT_EQ(refused.find("\"stats\""), std::string::npos) << refused;
  EXPECT_NE(server.log_text().find("admin: refused nobody (uid 65534)"), std::string::npos)
      << tail(server.log_text());

  const std::string member =
      admin_call_as(kNobody, kNobody, {admins}, socket, {{"op", "retry"}, {"dead", true}});
  EXPECT_NE(member.find("\"ok\":true"), std::string::npos) << member;
  // A mutating operation is logged with its author, as the kernel names it.
  EXPECT_NE(server.log_text().find("\"peer\":\"nobody (uid 65534)"), std::string::npos)
      << tail(server.log_text());
  EXPECT_EQ(server.stop(), 0);
}

TEST(AdminSocket, WithoutAGroupItIsTheServiceUsersAlone) {
  AccessionerProcess server({.sync = false});
  server.start();
  const auto socket = router::admin_socket_path(server.storage_path().string());
  struct stat st {};
  ASSERT_EQ(::stat(socket.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(st.st_uid, ::geteuid());
}

}  // namespace
}  // namespace acc::test
