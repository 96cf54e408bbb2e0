#pragma once
// `accessioner queue ...`. Reads go to the running server's admin socket when there is one (live
// state, in-flight jobs included) and otherwise to the storage directly; writes (retry, purge)
// go through the server when it runs, or open the storage themselves when it does not.
#include <filesystem>
#include <string>
#include <vector>

#include "config/config.hpp"

namespace acc::router {

int queue_list(const config::RouterConfig& config, bool json);
// Writes <DIR>/<SOP Instance UID>.dcm for each UID (or every instance with `all`).
int queue_export(const config::RouterConfig& config, const std::vector<std::string>& uids, bool all,
                 const std::filesystem::path& to);

struct RetrySelection {
  std::vector<std::string> uids;
  bool dead = false;
  std::string destination;
};
int queue_retry(const config::RouterConfig& config, const RetrySelection& selection);
int queue_purge(const config::RouterConfig& config);
int queue_stats(const config::RouterConfig& config, bool json);

}  // namespace acc::router
