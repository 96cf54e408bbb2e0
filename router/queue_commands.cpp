#include "router/queue_commands.hpp"

#include <fstream>
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "dicom/data/sop_classes.hpp"
#include "queue/instance_store.hpp"
#include "router/admin_client.hpp"
#include "router/admin_protocol.hpp"
#include "router/admin_server.hpp"
#include "router/job_json.hpp"

namespace acc::router {

using nlohmann::json;

namespace {

int report_error(const std::string& text) {
  std::cerr << "accessioner: " << text << "\n";
  return 1;
}

std::unique_ptr<queue::InstanceStore> open_reader(const config::RouterConfig& config) {
  auto store = queue::InstanceStore::open_reader(config.storage.path);
  if (!store) {
    report_error("cannot open storage " + config.storage.path + ": " + store.error().message());
    return nullptr;
  }
  return std::move(*store);
}

// A request to the running server, or, with none running, to the storage opened here: as a
// secondary for reads, as the primary for writes.
std::optional<json> run_request(const config::RouterConfig& config, const json& request,
                                bool writes) {
  if (auto reply = admin_call(admin_socket_path(config.storage.path), request)) {
    return reply;
  }
  if (writes) {
    auto store = queue::InstanceStore::open({config.storage.path, true});
    if (!store) {
      report_error("cannot open storage " + config.storage.path +
                   " (is a server running without "
                   "its admin socket?): " +
                   store.error().message());
      return std::nullopt;
    }
    json reply = handle_admin_request(request, **store, {});
    (*store)->close();
    return reply;
  }
  auto store = open_reader(config);
  if (!store) {
    return std::nullopt;
  }
  return handle_admin_request(request, *store, {});
}

bool reply_ok(const std::optional<json>& reply) {
  if (!reply) {
    return false;
  }
  if (!reply->value("ok", false)) {
    report_error(reply->value("error", std::string("request failed")));
    return false;
  }
  return true;
}

std::string clip(std::string s, std::size_t n) {
  if (s.size() > n) {
    s.resize(n);
  }
  return s;
}

}  // namespace

int queue_list(const config::RouterConfig& config, bool as_json) {
  auto store = open_reader(config);
  if (!store) {
    return 1;
  }
  auto records = store->list();
  if (!records) {
    return report_error(records.error().message());
  }
  store.reset();
  const auto jobs = run_request(config, {{"op", "jobs"}, {"destination", ""}}, false);
  if (!reply_ok(jobs)) {
    return 1;
  }
  if (as_json) {
    json instances = json::array();
    for (const auto& r : *records) {
      instances.push_back(to_json(r));
    }
    std::cout << json{{"instances", instances}, {"jobs", (*jobs)["jobs"]}}.dump(2) << "\n";
    return 0;
  }
  fmt::print("{:<64} {:<28} {:<16} {:<16} {:>10} {:<20}\n", "SOP_INSTANCE_UID", "SOP_CLASS",
             "PATIENT_ID", "CALLING_AE", "SIZE", "RECEIVED");
  for (const auto& r : *records) {
    fmt::print("{:<64} {:<28} {:<16} {:<16} {:>10} {:<20}\n", r.sop_instance_uid,
               clip(dicom::data::uid_name(r.sop_class_uid), 28), r.patient_id, r.calling_ae,
               r.size_bytes, iso_time_ms(r.received_at_ms));
  }
  fmt::print("{} instance(s)\n\n", records->size());
  fmt::print("{:<16} {:<64} {:<9} {:>8} {:<20} {}\n", "DESTINATION", "SOP_INSTANCE_UID", "STATE",
             "ATTEMPTS", "RETRY_AT", "LAST_ERROR");
  for (const auto& j : (*jobs)["jobs"]) {
    fmt::print("{:<16} {:<64} {:<9} {:>8} {:<20} {}\n", j["destination"].get<std::string>(),
               j["sop_instance_uid"].get<std::string>(), j["state"].get<std::string>(),
               j["attempts"].get<uint32_t>(), j["retry_at"].get<std::string>(),
               j["last_error"].get<std::string>());
  }
  fmt::print("{} job(s)\n", (*jobs)["jobs"].size());
  return 0;
}

int queue_export(const config::RouterConfig& config, const std::vector<std::string>& uids, bool all,
                 const std::filesystem::path& to) {
  auto store = open_reader(config);
  if (!store) {
    return 1;
  }
  std::vector<std::string> wanted = uids;
  if (all) {
    auto records = store->list();
    if (!records) {
      return report_error(records.error().message());
    }
    for (const auto& r : *records) {
      wanted.push_back(r.sop_instance_uid);
    }
  }
  std::error_code ec;
  std::filesystem::create_directories(to, ec);
  if (ec) {
    return report_error("cannot create " + to.string() + ": " + ec.message());
  }
  int missing = 0;
  for (const auto& uid : wanted) {
    auto object = store->read_object(uid);
    if (!object || !*object) {
      std::cerr << "accessioner: no stored instance " << uid << "\n";
      ++missing;
      continue;
    }
    const auto file = to / (uid + ".dcm");
    std::ofstream out(file, std::ios::binary);
    out.write(reinterpret_cast<const char*>((*object)->data()),
              static_cast<std::streamsize>((*object)->size()));
    if (!out) {
      return report_error("cannot write " + file.string());
    }
  }
  fmt::print("exported {} instance(s) to {}\n", wanted.size() - static_cast<std::size_t>(missing),
             to.string());
  return missing == 0 ? 0 : 1;
}

int queue_retry(const config::RouterConfig& config, const RetrySelection& selection) {
  json request = {{"op", "retry"}};
  if (!selection.uids.empty()) {
    request["uids"] = selection.uids;
  } else if (selection.dead) {
    request["dead"] = true;
  } else {
    request["destination"] = selection.destination;
  }
  const auto reply = run_request(config, request, true);
  if (!reply_ok(reply)) {
    return 1;
  }
  fmt::print("{} job(s) made pending\n", (*reply)["changed"].get<uint64_t>());
  return 0;
}

int queue_purge(const config::RouterConfig& config) {
  const auto reply = run_request(config, {{"op", "purge"}}, true);
  if (!reply_ok(reply)) {
    return 1;
  }
  fmt::print("purged {} instance(s) and their jobs\n", (*reply)["removed"].get<uint64_t>());
  return 0;
}

int queue_stats(const config::RouterConfig& config, bool as_json) {
  const auto reply = run_request(config, {{"op", "stats"}}, false);
  if (!reply_ok(reply)) {
    return 1;
  }
  if (as_json) {
    std::cout << reply->dump(2) << "\n";
    return 0;
  }
  fmt::print("{:<16} {:>9} {:>9} {:>9} {:>9} {:>14}\n", "DESTINATION", "PENDING", "IN_FLIGHT",
             "RETRYING", "DEAD", "OLDEST_AGE_S");
  for (const auto& s : (*reply)["stats"]) {
    fmt::print("{:<16} {:>9} {:>9} {:>9} {:>9} {:>14.1f}\n", s["destination"].get<std::string>(),
               s["pending"].get<uint64_t>(), s["in_flight"].get<uint64_t>(),
               s["waiting_retry"].get<uint64_t>(), s["dead"].get<uint64_t>(),
               s["oldest_age_s"].get<double>());
  }
  return 0;
}

namespace {

std::optional<json> server_request(const config::RouterConfig& config, const json& request) {
  auto reply = admin_call(admin_socket_path(config.storage.path), request);
  if (!reply) {
    report_error("no server is running on " + config.storage.path +
                 " (hold commands act on the running server)");
  }
  return reply;
}

}  // namespace

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

int reload(const config::RouterConfig& config) {
  const auto reply = admin_call(admin_socket_path(config.storage.path), {{"op", "reload"}});
  if (!reply) {
    report_error("no server is running on " + config.storage.path);
    return 1;
  }
  if (!reply->value("ok", false)) {
    std::cerr << reply->value("error", std::string("reload failed"))
              << "reload refused: the rules in force stay\n";
    return 1;
  }
  fmt::print("rules reloaded: {} rule(s) from {} file(s)\n", reply->value("rules", 0),
             reply->value("files", 0));
  return 0;
}

int worklist_status(const config::RouterConfig& config, bool as_json) {
  auto reply = server_request(config, {{"op", "worklist"}});
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

int hold_list(const config::RouterConfig& config, bool as_json) {
  const auto reply = server_request(config, {{"op", "hold_list"}});
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
      server_request(config, {{"op", "hold_assign"}, {"study", study}, {"accession", accession}});
  if (!reply_ok(reply)) {
    return 1;
  }
  fmt::print("study {}: {} instance(s) stamped with {} and released\n", study,
             (*reply)["released"].get<uint64_t>(), accession);
  return 0;
}

int hold_release(const config::RouterConfig& config, const std::string& study) {
  const auto reply = server_request(config, {{"op", "hold_release"}, {"study", study}});
  if (!reply_ok(reply)) {
    return 1;
  }
  fmt::print("study {}: {} instance(s) released unstamped\n", study,
             (*reply)["released"].get<uint64_t>());
  return 0;
}

}  // namespace acc::router
