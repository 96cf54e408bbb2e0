#pragma once
// `accessioner serve` and `accessioner check-config`.
#include <optional>
#include <string>

#include "config/config.hpp"

namespace acc::router {

// Loads --config or the embedded default (`path` empty). Config errors are the one place
// exceptions are used: they stop start-up with "file:line:column: what is wrong" on stderr, and
// the caller exits with status 1.
[[nodiscard]] std::optional<config::RouterConfig> load_config(const std::string& path);

// Runs the router in the foreground until SIGINT/SIGTERM; returns the exit status.
int serve(const std::string& config_path);
// Validates a configuration and its rule files; 0 when both are valid.
int check_config(const std::string& config_path);

}  // namespace acc::router
