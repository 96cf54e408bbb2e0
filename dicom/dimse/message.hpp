#pragma once
// DIMSE message reassembly from PDVs and fragmentation into P-DATA-TF PDUs (PS3.8 Annex E).

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "common/byte_budget.hpp"
#include "common/result.hpp"
#include "common/spool_file.hpp"
#include "dicom/dimse/command.hpp"
#include "dicom/ul/pdu.hpp"

namespace acc::dicom::dimse {

// Why a data set that arrived whole was not kept. The receiver answers "out of resources"
// instead of storing it; the association goes on.
enum class DataSetDropped : uint8_t {
  no = 0,
  memory_budget_full,  // holding it would have passed AssemblerLimits::budget
  spool_failed,        // its spool file could not take it (disk full, below the floor, I/O)
};

// A complete DIMSE message: the decoded command and, if it announced one, the data set bytes in
// the presentation context's transfer syntax (never interpreted here).
struct Message {
  uint8_t pc_id = 0;
  Command command;
  // The data set, or with spilled_bytes > 0 its last bytes only: the first spilled_bytes were
  // handed to the driver (MessageAssembler::take_spill), which keeps them in `spool`.
  std::vector<uint8_t> data_set;
  DataSetDropped dropped = DataSetDropped::no;
  // What data_set holds of the budget; give it back together with the bytes.
  BudgetLease lease{};
  uint64_t spilled_bytes = 0;
  // The whole data set, for a message whose bytes went to a spool file (set by the driver once
  // the last bytes are in it; data_set is then empty).
  std::shared_ptr<SpoolFile> spool;
  [[nodiscard]] uint64_t data_set_size() const {
    return spool ? spool->size() : spilled_bytes + data_set.size();
  }
};

struct AssemblerLimits {
  std::size_t max_command_bytes = 64 * 1024;
  std::size_t max_data_set_bytes = std::size_t{4} << 30;  // enforced while bytes arrive
  // Process-wide budget for data sets held in memory (null: none). The buffer's capacity is
  // reserved before it grows; when the budget refuses, the rest of the data set is read and
  // counted but not kept (Message::dropped): the peer gets an answer, not an abort.
  ByteBudget* budget = nullptr;
  // A data set is held in memory up to about this many bytes (0: whole, however large); beyond,
  // spill_ready() asks the driver to move the bytes held so far to a spool file (issue 11).
  std::size_t spool_above_bytes = 0;
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
    return dropped_ != DataSetDropped::no ? dropped_bytes_ : spilled_bytes_ + data_.size();
  }

  // Streaming receive (AssemblerLimits::spool_above_bytes): true while a data set is in progress
  // and another fragment like the last one would take what is held past the threshold. The
  // driver then takes the bytes (take_spill) and writes them out before adding the next PDV.
  [[nodiscard]] bool spill_ready() const noexcept;
  // The data set bytes held so far, handed over in order; the message, when it ends, carries
  // the rest and how many were taken (Message::spilled_bytes).
  [[nodiscard]] std::vector<uint8_t> take_spill() noexcept;
  // Stops keeping the data set in progress (its spool failed): the rest is read and counted, and
  // the message ends with `why`, no bytes.
  void drop_data_set(DataSetDropped why) noexcept;

 private:
  enum class Phase { Idle, Command, AwaitData, Data };
  // Reserves what appending `incoming` bytes will make the buffer hold (old and new buffers
  // both, while it is reallocated). False when the budget refuses.
  [[nodiscard]] bool reserve_for(std::size_t incoming) noexcept;
  // Reserves `bytes` (capped by the spool threshold and max_data_set_bytes) for a data set that
  // starts, when the budget allows; otherwise the buffer grows as bytes arrive.
  void reserve_up_front(std::size_t bytes) noexcept;

  AssemblerLimits limits_;
  Phase phase_ = Phase::Idle;
  uint8_t pc_id_ = 0;
  std::vector<uint8_t> command_bytes_;
  Command command_;
  std::vector<uint8_t> data_;
  BudgetLease lease_{limits_.budget};
  DataSetDropped dropped_ = DataSetDropped::no;
  std::size_t dropped_bytes_ = 0;  // counted while dropping, for max_data_set_bytes
  std::size_t spilled_bytes_ = 0;  // handed over by take_spill() for the message in progress
  std::size_t last_fragment_ = 0;  // size of the last data fragment added
  std::size_t previous_data_set_bytes_ = 0;  // received in memory, for reserve_up_front()
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
