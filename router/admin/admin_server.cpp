#include "router/admin/admin_server.hpp"

#include <pwd.h>
#include <sys/socket.h>

#include <array>
#include "common/clock.hpp"

#include <sys/stat.h>

#include <chrono>

#include <spdlog/spdlog.h>
#include <asio/co_spawn.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/read_until.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include "router/admin/admin_protocol.hpp"
#include "router/admin/job_json.hpp"
#include "router/runtime/accept_loop.hpp"
#include "router/runtime/offload.hpp"
#include "router/runtime/spawn.hpp"

namespace acc::router {

using asio::experimental::as_tuple;
using nlohmann::json;
using namespace asio::experimental::awaitable_operators;

namespace {

template <class T>
json count_reply(const Result<T>& r, const char* key) {
  if (!r) {
    return admin_error(r.error().message());
  }
  return {{"ok", true}, {key, *r}};
}

json jobs(queue::ForwardQueue& q, const json& request) {
  auto jobs = q.jobs(request.value("destination", std::string()));
  if (!jobs) {
    return admin_error(jobs.error().message());
  }
  json out = json::array();
  for (const auto& j : *jobs) {
    out.push_back(to_json(j));
  }
  return {{"ok", true}, {"jobs", out}};
}

json stats(queue::ForwardQueue& q, const std::function<json()>& destinations_state) {
  auto stats = q.stats();
  if (!stats) {
    return admin_error(stats.error().message());
  }
  json out = json::array();
  for (const auto& s : *stats) {
    out.push_back(to_json(s, unix_now_ms()));
  }
  return {{"ok", true},
          {"stats", out},
          {"forwarders", destinations_state ? destinations_state() : json::array()}};
}

json retry(queue::ForwardQueue& q, const json& request) {
  if (request.contains("uids") && request["uids"].is_array()) {
    std::vector<std::string> uids;
    for (const auto& u : request["uids"]) {
      if (!u.is_string()) {
        return admin_error("uids must be strings");
      }
      uids.push_back(u);
    }
    return count_reply(q.retry_instances(uids), "changed");
  }
  if (request.value("dead", false)) {
    return count_reply(q.retry_dead(), "changed");
  }
  if (request.contains("destination") && request["destination"].is_string()) {
    return count_reply(q.retry_destination(request["destination"].get<std::string>()), "changed");
  }
  return admin_error("retry needs \"uids\", \"dead\": true or \"destination\"");
}

json decisions(queue::InstanceStore& store, const json& request) {
  auto entries = store.decisions(request.value("study", std::string()));
  if (!entries) {
    return admin_error(entries.error().message());
  }
  json out = json::array();
  for (const auto& e : *entries) {
    const json d = json::parse(e, nullptr, false);
    out.push_back(d.is_discarded() ? json(e) : d);
  }
  return {{"ok", true}, {"decisions", out}};
}

}  // namespace

void add_store_operations(AdminOperations& ops, queue::InstanceStore& store,
                          std::function<json()> destinations_state) {
  auto& q = store.forward_queue();
  ops.on(AdminOp::jobs, [&q](const json& rq) { return jobs(q, rq); });
  ops.on(AdminOp::stats,
         [&q, state = std::move(destinations_state)](const json&) { return stats(q, state); });
  ops.on(AdminOp::retry, [&q](const json& rq) { return retry(q, rq); });
  ops.on(AdminOp::purge, [&q](const json&) { return count_reply(q.purge(), "removed"); });
  ops.on(AdminOp::decisions, [&store](const json& rq) { return decisions(store, rq); });
}

AdminServer::AdminServer(asio::io_context& io, asio::thread_pool& work_pool,
                         std::filesystem::path socket_path, AdminOperations operations)
    : io_(io),
      work_pool_(work_pool),
      path_(std::move(socket_path)),
      operations_(std::move(operations)),
      acceptor_(io) {}

[[nodiscard]] Result<void> AdminServer::open() {
  std::error_code ec;
  // The store's RocksDB lock guarantees no other server runs on this storage: a socket file
  // left here belongs to a crashed predecessor.
  std::filesystem::remove(path_, ec);
  const asio::local::stream_protocol::endpoint endpoint(path_.string());
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) {
    acceptor_.bind(endpoint, ec);
  }
  if (!ec) {
    acceptor_.listen(8, ec);
  }
  if (ec) {
    return fail(Error{ec, "admin socket " + path_.string()});
  }
  ::chmod(path_.c_str(), 0600);
  return {};
}

void AdminServer::close() {
  std::error_code ignored;
  acceptor_.close(ignored);
  std::filesystem::remove(path_, ignored);
}

asio::awaitable<void> AdminServer::accept_loop() {
  co_await accept_connections(io_, acceptor_, "admin socket", [this](auto strand, auto socket) {
    asio::co_spawn(strand, session(std::move(socket)), LogUncaught{"admin session"});
  });
}

std::string peer_credentials(int fd) {
  ucred cred{};
  socklen_t length = sizeof(cred);
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &length) != 0) {
    return "unknown peer";
  }
  std::string user = "uid " + std::to_string(cred.uid);
  std::array<char, 1024> buffer{};
  passwd entry{};
  passwd* found = nullptr;
  if (::getpwuid_r(cred.uid, &entry, buffer.data(), buffer.size(), &found) == 0 && found) {
    user = std::string(found->pw_name) + " (uid " + std::to_string(cred.uid) + ")";
  }
  return user + ", pid " + std::to_string(cred.pid);
}

asio::awaitable<void> AdminServer::session(asio::local::stream_protocol::socket socket) {
  std::string line;
  asio::steady_timer timer(socket.get_executor(), std::chrono::seconds(10));
  auto read = co_await (asio::async_read_until(socket, asio::dynamic_buffer(line, kAdminMaxLine),
                                               '\n', as_tuple(asio::use_awaitable)) ||
                        timer.async_wait(as_tuple(asio::use_awaitable)));
  if (read.index() != 0 || std::get<0>(std::get<0>(read))) {
    co_return;  // timeout, oversize line or disconnect: nothing to answer
  }
  json reply;
  json request = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (request.is_object()) {
    // Who asked, from the kernel (SO_PEERCRED), never from the request: a person's decision on a
    // held study is recorded with it.
    request["peer"] = peer_credentials(socket.native_handle());
  }
  if (request.is_discarded()) {
    reply = admin_error("request is not JSON");
  } else {
    // What changes the queue, a study or the rules is an operator action worth the log; polling
    // is not.
    const auto* name = request.is_object() && request.contains("op")
                           ? request["op"].get_ptr<const std::string*>()
                           : nullptr;
    const auto op = name != nullptr ? parse_admin_op(*name) : std::nullopt;
    const bool mutating = op && spec(*op).mutating;
    spdlog::log(mutating ? spdlog::level::info : spdlog::level::debug, "admin: {}", request.dump());
    reply = co_await offload(work_pool_, [&request, this] { return operations_.handle(request); });
  }
  const std::string out = reply.dump() + "\n";
  co_await asio::async_write(socket, asio::buffer(out), as_tuple(asio::use_awaitable));
}

}  // namespace acc::router
