#include "dicom/net/pdu_connection.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <utility>

#include <asio/connect.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/read.hpp>
#include <asio/ssl/host_name_verification.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include "dicom/net/net_errc.hpp"

namespace acc::dicom::net {
namespace {

using asio::use_awaitable;

// The first read of a PDU body into a buffer that has not held one yet; each further read at
// most doubles what arrived.
constexpr std::size_t kFirstBodyRead = 4096;
using asio::experimental::as_tuple;
using namespace asio::experimental::awaitable_operators;

asio::awaitable<void> expire(asio::steady_timer& timer, Clock::duration timeout) {
  timer.expires_after(timeout);
  co_await timer.async_wait(as_tuple(use_awaitable));
}

// Runs `op` with a deadline. Cancelling the loser is what `||` does; a timed-out transfer leaves
// the stream mid-PDU, so callers abort the association after a timeout.
// `expired` names what a deadline means: on a read the peer is silent (timed_out), on a write it
// is not reading what we send (peer_not_reading: a slow reader, counted apart, issue 12).
template <class T>
[[nodiscard]] asio::awaitable<Result<T>> with_deadline(asio::awaitable<Result<T>> op,
                                                       asio::steady_timer& timer,
                                                       Clock::duration timeout,
                                                       AssocErrc expired = AssocErrc::timed_out) {
  auto outcome = co_await (std::move(op) || expire(timer, timeout));
  if (outcome.index() == 1) {
    co_return fail(expired);
  }
  co_return std::move(std::get<0>(outcome));
}

std::atomic<uint64_t> g_read_buffer_bytes{0};

}  // namespace

uint64_t pdu_read_buffer_bytes() noexcept {
  return g_read_buffer_bytes.load(std::memory_order_relaxed);
}

PduReadBuffer::PduReadBuffer(PduReadBuffer&& other) noexcept
    : bytes_(std::move(other.bytes_)), counted_(std::exchange(other.counted_, 0)) {}

PduReadBuffer::~PduReadBuffer() {
  g_read_buffer_bytes.fetch_sub(counted_, std::memory_order_relaxed);
}

void PduReadBuffer::resize(std::size_t size) {
  bytes_.resize(size);
  const std::size_t capacity = bytes_.capacity();
  if (capacity != counted_) {
    // resize() never shrinks the capacity: the count only grows here, and falls in the destructor.
    g_read_buffer_bytes.fetch_add(capacity - counted_, std::memory_order_relaxed);
    counted_ = capacity;
  }
}

PduConnection::PduConnection(asio::ip::tcp::socket socket)
    : socket_(std::move(socket)), timer_(socket_.get_executor()) {
  std::error_code ignored;
  socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
}

std::string PduConnection::peer_address() const {
  std::error_code ec;
  const auto ep = raw().remote_endpoint(ec);
  return ec ? std::string("?") : ep.address().to_string();
}

bool PduConnection::closed_or_spoke_unasked() noexcept {
  if (!raw().is_open()) {
    return true;
  }
  // Reads are exact (a header, then its body), so nothing of the peer's is buffered here: the
  // kernel's receive queue is the whole truth. MSG_PEEK leaves any byte for a later read.
  uint8_t byte = 0;
  // Under TLS the bytes are records, not PDUs; a close_notify or any record counts the same.
  const ssize_t n = ::recv(socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n < 0) {
    return errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;  // e.g. ECONNRESET
  }
  return true;  // 0: FIN; 1: an unsolicited PDU (A-RELEASE-RQ or A-ABORT of an idle timer)
}

[[nodiscard]] asio::awaitable<Result<std::span<const uint8_t>>> PduConnection::read_pdu(
    const ul::PduLimits& limits, Clock::duration timeout) {
  // `stream` is the socket, or the TLS stream over it.
  auto op = [](auto& socket, PduReadBuffer& read_buffer,
               ul::PduLimits lim) -> asio::awaitable<Result<std::span<const uint8_t>>> {
    std::vector<uint8_t>& buffer = read_buffer.bytes();
    std::array<uint8_t, ul::kPduHeaderLength> header{};
    auto [ec, n] = co_await asio::async_read(socket, asio::buffer(header), as_tuple(use_awaitable));
    if (ec) {
      co_return fail(Error{ec, "reading PDU header"});
    }
    const auto parsed = ul::decode_pdu_header(header, lim);
    if (!parsed) {
      co_return fail(parsed.error());
    }
    // The claim is bounded by decode_pdu_header (the negotiated maximum, or the association cap),
    // and still only a claim: the buffer grows with bytes that arrived (issue 12). A peer that
    // claims 64 KiB and sends nothing pins kFirstBodyRead, not 64 KiB, for the ARTIM time.
    const std::size_t total = ul::kPduHeaderLength + parsed->length;
    read_buffer.resize(ul::kPduHeaderLength);
    std::copy(header.begin(), header.end(), buffer.begin());
    while (buffer.size() < total) {
      const std::size_t have = buffer.size();
      const std::size_t next = buffer.capacity() > have
                                   ? buffer.capacity()  // memory held already: no growth
                                   : std::max(kFirstBodyRead, 2 * have);
      read_buffer.resize(std::min(total, next));
      auto [ec2, n2] = co_await asio::async_read(
          socket, asio::buffer(buffer.data() + have, buffer.size() - have),
          as_tuple(use_awaitable));
      if (ec2) {
        co_return fail(Error{ec2, "reading PDU body"});
      }
    }
    co_return std::span<const uint8_t>(buffer);
  };
  if (tls_) {
    co_return co_await with_deadline(op(*tls_, buffer_, limits), timer_, timeout);
  }
  co_return co_await with_deadline(op(socket_, buffer_, limits), timer_, timeout);
}

[[nodiscard]] asio::awaitable<Result<void>> PduConnection::write(std::span<const uint8_t> pdu,
                                                                 Clock::duration timeout) {
  auto op = [](auto& socket, std::span<const uint8_t> bytes) -> asio::awaitable<Result<void>> {
    auto [ec, n] = co_await asio::async_write(socket, asio::buffer(bytes.data(), bytes.size()),
                                              as_tuple(use_awaitable));
    if (ec) {
      co_return fail(Error{ec, "writing PDU"});
    }
    co_return Result<void>{};
  };
  if (tls_) {
    co_return co_await with_deadline(op(*tls_, pdu), timer_, timeout, AssocErrc::peer_not_reading);
  }
  co_return co_await with_deadline(op(socket_, pdu), timer_, timeout, AssocErrc::peer_not_reading);
}

[[nodiscard]] asio::awaitable<Result<void>> PduConnection::write_pdata(
    std::span<const dimse::PDataPdu> pdus, Clock::duration timeout) {
  auto op = [](auto& socket, const dimse::PDataPdu& pdu) -> asio::awaitable<Result<void>> {
    const std::array<asio::const_buffer, 2> gather = {
        asio::buffer(pdu.header), asio::buffer(pdu.payload.data(), pdu.payload.size())};
    auto [ec, n] = co_await asio::async_write(socket, gather, as_tuple(use_awaitable));
    if (ec) {
      co_return fail(Error{ec, "writing P-DATA-TF"});
    }
    co_return Result<void>{};
  };
  // The deadline is per PDU: a large data set may take long in total, a stalled peer may not.
  for (const auto& pdu : pdus) {
    // Not a conditional expression with a co_await in each arm: g++ 12 destroys a temporary of
    // such an expression twice (the server died when a write timed out).
    Result<void> written;
    if (tls_) {
      written =
          co_await with_deadline(op(*tls_, pdu), timer_, timeout, AssocErrc::peer_not_reading);
    } else {
      written =
          co_await with_deadline(op(socket_, pdu), timer_, timeout, AssocErrc::peer_not_reading);
    }
    if (!written) {
      co_return written;
    }
  }
  co_return Result<void>{};
}

[[nodiscard]] asio::awaitable<Result<void>> PduConnection::connect(const std::string& host,
                                                                   uint16_t port,
                                                                   Clock::duration timeout) {
  auto op = [](asio::ip::tcp::socket& socket, std::string h,
               uint16_t p) -> asio::awaitable<Result<void>> {
    asio::ip::tcp::resolver resolver(socket.get_executor());
    auto [rec, endpoints] =
        co_await resolver.async_resolve(h, std::to_string(p), as_tuple(use_awaitable));
    if (rec) {
      co_return fail(Error{rec, "resolving " + h});
    }
    auto [cec, ep] = co_await asio::async_connect(socket, endpoints, as_tuple(use_awaitable));
    if (cec) {
      co_return fail(Error{cec, "connecting to " + h + ":" + std::to_string(p)});
    }
    co_return Result<void>{};
  };
  auto connected = co_await with_deadline(op(socket_, host, port), timer_, timeout);
  if (connected) {
    std::error_code ignored;
    socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
  }
  co_return connected;
}

void PduConnection::close() noexcept {
  // Under TLS without a close_notify: the association's own end (A-RELEASE-RP, A-ABORT) has
  // been exchanged or given up on, and a peer that stopped reading must not hold us here.
  std::error_code ignored;
  socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket().close(ignored);
}

namespace {

std::string subject_of(SSL* ssl) {
  X509* certificate = ::SSL_get1_peer_certificate(ssl);
  if (certificate == nullptr) {
    return {};
  }
  std::string text;
  if (BIO* bio = ::BIO_new(::BIO_s_mem())) {
    ::X509_NAME_print_ex(bio, ::X509_get_subject_name(certificate), 0, XN_FLAG_RFC2253);
    char* data = nullptr;
    const long length = BIO_get_mem_data(bio, &data);
    text.assign(data, static_cast<std::size_t>(std::max(length, 0L)));
    ::BIO_free(bio);
  }
  ::X509_free(certificate);
  return text;
}

bool is_ip_literal(const std::string& host) {
  std::error_code ec;
  (void)asio::ip::make_address(host, ec);
  return !ec;
}

}  // namespace

[[nodiscard]] asio::awaitable<Result<void>> PduConnection::start_tls(TlsSide side,
                                                                     const TlsPeerPolicy& policy,
                                                                     Clock::duration timeout) {
  tls_ = std::make_unique<TlsStream>(std::move(socket_), *policy.context);
  SSL* ssl = tls_->native_handle();
  if (side == TlsSide::requestor && !policy.server_name.empty()) {
    if (!is_ip_literal(policy.server_name)) {
      ::SSL_set_tlsext_host_name(ssl, policy.server_name.c_str());  // SNI: names only
    }
    if (policy.verify_hostname) {
      tls_->set_verify_callback(asio::ssl::host_name_verification(policy.server_name));
    }
  }
  auto op = [](TlsStream& stream,
               asio::ssl::stream_base::handshake_type type) -> asio::awaitable<Result<void>> {
    auto [ec] = co_await stream.async_handshake(type, as_tuple(use_awaitable));
    if (ec) {
      co_return fail(Error{ec, {}});
    }
    co_return Result<void>{};
  };
  auto done =
      co_await with_deadline(op(*tls_, side == TlsSide::acceptor ? asio::ssl::stream_base::server
                                                                 : asio::ssl::stream_base::client),
                             timer_, timeout);
  if (!done) {
    std::string reason = done.error().code == AssocErrc::timed_out ? std::string("timed out")
                                                                   : done.error().code.message();
    if (const long verify = ::SSL_get_verify_result(ssl); verify != X509_V_OK) {
      reason += std::string(" (certificate: ") + ::X509_verify_cert_error_string(verify) + ")";
    }
    ::ERR_clear_error();
    co_return fail(AssocErrc::tls_handshake_failed, reason);
  }
  peer_subject_ = subject_of(ssl);
  if (side == TlsSide::acceptor && !policy.allowed_subjects.empty() &&
      std::find(policy.allowed_subjects.begin(), policy.allowed_subjects.end(), peer_subject_) ==
          policy.allowed_subjects.end()) {
    co_return fail(AssocErrc::tls_peer_not_allowed, "certificate subject \"" + peer_subject_ +
                                                        "\" is not in allowed_client_subjects");
  }
  co_return Result<void>{};
}

}  // namespace acc::dicom::net
