#pragma once
// `accessioner decisions ...`: the stamping audit log, from the server or the storage.
#include <string>

#include "config/config.hpp"

namespace acc::router {

// `accessioner decisions list [--study UID] [--json]`.
int decisions_list(const config::RouterConfig& config, const std::string& study, bool json);

}  // namespace acc::router
