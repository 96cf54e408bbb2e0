#pragma once
// Feeds a scenario through the REAL stamping code, wired as the server wires it: the Storage
// SCP's prepare_instance -> apply_rules -> StampingService::process -> InstanceStore::commit ->
// hold_settled; worklist refreshes as WorklistCache::absorb + reevaluate_held; restarts as new
// WorklistCache + StampingService on the same RocksDB store; a person's hold assign / release;
// delivery through the store's forward queue, every delivered object shown to the checker.
// Every call into the router is in sim_driver.cpp, so an API change is adapted there.
#include <cstdint>
#include <filesystem>

#include "config/config.hpp"
#include "tests/simulation/sim_checker.hpp"
#include "tests/simulation/sim_model.hpp"

namespace acc::sim {

// [worklist] enabled (never contacted: the driver answers for the RIS), [matching] defaults but
// for query_on_miss, which the driver emulates synchronously.
[[nodiscard]] config::RouterConfig default_router_config();

struct DriverOptions {
  config::RouterConfig router = default_router_config();
  int days_before = 1;  // the RIS query window around "today"
  int days_after = 1;
  // The hold timer: held studies are re-evaluated on these ticks when something changed (the
  // worklist refresh itself follows router.worklist.refresh_s exactly, see sim_driver.cpp).
  int64_t hold_tick_ms = 10 * kMinute;
  double person_diligence = 0.8;  // chance a person resolves a held study on a round
  std::filesystem::path dir;      // scratch: the RocksDB store goes here
};

// Runs `sc` from its first day to after its last hold expired; adds its counts to `report`.
void run_scenario(const Scenario& sc, const DriverOptions& options, InvariantChecker& checker,
                  Report& report);

}  // namespace acc::sim
