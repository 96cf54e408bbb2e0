#pragma once
// Serves the admin socket (router/admin_protocol.hpp) so `accessioner queue retry|purge|list|stats`
// act on the running server's live state instead of a stale copy.
#include <filesystem>
#include <functional>

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/local/stream_protocol.hpp>
#include <asio/thread_pool.hpp>
#include <nlohmann/json.hpp>

#include "common/result.hpp"
#include "queue/instance_store.hpp"

namespace acc::router {

// Runs one admin request against a store. Blocking (RocksDB): call it off the network threads.
// `destinations_state` adds the forwarders' live state to "stats".
[[nodiscard]] nlohmann::json handle_admin_request(
    const nlohmann::json& request, queue::InstanceStore& store,
    const std::function<nlohmann::json()>& destinations_state);

class AdminServer {
 public:
  // `extra_ops` answers requests handle_admin_request does not know (hold, worklist), or returns
  // a null json to let it fall through. It runs on the work pool.
  using ExtraOps = std::function<nlohmann::json(const nlohmann::json& request)>;
  AdminServer(asio::io_context& io, asio::thread_pool& work_pool, queue::InstanceStore& store,
              std::filesystem::path socket_path, std::function<nlohmann::json()> destinations_state,
              ExtraOps extra_ops = {});

  // Removes a stale socket file (a crashed predecessor), binds, restricts it to the owner.
  [[nodiscard]] Result<void> open();
  [[nodiscard]] asio::awaitable<void> accept_loop();
  void close();

 private:
  asio::awaitable<void> session(asio::local::stream_protocol::socket socket);

  asio::io_context& io_;
  asio::thread_pool& work_pool_;
  queue::InstanceStore& store_;
  std::filesystem::path path_;
  std::function<nlohmann::json()> destinations_state_;
  ExtraOps extra_ops_;
  asio::local::stream_protocol::acceptor acceptor_;
};

}  // namespace acc::router
