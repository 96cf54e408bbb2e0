#include "tests/support/http_client.hpp"

#include <span>
#include <vector>

#include "tests/support/net.hpp"

namespace acc::test {

HttpReply parse_http_reply(std::string_view raw) {
  HttpReply reply;
  const auto end = raw.find("\r\n\r\n");
  reply.headers = std::string(raw.substr(0, end));
  if (end != std::string_view::npos) {
    reply.body = std::string(raw.substr(end + 4));
  }
  // "HTTP/1.1 200 OK"
  if (reply.headers.starts_with("HTTP/1.") && reply.headers.size() >= 12) {
    try {
      reply.status = std::stoi(reply.headers.substr(9, 3));
    } catch (const std::exception&) {
      reply.status = 0;
    }
  }
  return reply;
}

HttpReply http_exchange(uint16_t port, std::string_view request,
                        std::chrono::milliseconds timeout) {
  RawClient client(port);
  (void)client.send(std::span(reinterpret_cast<const uint8_t*>(request.data()), request.size()));
  bool closed = false;
  const std::vector<uint8_t> raw = client.read_until_closed(timeout, closed);
  HttpReply reply =
      parse_http_reply(std::string_view(reinterpret_cast<const char*>(raw.data()), raw.size()));
  reply.closed = closed;
  return reply;
}

HttpReply http_fetch(uint16_t port, const std::string& path, std::chrono::milliseconds timeout) {
  std::string request = "GET ";
  request += path;
  request += " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  return http_exchange(port, request, timeout);
}

}  // namespace acc::test
