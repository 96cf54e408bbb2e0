#pragma once
// Shared pieces of the store-and-forward tests (issue 3): destinations pointing at a test PACS,
// senders, and reading the forwarding state out of `queue list --json`.
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tests/integration/dcmtk_tools.hpp"
#include "tests/support/accessioner_process.hpp"
#include "tests/support/dcmtk_senders.hpp"
#include "tests/support/dicom_files.hpp"
#include "tests/support/pacs_peers.hpp"
#include "tests/support/process.hpp"

namespace acc::test {

inline DestinationOptions destination_to(const StorescpProcess& pacs, std::string name = "pacs",
                                         std::string extra = "") {
  return {.name = std::move(name),
          .ae_title = pacs.ae_title(),
          .port = pacs.port(),
          .extra = std::move(extra)};
}

inline std::vector<std::filesystem::path> paths_of(const std::vector<CopiedFile>& copies) {
  std::vector<std::filesystem::path> out;
  for (const auto& c : copies) {
    out.push_back(c.path);
  }
  return out;
}

inline std::set<std::string> uids_of(const std::vector<CopiedFile>& copies) {
  std::set<std::string> out;
  for (const auto& c : copies) {
    out.insert(c.sop_instance_uid);
  }
  return out;
}

// Sends every file with storescu and expects each one acknowledged.
inline void send_all_with_storescu(uint16_t port, const std::vector<CopiedFile>& copies,
                                   const std::filesystem::path& log) {
  const ToolResult sent =
      run_tool(storescu_argv(port, paths_of(copies)), log, std::chrono::seconds(120));
  ASSERT_EQ(sent.exit_code, 0) << tail(sent.output);
  ASSERT_EQ(storescu_acknowledged(sent.output).size(), copies.size()) << tail(sent.output);
}

// The jobs of a `queue list --json` object, optionally of one destination.
inline std::vector<nlohmann::json> jobs_in(const nlohmann::json& all,
                                           const std::string& destination = "") {
  std::vector<nlohmann::json> out;
  for (const auto& j : all.at("jobs")) {
    if (destination.empty() || j.value("destination", "") == destination) {
      out.push_back(j);
    }
  }
  return out;
}

inline std::set<std::string> instance_uids_in(const nlohmann::json& all) {
  std::set<std::string> out;
  for (const auto& i : all.at("instances")) {
    out.insert(i.value("sop_instance_uid", ""));
  }
  return out;
}

// Waits until `queue list` shows no instance and no job (everything delivered, storage cleaned).
// Returns the last listing.
inline nlohmann::json wait_until_drained(const AccessionerProcess& server,
                                         std::chrono::milliseconds timeout) {
  nlohmann::json last;
  wait_until(
      [&] {
        last = server.queue_list_all();
        return last.at("instances").empty() && last.at("jobs").empty();
      },
      timeout, std::chrono::milliseconds(200));
  return last;
}

inline double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace acc::test
