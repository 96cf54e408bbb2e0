#pragma once
// Runs one coroutine of our requestor library to completion on a caller-owned io_context, with a
// deadline: a test never hangs on a peer that stops answering.
#include <chrono>
#include <future>
#include <stdexcept>
#include <utility>

#include <asio/awaitable.hpp>
#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/use_future.hpp>

namespace acc::test {

template <class T>
T run_awaitable(asio::io_context& io, asio::awaitable<T> op,
                std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
  std::future<T> result = asio::co_spawn(io, std::move(op), asio::use_future);
  io.restart();
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (result.wait_for(std::chrono::seconds(0)) != std::future_status::ready &&
         std::chrono::steady_clock::now() < deadline) {
    io.run_one_until(deadline);
  }
  if (result.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
    throw std::runtime_error("requestor operation did not finish in time");
  }
  return result.get();
}

}  // namespace acc::test
