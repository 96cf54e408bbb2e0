#pragma once
// Admission of TCP connections before any PDU is read (issue 12): a process-wide cap on open
// connections and a cap per source address, so one host cannot take every socket. Association
// slots (server.max_associations) are a separate matter, taken only once an A-ASSOCIATE-RQ has
// arrived: a connection that never sends one holds a connection, bounded here, for ARTIM at most.
#include <cstdint>
#include <expected>
#include <memory>
#include <string>

#include "router/observability/metrics.hpp"  // ConnectionRefusal

namespace acc::router {

class ConnectionGate {
  struct State;

 public:
  ConnectionGate(uint32_t max_connections, uint32_t max_per_source);

  // One admitted connection; given back when destroyed (also after the gate is gone).
  class Ticket {
   public:
    Ticket(Ticket&&) noexcept = default;
    Ticket& operator=(Ticket&&) noexcept = default;
    Ticket(const Ticket&) = delete;
    Ticket& operator=(const Ticket&) = delete;
    ~Ticket();

   private:
    friend class ConnectionGate;
    Ticket(std::shared_ptr<State> state, std::string source);
    std::shared_ptr<State> state_;
    std::string source_;
  };

  // Thread-safe.
  [[nodiscard]] std::expected<Ticket, ConnectionRefusal> admit(const std::string& source);
  [[nodiscard]] uint32_t open_connections() const;
  [[nodiscard]] uint32_t open_from(const std::string& source) const;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace acc::router
