#include "router/queue_commands.hpp"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "dicom/data/sop_classes.hpp"
#include "queue/instance_store.hpp"

namespace acc::router {

namespace {

std::unique_ptr<queue::InstanceStore> open_reader(const config::RouterConfig& config) {
  auto store = queue::InstanceStore::open_reader(config.storage.path);
  if (!store) {
    std::cerr << "accessioner: cannot open storage " << config.storage.path << ": "
              << store.error().message() << "\n";
    return nullptr;
  }
  return std::move(*store);
}

std::string iso_time(int64_t ms) {
  const std::chrono::sys_time<std::chrono::milliseconds> t{std::chrono::milliseconds(ms)};
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}Z", t);
}

nlohmann::json to_json(const queue::InstanceRecord& r) {
  return {{"sop_instance_uid", r.sop_instance_uid},
          {"sop_class_uid", r.sop_class_uid},
          {"sop_class", dicom::data::uid_name(r.sop_class_uid)},
          {"transfer_syntax_uid", r.transfer_syntax_uid},
          {"patient_id", r.patient_id},
          {"study_instance_uid", r.study_instance_uid},
          {"calling_ae", r.calling_ae},
          {"called_ae", r.called_ae},
          {"peer_address", r.peer_address},
          {"association_id", r.association_id},
          {"size_bytes", r.size_bytes},
          {"received_at", iso_time(r.received_at_ms)},
          {"arrival_seq", r.arrival_seq},
          {"state", r.state}};
}

}  // namespace

int queue_list(const config::RouterConfig& config, bool json) {
  auto store = open_reader(config);
  if (!store) {
    return 1;
  }
  auto records = store->list();
  if (!records) {
    std::cerr << "accessioner: " << records.error().message() << "\n";
    return 1;
  }
  if (json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : *records) {
      out.push_back(to_json(r));
    }
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  fmt::print("{:<64} {:<28} {:<16} {:<64} {:<16} {:>10} {:<20} {}\n", "SOP_INSTANCE_UID",
             "SOP_CLASS", "PATIENT_ID", "STUDY_INSTANCE_UID", "CALLING_AE", "SIZE", "RECEIVED",
             "STATE");
  for (const auto& r : *records) {
    std::string sop_class = dicom::data::uid_name(r.sop_class_uid);
    if (sop_class.size() > 28) {
      sop_class.resize(28);
    }
    fmt::print("{:<64} {:<28} {:<16} {:<64} {:<16} {:>10} {:<20} {}\n", r.sop_instance_uid,
               sop_class, r.patient_id, r.study_instance_uid, r.calling_ae, r.size_bytes,
               iso_time(r.received_at_ms), r.state);
  }
  fmt::print("{} instance(s)\n", records->size());
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
      std::cerr << "accessioner: " << records.error().message() << "\n";
      return 1;
    }
    for (const auto& r : *records) {
      wanted.push_back(r.sop_instance_uid);
    }
  }
  std::error_code ec;
  std::filesystem::create_directories(to, ec);
  if (ec) {
    std::cerr << "accessioner: cannot create " << to << ": " << ec.message() << "\n";
    return 1;
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
      std::cerr << "accessioner: cannot write " << file << "\n";
      return 1;
    }
  }
  fmt::print("exported {} instance(s) to {}\n", wanted.size() - static_cast<std::size_t>(missing),
             to.string());
  return missing == 0 ? 0 : 1;
}

}  // namespace acc::router
