#pragma once
// A throw-away test PKI for the DICOM TLS tests, made with the `openssl` command-line tool
// (OpenSSL 3.0) in a directory the caller owns (a TempDir). EC P-256 keys, PEM, unencrypted keys:
// the whole set takes a few tens of milliseconds.
//
//   ca              test CA (10 years) that signs everything below unless noted
//   other-ca        a second, unrelated CA ("wrong CA" cases)
//   server          CN=accessioner-test, SAN DNS:localhost + IP:127.0.0.1, serverAuth+clientAuth:
//                   Accessioner's listener certificate, and its client certificate towards a PACS
//   pacs            CN=pacs-test, same SAN and usages: a storescp +tls acting as the PACS
//   other-pacs      as pacs, but signed by other-ca
//   expired-server  as pacs, but valid 2020-01-01..2020-01-02 only
//   client          /O=Test Hospital/CN=CT01, clientAuth: the modality
//   other-client    /O=Test Hospital/CN=MR99, clientAuth: valid, but not in an allow-list
//   rogue-client    /O=Test Hospital/CN=CT01 signed by other-ca: only the CA is wrong
//   expired-client  /O=Test Hospital/CN=CT01 valid 2020-01-01..2020-01-02: only the dates are wrong
#include <filesystem>
#include <string>

namespace acc::test {

// Subjects as `openssl x509 -noout -subject -nameopt RFC2253` prints them (RFC 2253 reverses the
// order of the RDNs: the certificate holds O first, CN second). make_test_pki() checks that the
// certificates it made print exactly these.
inline constexpr const char* kClientSubject = "CN=CT01,O=Test Hospital";
inline constexpr const char* kOtherClientSubject = "CN=MR99,O=Test Hospital";

struct TestPki {
  std::filesystem::path dir;
  std::filesystem::path ca_crt, ca_key;
  std::filesystem::path other_ca_crt, other_ca_key;
  std::filesystem::path server_crt, server_key;
  std::filesystem::path pacs_crt, pacs_key;
  std::filesystem::path other_pacs_crt, other_pacs_key;
  std::filesystem::path client_crt, client_key;
  std::filesystem::path other_client_crt, other_client_key;
  std::filesystem::path rogue_client_crt, rogue_client_key;
  std::filesystem::path expired_client_crt, expired_client_key;
  std::filesystem::path expired_server_crt, expired_server_key;
  // The RFC 2253 subjects of client.crt and other-client.crt as openssl printed them (equal to
  // kClientSubject and kOtherClientSubject).
  std::string client_subject;
  std::string other_client_subject;
};

// Creates every file above (NAME.crt and NAME.key) in `dir` (created if missing), plus an OpenSSL
// configuration and a scratch CA database the dates of the expired certificates need. Checks the
// result with openssl itself: each certificate verifies against its CA (the expired ones only with
// the time check off), the expired ones are expired, and the two client subjects print as above.
// Throws std::runtime_error with the command and openssl's output if a step fails.
[[nodiscard]] TestPki make_test_pki(const std::filesystem::path& dir);

}  // namespace acc::test
