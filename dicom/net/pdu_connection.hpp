#pragma once
// Reads and writes whole PDUs on a TCP socket. Every socket gets TCP_NODELAY (without it a
// synchronous DIMSE exchange stalls on delayed ACKs: 50x slower on loopback) and every PDU goes out
// in one gathered write.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include <memory>

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ssl/stream.hpp>
#include <asio/steady_timer.hpp>

#include "common/result.hpp"
#include "dicom/dimse/message.hpp"
#include "dicom/net/tls.hpp"
#include "dicom/ul/pdu.hpp"

namespace acc::dicom::net {

using Clock = std::chrono::steady_clock;

// Bytes held by the read buffers of every PduConnection in this process (issue 12: memory is
// bounded per association and for the process; `/status` shows it). A buffer holds what arrived,
// never what a PDU header claims.
[[nodiscard]] uint64_t pdu_read_buffer_bytes() noexcept;

// A PDU read buffer whose capacity is counted in pdu_read_buffer_bytes().
class PduReadBuffer {
 public:
  PduReadBuffer() = default;
  PduReadBuffer(PduReadBuffer&& other) noexcept;
  PduReadBuffer& operator=(PduReadBuffer&&) = delete;
  PduReadBuffer(const PduReadBuffer&) = delete;
  PduReadBuffer& operator=(const PduReadBuffer&) = delete;
  ~PduReadBuffer();

  void resize(std::size_t size);
  [[nodiscard]] std::vector<uint8_t>& bytes() noexcept { return bytes_; }

 private:
  std::vector<uint8_t> bytes_;
  std::size_t counted_ = 0;  // the capacity last added to the process total
};

class PduConnection {
 public:
  explicit PduConnection(asio::ip::tcp::socket socket);

  // Reads one PDU. The header is checked against `limits` before the body is allocated. The
  // returned bytes (header included) stay valid until the next read. Errors: transport errors
  // (asio category), UlErrc from the header check, AssocErrc::timed_out after `timeout`.
  [[nodiscard]] asio::awaitable<Result<std::span<const uint8_t>>> read_pdu(
      const ul::PduLimits& limits, Clock::duration timeout);

  [[nodiscard]] asio::awaitable<Result<void>> write(std::span<const uint8_t> pdu,
                                                    Clock::duration timeout);
  // Writes P-DATA-TF PDUs, each with one gathered write of header + payload.
  [[nodiscard]] asio::awaitable<Result<void>> write_pdata(std::span<const dimse::PDataPdu> pdus,
                                                          Clock::duration timeout);

  // Requestor: resolve and connect, then TCP_NODELAY.
  [[nodiscard]] asio::awaitable<Result<void>> connect(const std::string& host, uint16_t port,
                                                      Clock::duration timeout);

  // DICOM TLS: the handshake, on a connected socket before any PDU; every read and write after
  // it goes through TLS. The acceptor then checks the client certificate's subject against
  // `policy.allowed_subjects`. Errors: AssocErrc::tls_handshake_failed (with OpenSSL's reason
  // and the certificate verification result), AssocErrc::tls_peer_not_allowed.
  [[nodiscard]] asio::awaitable<Result<void>> start_tls(TlsSide side, const TlsPeerPolicy& policy,
                                                        Clock::duration timeout);
  [[nodiscard]] bool secured() const noexcept { return tls_ != nullptr; }
  // The peer certificate's subject (RFC 2253), empty without TLS or certificate.
  [[nodiscard]] const std::string& peer_subject() const noexcept { return peer_subject_; }

  void close() noexcept;
  [[nodiscard]] bool is_open() const noexcept { return raw().is_open(); }
  [[nodiscard]] std::string peer_address() const;
  // Without reading or waiting: true when the peer has closed the connection (FIN or RST) or
  // has sent bytes nobody asked for yet. For a connection that should be quiet (an idle pooled
  // association), either means it cannot be used.
  [[nodiscard]] bool closed_or_spoke_unasked() noexcept;
  [[nodiscard]] asio::ip::tcp::socket& socket() noexcept {
    return tls_ ? tls_->next_layer() : socket_;
  }

 private:
  using TlsStream = asio::ssl::stream<asio::ip::tcp::socket>;
  [[nodiscard]] const asio::ip::tcp::socket& raw() const noexcept {
    return tls_ ? tls_->next_layer() : socket_;
  }

  asio::ip::tcp::socket socket_;  // moved into tls_ by start_tls
  std::unique_ptr<TlsStream> tls_;
  std::string peer_subject_;
  asio::steady_timer timer_;
  PduReadBuffer buffer_;
};

}  // namespace acc::dicom::net
