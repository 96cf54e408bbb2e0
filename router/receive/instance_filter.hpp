#pragma once
// A step the Storage SCP runs on every prepared instance after the site rules and before the
// durable commit (Envoy's filter chain, one filter long today: accession stamping). The receive
// path knows only this interface; the wiring plugs the stamping service in.
#include <cstdint>
#include <string>

#include "router/receive/prepared_instance.hpp"

namespace acc::router {

class InstanceFilter {
 public:
  virtual ~InstanceFilter() = default;

  // Runs on the work pool (it may block on RocksDB reads and DCMTK). May rewrite the object,
  // set the record's state and destinations, or refuse the instance (p.status != 0).
  virtual void process(PreparedInstance& p, int64_t now_ms) = 0;
  // The commit of an instance that process() held has finished, stored or not.
  virtual void hold_settled(const std::string& study_uid) = 0;
};

}  // namespace acc::router
