#include "router/receive/connection_gate.hpp"

#include <mutex>
#include <unordered_map>
#include <utility>

namespace acc::router {

struct ConnectionGate::State {
  const uint32_t max_connections;
  const uint32_t max_per_source;
  mutable std::mutex mu;
  uint32_t open = 0;
  std::unordered_map<std::string, uint32_t> per_source;  // only sources with open connections
};

ConnectionGate::ConnectionGate(uint32_t max_connections, uint32_t max_per_source)
    : state_(std::make_shared<State>(max_connections, max_per_source)) {}

std::expected<ConnectionGate::Ticket, ConnectionRefusal> ConnectionGate::admit(
    const std::string& source) {
  {
    std::lock_guard lock(state_->mu);
    if (state_->open >= state_->max_connections) {
      return std::unexpected(ConnectionRefusal::process_limit);
    }
    const auto it = state_->per_source.find(source);  // no entry made for a refusal
    const uint32_t from_source = it == state_->per_source.end() ? 0 : it->second;
    if (from_source >= state_->max_per_source) {
      return std::unexpected(ConnectionRefusal::source_limit);
    }
    ++state_->per_source[source];
    ++state_->open;
  }
  return Ticket(state_, source);
}

uint32_t ConnectionGate::open_connections() const {
  std::lock_guard lock(state_->mu);
  return state_->open;
}

uint32_t ConnectionGate::open_from(const std::string& source) const {
  std::lock_guard lock(state_->mu);
  const auto it = state_->per_source.find(source);
  return it == state_->per_source.end() ? 0 : it->second;
}

ConnectionGate::Ticket::Ticket(std::shared_ptr<State> state, std::string source)
    : state_(std::move(state)), source_(std::move(source)) {}

ConnectionGate::Ticket::~Ticket() {
  if (!state_) {
    return;  // moved from
  }
  std::lock_guard lock(state_->mu);
  --state_->open;
  const auto it = state_->per_source.find(source_);
  if (it != state_->per_source.end() && --it->second == 0) {
    state_->per_source.erase(it);
  }
}

}  // namespace acc::router
