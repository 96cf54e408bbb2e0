#pragma once
// One DICOM association over TCP: the PS3.8 state machine (dicom/ul/fsm.hpp) driven by a coroutine.
// The association is owned by exactly one coroutine (the acceptor's session or the SCU's caller);
// all calls happen on that coroutine's executor, one at a time, so reads and writes never
// interleave.

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>

#include "common/result.hpp"
#include "dicom/dimse/message.hpp"
#include "dicom/net/net_errc.hpp"
#include "dicom/net/pdu_connection.hpp"
#include "dicom/net/tls.hpp"
#include "dicom/ul/fsm.hpp"

namespace acc::dicom::net {

struct AssociationTimeouts {
  Clock::duration artim = std::chrono::seconds(30);      // Sta2 and Sta13 (PS3.8 §9.1.5)
  Clock::duration idle = std::chrono::seconds(60);       // Sta6 with nothing from the peer
  Clock::duration operation = std::chrono::seconds(60);  // a write, or waiting for AC/RP/a response
  Clock::duration connect = std::chrono::seconds(10);
  // Sta6/Sta7 (issue 12): an association whose peer sends fewer than min_progress_bytes in a
  // progress_window is aborted, so a peer trickling a small PDU just inside `idle` cannot hold a
  // slot for ever. Checked as PDUs arrive (silence is `idle`'s). Zero window: no check, the
  // default: it is the acceptor's rule (the listener sets it from [server]). A requestor mostly
  // sends and receives only small responses, so a forward of a large object would trip it.
  Clock::duration progress_window = Clock::duration::zero();
  uint64_t min_progress_bytes = 16 * 1024;
};

// Where the bytes of a data set go once it passes AssemblerLimits::spool_above_bytes (issue 11):
// one file per data set, written off the network thread, so that no association holds a large
// object in memory. The receiver implements it (it knows the storage volume, its free-space floor
// and the pool that may block on a disk).
class DataSetSpooler {
 public:
  virtual ~DataSetSpooler() = default;
  [[nodiscard]] virtual Result<std::shared_ptr<SpoolFile>> create() = 0;
  // Appends `bytes` and resumes on the caller's executor. An error drops the data set: the rest
  // is read, not kept, and the message ends with DataSetDropped::spool_failed.
  [[nodiscard]] virtual asio::awaitable<Result<void>> append(std::shared_ptr<SpoolFile> spool,
                                                             std::vector<uint8_t> bytes) = 0;
};

struct AssociationSettings {
  uint64_t id = 0;                   // for logs: the listener's or pool's counter
  uint32_t max_pdu_length = 131072;  // what we announce and accept for P-DATA-TF
  AssociationTimeouts timeouts;
  dimse::AssemblerLimits assembler;  // spool_above_bytes applies only with a spooler
  DataSetSpooler* spooler = nullptr;
  // DICOM TLS: the handshake comes first (the acceptor within ARTIM, the requestor within
  // `connect`), then the association runs inside it. std::nullopt: plain TCP.
  std::optional<TlsPeerPolicy> tls;
};

struct AcceptedContext {
  uint8_t id = 0;
  std::string abstract_syntax;
  std::string transfer_syntax;
};

struct AssociationInfo {
  uint64_t id = 0;
  std::string calling_ae;
  std::string called_ae;
  std::string peer_address;
  uint32_t peer_max_pdu_length = 0;  // from the peer's 0x51 sub-item; 0 = not stated
  uint32_t our_max_pdu_length = 0;
  bool tls = false;
  std::string tls_peer_subject;           // the peer certificate's subject (RFC 2253), if any
  std::vector<AcceptedContext> contexts;  // accepted presentation contexts only
  ul::UserInformation peer_user_info;

  [[nodiscard]] const AcceptedContext* context(uint8_t pc_id) const;
  // First accepted context for the abstract syntax, preferring `transfer_syntax` if given.
  [[nodiscard]] const AcceptedContext* find_context(std::string_view abstract_syntax,
                                                    std::string_view transfer_syntax = {}) const;
};

// The acceptor's answer to an A-ASSOCIATE-RQ.
using AssociateDecision = std::variant<ul::AssociateAc, ul::AssociateRj>;
using AssociatePolicy =
    std::function<AssociateDecision(const ul::AssociateRq& rq, const std::string& peer_address)>;

class Association {
 public:
  using Ptr = std::unique_ptr<Association>;

