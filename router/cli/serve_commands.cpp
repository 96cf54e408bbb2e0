#include "router/cli/serve_commands.hpp"

#include <iostream>

#include <spdlog/spdlog.h>

#include "router/cli/rules_commands.hpp"
#include "router/observability/logging.hpp"
#include "router/runtime/malloc_tuning.hpp"
#include "router/server.hpp"

namespace acc::router {

std::optional<config::RouterConfig> load_config(const std::string& path) {
  try {
    return path.empty() ? config::embedded_default() : config::load_file(path);
  } catch (const config::ConfigError& e) {
    std::cerr << e.what() << "\n";
    return std::nullopt;
  }
}

int serve(const std::string& config_path) {
  auto config = load_config(config_path);
  if (!config || !check_rules(*config)) {
    return 1;
  }
  try {
    setup_logging(config->log);
  } catch (const spdlog::spdlog_ex& e) {
    std::cerr << config->source << ": [log] file: " << e.what() << "\n";
    return 1;
  }
  spdlog::info("accessioner {} starting with {}", ACC_VERSION, config->source);
  if (!tune_malloc_for_instance_buffers()) {
    spdlog::warn("glibc refused the malloc settings: receiving will cost more CPU");
  }
  Server server(std::move(*config));
  if (auto started = server.start(); !started) {
    spdlog::critical("cannot start: {}", started.error().message());
    return 1;
  }
  return server.run();
}

int check_config(const std::string& config_path) {
  auto config = load_config(config_path);
  if (!config || !check_rules(*config)) {
    return 1;
  }
  std::cout << config_path << ": OK\n";
  return 0;
}

}  // namespace acc::router
