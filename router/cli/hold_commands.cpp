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
    // What a person needs to decide without another tool: whose images, which orders, why not.
    if (h.contains("patient") && h["patient"].is_object()) {
      const auto& p = h["patient"];
      fmt::print("    patient: {} issuer '{}' name '{}' born '{}' sex '{}'\n",
                 p.value("patient_id", ""), p.value("issuer_of_patient_id", ""),
                 p.value("patient_name", ""), p.value("birth_date", ""), p.value("sex", ""));
    }
    if (h.contains("reasons") && h["reasons"].is_array() && !h["reasons"].empty()) {
      fmt::print("    why held: {}\n", h["reasons"].back().get<std::string>());
    }
    if (h.contains("candidates") && h["candidates"].is_array()) {
      for (const auto& c : h["candidates"]) {
        fmt::print("    order {:<16} {:<4} {:<15} station {:<16} {:<11} {}: {}\n",
                   c.value("accession", ""), c.value("modality", ""), c.value("scheduled", ""),
                   c.value("station", ""), c.value("status", ""),
                   c.value("kept", false) ? "competes" : "excluded", c.value("reason", ""));
      }
    }
  }
  fmt::print("{} held study(ies)\n", held.size());
  return 0;
}

namespace {

json choice_request(const char* op, const HoldChoice& c) {
  json rq = {{"op", op}, {"study", c.study}};
  if (!c.patient.empty()) {
    rq["patient"] = c.patient;
  }
  if (!c.accession.empty()) {
    rq["accession"] = c.accession;
  }
  if (c.correct_patient) {
    rq["correct_patient"] = true;
  }
  if (c.force) {
    rq["force"] = true;
  }
  if (!c.reason.empty()) {
    rq["reason"] = c.reason;
  }
  return rq;
}

}  // namespace

int hold_assign(const config::RouterConfig& config, const HoldChoice& choice) {
  const auto reply =
      server_request(config, choice_request("hold_assign", choice), kHoldNeedsServer);
  if (!reply_ok(reply)) {
    return 1;
  }
  fmt::print("study {}: {} instance(s) stamped with {} and released\n", choice.study,
             (*reply)["released"].get<uint64_t>(), choice.accession);
  return 0;
}

int hold_release(const config::RouterConfig& config, const HoldChoice& choice) {
  const auto reply =
      server_request(config, choice_request("hold_release", choice), kHoldNeedsServer);
  if (!reply_ok(reply)) {
    return 1;
  }
  fmt::print("study {}: {} instance(s) released unstamped\n", choice.study,
             (*reply)["released"].get<uint64_t>());
  return 0;
}

}  // namespace acc::router
