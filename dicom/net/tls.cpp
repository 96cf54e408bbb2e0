#include "dicom/net/tls.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <filesystem>
#include <system_error>

namespace acc::dicom::net {

namespace {

// PS3.15 B.9 / RFC 9325 §4.2 for TLS 1.2: forward secrecy and AEAD only. TLS 1.3's suites are all
// AEAD with forward secrecy; OpenSSL's default list for them is kept.
constexpr const char* kBcp195Tls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384";

FailedResult tls_error(const std::string& what, const std::error_code& ec) {
  std::string reason = ec.message();
  if (const unsigned long e = ::ERR_peek_last_error(); e != 0) {
    char text[256];
    ::ERR_error_string_n(e, text, sizeof text);
    reason = text;
  }
  ::ERR_clear_error();
  return fail(
      Error{ec ? ec : std::make_error_code(std::errc::invalid_argument), what + ": " + reason});
}

}  // namespace

Result<std::shared_ptr<asio::ssl::context>> make_tls_context(TlsSide side, const TlsFiles& files,
                                                             bool require_peer_certificate) {
  auto context = std::make_shared<asio::ssl::context>(
      side == TlsSide::acceptor ? asio::ssl::context::tls_server : asio::ssl::context::tls_client);
  SSL_CTX* ctx = context->native_handle();
  ::SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  // No resumption: each association verifies the peer's certificate afresh (and OpenSSL would
  // otherwise want a session id context for verified clients).
  ::SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  ::SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET |
                                 SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (::SSL_CTX_set_cipher_list(ctx, kBcp195Tls12Ciphers) != 1) {
    return tls_error("TLS cipher suites", {});
  }
  std::error_code ec;
  if (!files.certificate.empty()) {
    context->use_certificate_chain_file(files.certificate, ec);
    if (ec) {
      return tls_error("TLS certificate " + files.certificate, ec);
    }
    context->use_private_key_file(files.key, asio::ssl::context::pem, ec);
    if (ec) {
      return tls_error("TLS key " + files.key, ec);
    }
    if (::SSL_CTX_check_private_key(ctx) != 1) {
      return tls_error("TLS key " + files.key + " does not match " + files.certificate, {});
    }
  }
  if (!files.ca_file.empty()) {
    context->load_verify_file(files.ca_file, ec);
    if (ec) {
      return tls_error("TLS CA file " + files.ca_file, ec);
    }
  }
  if (side == TlsSide::requestor || require_peer_certificate) {
    asio::ssl::verify_mode mode = asio::ssl::verify_peer;
    if (side == TlsSide::acceptor) {
      mode |= asio::ssl::verify_fail_if_no_peer_cert;
    }
    context->set_verify_mode(mode, ec);
  } else {
    context->set_verify_mode(asio::ssl::verify_none, ec);
  }
  if (ec) {
    return tls_error("TLS verify mode", ec);
  }
  return context;
}

Result<void> TlsContextSource::reload() {
  auto context = make_tls_context(side_, files_, require_peer_certificate_);
  if (!context) {
    if (!owner_.empty()) {
      context.error().detail = owner_ + ": " + context.error().detail;
    }
    return fail(std::move(context.error()));
  }
  std::lock_guard lock(mutex_);
  current_ = std::move(*context);
  return {};
}

std::shared_ptr<asio::ssl::context> TlsContextSource::current() const {
  std::lock_guard lock(mutex_);
  return current_;
}

}  // namespace acc::dicom::net
