#pragma once
// JSON views of queue records, shared by the CLI's --json output and the admin socket.
#include <nlohmann/json.hpp>

#include "common/clock.hpp"  // iso_time_ms, for callers formatting times the same way
#include "queue/forward_queue.hpp"
#include "queue/instance_store.hpp"

namespace acc::router {

[[nodiscard]] nlohmann::json to_json(const queue::InstanceRecord& r);
[[nodiscard]] nlohmann::json to_json(const queue::Job& j);
[[nodiscard]] nlohmann::json to_json(const queue::DestinationStats& s, int64_t now_ms);

}  // namespace acc::router
