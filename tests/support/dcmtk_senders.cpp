#include "tests/support/dcmtk_senders.hpp"

namespace acc::test {

std::vector<std::string> dcmsend_argv(const DcmsendCall& call) {
  std::vector<std::string> argv = {"dcmsend", "-nh"};
  if (!call.calling_ae.empty()) {
    argv.insert(argv.end(), {"-aet", call.calling_ae});
  }
  argv.insert(argv.end(), {"-aec", "ACCESSIONER", "127.0.0.1", std::to_string(call.port)});
  for (const auto& f : call.files) {
    argv.push_back(f.string());
  }
  if (call.report) {
    argv.insert(argv.end(), {"--create-report-file", call.report->string()});
  }
  return argv;
}

std::vector<std::string> storescu_argv(uint16_t port,
                                       const std::vector<std::filesystem::path>& files,
                                       const std::vector<std::string>& options) {
  std::vector<std::string> argv = {"storescu", "-v"};
  argv.insert(argv.end(), options.begin(), options.end());
  argv.insert(argv.end(), {"-aec", "ACCESSIONER", "127.0.0.1", std::to_string(port)});
  for (const auto& f : files) {
    argv.push_back(f.string());
  }
  return argv;
}

}  // namespace acc::test
