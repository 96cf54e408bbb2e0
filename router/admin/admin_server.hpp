#pragma once
// Serves the admin socket (router/admin/admin_protocol.hpp) so `accessioner queue`, `hold`,
// `worklist` and `reload` act on the running server's live state instead of a stale copy.
#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/local/stream_protocol.hpp>
#include <asio/thread_pool.hpp>
#include <nlohmann/json.hpp>

#include "common/result.hpp"
#include "queue/instance_store.hpp"
#include "router/admin/admin_protocol.hpp"

namespace acc::router {

// The operations a store alone can answer (jobs, stats, retry, purge, decisions): registered by
// the server on its live store, and by the CLI on the storage when no server runs. Blocking
// (RocksDB): the handlers run off the network threads. `destinations_state` adds the forwarders'
// live state to "stats" (empty: none).
void add_store_operations(AdminOperations& ops, queue::InstanceStore& store,
                          std::function<nlohmann::json()> destinations_state);

class AdminServer {
 public:
  // Every request is answered by `operations` on the work pool. `group` ([admin] group, empty for
  // none) may use the socket besides root and the user the server runs as.
  AdminServer(asio::io_context& io, asio::thread_pool& work_pool, std::filesystem::path socket_path,
              AdminOperations operations, std::string group = {});

  // Removes a stale socket file (a crashed predecessor) and binds with the socket's mode already
  // right (0600, or 0660 and `group`): there is no moment when it is open to others. Fails on a
  // group that does not exist or that the service user cannot give the socket to.
  [[nodiscard]] Result<void> open();
  [[nodiscard]] asio::awaitable<void> accept_loop();
  void close();

 private:
  asio::awaitable<void> session(asio::local::stream_protocol::socket socket);

  asio::io_context& io_;
  asio::thread_pool& work_pool_;
  std::filesystem::path path_;
  AdminOperations operations_;
  std::string group_name_;
  std::optional<gid_t> group_;  // resolved by open()
  asio::local::stream_protocol::acceptor acceptor_;
};

}  // namespace acc::router
