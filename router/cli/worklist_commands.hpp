#pragma once
// `accessioner worklist ...`: the running server's Modality Worklist cache.
#include <string>

#include "config/config.hpp"

namespace acc::router {

// `accessioner worklist status [--json]`: entries cached, last refresh, failures.
int worklist_status(const config::RouterConfig& config, bool json);

}  // namespace acc::router
