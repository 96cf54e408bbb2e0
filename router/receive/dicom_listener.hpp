#pragma once
// The DICOM listener: accepts TCP connections, spawns one coroutine per association on its own
// strand, and applies admission (source networks and connection caps before any PDU; AE titles and
// the association cap on the A-ASSOCIATE-RQ).
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <asio/awaitable.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>

#include "common/byte_budget.hpp"
#include "common/network_prefix.hpp"
#include "common/result.hpp"
#include "config/config.hpp"
#include "dicom/net/tls.hpp"
#include "router/observability/metrics.hpp"
#include "router/receive/association_acceptor.hpp"
#include "router/receive/connection_gate.hpp"
#include "router/receive/storage_scp.hpp"

namespace acc::router {

class DicomListener {
 public:
  // `receive_budget` bounds the memory of data sets being received, all associations together;
  // data sets past server.spool_above_kb go to `spooler` as they arrive.
  DicomListener(asio::io_context& io, const config::RouterConfig& config, StorageScp& scp,
                RouterMetrics& metrics, ByteBudget& receive_budget,
                dicom::net::DataSetSpooler& spooler);

  // Binds and listens (and the TLS listener with its certificates, if [server.tls]); start-up
  // failures (port in use, bad address, a certificate that does not load) come back as an Error.
  [[nodiscard]] Result<void> open();
  [[nodiscard]] uint16_t port() const;
  [[nodiscard]] uint16_t tls_port() const { return tls_port_.load(); }
  // Reads [server.tls]'s files again (SIGHUP, `accessioner reload`): connections from now on use
  // them, established ones keep theirs. On an error the previous certificates stay in force.
  // Thread-safe. A no-op without [server.tls].
  [[nodiscard]] Result<void> reload_tls();
  // Bound and accepting (readiness). Thread-safe.
  [[nodiscard]] bool is_open() const { return open_.load(); }

  // Accept loop; returns when close() is called.
  [[nodiscard]] asio::awaitable<void> accept_loop();
  void close();

  [[nodiscard]] uint32_t active_associations() const { return active_->load(); }
  [[nodiscard]] uint64_t failures() const { return failures_.load(); }

 private:
  asio::awaitable<void> session(asio::ip::tcp::socket socket, uint64_t id,
                                ConnectionGate::Ticket ticket, bool tls);
  // Admission before any byte is read (allowed_sources, connection caps), then a session.
  template <class Socket>
  void admit(Socket socket, const asio::any_io_executor& strand, bool tls);

  [[nodiscard]] bool source_allowed(const asio::ip::address& address) const;
  // Counts and logs (rate-limited) a connection refused before any PDU was read.
  void count_refusal(const std::string& source, ConnectionRefusal why);
  // A refused connection is logged once per this many (a flood must not flood the log too).
  static constexpr uint64_t kRefusalLogEvery = 100;

  asio::io_context& io_;
  const config::RouterConfig& config_;
  StorageScp& scp_;
  RouterMetrics& metrics_;
  ByteBudget& receive_budget_;
  dicom::net::DataSetSpooler& spooler_;
  AcceptorPolicy policy_;
  // server.allowed_sources, parsed once (config checked them); std::nullopt = any source.
  std::optional<std::vector<NetworkPrefix>> allowed_sources_;
  ConnectionGate gate_;
  std::atomic<uint64_t> refused_logged_{0};
  asio::ip::tcp::acceptor acceptor_;
  asio::ip::tcp::acceptor tls_acceptor_;
  std::optional<dicom::net::TlsContextSource> tls_;  // [server.tls]'s certificates
  std::atomic<uint16_t> tls_port_{0};
  // Shared with session frames: a frame destroyed with the io_context still releases its slot.
  std::shared_ptr<std::atomic<uint32_t>> active_ = std::make_shared<std::atomic<uint32_t>>(0);
  std::atomic<uint64_t> next_id_{0};
  std::atomic<uint64_t> failures_{0};
  std::atomic<bool> open_{false};
  std::atomic<uint16_t> port_{0};  // bound port, for threads other than the io threads
};

}  // namespace acc::router
