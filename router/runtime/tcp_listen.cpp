#include "router/runtime/tcp_listen.hpp"

namespace acc::router {

[[nodiscard]] Result<void> listen_tcp(asio::ip::tcp::acceptor& acceptor, const std::string& bind,
                                      uint16_t port, const std::string& what) {
  using asio::ip::tcp;
  std::error_code ec;
  const auto address = asio::ip::make_address(bind, ec);
  if (ec) {
    return fail(Error{ec, what + " bind address " + bind});
  }
  const tcp::endpoint endpoint(address, port);
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) {
    acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  }
  if (!ec) {
    acceptor.bind(endpoint, ec);
  }
  if (!ec) {
    acceptor.listen(asio::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    return fail(Error{ec, what + " listening on " + bind + ":" + std::to_string(port)});
  }
  return {};
}

}  // namespace acc::router
