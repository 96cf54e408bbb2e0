#pragma once
// Opening a listening TCP socket for the DICOM listener and the metrics endpoint: the same
// steps and the same error text ("<what> on ADDR:PORT: <reason>") for both.
#include <cstdint>
#include <string>

#include <asio/ip/tcp.hpp>

#include "common/result.hpp"

namespace acc::router {

// Binds `acceptor` to bind:port (port 0 = any free port) with SO_REUSEADDR and listens. `what`
// names the listener in errors ("DICOM listener", "[metrics]").
[[nodiscard]] Result<void> listen_tcp(asio::ip::tcp::acceptor& acceptor, const std::string& bind,
                                      uint16_t port, const std::string& what);

}  // namespace acc::router
