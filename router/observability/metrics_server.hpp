#pragma once
// The HTTP endpoint of [metrics] (issue 6): GET /metrics (Prometheus), /healthz, /readyz and
// /status on the daemon's own io_context. One coroutine per connection, one request per
// connection (Connection: close), the request head parsed by the sans-I/O router/http/request
// with its limits, `request_timeout_s` for the head (then 408), at most `max_connections` at once
// (the next is answered 503 and closed). What the endpoints report comes from callbacks that run
// on the work pool, because they may block (the storage write probe, RocksDB, statvfs).
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/thread_pool.hpp>

#include "common/result.hpp"
#include "config/config.hpp"
#include "router/http/request.hpp"
#include "router/http/response.hpp"

namespace acc::router {

struct Readiness {
  bool ready = false;
  std::string reason;  // one line, why not ready; never patient data
};

// Each callback runs on the work pool; an exception is answered 500.
struct MetricsEndpoints {
  std::function<std::string()> metrics;  // Prometheus text exposition format 0.0.4
  std::function<Readiness()> readiness;
  std::function<std::string()> status;  // JSON document
};

class MetricsServer {
 public:
  MetricsServer(asio::io_context& io, asio::thread_pool& work_pool, config::MetricsConfig config,
                MetricsEndpoints endpoints);

  // Binds [metrics] bind:port (0 = any free port) and logs "metrics on ADDR:PORT".
  [[nodiscard]] Result<void> open();
  [[nodiscard]] uint16_t port() const;
  // Accept loop; returns when close() is called. Connections in progress finish (each is
  // bounded by request_timeout_s).
  [[nodiscard]] asio::awaitable<void> accept_loop();
  void close();

  [[nodiscard]] uint32_t active_connections() const { return active_->load(); }

 private:
  class Slot;
  asio::awaitable<void> session(asio::ip::tcp::socket socket, Slot slot);
  // The answer to a parsed request: routing, and the endpoint callbacks on the work pool.
  asio::awaitable<http::Response> respond(const http::Request& request);

  asio::io_context& io_;
  asio::thread_pool& work_pool_;
  config::MetricsConfig config_;
  MetricsEndpoints endpoints_;
  asio::ip::tcp::acceptor acceptor_;
  // Shared with session frames: a frame destroyed with the io_context still releases its slot.
  std::shared_ptr<std::atomic<uint32_t>> active_ = std::make_shared<std::atomic<uint32_t>>(0);
};

}  // namespace acc::router
