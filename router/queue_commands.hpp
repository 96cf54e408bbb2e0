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

// `accessioner decisions list [--study UID] [--json]`: the stamping audit log.
int decisions_list(const config::RouterConfig& config, const std::string& study, bool json);
// `accessioner reload`: the running server loads its rule files again (as on SIGHUP); an invalid
// set is refused with its errors and the rules in force stay.
int reload(const config::RouterConfig& config);
// `accessioner worklist status [--json]`: what the running server's worklist cache holds.
int worklist_status(const config::RouterConfig& config, bool json);
// `accessioner hold list|assign|release`: held studies, resolved by a person. Needs the server.
int hold_list(const config::RouterConfig& config, bool json);
int hold_assign(const config::RouterConfig& config, const std::string& study,
                const std::string& accession);
int hold_release(const config::RouterConfig& config, const std::string& study);

}  // namespace acc::router
