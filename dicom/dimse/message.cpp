// DIMSE message reassembly and fragmentation (PS3.8 Annex E, PS3.7 §6.3.1).
#include "dicom/dimse/message.hpp"

#include <algorithm>
#include <new>
#include <string>

namespace acc::dicom::dimse {

namespace {

// Below this a PDU could not carry an even, non-empty fragment (6 bytes of PDV overhead).
constexpr uint32_t kMinPduLength = 8;

// Appends `fragment` to `buffer`, growing geometrically from what actually arrived but never past
// `limit` (so a 3.9 GiB data set does not reserve 7.8 GiB). The caller has checked the limit.
[[nodiscard]] Result<void> append_bounded(std::vector<uint8_t>& buffer,
                                          std::span<const uint8_t> fragment,
                                          std::size_t limit) noexcept {
  try {
    const std::size_t needed = buffer.size() + fragment.size();
    if (needed > buffer.capacity()) {
      buffer.reserve(std::min(std::max(needed, buffer.capacity() * 2), limit));
    }
    buffer.insert(buffer.end(), fragment.begin(), fragment.end());
    return {};
  } catch (const std::bad_alloc&) {
    // DIMSE_ERR_19: allocation failure while appending (not unit-tested)
    return fail(DimseErrc::data_set_too_large, "out of memory");
  }
}

// The capacity append_bounded() grows a buffer to for `incoming` more bytes.
std::size_t grown_capacity(const std::vector<uint8_t>& buffer, std::size_t incoming,
                           std::size_t limit) {
  const std::size_t needed = buffer.size() + incoming;
  if (needed <= buffer.capacity()) {
    return buffer.capacity();
  }
  return std::min(std::max(needed, buffer.capacity() * 2), limit);
}

std::string pdv_text(const ul::Pdv& pdv) {
  return "PC " + std::to_string(pdv.pc_id) + (pdv.is_command() ? " command" : " data") +
         (pdv.is_last() ? " last" : "") + " fragment";
}

}  // namespace

bool MessageAssembler::spill_ready() const noexcept {
  return limits_.spool_above_bytes > 0 && phase_ == Phase::Data && dropped_ == DataSetDropped::no &&
         data_.size() + last_fragment_ > limits_.spool_above_bytes;
}

std::vector<uint8_t> MessageAssembler::take_spill() noexcept {
  spilled_bytes_ += data_.size();
  std::vector<uint8_t> out = std::move(data_);
  data_ = {};
  lease_.reset();  // the caller owns them now (one chunk per association, in flight)
  return out;
}

void MessageAssembler::drop_data_set(DataSetDropped why) noexcept {
  if (dropped_ != DataSetDropped::no || why == DataSetDropped::no) {
    return;
  }
  dropped_bytes_ = data_set_bytes();
  dropped_ = why;
  std::vector<uint8_t>().swap(data_);
  lease_.reset();
}

void MessageAssembler::reserve_up_front(std::size_t bytes) noexcept {
  if (limits_.spool_above_bytes > 0) {
    bytes = std::min(bytes, limits_.spool_above_bytes);
  }
  bytes = std::min(bytes, limits_.max_data_set_bytes);
  if (bytes <= data_.capacity() || !lease_.hold(bytes, Refusal::uncounted)) {
    return;  // a budget that is short now is met by the usual growth, or refuses it
  }
  try {
    data_.reserve(bytes);
  } catch (const std::bad_alloc&) {
    lease_.reset();
  }
}

bool MessageAssembler::reserve_for(std::size_t incoming) noexcept {
  const std::size_t capacity = grown_capacity(data_, incoming, limits_.max_data_set_bytes);
  if (capacity == data_.capacity()) {
    return true;
  }
  return lease_.hold(uint64_t{data_.capacity()} + capacity);
}

[[nodiscard]] Result<std::optional<Message>> MessageAssembler::add(const ul::Pdv& pdv) noexcept {
  // Any error ends the association (A-ABORT), so the half-built message and its memory go.
  auto reject = [this](DimseErrc errc, std::string detail) -> Result<std::optional<Message>> {
    phase_ = Phase::Idle;
    command_bytes_.clear();
    command_ = Command{};
    data_ = {};
    lease_.reset();
    dropped_ = DataSetDropped::no;
    dropped_bytes_ = 0;
    spilled_bytes_ = 0;
    return fail(errc, std::move(detail));
  };

  switch (phase_) {
    case Phase::Idle:
      if (!pdv.is_command()) {
        // DIMSE_ERR_20: data fragment while no message is in progress
        return reject(DimseErrc::unexpected_fragment, pdv_text(pdv) + " before any command");
      }
      pc_id_ = pdv.pc_id;
      phase_ = Phase::Command;
      command_bytes_.clear();
      break;
    case Phase::Command:
      if (!pdv.is_command()) {
        // DIMSE_ERR_21: data fragment before the last command fragment
        return reject(DimseErrc::unexpected_fragment,
                      pdv_text(pdv) + " before the last command fragment");
      }
      break;
    case Phase::AwaitData:
    case Phase::Data:
      if (pdv.is_command()) {
        // DIMSE_ERR_22: command fragment while the data set is expected
        return reject(DimseErrc::unexpected_fragment, pdv_text(pdv) + " while data set expected");
      }
      break;
  }
  if (pdv.pc_id != pc_id_) {
    // DIMSE_ERR_23: PC ID changes within a message
    return reject(DimseErrc::unexpected_fragment,
                  pdv_text(pdv) + " in a message on PC " + std::to_string(pc_id_));
  }

  if (pdv.is_command()) {
    if (pdv.fragment.size() > limits_.max_command_bytes - command_bytes_.size()) {
      // DIMSE_ERR_24: command stream above max_command_bytes
      return reject(DimseErrc::command_too_large,
                    "above " + std::to_string(limits_.max_command_bytes) + " bytes");
    }
    if (auto r = append_bounded(command_bytes_, pdv.fragment, limits_.max_command_bytes); !r) {
      return reject(DimseErrc::command_too_large, r.error().detail);
    }
    if (!pdv.is_last()) {
      return std::nullopt;
    }
    auto command = decode_command(command_bytes_);
    if (!command) {
      Error e = std::move(command.error());
      phase_ = Phase::Idle;
      command_bytes_.clear();
      // DIMSE_ERR_25: command set failed decode_command (its error propagates)
      return fail(std::move(e));
    }
    command_bytes_.clear();
    if (!command->has_data_set()) {
      phase_ = Phase::Idle;
      Message message;
      message.pc_id = pc_id_;
      message.command = std::move(*command);
      return message;
    }
    command_ = std::move(*command);
    data_.clear();
    spilled_bytes_ = 0;
    last_fragment_ = 0;
    phase_ = Phase::AwaitData;
    return std::nullopt;
  }

  if (pdv.fragment.size() > limits_.max_data_set_bytes - data_set_bytes()) {
    // DIMSE_ERR_26: data set above max_data_set_bytes
    return reject(DimseErrc::data_set_too_large,
                  "above " + std::to_string(limits_.max_data_set_bytes) + " bytes");
  }
  last_fragment_ = pdv.fragment.size();
  if (dropped_ == DataSetDropped::no && data_.empty()) {
    // Spooling: the next chunk at once. Otherwise the size of this association's previous data
    // set, which arrived (never a size the peer claims): a modality sends series of like
    // objects, and growing to 525 KB by doubling copied 960 KB per instance.
    const std::size_t hint =
        spilled_bytes_ > 0 ? limits_.spool_above_bytes : previous_data_set_bytes_ / 8 * 9;
    reserve_up_front(hint);
  }
  if (dropped_ == DataSetDropped::no && !reserve_for(pdv.fragment.size())) {
    // Over the receive budget: the bytes so far go back, the rest is only counted.
    drop_data_set(DataSetDropped::memory_budget_full);
  }
  if (dropped_ != DataSetDropped::no) {
    dropped_bytes_ += pdv.fragment.size();
  } else if (auto r = append_bounded(data_, pdv.fragment, limits_.max_data_set_bytes); !r) {
    return reject(DimseErrc::data_set_too_large, r.error().detail);
  } else {
    (void)lease_.hold(data_.capacity());  // the old buffer is gone: giving back never fails
  }
  phase_ = Phase::Data;
  if (!pdv.is_last()) {
    return std::nullopt;
  }
  phase_ = Phase::Idle;
  Message message;
  message.pc_id = pc_id_;
  message.command = std::move(command_);
  message.data_set = std::move(data_);
  message.dropped = dropped_;
  previous_data_set_bytes_ =
      dropped_ == DataSetDropped::no && spilled_bytes_ == 0 ? message.data_set.size() : 0;
  message.lease = std::move(lease_);
  message.spilled_bytes = dropped_ == DataSetDropped::no ? spilled_bytes_ : 0;
  command_ = Command{};
  data_ = {};
  lease_ = BudgetLease(limits_.budget);
  dropped_ = DataSetDropped::no;
  dropped_bytes_ = 0;
  spilled_bytes_ = 0;
  last_fragment_ = 0;
  return message;
}

namespace {

void emit_fragments(std::vector<PDataPdu>& pdus, uint8_t pc_id, std::span<const uint8_t> stream,
                    uint8_t kind, bool ends_stream, std::size_t max_fragment) {
  std::size_t offset = 0;
  do {
    const std::size_t n = std::min(max_fragment, stream.size() - offset);
    const bool last = ends_stream && offset + n == stream.size();
    const auto control = static_cast<uint8_t>(kind | (last ? ul::kMchLast : 0));
    pdus.push_back(PDataPdu{ul::encode_pdata_header(pc_id, control, static_cast<uint32_t>(n)),
                            stream.subspan(offset, n)});
    offset += n;
  } while (offset < stream.size());
}

}  // namespace

std::size_t max_fragment_bytes(uint32_t max_pdu_length, uint32_t fallback_max) noexcept {
  const uint32_t max_pdu =
      std::max(max_pdu_length != 0 ? max_pdu_length : fallback_max, kMinPduLength);
  // PDU-length = 4 (item length) + 1 (PC ID) + 1 (MCH) + fragment; fragments stay even.
  return (static_cast<std::size_t>(max_pdu) - 6) & ~std::size_t{1};
}

std::vector<PDataPdu> fragment_message(uint8_t pc_id, std::span<const uint8_t> command,
                                       std::span<const uint8_t> data_set, uint32_t max_pdu_length,
                                       uint32_t fallback_max) {
  const std::size_t max_fragment = max_fragment_bytes(max_pdu_length, fallback_max);
  std::vector<PDataPdu> pdus;
  pdus.reserve((command.size() / max_fragment) + (data_set.size() / max_fragment) + 2);
  // An empty command still gets its (MCH-only) PDV so the message stays delimited.
  emit_fragments(pdus, pc_id, command, ul::kMchCommand, true, max_fragment);
  if (!data_set.empty()) {
    emit_fragments(pdus, pc_id, data_set, 0, true, max_fragment);
  }
  return pdus;
}

Result<std::vector<PDataPdu>> fragment_data_piece(uint8_t pc_id, std::span<const uint8_t> piece,
                                                  bool ends_data_set, uint32_t max_pdu_length,
                                                  uint32_t fallback_max) {
  if (!ends_data_set && piece.size() % 2 != 0) {
    return fail(std::errc::invalid_argument, "odd-length piece in the middle of a data set");
  }
  std::vector<PDataPdu> pdus;
  if (piece.empty() && !ends_data_set) {
    return pdus;
  }
  const std::size_t max_fragment = max_fragment_bytes(max_pdu_length, fallback_max);
  pdus.reserve(piece.size() / max_fragment + 1);
  emit_fragments(pdus, pc_id, piece, 0, ends_data_set, max_fragment);
  return pdus;
}

}  // namespace acc::dicom::dimse
