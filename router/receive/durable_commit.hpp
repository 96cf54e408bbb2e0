#pragma once
// Awaitable face of InstanceStore::commit_async: the coroutine resumes on its own executor once
// the group commit holding its instance has been fsynced (or has failed).
#include <utility>

#include <asio/async_result.hpp>
#include <asio/dispatch.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/use_awaitable.hpp>

#include "queue/instance_store.hpp"

namespace acc::router {

[[nodiscard]] inline asio::awaitable<Result<uint64_t>> commit_durably(queue::InstanceStore& store,
                                                                      queue::InstanceRecord record,
                                                                      queue::ObjectBytes object) {
  return asio::async_initiate<decltype(asio::use_awaitable), void(Result<uint64_t>)>(
      [&store](auto handler, queue::InstanceRecord rec, queue::ObjectBytes bytes) {
        auto guard = asio::make_work_guard(asio::get_associated_executor(handler));
        store.commit_object_async(
            std::move(rec), std::move(bytes),
            [handler = std::move(handler), guard = std::move(guard)](Result<uint64_t> r) mutable {
              auto ex = guard.get_executor();
              asio::dispatch(ex, [handler = std::move(handler), r = std::move(r)]() mutable {
                std::move(handler)(std::move(r));
              });
            });
      },
      asio::use_awaitable, std::move(record), std::move(object));
}

}  // namespace acc::router
