#include "router/admin_server.hpp"
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

#include "router/admin_protocol.hpp"
#include "router/job_json.hpp"
#include "router/offload.hpp"
#include "router/spawn.hpp"

namespace acc::router {

using asio::experimental::as_tuple;
using nlohmann::json;
using namespace asio::experimental::awaitable_operators;

namespace {

json error_reply(const std::string& text) {
  return {{"ok", false}, {"error", text}};
}

template <class T>
json count_reply(const Result<T>& r, const char* key) {
  if (!r) {
    return error_reply(r.error().message());
  }
  return {{"ok", true}, {key, *r}};
}

}  // namespace

json handle_admin_request(const json& request, queue::InstanceStore& store,
                          const std::function<json()>& destinations_state) {
  if (!request.is_object() || !request.contains("op") || !request["op"].is_string()) {
    return error_reply("request must be a JSON object with a string \"op\"");
  }
  auto& q = store.forward_queue();
  const std::string op = request["op"];
  if (op == "jobs") {
    const std::string dest = request.value("destination", std::string());
    auto jobs = q.jobs(dest);
    if (!jobs) {
      return error_reply(jobs.error().message());
    }
    json out = json::array();
    for (const auto& j : *jobs) {
      out.push_back(to_json(j));
    }
    return {{"ok", true}, {"jobs", out}};
  }
  if (op == "stats") {
    auto stats = q.stats();
    if (!stats) {
      return error_reply(stats.error().message());
    }
    json out = json::array();
    for (const auto& s : *stats) {
      out.push_back(to_json(s, unix_now_ms()));
    }
    return {{"ok", true},
            {"stats", out},
            {"forwarders", destinations_state ? destinations_state() : json::array()}};
  }
  if (op == "retry") {
    if (request.contains("uids") && request["uids"].is_array()) {
      std::vector<std::string> uids;
      for (const auto& u : request["uids"]) {
        if (!u.is_string()) {
          return error_reply("uids must be strings");
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
    return error_reply("retry needs \"uids\", \"dead\": true or \"destination\"");
  }
  if (op == "decisions") {
    auto entries = store.decisions(request.value("study", std::string()));
    if (!entries) {
      return error_reply(entries.error().message());
    }
    json out = json::array();
    for (const auto& e : *entries) {
      const json d = json::parse(e, nullptr, false);
      out.push_back(d.is_discarded() ? json(e) : d);
    }
    return {{"ok", true}, {"decisions", out}};
  }
  if (op == "purge") {
    return count_reply(q.purge(), "removed");
  }
  return error_reply("unknown op '" + op + "'");
}

AdminServer::AdminServer(asio::io_context& io, asio::thread_pool& work_pool,
                         queue::InstanceStore& store, std::filesystem::path socket_path,
                         std::function<json()> destinations_state, ExtraOps extra_ops)
    : io_(io),
      work_pool_(work_pool),
      store_(store),
      path_(std::move(socket_path)),
      destinations_state_(std::move(destinations_state)),
      extra_ops_(std::move(extra_ops)),
      acceptor_(io) {}

Result<void> AdminServer::open() {
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
  while (acceptor_.is_open()) {
    auto [ec, socket] = co_await acceptor_.async_accept(as_tuple(asio::use_awaitable));
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor_.is_open()) {
        break;  // closed for shutdown: nothing to report
      }
      spdlog::warn("admin socket accept: {}", ec.message());
      continue;
    }
    asio::co_spawn(io_, session(std::move(socket)), LogUncaught{"admin session"});
  }
}

asio::awaitable<void> AdminServer::session(asio::local::stream_protocol::socket socket) {
  std::string line;
  asio::steady_timer timer(io_, std::chrono::seconds(10));
  auto read = co_await (asio::async_read_until(socket, asio::dynamic_buffer(line, kAdminMaxLine),
                                               '\n', as_tuple(asio::use_awaitable)) ||
                        timer.async_wait(as_tuple(asio::use_awaitable)));
  if (read.index() != 0 || std::get<0>(std::get<0>(read))) {
    co_return;  // timeout, oversize line or disconnect: nothing to answer
  }
  json reply;
  const json request = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (request.is_discarded()) {
    reply = error_reply("request is not JSON");
  } else {
    // What changes the queue or a study is an operator action worth the log; polling is not.
    const auto* op = request.is_object() && request.contains("op")
                         ? request["op"].get_ptr<const std::string*>()
                         : nullptr;
    const bool changes =
        op != nullptr && (*op == "retry" || *op == "purge" || *op == "hold_assign" ||
                          *op == "hold_release" || *op == "reload");
    spdlog::log(changes ? spdlog::level::info : spdlog::level::debug, "admin: {}", request.dump());
    reply = co_await offload(work_pool_, [&request, &op, this]() -> json {
      // The handlers read fields with json::value(), which throws on a wrong type ("op": 5):
      // a malformed request is answered, never allowed to unwind the session.
      try {
        if (extra_ops_ && op != nullptr) {
          json answer = extra_ops_(request);
          if (!answer.is_null()) {
            return answer;
          }
        }
        return handle_admin_request(request, store_, destinations_state_);
      } catch (const json::exception& e) {
        return error_reply(std::string("malformed request: ") + e.what());
      }
    });
  }
  const std::string out = reply.dump() + "\n";
  co_await asio::async_write(socket, asio::buffer(out), as_tuple(asio::use_awaitable));
}

}  // namespace acc::router
