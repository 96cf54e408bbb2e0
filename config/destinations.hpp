#pragma once
// Private: the [[destination]] array of tables: the per-entry schema and the rules that span
// several keys of an entry or several entries.

#include "config/config.hpp"
#include "config/schema.hpp"

namespace acc::config::detail {

// The root-schema field for `destination`. Element paths read "destination[2].host".
[[nodiscard]] Field<RouterConfig> destinations_field();

// Fills defaults that depend on other tables (calling_ae = server.ae_title). Runs after the walk:
// [server] may come after the destinations in the file, and toml++ iterates alphabetically.
void resolve_destination_defaults(RouterConfig& config);

}  // namespace acc::config::detail
