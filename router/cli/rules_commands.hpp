#pragma once
// CLI verbs for site rules (issue 5).
#include <string>

#include "config/config.hpp"

namespace acc::router {

// Loads the rule files of `config`; prints every error ("file:line:column: reason") to stderr.
// False when there is any. Used by check-config and before serve starts.
bool check_rules(const config::RouterConfig& config);

struct RulesTestOptions {
  std::string file;        // a Part-10 file
  std::string calling_ae;  // as the modality would present itself
  std::string source;      // peer IP address
  bool json = false;
};
// `accessioner rules test FILE.dcm`: which rules match, the attribute changes (before -> after),
// stamping and matching parameters, and the destinations. Sends and stores nothing.
int rules_test(const config::RouterConfig& config, const RulesTestOptions& options);

// `accessioner reload`: the running server loads its rule files again (as on SIGHUP); an invalid
// set is refused with its errors and the rules in force stay.
int reload(const config::RouterConfig& config);

}  // namespace acc::router
