#pragma once
// The one accept loop of the DICOM listener, the metrics endpoint and the admin socket: each
// accepted connection gets a strand of its own and is handed to `on_accept`, which spawns its
// coroutine (or refuses it). Ends when the acceptor is closed. Any other accept error (EMFILE,
// ENFILE, ENOBUFS when a peer floods us) is logged and backed off for a moment instead of
// spinning on a failing accept (as Asio's own accept examples do).
#include <chrono>
#include <string_view>
#include <utility>

#include <spdlog/spdlog.h>
#include <asio/awaitable.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>
#include <asio/use_awaitable.hpp>

namespace acc::router {

inline constexpr std::chrono::milliseconds kAcceptBackoff{100};

// `on_accept(strand, socket)`: called on the accept loop's executor for every connection.
template <class Acceptor, class OnAccept>
[[nodiscard]] asio::awaitable<void> accept_connections(asio::io_context& io, Acceptor& acceptor,
                                                       std::string_view what, OnAccept on_accept) {
  using asio::experimental::as_tuple;
  while (acceptor.is_open()) {
    auto strand = asio::make_strand(io);
    auto [ec, socket] = co_await acceptor.async_accept(strand, as_tuple(asio::use_awaitable));
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) {
        break;  // closed for shutdown: nothing to report
      }
      spdlog::warn("{}: accept failed: {}", what, ec.message());
      asio::steady_timer backoff(io, kAcceptBackoff);
      co_await backoff.async_wait(as_tuple(asio::use_awaitable));
      continue;
    }
    on_accept(std::move(strand), std::move(socket));
  }
}

}  // namespace acc::router
