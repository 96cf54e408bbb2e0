#include "router/observability/metrics_server.hpp"

#include "router/runtime/tcp_listen.hpp"

#include <array>
#include <chrono>
#include <exception>

#include <spdlog/spdlog.h>
#include <asio/co_spawn.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include "router/runtime/accept_loop.hpp"
#include "router/runtime/offload.hpp"
#include "router/runtime/spawn.hpp"

namespace acc::router {

using asio::experimental::as_tuple;
using asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;
using namespace std::chrono_literals;

namespace {

// After the answer: read and drop what the client still sends, until it closes, for at most this
// long. Closing with unread bytes would reset the connection, and the client could lose the
// answer (a 431 to a 20 KiB head is sent after reading only 8 KiB of it).
constexpr auto kLingerTime = 2s;
constexpr std::size_t kLingerBytes = 64 * 1024;

http::Response text(uint16_t status, std::string body) {
  body += '\n';
  return {status, "text/plain; charset=utf-8", std::move(body)};
}

// Over the connection cap: answered from the accept loop without a coroutine, so a flood of
// connections costs no memory. What already arrived is read first (non-blocking) for the same
// reason as the linger above.
template <class Socket>
void refuse_busy(Socket& socket) {
  std::error_code ec;
  socket.non_blocking(true, ec);
  std::array<char, 8192> sink{};
  (void)socket.read_some(asio::buffer(sink), ec);
  const std::string out = http::serialize(text(503, "too many connections"));
  asio::write(socket, asio::buffer(out), ec);
  socket.shutdown(asio::socket_base::shutdown_both, ec);
  socket.close(ec);
}

}  // namespace

// One of max_connections, taken in the accept loop (so two quick accepts cannot both take the
// last one) and moved into the session coroutine.
class MetricsServer::Slot {
 public:
  explicit Slot(std::shared_ptr<std::atomic<uint32_t>> active) : active_(std::move(active)) {
    ++*active_;
  }
  Slot(Slot&& other) noexcept = default;
  Slot& operator=(Slot&&) = delete;
  Slot(const Slot&) = delete;
  Slot& operator=(const Slot&) = delete;
  ~Slot() {
    if (active_) {
      --*active_;
    }
  }

 private:
  std::shared_ptr<std::atomic<uint32_t>> active_;
};

MetricsServer::MetricsServer(asio::io_context& io, asio::thread_pool& work_pool,
                             config::MetricsConfig config, MetricsEndpoints endpoints)
    : io_(io),
      work_pool_(work_pool),
      config_(std::move(config)),
      endpoints_(std::move(endpoints)),
      acceptor_(io) {}

[[nodiscard]] Result<void> MetricsServer::open() {
  if (auto listening = listen_tcp(acceptor_, config_.bind, config_.port, "[metrics]"); !listening) {
    return listening;
  }
  spdlog::info("metrics on {}:{}", config_.bind, port());
  return {};
}

uint16_t MetricsServer::port() const {
  std::error_code ec;
  const auto ep = acceptor_.local_endpoint(ec);
  return ec ? 0 : ep.port();
}

void MetricsServer::close() {
  std::error_code ignored;
  acceptor_.close(ignored);
}

asio::awaitable<void> MetricsServer::accept_loop() {
  co_await accept_connections(io_, acceptor_, "metrics", [this](auto strand, auto socket) {
    if (active_->load() >= config_.max_connections) {
      refuse_busy(socket);
      return;
    }
    asio::co_spawn(strand, session(std::move(socket), Slot(active_)),
                   LogUncaught{"metrics connection"});
  });
}

// `slot` (unnamed: only held) is owned by the coroutine frame until the connection ends.
asio::awaitable<void> MetricsServer::session(tcp::socket socket, Slot /*slot*/) {
  std::error_code ec;
  socket.set_option(tcp::no_delay(true), ec);
  asio::steady_timer deadline(socket.get_executor(),
                              std::chrono::seconds(config_.request_timeout_s));
  std::string received;
  std::array<char, 4096> buffer{};
  http::ParseResult parsed = http::NeedMore{};
  bool timed_out = false;
  while (std::holds_alternative<http::NeedMore>(parsed)) {
    auto read =
        co_await (socket.async_read_some(asio::buffer(buffer), as_tuple(asio::use_awaitable)) ||
                  deadline.async_wait(as_tuple(asio::use_awaitable)));
    if (read.index() == 1) {
      timed_out = true;
      break;
    }
    const auto [read_error, n] = std::get<0>(read);
    if (read_error) {
      co_return;  // closed or reset before a whole head: nobody to answer
    }
    received.append(buffer.data(), n);
    parsed = http::parse_request_head(received);
  }

  http::Response response;
  bool head_only = false;
  if (timed_out) {
    response = text(408, "request head not received within " +
                             std::to_string(config_.request_timeout_s) + " s");
  } else if (const auto* error = std::get_if<http::ParseError>(&parsed)) {
    response = text(error->status, error->reason);
  } else {
    const auto& request = std::get<http::Request>(parsed);
    head_only = request.method == http::Method::Head;
    response = co_await respond(request);
  }
  const std::string out = http::serialize(response, head_only);
  deadline.expires_after(std::chrono::seconds(config_.request_timeout_s));
  auto written =
      co_await (asio::async_write(socket, asio::buffer(out), as_tuple(asio::use_awaitable)) ||
                deadline.async_wait(as_tuple(asio::use_awaitable)));
  if (written.index() == 1 || std::get<0>(std::get<0>(written))) {
    co_return;  // the client does not read: drop it
  }
  socket.shutdown(tcp::socket::shutdown_send, ec);
  deadline.expires_after(kLingerTime);
  for (std::size_t drained = 0; drained < kLingerBytes;) {
    auto more =
        co_await (socket.async_read_some(asio::buffer(buffer), as_tuple(asio::use_awaitable)) ||
                  deadline.async_wait(as_tuple(asio::use_awaitable)));
    if (more.index() == 1 || std::get<0>(std::get<0>(more))) {
      break;
    }
    drained += std::get<1>(std::get<0>(more));
  }
}

asio::awaitable<http::Response> MetricsServer::respond(const http::Request& request) {
  const std::string& path = request.path;
  if (path == "/healthz") {
    co_return text(200, "ok");  // the process is alive and its event loop answers
  }
  if (path != "/metrics" && path != "/readyz" && path != "/status") {
    co_return text(404, "not found: try /metrics, /healthz, /readyz or /status");
  }
  // Reference captures only (g++ 12, see router/runtime/offload.hpp); exceptions stay on this side.
  auto work = [this, &path]() -> http::Response {
    try {
      if (path == "/metrics") {
        return {200, "text/plain; version=0.0.4; charset=utf-8", endpoints_.metrics()};
      }
      if (path == "/readyz") {
        const Readiness r = endpoints_.readiness();
        return r.ready ? text(200, "ready") : text(503, r.reason);
      }
      return {200, "application/json", endpoints_.status() + "\n"};
    } catch (const std::exception& e) {
      spdlog::error("metrics: {} failed: {}", path, e.what());
      return text(500, "internal error");
    }
  };
  co_return co_await offload(work_pool_, std::ref(work));
}

}  // namespace acc::router
