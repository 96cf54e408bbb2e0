#pragma once
// CLI side of the admin socket: one request, one reply, bounded in time.
#include <filesystem>
#include <optional>

#include <nlohmann/json.hpp>

namespace acc::router {

// std::nullopt when no server listens on `socket_path` (no file, or connection refused): the
// caller then works on the storage directly. A server that answers garbage or times out yields
// {"ok":false,"error":...}.
[[nodiscard]] std::optional<nlohmann::json> admin_call(const std::filesystem::path& socket_path,
                                                       const nlohmann::json& request);

}  // namespace acc::router
