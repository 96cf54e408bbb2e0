#include "router/receive/dicom_listener.hpp"

#include <chrono>
#include <optional>

#include <spdlog/spdlog.h>
#include <asio/co_spawn.hpp>

#include "dicom/net/tls.hpp"
#include "router/runtime/accept_loop.hpp"
#include "router/runtime/spawn.hpp"
#include "router/runtime/tcp_listen.hpp"

namespace acc::router {

using asio::ip::tcp;
using namespace std::chrono_literals;

namespace {

// Holds one slot of the association cap for the lifetime of a session.
class ActiveSlot {
 public:
  explicit ActiveSlot(std::shared_ptr<std::atomic<uint32_t>> active)
      : active_(std::move(active)), count_(++*active_) {}
  ~ActiveSlot() { --*active_; }
  ActiveSlot(const ActiveSlot&) = delete;
  ActiveSlot& operator=(const ActiveSlot&) = delete;
  [[nodiscard]] uint32_t count() const { return count_; }

 private:
  std::shared_ptr<std::atomic<uint32_t>> active_;
  uint32_t count_;
};

// The reason label of accessioner_associations_closed_total.
AssociationEnd close_reason(const std::error_code& end) {
  using dicom::net::AssocErrc;
  if (end == AssocErrc::released) {
    return AssociationEnd::released;
  }
  if (end == AssocErrc::peer_aborted || end == AssocErrc::connection_closed) {
    return AssociationEnd::aborted;
  }
  if (end == AssocErrc::timed_out) {
    return AssociationEnd::idle_timeout;
  }
  if (end == AssocErrc::no_progress) {
    return AssociationEnd::no_progress;
  }
  if (end == AssocErrc::peer_not_reading) {
    return AssociationEnd::slow_reader;
  }
  return AssociationEnd::error;
}

}  // namespace

DicomListener::DicomListener(asio::io_context& io, const config::RouterConfig& config,
                             StorageScp& scp, RouterMetrics& metrics, ByteBudget& receive_budget,
                             dicom::net::DataSetSpooler& spooler)
    : io_(io),
      config_(config),
      scp_(scp),
      metrics_(metrics),
      receive_budget_(receive_budget),
      spooler_(spooler),
      gate_(config.server.max_connections, config.server.max_connections_per_source),
      acceptor_(io),
      tls_acceptor_(io) {
  policy_.ae_title = config.server.ae_title;
  policy_.allowed_calling_ae = config.server.allowed_calling_ae;
  policy_.max_pdu_length = config.server.max_pdu_length;
  if (const config::ServerTlsConfig& tls = config.server.tls; tls.enabled) {
    tls_.emplace(dicom::net::TlsSide::acceptor,
                 dicom::net::TlsFiles{
                     .certificate = tls.certificate, .key = tls.key, .ca_file = tls.ca_file},
                 tls.require_client_certificate);
  }
  if (config.server.allowed_sources) {
    allowed_sources_.emplace();
    for (const std::string& text : *config.server.allowed_sources) {
      // Checked when the configuration was read; a failure here is a programming error.
      allowed_sources_->push_back(parse_network_prefix(text).value());
    }
  }
}

bool DicomListener::source_allowed(const asio::ip::address& address) const {
  if (!allowed_sources_) {
    return true;
  }
  if (address.is_v4()) {
    return any_contains(*allowed_sources_, address.to_v4().to_bytes());
  }
  return any_contains(*allowed_sources_, address.to_v6().to_bytes());
}

void DicomListener::count_refusal(const std::string& source, ConnectionRefusal why) {
  metrics_.connection_refused(why);
  if (refused_logged_.fetch_add(1) % kRefusalLogEvery == 0) {
    const char* rule = why == ConnectionRefusal::source_not_allowed ? "not in allowed_sources"
                       : why == ConnectionRefusal::source_limit
                           ? "max_connections_per_source reached"
                           : "max_connections reached";
    spdlog::warn("DICOM listener: connection from {} closed at once: {} (every {}th logged)",
                 source, rule, kRefusalLogEvery);
  }
}

[[nodiscard]] Result<void> DicomListener::open() {
  if (auto listening =
          listen_tcp(acceptor_, config_.server.bind, config_.server.port, "DICOM listener");
      !listening) {
    return listening;
  }
  std::error_code ec;
  port_ = acceptor_.local_endpoint(ec).port();
  if (tls_) {
    if (auto loaded = tls_->reload(); !loaded) {
      return loaded;
    }
    if (auto listening = listen_tcp(tls_acceptor_, config_.server.bind, config_.server.tls.port,
                                    "DICOM TLS listener");
        !listening) {
      return listening;
    }
    tls_port_ = tls_acceptor_.local_endpoint(ec).port();
    spdlog::info("DICOM TLS listener on {}:{} (TLS 1.2/1.3, BCP 195; client certificate {})",
                 config_.server.bind, tls_port_.load(),
                 config_.server.tls.require_client_certificate ? "required" : "not required");
  }
  open_ = true;
  return {};
}

Result<void> DicomListener::reload_tls() {
  return dicom::net::reload(tls_);
}

uint16_t DicomListener::port() const {
  return port_.load();
}

void DicomListener::close() {
  open_ = false;
  std::error_code ignored;
  acceptor_.close(ignored);
  tls_acceptor_.close(ignored);
}

template <class Socket>
void DicomListener::admit(Socket socket, const asio::any_io_executor& strand, bool tls) {
  std::error_code ec;
  const auto peer = socket.remote_endpoint(ec);
  const std::string source = ec ? std::string("?") : peer.address().to_string();
  // Refused connections are closed before any byte is read: a flood costs an accept and a
  // close, nothing more. An address we cannot read is in no allowed network.
  if (allowed_sources_ && (ec || !source_allowed(peer.address()))) {
    count_refusal(source, ConnectionRefusal::source_not_allowed);
    socket.close(ec);
    return;
  }
  auto ticket = gate_.admit(source);
  if (!ticket) {
    count_refusal(source, ticket.error());
    socket.close(ec);
    return;
  }
  const uint64_t id = ++next_id_;
  asio::co_spawn(strand, session(std::move(socket), id, std::move(*ticket), tls),
                 LogUncaught{"association", &failures_});
}

asio::awaitable<void> DicomListener::accept_loop() {
  if (tls_acceptor_.is_open()) {
    // The TLS port shares the connection caps, allow-list and association slots with the plain
    // one: a peer gains nothing by using both.
    asio::co_spawn(io_,
                   accept_connections(io_, tls_acceptor_, "DICOM TLS listener",
                                      [this](auto strand, auto socket) {
                                        admit(std::move(socket), strand, true);
                                      }),
                   LogUncaught{"TLS listener"});
  }
  co_await accept_connections(io_, acceptor_, "DICOM listener", [this](auto strand, auto socket) {
    admit(std::move(socket), strand, false);
  });
}

asio::awaitable<void> DicomListener::session(tcp::socket socket, uint64_t id,
                                             ConnectionGate::Ticket ticket, bool tls) {
  const ConnectionGate::Ticket connection = std::move(ticket);  // held until the session ends
  const auto started = std::chrono::steady_clock::now();
  // The association slot is taken when the A-ASSOCIATE-RQ has arrived (in `decide`), not at
  // accept: connections that never send one cannot starve modalities of slots (issue 12).
  std::optional<ActiveSlot> slot;

  dicom::net::AssociationSettings settings;
  settings.id = id;
  settings.max_pdu_length = config_.server.max_pdu_length;
  settings.timeouts.artim = std::chrono::seconds(config_.server.artim_timeout_s);
  settings.timeouts.idle = std::chrono::seconds(config_.server.idle_timeout_s);
  settings.timeouts.operation = std::chrono::seconds(config_.server.idle_timeout_s);
  settings.timeouts.progress_window = std::chrono::seconds(config_.server.progress_window_s);
  settings.timeouts.min_progress_bytes = config_.server.min_progress_bytes;
  settings.assembler.max_data_set_bytes = config_.storage.max_instance_bytes;
  settings.assembler.budget = &receive_budget_;
  settings.assembler.spool_above_bytes = config_.server.spool_above_kb << 10;
  settings.spooler = &spooler_;
  if (tls) {
    settings.tls = dicom::net::TlsPeerPolicy{
        .context = tls_->current(),  // the one current now: a reload does not touch this session
        .server_name = {},
        .verify_hostname = false,
        .allowed_subjects =
            config_.server.tls.allowed_client_subjects.value_or(std::vector<std::string>{})};
  }

  auto decide = [this, &slot](const dicom::ul::AssociateRq& rq, const std::string&) {
    slot.emplace(active_);
    return negotiate_association(rq, policy_, slot->count() > config_.server.max_associations);
  };
  std::error_code no_address;
  const auto endpoint = socket.remote_endpoint(no_address);
  const std::string peer = no_address ? std::string("?") : endpoint.address().to_string();
  auto assoc = co_await dicom::net::Association::accept(std::move(socket), decide, settings);
  if (tls) {
    const auto code = assoc ? std::error_code{} : assoc.error().code;
    if (code == dicom::net::AssocErrc::tls_handshake_failed) {
      metrics_.tls_handshake(TlsHandshake::failed);
      spdlog::warn("[assoc {}] TLS handshake with {} failed: {}", id, peer, assoc.error().detail);
    } else if (code == dicom::net::AssocErrc::tls_peer_not_allowed) {
      metrics_.tls_handshake(TlsHandshake::not_allowed);
      spdlog::warn("[assoc {}] TLS peer {} refused: {}", id, peer, assoc.error().detail);
    } else {
      metrics_.tls_handshake(TlsHandshake::ok);
    }
  }
  if (!assoc) {
    metrics_.association_rejected();
    spdlog::info("[assoc {}] not established: {}", id, assoc.error().message());
    co_return;
  }
  metrics_.association_accepted();
  const auto& info = (*assoc)->info();
  std::size_t accepted = info.contexts.size();
  spdlog::info(
      "[assoc {}] {} -> {} from {}{}: accepted, {} presentation context(s), peer max PDU {}", id,
      info.calling_ae, info.called_ae, info.peer_address,
      info.tls ? " over TLS (" +
                     (info.tls_peer_subject.empty() ? std::string("no certificate")
                                                    : info.tls_peer_subject) +
                     ")"
               : std::string(),
      accepted, info.peer_max_pdu_length);
  const SessionSummary summary = co_await scp_.serve(**assoc);
  metrics_.association_closed(close_reason(summary.end));
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - started)
                      .count();
  spdlog::info("[assoc {}] {} -> {} closed ({}): {} stored, {} failed, {} echo, {} bytes, {} ms",
               id, info.calling_ae, info.called_ae, summary.end.message(), summary.stored,
               summary.failed, summary.echoes, summary.bytes, ms);
}

}  // namespace acc::router
