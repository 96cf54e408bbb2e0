#include "tests/support/worklist_peers.hpp"

#include <ctime>
#include <fstream>
#include <stdexcept>

#include "tests/support/net.hpp"
#include "tests/support/peer_start.hpp"

namespace acc::test {

std::string local_date(int day_offset) {
  const std::time_t t = std::time(nullptr) + static_cast<std::time_t>(day_offset) * 86400;
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[9];
  std::strftime(buf, sizeof buf, "%Y%m%d", &tm);
  return buf;
}

namespace {

std::string dump_of(const WorklistOrder& o) {
  std::string d;
  d += "(0008,0005) CS [ISO_IR 100]\n";
  d += "(0008,0050) SH [" + o.accession + "]\n";
  if (o.issuer) {
    d += "(0008,0051) SQ\n(fffe,e000) -\n";
    if (!o.issuer->local_namespace.empty()) {
      d += "(0040,0031) UT [" + o.issuer->local_namespace + "]\n";
    }
    if (!o.issuer->universal_id.empty()) {
      d += "(0040,0032) UT [" + o.issuer->universal_id + "]\n";
      d += "(0040,0033) CS [" + o.issuer->universal_id_type + "]\n";
    }
    d += "(fffe,e00d) -\n(fffe,e0dd) -\n";
  }
  d += "(0010,0010) PN [" + o.patient_name + "]\n";
  d += "(0010,0020) LO [" + o.patient_id + "]\n";
  d += "(0020,000d) UI [" + o.study_instance_uid + "]\n";
  d += "(0040,1001) SH [" + o.requested_procedure_id + "]\n";
  d += "(0032,1060) LO [" + o.requested_procedure_description + "]\n";
  d += "(0040,0100) SQ\n(fffe,e000) -\n";
  d += "(0008,0060) CS [" + o.modality + "]\n";
  d += "(0040,0001) AE [" + o.station_ae + "]\n";
  d += "(0040,0002) DA [" + (o.date.empty() ? local_date(0) : o.date) + "]\n";
  d += "(0040,0003) TM [" + o.time + "]\n";
  d += "(0040,0009) SH [" + o.sps_id + "]\n";
  d += "(0040,0007) LO [" + o.sps_description + "]\n";
  d += "(0040,0020) CS [" + o.status + "]\n";
  d += "(fffe,e00d) -\n(fffe,e0dd) -\n";
  return d;
}

}  // namespace

WorklistDb::WorklistDb(std::string ae_subdir)
    : dir_("acc-worklist"), ae_subdir_(std::move(ae_subdir)) {
  std::filesystem::create_directories(folder());
  if (!ae_subdir_.empty()) {
    std::ofstream(folder() / "lockfile");  // wlmscpfs refuses a folder without one
  }
}

std::filesystem::path WorklistDb::folder() const {
  return ae_subdir_.empty() ? dir_.path() : dir_ / ae_subdir_;
}

void WorklistDb::add(const std::string& name, const WorklistOrder& order) const {
  const auto dump = dir_ / (name + ".dump");
  std::ofstream(dump, std::ios::trunc) << dump_of(order);
  // Outside the served folder until complete: both servers list "*.wl" at every query.
  const auto tmp = dir_ / (name + ".wl.tmp");
  const ToolResult made = run_tool({"dump2dcm", dump.string(), tmp.string()},
                                   dir_ / (name + ".dump2dcm.log"), std::chrono::seconds(30));
  if (made.exit_code != 0) {
    throw std::runtime_error("dump2dcm failed for " + name + ": " + made.output);
  }
  std::filesystem::rename(tmp, folder() / (name + ".wl"));
}

void WorklistDb::remove(const std::string& name) const {
  std::filesystem::remove(folder() / (name + ".wl"));
}

WlmscpfsProcess::WlmscpfsProcess(const WorklistDb& db)
    : db_(db), log_dir_("acc-wlmscpfs"), port_(free_port()) {}

void WlmscpfsProcess::start() {
  // wlmscpfs refuses port 0: a free port, retried if taken meanwhile (see peer_start.hpp).
  child_ = launch_peer(
      {.name = "wlmscpfs",
       .ports = {&port_},
       .ports_given_out = port_given_out_,
       .spawn =
           [this] {
             return ChildProcess::spawn(
                 {.argv = {"wlmscpfs", "-s", "-dfp", db_.root().string(), std::to_string(port_)},
                  .log = log_dir_ / "wlmscpfs.log"});
           },
       .log = [this] { return log_text(); }});
}

void WlmscpfsProcess::stop() {
  if (child_.valid()) {
    child_.kill_and_wait();
  }
}

}  // namespace acc::test
