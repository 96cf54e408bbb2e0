#pragma once
// Invocations of DCMTK command-line peers shared by the integration tests.
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/process.hpp"

namespace acc::test {

// echoscu to 127.0.0.1:port; `extra` goes before the host (e.g. {"-aet", "MODALITY"}).
inline ToolResult echoscu(uint16_t port, const std::filesystem::path& log,
                          const std::vector<std::string>& extra = {},
                          const std::string& called_ae = "ACCESSIONER") {
  std::vector<std::string> argv = {"echoscu", "-v", "-aec", called_ae};
  argv.insert(argv.end(), extra.begin(), extra.end());
  argv.push_back("127.0.0.1");
  argv.push_back(std::to_string(port));
  return run_tool(argv, log, std::chrono::seconds(30));
}

inline std::size_t count_occurrences(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) {
    ++n;
  }
  return n;
}

// One transfer in a `dcmsend --create-report-file` report.
struct DcmsendReportEntry {
  std::string filename;
  std::string sop_instance_uid;
  std::string sop_class_uid;
  std::string original_xfer;
  std::string network_xfer;
  std::string association;
  std::string dimse_status;  // e.g. "0x0000 (Success)"
};

namespace detail {
// "1.2.840.10008.1.2.1 = Little Endian Explicit" -> the UID.
inline std::string uid_part(const std::string& value) {
  return value.substr(0, value.find(' '));
}
}  // namespace detail

inline std::vector<DcmsendReportEntry> parse_dcmsend_report(const std::string& text) {
  std::vector<DcmsendReportEntry> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    const auto colon = line.find(" : ");
    if (colon == std::string::npos) {
      continue;
    }
    std::string key = line.substr(0, colon);
    while (!key.empty() && key.back() == ' ') {
      key.pop_back();
    }
    const std::string value = line.substr(colon + 3);
    if (key == "Number") {
      out.emplace_back();
    }
    if (out.empty()) {
      continue;
    }
    auto& e = out.back();
    if (key == "Filename") {
      e.filename = value;
    } else if (key == "SOP Instance") {
      e.sop_instance_uid = value;
    } else if (key == "SOP Class") {
      e.sop_class_uid = detail::uid_part(value);
    } else if (key == "Original Xfer") {
      e.original_xfer = detail::uid_part(value);
    } else if (key == "Network Xfer") {
      e.network_xfer = detail::uid_part(value);
    } else if (key == "Association") {
      e.association = value;
    } else if (key == "DIMSE Status") {
      e.dimse_status = value;
    }
  }
  return out;
}

// Files storescu -v reports as acknowledged: "Sending file: PATH" followed, before the next
// file, by "Received Store Response (Success)". Holds even when the association died midway.
inline std::vector<std::string> storescu_acknowledged(const std::string& log) {
  std::vector<std::string> acked;
  std::istringstream in(log);
  std::string line;
  std::string current;
  static const std::string kSending = "Sending file: ";
  while (std::getline(in, line)) {
    if (const auto at = line.find(kSending); at != std::string::npos) {
      current = line.substr(at + kSending.size());
    } else if (line.find("Received Store Response (Success)") != std::string::npos &&
               !current.empty()) {
      acked.push_back(current);
      current.clear();
    }
  }
  return acked;
}

}  // namespace acc::test
