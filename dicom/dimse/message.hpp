#pragma once
// DIMSE message reassembly from PDVs and fragmentation into P-DATA-TF PDUs (PS3.8 Annex E).

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "common/byte_budget.hpp"
#include "common/result.hpp"
#include "dicom/dimse/command.hpp"
#include "dicom/ul/pdu.hpp"

namespace acc::dicom::dimse {

// A complete DIMSE message: the decoded command and, if it announced one, the data set bytes in
// the presentation context's transfer syntax (never interpreted here).
struct Message {
  uint8_t pc_id = 0;
  Command command;
  std::vector<uint8_t> data_set;
  // The data set arrived whole but was not kept: holding it would have passed the receive budget
  // (AssemblerLimits::budget). The receiver answers "out of resources" instead of storing.
  bool data_set_dropped = false;
  // What data_set holds of the budget; give it back together with the bytes.
  BudgetLease lease{};
};

struct AssemblerLimits {
  std::size_t max_command_bytes = 64 * 1024;
  std::size_t max_data_set_bytes = std::size_t{4} << 30;  // enforced while bytes arrive
  // Process-wide budget for data sets held in memory (null: none). The buffer's capacity is
  // reserved before it grows; when the budget refuses, the rest of the data set is read and
  // counted but not kept (Message::data_set_dropped): the peer gets an answer, not an abort.
  ByteBudget* budget = nullptr;
};

// Collects PDVs into messages. Enforces Annex E ordering: a command stream first (all PDVs on one
// PC ID), then a data stream if the command announced one; nothing of a new message before the
// previous one ended. Any violation is an error the caller answers with an A-ABORT. Memory grows
// with the bytes that actually arrived, never with a length a peer claims.
class MessageAssembler {
 public:
  explicit MessageAssembler(AssemblerLimits limits = {}) : limits_(limits) {}

  // Adds one PDV. Returns the message when its last fragment arrived, std::nullopt while more
  // fragments are expected.
  [[nodiscard]] Result<std::optional<Message>> add(const ul::Pdv& pdv) noexcept;

  // True between the first fragment of a message and its last one.
  [[nodiscard]] bool in_progress() const noexcept { return phase_ != Phase::Idle; }
  // Bytes of the data set received so far for the message in progress (for logs and limits).
  [[nodiscard]] std::size_t data_set_bytes() const noexcept {
    return dropped_ ? dropped_bytes_ : data_.size();
  }

 private:
  enum class Phase { Idle, Command, AwaitData, Data };
  // Reserves what appending `incoming` bytes will make the buffer hold (old and new buffers
  // both, while it is reallocated). False when the budget refuses.
  [[nodiscard]] bool reserve_for(std::size_t incoming) noexcept;

  AssemblerLimits limits_;
  Phase phase_ = Phase::Idle;
  uint8_t pc_id_ = 0;
  std::vector<uint8_t> command_bytes_;
  Command command_;
  std::vector<uint8_t> data_;
  BudgetLease lease_{limits_.budget};
  bool dropped_ = false;
  std::size_t dropped_bytes_ = 0;  // counted while dropping, for max_data_set_bytes
};

// One P-DATA-TF PDU carrying one PDV: a 12-byte header followed by `payload`, which views the
// caller's command or data set buffer. Written with one gathered write.
struct PDataPdu {
  std::array<uint8_t, ul::kPDataOverhead> header;
  std::span<const uint8_t> payload;
};

// Splits a message into PDUs whose PDU-length does not exceed `max_pdu_length` (the peer's 0x51
// value; 0 = not stated, then `fallback_max` applies). Fragments have even length except a final
// odd one (command and data sets are even-length by construction). The command goes in PDUs of its
// own; the data set starts in a new PDU (some receivers fail otherwise, see docs).
[[nodiscard]] std::vector<PDataPdu> fragment_message(uint8_t pc_id,
                                                     std::span<const uint8_t> command,
                                                     std::span<const uint8_t> data_set,
                                                     uint32_t max_pdu_length,
                                                     uint32_t fallback_max = 16384);

// The largest PDV fragment (even) that fits a PDU of `max_pdu_length` (0: `fallback_max`).
[[nodiscard]] std::size_t max_fragment_bytes(uint32_t max_pdu_length,
                                             uint32_t fallback_max = 16384) noexcept;

// For a data set sent in pieces (read from storage while it is sent): the PDUs of one piece, in
// fragments of at most max_fragment_bytes(). Only the last fragment of the piece that
// `ends_data_set` carries the last-fragment bit. A piece that does not end the data set has even
// length (fragments stay even); an odd one is refused (DICOM data sets are even-length).
[[nodiscard]] Result<std::vector<PDataPdu>> fragment_data_piece(uint8_t pc_id,
                                                                std::span<const uint8_t> piece,
                                                                bool ends_data_set,
                                                                uint32_t max_pdu_length,
                                                                uint32_t fallback_max = 16384);

}  // namespace acc::dicom::dimse
