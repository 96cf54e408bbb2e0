#include "router/cli/decisions_commands.hpp"

#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "router/admin/job_json.hpp"
#include "router/cli/admin_request.hpp"

namespace acc::router {

using nlohmann::json;

int decisions_list(const config::RouterConfig& config, const std::string& study, bool as_json) {
  const auto reply = run_request(config, {{"op", "decisions"}, {"study", study}}, false);
  if (!reply_ok(reply)) {
    return 1;
  }
  const auto& decisions = (*reply)["decisions"];
  if (as_json) {
    std::cout << decisions.dump(2) << "\n";
    return 0;
  }
  fmt::print("{:<20} {:<64} {:<18} {:<8} {:<16} {}\n", "DECIDED", "SOP_INSTANCE_UID", "OUTCOME",
             "ACTION", "ACCESSION", "REASON");
  for (const auto& d : decisions) {
    if (!d.is_object()) {
      continue;
    }
    const auto& reasons = d.value("reasons", json::array());
    fmt::print("{:<20} {:<64} {:<18} {:<8} {:<16} {}\n",
               iso_time_ms(d.value("decided_at_ms", int64_t{0})),
               d.value("sop_instance_uid", std::string()), d.value("outcome", std::string()),
               d.value("action", std::string()), d.value("accession", std::string()),
               reasons.empty() ? std::string() : reasons.back().get<std::string>());
  }
  fmt::print("{} decision(s)\n", decisions.size());
  return 0;
}

}  // namespace acc::router
