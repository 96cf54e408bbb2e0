#include "router/cli/worklist_commands.hpp"

#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "router/admin/job_json.hpp"
#include "router/cli/admin_request.hpp"

namespace acc::router {

using nlohmann::json;

int worklist_status(const config::RouterConfig& config, bool as_json) {
  auto reply =
      server_request(config, {{"op", "worklist"}}, "the worklist cache is the running server's");
  if (!reply_ok(reply)) {
    return 1;
  }
  reply->erase("ok");
  if (as_json) {
    std::cout << reply->dump(2) << "\n";
    return 0;
  }
  fmt::print("entries cached: {}\nlast successful refresh: {}\nrefreshes: {}\nfailures: {}\n",
             reply->value("entries", 0), reply->value("last_success", ""),
             reply->value("refreshes", 0), reply->value("failures", 0));
  if (const std::string e = reply->value("last_error", ""); !e.empty()) {
    fmt::print("last error: {}\n", e);
  }
  return 0;
}

}  // namespace acc::router
