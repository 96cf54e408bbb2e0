#pragma once
// Runs blocking or CPU-heavy work (DCMTK parsing of large data sets) on a worker pool and resumes
// the calling coroutine on its own executor. Network threads never parse or touch the disk.
// Pass lambdas that capture by reference only: g++ 12 destroys the by-value captures of a
// temporary lambda in a co_await expression twice (a double free; found with ASan).
#include <type_traits>
#include <utility>

#include <asio/async_result.hpp>
#include <asio/dispatch.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/post.hpp>
#include <asio/thread_pool.hpp>
#include <asio/use_awaitable.hpp>

namespace acc::router {

template <class F>
[[nodiscard]] asio::awaitable<std::invoke_result_t<F&>> offload(asio::thread_pool& pool, F fn) {
  using R = std::invoke_result_t<F&>;
  return asio::async_initiate<decltype(asio::use_awaitable), void(R)>(
      [&pool](auto handler, F work) {
        auto guard = asio::make_work_guard(asio::get_associated_executor(handler));
        asio::post(pool, [handler = std::move(handler), work = std::move(work),
                          guard = std::move(guard)]() mutable {
          R result = work();
          auto ex = guard.get_executor();
          asio::dispatch(ex, [handler = std::move(handler), result = std::move(result)]() mutable {
            std::move(handler)(std::move(result));
          });
        });
      },
      asio::use_awaitable, std::move(fn));
}

}  // namespace acc::router
