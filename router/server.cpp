#include "router/server.hpp"

#include <chrono>
#include <csignal>
#include <optional>
#include <thread>
#include <vector>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <asio/thread_pool.hpp>
#include <spdlog/spdlog.h>

#include "dicom/data/data_set.hpp"
#include "queue/instance_store.hpp"
#include "router/dicom_listener.hpp"
#include "router/spawn.hpp"
#include "router/storage_scp.hpp"

namespace acc::router {

using namespace std::chrono_literals;

namespace {
unsigned thread_count(uint32_t configured) {
  if (configured != 0) {
    return configured;
  }
  return std::max(1u, std::thread::hardware_concurrency());
}
}  // namespace

// Member order is destruction order in reverse: the store outlives the io_context (commit
// callbacks dispatch into it) and is closed explicitly before the io_context goes away.
struct Server::Impl {
  explicit Impl(config::RouterConfig c)
      : config(std::move(c)),
        work_pool(thread_count(config.server.io_threads)),
        signals(io, SIGINT, SIGTERM) {}

  config::RouterConfig config;
  std::unique_ptr<queue::InstanceStore> store;
  asio::thread_pool work_pool;
  asio::io_context io;
  std::optional<StorageScp> scp;
  std::optional<DicomListener> listener;
  asio::signal_set signals;
  bool stopping = false;

  asio::awaitable<void> drain_then_stop();
  void on_signal(const std::error_code& ec, int signo);
};

Server::Server(config::RouterConfig config) : impl_(std::make_unique<Impl>(std::move(config))) {}

Server::~Server() {
  if (impl_->store) {
    impl_->store->close();
  }
}

Result<void> Server::start() {
  auto& m = *impl_;
  if (!dicom::data::dictionary_loaded()) {
    spdlog::warn("DCMTK data dictionary not loaded: attribute names will be missing");
  }
  if (!m.config.storage.sync) {
    spdlog::warn("storage.sync = false: acknowledged instances can be LOST on power failure");
  }
  auto store = queue::InstanceStore::open({m.config.storage.path, m.config.storage.sync});
  if (!store) {
    return fail(store.error());
  }
  m.store = std::move(*store);
  m.scp.emplace(*m.store, m.work_pool);
  m.listener.emplace(m.io, m.config, *m.scp);
  if (auto opened = m.listener->open(); !opened) {
    return opened;
  }
  spdlog::info("accessioner listening on {}:{} as {} (storage {}, max PDU {}, max {} associations)",
               m.config.server.bind, m.listener->port(), m.config.server.ae_title,
               m.config.storage.path, m.config.server.max_pdu_length,
               m.config.server.max_associations);
  return {};
}

uint16_t Server::dicom_port() const {
  return impl_->listener ? impl_->listener->port() : 0;
}

// First signal: stop accepting and let associations finish (bounded); second: stop at once.
// Either way nothing acknowledged is lost: acknowledgements only follow a durable commit.
void Server::Impl::on_signal(const std::error_code& ec, int signo) {
  if (ec) {
    return;
  }
  if (stopping) {
    spdlog::warn("signal {} again: stopping now", signo);
    io.stop();
    return;
  }
  stopping = true;
  spdlog::info("signal {}: no new associations, waiting for {} active", signo,
               listener->active_associations());
  listener->close();
  signals.async_wait([this](const std::error_code& e, int s) { on_signal(e, s); });
  asio::co_spawn(io, drain_then_stop(), LogUncaught{"shutdown"});
}

asio::awaitable<void> Server::Impl::drain_then_stop() {
  asio::steady_timer timer(io);
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (listener->active_associations() > 0 && std::chrono::steady_clock::now() < deadline) {
    timer.expires_after(50ms);
    co_await timer.async_wait(asio::use_awaitable);
  }
  io.stop();
}

void Server::stop() {
  asio::post(impl_->io, [this] { impl_->on_signal({}, SIGTERM); });
}

int Server::run() {
  auto& m = *impl_;
  m.signals.async_wait([&m](const std::error_code& e, int s) { m.on_signal(e, s); });
  asio::co_spawn(m.io, m.listener->accept_loop(), LogUncaught{"listener"});

  std::vector<std::thread> threads;
  const unsigned n = thread_count(m.config.server.io_threads);
  for (unsigned i = 1; i < n; ++i) {
    threads.emplace_back([&m] { m.io.run(); });
  }
  m.io.run();
  for (auto& t : threads) {
    t.join();
  }
  m.work_pool.join();
  m.store->close();
  const auto s = m.store->stats();
  spdlog::info("stopped: {} instances committed in {} group commit(s) this run", s.instances,
               s.groups);
  return 0;
}

}  // namespace acc::router
