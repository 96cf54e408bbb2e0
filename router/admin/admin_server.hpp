#pragma once
// Serves the admin socket (router/admin/admin_protocol.hpp) so `accessioner queue`, `hold`,
// `worklist` and `reload` act on the running server's live state instead of a stale copy.
#include <filesystem>
#include <functional>

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/local/stream_protocol.hpp>
#include <asio/thread_pool.hpp>
#include <nlohmann/json.hpp>

#include "common/result.hpp"
#include "queue/instance_store.hpp"
#include "router/admin/admin_protocol.hpp"

namespace acc::router {

// "alice (uid 1000), pid 4242" for the peer of a connected Unix socket (SO_PEERCRED).
[[nodiscard]] std::string peer_credentials(int fd);

// The operations a store alone can answer (jobs, stats, retry, purge, decisions): registered by
// the server on its live store, and by the CLI on the storage when no server runs. Blocking
// (RocksDB): the handlers run off the network threads. `destinations_state` adds the forwarders'
// live state to "stats" (empty: none).
void add_store_operations(AdminOperations& ops, queue::InstanceStore& store,
                          std::function<nlohmann::json()> destinations_state);

class AdminServer {
 public:
  // Every request is answered by `operations` on the work pool.
  AdminServer(asio::io_context& io, asio::thread_pool& work_pool, std::filesystem::path socket_path,
              AdminOperations operations);

  // Removes a stale socket file (a crashed predecessor), binds, restricts it to the owner.
  [[nodiscard]] Result<void> open();
  [[nodiscard]] asio::awaitable<void> accept_loop();
  void close();

 private:
  asio::awaitable<void> session(asio::local::stream_protocol::socket socket);

  asio::io_context& io_;
  asio::thread_pool& work_pool_;
  std::filesystem::path path_;
  AdminOperations operations_;
  asio::local::stream_protocol::acceptor acceptor_;
};

}  // namespace acc::router
