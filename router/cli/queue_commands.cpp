#include "router/cli/queue_commands.hpp"

#include <fstream>
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "dicom/data/sop_classes.hpp"
#include "dicom/data/uid.hpp"
#include "router/admin/job_json.hpp"
#include "router/cli/admin_request.hpp"
#include "router/cli/export_name.hpp"

namespace acc::router {

using nlohmann::json;

namespace {

constexpr std::size_t kExportPieceBytes = 4u << 20;

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
  std::size_t nonconforming = 0;
  for (const auto& uid : wanted) {
    auto object = store->open_object(uid);
    if (!object || !*object) {
      std::cerr << "accessioner: no stored instance " << escape_for_terminal(uid) << "\n";
      ++missing;
      continue;
    }
    const std::string name = export_file_name(uid, nonconforming + 1);
    if (!dicom::data::is_uid(uid)) {
      ++nonconforming;
      std::cerr << "accessioner: SOP Instance UID " << escape_for_terminal(uid)
                << " is not a UID: written as " << name << "\n";
    }
    // Piece by piece: an 8 GiB object is exported in 4 MiB of memory, checked as it is read.
    const auto file = to / name;
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    bool read_failed = false;
    while (out) {
      auto piece = (**object)->next(kExportPieceBytes);
      if (!piece) {
        // A corrupt object is not exported in part: its file goes, the others go on.
        std::cerr << "accessioner: cannot read " << escape_for_terminal(uid) << ": "
                  << piece.error().message() << "\n";
        read_failed = true;
        break;
      }
      if (piece->empty()) {
        break;
      }
      out.write(reinterpret_cast<const char*>(piece->data()),
                static_cast<std::streamsize>(piece->size()));
    }
    out.close();
    if (read_failed) {
      std::filesystem::remove(file, ec);
      ++missing;
      continue;
    }
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

}  // namespace acc::router
