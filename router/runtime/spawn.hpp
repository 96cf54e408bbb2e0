#pragma once
// Completion token for co_spawn: an exception that escapes a spawned coroutine is logged with the
// task's name instead of vanishing as it would with asio::detached.
#include <atomic>
#include <exception>

#include <spdlog/spdlog.h>

namespace acc::router {

struct LogUncaught {
  const char* task;
  std::atomic<uint64_t>* failures = nullptr;  // optional counter (metrics)

  void operator()(std::exception_ptr e) const {
    if (!e) {
      return;
    }
    if (failures != nullptr) {
      failures->fetch_add(1, std::memory_order_relaxed);
    }
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      spdlog::error("{}: uncaught exception: {}", task, ex.what());
    } catch (...) {
      spdlog::error("{}: uncaught non-standard exception", task);
    }
  }
};

}  // namespace acc::router
