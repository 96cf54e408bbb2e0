#include "router/admin/admin_server.hpp"

#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <chrono>

#include "common/clock.hpp"

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
#include "router/admin/peer_credentials.hpp"
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
                         std::filesystem::path socket_path, AdminOperations operations,
                         std::string group)
    : io_(io),
      work_pool_(work_pool),
      path_(std::move(socket_path)),
      operations_(std::move(operations)),
      group_name_(std::move(group)),
      acceptor_(io) {}

namespace {

Result<gid_t> group_id(const std::string& name) {
  std::array<char, 16384> buffer{};
  group entry{};
  group* found = nullptr;
  const int rc = ::getgrnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found);
  if (rc != 0 || found == nullptr) {
    return fail(Error{std::make_error_code(std::errc::invalid_argument),
                      "admin.group '" + name + "' is not a group on this system"});
  }
  return found->gr_gid;
}

// The umask is the process's. This runs once at start-up, before associations and forwarding
// begin; a file RocksDB's background threads create in this instant gets a narrower mode (0600),
// never a wider one.
class ScopedUmask {
 public:
  explicit ScopedUmask(mode_t mask) : previous_(::umask(mask)) {}
  ~ScopedUmask() { ::umask(previous_); }
  ScopedUmask(const ScopedUmask&) = delete;
  ScopedUmask& operator=(const ScopedUmask&) = delete;

 private:
  mode_t previous_;
};

}  // namespace

[[nodiscard]] Result<void> AdminServer::open() {
  std::error_code ec;
  // The store's RocksDB lock guarantees no other server runs on this storage: a socket file
  // left here belongs to a crashed predecessor.
  std::filesystem::remove(path_, ec);
  if (!group_name_.empty()) {
    auto gid = group_id(group_name_);
    if (!gid) {
      return fail(std::move(gid.error()));
    }
    group_ = *gid;
  }
  const asio::local::stream_protocol::endpoint endpoint(path_.string());
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) {
    // bind() creates the file with 0777 & ~umask: a chmod after it (as before issue 12) left a
    // window in which anyone could connect.
    const ScopedUmask mask(group_ ? 0117 : 0177);
    acceptor_.bind(endpoint, ec);
  }
  if (!ec && group_ && ::chown(path_.c_str(), static_cast<uid_t>(-1), *group_) != 0) {
    ec = std::error_code(errno, std::generic_category());
    acceptor_.close();
    return fail(Error{ec, "admin socket " + path_.string() + ": giving it to group '" +
                              group_name_ + "' (is the service user a member?)"});
  }
  if (!ec) {
    acceptor_.listen(8, ec);
  }
  if (ec) {
    return fail(Error{ec, "admin socket " + path_.string()});
  }
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

asio::awaitable<void> AdminServer::session(asio::local::stream_protocol::socket socket) {
  // Who asked, from the kernel, never from the request: recorded with a person's decision on a
  // held study, and checked before the request is acted on or even parsed.
  const auto peer = read_peer_credentials(socket.native_handle());
  const bool allowed = peer && admin_peer_allowed(*peer, ::geteuid(), group_);
  // The request line is read either way (bounded, 10 s): a refusal written before it would race
  // the client's write into a broken pipe instead of reaching it as an answer.
  std::string line;
  asio::steady_timer timer(socket.get_executor(), std::chrono::seconds(10));
  auto read = co_await (asio::async_read_until(socket, asio::dynamic_buffer(line, kAdminMaxLine),
                                               '\n', as_tuple(asio::use_awaitable)) ||
                        timer.async_wait(as_tuple(asio::use_awaitable)));
  if (!allowed) {
    const std::string who = peer ? describe(*peer) : std::string("unknown peer");
    spdlog::warn("admin: refused {}: not root, the service user{}", who,
                 group_name_.empty() ? std::string() : " or a member of group " + group_name_);
    const std::string out =
        admin_error("not authorized: the admin socket serves root, the service user" +
                    (group_name_.empty() ? std::string() : " and group " + group_name_))
            .dump() +
        "\n";
    co_await asio::async_write(socket, asio::buffer(out), as_tuple(asio::use_awaitable));
    co_return;
  }
  if (read.index() != 0 || std::get<0>(std::get<0>(read))) {
    co_return;  // timeout, oversize line or disconnect: nothing to answer
  }
  json reply;
  json request = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (request.is_object()) {
    request["peer"] = describe(*peer);
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
