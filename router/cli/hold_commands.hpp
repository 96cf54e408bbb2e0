#pragma once
// `accessioner hold ...`: studies held for a person's decision. Needs the running server.
#include <string>

#include "config/config.hpp"

namespace acc::router {

int hold_list(const config::RouterConfig& config, bool json);
int hold_assign(const config::RouterConfig& config, const std::string& study,
                const std::string& accession);
int hold_release(const config::RouterConfig& config, const std::string& study);

}  // namespace acc::router
