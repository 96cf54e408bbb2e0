#pragma once
// DICOM TLS (PS3.15 Annex B, the BCP 195 secure transport connection profile) for associations:
// contexts built once from PEM files and shared by every connection made while they are current
// (a reload makes new ones; a connection keeps the context it began with).
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <asio/ssl/context.hpp>

#include "common/result.hpp"

namespace acc::dicom::net {

enum class TlsSide { acceptor, requestor };

// PEM files. `certificate` may hold the chain after the leaf.
struct TlsFiles {
  std::string certificate;  // ours; a requestor may go without (the acceptor then decides)
  std::string key;
  std::string ca_file;  // whose certificates we accept from the peer
};

// BCP 195 (RFC 9325) as PS3.15 B.9 asks: TLS 1.2 and 1.3 only; for 1.2 the ECDHE/DHE AES-GCM
// suites only; no compression, no renegotiation, no session tickets. The acceptor verifies the
// peer's certificate against ca_file when `require_peer_certificate` (fail if absent); the
// requestor always verifies the acceptor's. Errors name the file and OpenSSL's reason.
[[nodiscard]] Result<std::shared_ptr<asio::ssl::context>> make_tls_context(
    TlsSide side, const TlsFiles& files, bool require_peer_certificate);

// The current context built from a set of files, swapped whole by reload() (SIGHUP, `accessioner
// reload`): associations take current() when they open and keep it, so a reload drops none of
// them. Thread-safe.
class TlsContextSource {
 public:
  // `owner` names whose files these are in errors ("destination pacs").
  TlsContextSource(TlsSide side, TlsFiles files, bool require_peer_certificate,
                   std::string owner = {})
      : side_(side),
        files_(std::move(files)),
        require_peer_certificate_(require_peer_certificate),
        owner_(std::move(owner)) {}
  // Reads the files again; on an error the context in force stays and the error is returned.
  [[nodiscard]] Result<void> reload();
  // nullptr until a reload() succeeded.
  [[nodiscard]] std::shared_ptr<asio::ssl::context> current() const;

 private:
  TlsSide side_;
  TlsFiles files_;
  bool require_peer_certificate_;
  std::string owner_;
  mutable std::mutex mutex_;
  std::shared_ptr<asio::ssl::context> current_;
};

// The requestor side of a peer's TLS keys (a destination, the worklist): std::nullopt when TLS is
// off. Loaded by the first reload().
[[nodiscard]] inline std::optional<TlsContextSource> requestor_tls(bool enabled, TlsFiles files,
                                                                   std::string owner) {
  if (!enabled) {
    return std::nullopt;
  }
  return std::optional<TlsContextSource>(std::in_place, TlsSide::requestor, std::move(files), true,
                                         std::move(owner));
}

// Reloads `source` if there is one (TLS configured); nothing to do otherwise.
[[nodiscard]] inline Result<void> reload(std::optional<TlsContextSource>& source) {
  return source ? source->reload() : Result<void>{};
}

// What one association's TLS needs beyond the context.
struct TlsPeerPolicy {
  std::shared_ptr<asio::ssl::context> context;
  // Requestor: the name sent as SNI and, with verify_hostname, checked against the acceptor's
  // certificate (DNS or IP subjectAltName).
  std::string server_name;
  bool verify_hostname = true;
  // Acceptor: certificate subjects (RFC 2253, "CN=CT01,O=Hospital") allowed; empty = any that
  // verified against the CA.
  std::vector<std::string> allowed_subjects;
};

}  // namespace acc::dicom::net
