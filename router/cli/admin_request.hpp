#pragma once
// What every CLI verb that talks to the server shares: errors on stderr, the admin socket call,
// and the fallback to the storage itself when no server runs.
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "config/config.hpp"
#include "queue/instance_store.hpp"

namespace acc::router {

// Prints "accessioner: TEXT" to stderr; returns exit status 1.
int report_error(const std::string& text);
// The storage as a RocksDB secondary (works while a server runs); null after reporting why.
[[nodiscard]] std::unique_ptr<queue::InstanceStore> open_reader(const config::RouterConfig& config);
// A request to the running server, or, with none running, to the storage opened here: as a
// secondary for reads, as the primary for writes.
[[nodiscard]] std::optional<nlohmann::json> run_request(const config::RouterConfig& config,
                                                        const nlohmann::json& request, bool writes);
// A request only the running server can answer (hold, worklist, reload).
[[nodiscard]] std::optional<nlohmann::json> server_request(const config::RouterConfig& config,
                                                           const nlohmann::json& request,
                                                           const std::string& why_server);
// True for {"ok":true}; otherwise reports the error.
[[nodiscard]] bool reply_ok(const std::optional<nlohmann::json>& reply);

}  // namespace acc::router
