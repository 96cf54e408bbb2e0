#include "router/cli/hold_commands.hpp"

#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "router/admin/job_json.hpp"
#include "router/cli/admin_request.hpp"

namespace acc::router {

using nlohmann::json;

namespace {
constexpr const char* kHoldNeedsServer = "hold commands act on the running server";
}  // namespace

int hold_list(const config::RouterConfig& config, bool as_json) {
  const auto reply = server_request(config, {{"op", "hold_list"}}, kHoldNeedsServer);
  if (!reply_ok(reply)) {
    return 1;
  }
  const auto& held = (*reply)["held"];
  if (as_json) {
    std::cout << held.dump(2) << "\n";
    return 0;
  }
  fmt::print("{:<64} {:<16} {:<16} {:>9} {:<18} {}\n", "STUDY_INSTANCE_UID", "PATIENT_ID",
             "CALLING_AE", "INSTANCES", "OUTCOME", "HELD_SINCE");
  for (const auto& h : held) {
    fmt::print("{:<64} {:<16} {:<16} {:>9} {:<18} {}\n", h.value("study_instance_uid", ""),
               h.value("patient_id", ""), h.value("calling_ae", ""), h.value("instances", 0),
               h.value("outcome", ""), iso_time_ms(h.value("held_since_ms", int64_t{0})));
  }
  fmt::print("{} held study(ies)\n", held.size());
  return 0;
}

int hold_assign(const config::RouterConfig& config, const std::string& study,
                const std::string& accession) {
  const auto reply =
      server_request(config, {{"op", "hold_assign"}, {"study", study}, {"accession", accession}},
                     kHoldNeedsServer);
  if (!reply_ok(reply)) {
    return 1;
  }
  fmt::print("study {}: {} instance(s) stamped with {} and released\n", study,
             (*reply)["released"].get<uint64_t>(), accession);
  return 0;
}

int hold_release(const config::RouterConfig& config, const std::string& study) {
  const auto reply =
      server_request(config, {{"op", "hold_release"}, {"study", study}}, kHoldNeedsServer);
  if (!reply_ok(reply)) {
    return 1;
  }
  fmt::print("study {}: {} instance(s) released unstamped\n", study,
             (*reply)["released"].get<uint64_t>());
  return 0;
}

}  // namespace acc::router