  // Acceptor side (Sta1 -> Sta2 -> Sta3 -> Sta6). Returns the established association, or the
  // reason there is none: rejected (we sent RJ), timed_out (no RQ within ARTIM), protocol_error
  // (first PDU not an RQ, or malformed: we sent A-ABORT), connection_closed.
  [[nodiscard]] static asio::awaitable<Result<Ptr>> accept(asio::ip::tcp::socket socket,
                                                           AssociatePolicy policy,
                                                           AssociationSettings settings);

  // Requestor side (Sta1 -> Sta4 -> Sta5 -> Sta6).
  [[nodiscard]] static asio::awaitable<Result<Ptr>> request(asio::any_io_executor executor,
                                                            std::string host, uint16_t port,
                                                            ul::AssociateRq rq,
                                                            AssociationSettings settings);

  // Next complete DIMSE message; a data set past the spool threshold comes in Message::spool.
  // Handles what may arrive instead: A-RELEASE-RQ (we answer RP and
  // return AssocErrc::released), A-ABORT (peer_aborted), close (connection_closed), silence beyond
  // the idle timeout (we abort: timed_out), protocol violations (we abort: protocol_error).
  [[nodiscard]] asio::awaitable<Result<dimse::Message>> receive_message();

  // Sends a command (and data set, already in the context's transfer syntax), fragmented by the
  // peer's maximum PDU length.
  [[nodiscard]] asio::awaitable<Result<void>> send_message(uint8_t pc_id,
                                                           const dimse::Command& command,
                                                           std::span<const uint8_t> data_set = {});

  // A data set read from storage while it is sent: each call returns the next piece (at most
  // `max_bytes`, even-length unless it is the last) and whether it is the last one. An error stops
  // the send and aborts the association (A-ABORT), so the peer never completes a partial or
  // corrupt data set.
  struct DataSetPiece {
    std::span<const uint8_t> bytes;
    bool last = false;
  };
  using DataSetPieces = std::function<asio::awaitable<Result<DataSetPiece>>(std::size_t max_bytes)>;
  // Sends the command, then the data set piece by piece: memory is one piece, whatever the size.
  [[nodiscard]] asio::awaitable<Result<void>> send_message(uint8_t pc_id,
                                                           const dimse::Command& command,
                                                           const DataSetPieces& pieces);

  // Requestor: A-RELEASE-RQ, then wait for RP (handling a release collision). Closes the socket.
  [[nodiscard]] asio::awaitable<Result<void>> release();
  // Sends A-ABORT (service user) and closes at once.
  [[nodiscard]] asio::awaitable<void> abort();

  [[nodiscard]] const AssociationInfo& info() const noexcept { return info_; }
  [[nodiscard]] ul::State state() const noexcept { return fsm_.state(); }
  [[nodiscard]] bool established() const noexcept { return fsm_.state() == ul::State::Sta6; }
  // Requestor, between operations: the peer closed the connection or spoke unasked (released or
  // aborted on an idle timer of its own) while nothing was being read. A pooled association is
  // checked before it is reused (issue 12): a stale one is replaced, not tried and failed.
  [[nodiscard]] bool gone_while_idle() noexcept { return conn_.closed_or_spoke_unasked(); }
  [[nodiscard]] uint16_t next_message_id() noexcept {
    return ++message_id_ == 0 ? ++message_id_ : message_id_;
  }

  Association(asio::ip::tcp::socket socket, ul::Role role, AssociationSettings settings);

 private:
  // Carries out what the state machine asked for: send, ARTIM, close.
  [[nodiscard]] asio::awaitable<Result<void>> execute(const ul::Effects& fx);
  // Sta13: read (and ignore) until the peer closes or ARTIM expires, then close.
  asio::awaitable<void> await_close();
  Clock::duration current_timeout() const;
  // Streaming receive: moves the data set bytes held so far to the spool (creating it).
  asio::awaitable<void> spill(std::vector<uint8_t> bytes);
  // The last bytes of a spooled data set: the message then carries the spool, not the bytes.
  asio::awaitable<void> finish_spool(dimse::Message& message);

  PduConnection conn_;
  ul::StateMachine fsm_;
  AssociationSettings settings_;
  AssociationInfo info_;
  ul::PduLimits limits_;
  dimse::MessageAssembler assembler_;
  std::deque<dimse::Message> ready_;  // messages completed by one PDU beyond the first
  std::shared_ptr<SpoolFile> spool_;  // of the data set in progress, once it spilled
  uint16_t message_id_ = 0;
  bool artim_running_ = false;
  Clock::time_point progress_since_{};  // start of the current progress window
  uint64_t progress_bytes_ = 0;         // from the peer since then
};

}  // namespace acc::dicom::net
