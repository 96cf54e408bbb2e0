#pragma once
// `accessioner queue ...`: read the instance store, also while a server is running on it.
#include <filesystem>
#include <string>
#include <vector>

#include "config/config.hpp"

namespace acc::router {

int queue_list(const config::RouterConfig& config, bool json);
// Writes <DIR>/<SOP Instance UID>.dcm for each UID (or every instance with `all`).
int queue_export(const config::RouterConfig& config, const std::vector<std::string>& uids, bool all,
                 const std::filesystem::path& to);

}  // namespace acc::router
