#pragma once
// HTTP/1.1 responses of the metrics and health endpoint, as bytes (sans-I/O, like the request
// parser). Every response closes the connection: one request per connection keeps the server
// free of keep-alive state, and a scraper opening a connection every 15 s costs nothing.
#include <cstdint>
#include <string>
#include <string_view>

namespace acc::router::http {

struct Response {
  uint16_t status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

// "OK", "Not Found", ...; "Error" for a status this server never sends.
[[nodiscard]] std::string_view reason_phrase(uint16_t status) noexcept;

// Status line, Content-Type, Content-Length, Cache-Control: no-store, Connection: close, and
// the body unless `head_only` (a HEAD request gets the headers GET would get).
[[nodiscard]] std::string serialize(const Response& response, bool head_only = false);

}  // namespace acc::router::http
