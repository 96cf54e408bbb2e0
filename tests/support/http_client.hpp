#pragma once
// A minimal HTTP client for the metrics endpoint tests: raw bytes in, status and body out, over a
// plain loopback socket (the server answers one request per connection and closes).
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace acc::test {

struct HttpReply {
  int status = 0;       // 0: no parsable status line (nothing came back, or not HTTP)
  std::string headers;  // status line and header lines, CRLF-separated
  std::string body;
  bool closed = false;  // the server closed the connection within the timeout
};

// Sends `request` exactly as given to 127.0.0.1:port, then reads until the server closes or
// `timeout` passes.
[[nodiscard]] HttpReply http_exchange(uint16_t port, std::string_view request,
                                      std::chrono::milliseconds timeout = std::chrono::seconds(10));

// GET `path` HTTP/1.1 (with Host) on 127.0.0.1:port.
[[nodiscard]] HttpReply http_fetch(uint16_t port, const std::string& path,
                                   std::chrono::milliseconds timeout = std::chrono::seconds(10));

// Splits a raw response into status, headers and body.
[[nodiscard]] HttpReply parse_http_reply(std::string_view raw);

}  // namespace acc::test
