#include "dicom/net/association.hpp"

#include <algorithm>

namespace acc::dicom::net {

using ul::Indication;
using ul::State;

const AcceptedContext* AssociationInfo::context(uint8_t pc_id) const {
  for (const auto& c : contexts) {
    if (c.id == pc_id) {
      return &c;
    }
  }
  return nullptr;
}

const AcceptedContext* AssociationInfo::find_context(std::string_view abstract_syntax,
                                                     std::string_view transfer_syntax) const {
  const AcceptedContext* first = nullptr;
  for (const auto& c : contexts) {
    if (c.abstract_syntax != abstract_syntax) {
      continue;
    }
    if (transfer_syntax.empty() || c.transfer_syntax == transfer_syntax) {
      return &c;
    }
    if (first == nullptr) {
      first = &c;
    }
  }
  return transfer_syntax.empty() ? first : nullptr;
}

namespace {
dimse::AssemblerLimits assembler_limits(const AssociationSettings& settings) {
  dimse::AssemblerLimits limits = settings.assembler;
  if (settings.spooler == nullptr) {
    limits.spool_above_bytes = 0;  // nowhere to spill to: data sets are held whole
  }
  return limits;
}
}  // namespace

Association::Association(asio::ip::tcp::socket socket, ul::Role role, AssociationSettings settings)
    : conn_(std::move(socket)),
      fsm_(role),
      settings_(settings),
      assembler_(assembler_limits(settings)) {
  info_.id = settings.id;
  limits_.max_pdata_length = settings.max_pdu_length;
  info_.our_max_pdu_length = settings.max_pdu_length;
}

Clock::duration Association::current_timeout() const {
  switch (fsm_.state()) {
    case State::Sta2:
    case State::Sta13:
      return settings_.timeouts.artim;
    case State::Sta6:
      return settings_.timeouts.idle;
    default:
      return settings_.timeouts.operation;
  }
}

[[nodiscard]] asio::awaitable<Result<void>> Association::execute(const ul::Effects& fx) {
  if (fx.invalid) {
    co_return fail(AssocErrc::invalid_state,
                   std::string(ul::event_name(fx.event)) + " in " + ul::state_name(fx.from));
  }
  if (!fx.send.empty() && conn_.is_open()) {
    auto written = co_await conn_.write(fx.send, settings_.timeouts.operation);
    if (!written) {
      conn_.close();
      fsm_.transport_closed();
      co_return written;
    }
  }
  if (fx.artim == ul::Artim::Start) {
    artim_running_ = true;
  } else if (fx.artim == ul::Artim::Stop) {
    artim_running_ = false;
  }
  if (fx.close_transport) {
    conn_.close();
  }
  co_return Result<void>{};
}

// Reads one PDU and turns whatever happened into a state machine event: a PDU (Evt3..16), a
// decode failure (Evt19), a closed connection (Evt17) or a timeout (Evt18 where ARTIM guards the
// state, otherwise a local abort: the peer went silent).
struct StepOutcome {
  ul::Effects fx;
  std::optional<ul::Pdu> pdu;
  std::error_code cause;  // why there is no PDU
  std::size_t bytes = 0;  // of the PDU read, header included
};

namespace {

asio::awaitable<StepOutcome> next_event(PduConnection& conn, ul::StateMachine& fsm,
                                        const ul::PduLimits& limits, Clock::duration timeout,
                                        bool artim_running) {
  StepOutcome out;
  auto bytes = co_await conn.read_pdu(limits, timeout);
  if (!bytes) {
    out.cause = bytes.error().code;
    if (out.cause == AssocErrc::timed_out) {
      const bool artim_state = fsm.state() == State::Sta2 || fsm.state() == State::Sta13;
      out.fx = (artim_running && artim_state) ? fsm.artim_expired() : fsm.abort_request();
    } else if (out.cause.category() == ul::ul_category()) {
      out.fx = fsm.invalid_pdu_received(out.cause);
    } else {
      out.fx = fsm.transport_closed();
    }
    co_return out;
  }
  out.bytes = bytes->size();
  auto pdu = ul::decode_pdu(*bytes);
  if (!pdu) {
    out.cause = pdu.error().code;
    out.fx = fsm.invalid_pdu_received(out.cause);
    co_return out;
  }
  out.fx = fsm.pdu_received(*pdu);
  out.pdu = std::move(*pdu);
  co_return out;
}

Error outcome_error(const StepOutcome& st) {
  if (st.cause == AssocErrc::timed_out) {
    return Error{make_error_code(AssocErrc::timed_out), {}};
  }
  switch (st.fx.indication) {
    case Indication::PeerAborted:
      return Error{make_error_code(AssocErrc::peer_aborted), {}};
    case Indication::Closed:
    case Indication::ProviderAborted:
      if (st.cause && st.cause.category() != ul::ul_category()) {
        return Error{make_error_code(AssocErrc::connection_closed), st.cause.message()};
      }
      break;
    default:
      break;
  }
  std::string detail = std::string(ul::state_name(st.fx.from)) + " " + ul::event_name(st.fx.event);
  if (st.fx.action) {
    detail += std::string(" -> ") + ul::action_name(*st.fx.action);
  }
  if (st.cause) {
    detail += ": " + st.cause.message();
  }
  return Error{make_error_code(AssocErrc::protocol_error), detail};
}

}  // namespace

asio::awaitable<void> Association::await_close() {
  // PS3.8 Sta13: the peer should close after our RJ/RP/A-ABORT; ARTIM bounds the wait.
  while (fsm_.state() == State::Sta13 && conn_.is_open()) {
    auto st = co_await next_event(conn_, fsm_, limits_, settings_.timeouts.artim, true);
    auto done = co_await execute(st.fx);
    if (!done || st.cause) {
      break;
    }
  }
  conn_.close();
}

[[nodiscard]] asio::awaitable<Result<Association::Ptr>> Association::accept(
    asio::ip::tcp::socket socket, AssociatePolicy policy, AssociationSettings settings) {
  auto assoc = std::make_unique<Association>(std::move(socket), ul::Role::Acceptor, settings);
  Association& a = *assoc;
  a.info_.peer_address = a.conn_.peer_address();
  if (settings.tls) {
    // PS3.15 B.1: the TLS connection is the transport connection; the A-ASSOCIATE-RQ comes
    // inside it. Within ARTIM, like the RQ itself: a silent or plain-DICOM peer gets no more.
    auto secured =
        co_await a.conn_.start_tls(TlsSide::acceptor, *settings.tls, settings.timeouts.artim);
    if (!secured) {
      a.conn_.close();
      co_return fail(secured.error());
    }
    a.info_.tls = true;
    a.info_.tls_peer_subject = a.conn_.peer_subject();
  }
  if (auto started = co_await a.execute(a.fsm_.transport_accepted()); !started) {
    co_return fail(started.error());
  }
  auto st =
      co_await next_event(a.conn_, a.fsm_, a.limits_, settings.timeouts.artim, a.artim_running_);
  if (auto done = co_await a.execute(st.fx); !done) {
    co_return fail(done.error());
  }
  if (st.fx.indication != Indication::AssociateRequest) {
    const Error why = outcome_error(st);
    co_await a.await_close();
    co_return fail(why);
  }
  const auto& rq = std::get<ul::AssociateRq>(*st.pdu);
  a.info_.calling_ae = rq.calling_ae;
  a.info_.called_ae = rq.called_ae;
  a.info_.peer_max_pdu_length = rq.user_info.max_pdu_length;
  a.info_.peer_user_info = rq.user_info;

  AssociateDecision decision = policy(rq, a.info_.peer_address);
  if (auto* rj = std::get_if<ul::AssociateRj>(&decision)) {
    const std::string detail = "result " + std::to_string(static_cast<int>(rj->result)) +
                               " source " + std::to_string(static_cast<int>(rj->source)) +
                               " reason " + std::to_string(rj->reason);
    auto sent = co_await a.execute(a.fsm_.associate_reject(ul::encode(*rj)));
    if (sent) {
      co_await a.await_close();
    }
    co_return fail(AssocErrc::rejected, detail);
  }
  auto& ac = std::get<ul::AssociateAc>(decision);
  ac.called_ae = rq.called_ae;
  ac.calling_ae = rq.calling_ae;
  if (ac.user_info.max_pdu_length == 0) {
    ac.user_info.max_pdu_length = settings.max_pdu_length;
  }
  a.limits_.max_pdata_length = ac.user_info.max_pdu_length;
  a.info_.our_max_pdu_length = ac.user_info.max_pdu_length;
  for (const auto& pc : ac.contexts) {
    if (pc.result != ul::PcResult::Acceptance) {
      continue;
    }
    const auto proposed = std::find_if(rq.contexts.begin(), rq.contexts.end(),
                                       [&](const auto& p) { return p.id == pc.id; });
    if (proposed != rq.contexts.end()) {
      a.info_.contexts.push_back({pc.id, proposed->abstract_syntax, pc.transfer_syntax});
    }
  }
  if (auto sent = co_await a.execute(a.fsm_.associate_accept(ul::encode(ac))); !sent) {
    co_return fail(sent.error());
  }
  co_return assoc;
}

[[nodiscard]] asio::awaitable<Result<Association::Ptr>> Association::request(
    asio::any_io_executor executor, std::string host, uint16_t port, ul::AssociateRq rq,
    AssociationSettings settings) {
  if (rq.user_info.max_pdu_length == 0) {
    rq.user_info.max_pdu_length = settings.max_pdu_length;
  }
  auto assoc =
      std::make_unique<Association>(asio::ip::tcp::socket(executor), ul::Role::Requestor, settings);
  Association& a = *assoc;
  a.limits_.max_pdata_length = rq.user_info.max_pdu_length;
  a.info_.our_max_pdu_length = rq.user_info.max_pdu_length;
  a.info_.calling_ae = rq.calling_ae;
  a.info_.called_ae = rq.called_ae;
  a.info_.peer_address = host;

  const ul::Effects fx = a.fsm_.associate_request(ul::encode(rq));  // AE-1: connect
  if (fx.invalid || !fx.connect) {
    co_return fail(AssocErrc::invalid_state);
  }
  auto connected = co_await a.conn_.connect(host, port, settings.timeouts.connect);
  if (!connected) {
    a.fsm_.transport_closed();
    co_return fail(AssocErrc::connect_failed, connected.error().message());
  }
  if (settings.tls) {
    auto secured =
        co_await a.conn_.start_tls(TlsSide::requestor, *settings.tls, settings.timeouts.connect);
    if (!secured) {
      a.conn_.close();
      a.fsm_.transport_closed();
      co_return fail(secured.error());
    }
    a.info_.tls = true;
    a.info_.tls_peer_subject = a.conn_.peer_subject();
  }
  if (auto sent = co_await a.execute(a.fsm_.transport_connected()); !sent) {  // AE-2: send RQ
    co_return fail(sent.error());
  }
  auto st = co_await next_event(a.conn_, a.fsm_, a.limits_, settings.timeouts.operation, false);
  if (auto done = co_await a.execute(st.fx); !done) {
    co_return fail(done.error());
  }
  if (st.fx.indication == Indication::AssociateRejected) {
    const auto& rj = std::get<ul::AssociateRj>(*st.pdu);
    co_return fail(AssocErrc::rejected, "result " + std::to_string(static_cast<int>(rj.result)) +
                                            " source " +
                                            std::to_string(static_cast<int>(rj.source)) +
                                            " reason " + std::to_string(rj.reason));
  }
  if (st.fx.indication != Indication::AssociateAccepted) {
    const Error why = outcome_error(st);
    if (a.fsm_.state() == State::Sta13) {
      co_await a.await_close();
    }
    a.conn_.close();
    co_return fail(why);
  }
  const auto& ac = std::get<ul::AssociateAc>(*st.pdu);
  a.info_.peer_max_pdu_length = ac.user_info.max_pdu_length;
  a.info_.peer_user_info = ac.user_info;
  for (const auto& pc : ac.contexts) {
    if (pc.result != ul::PcResult::Acceptance) {
      continue;
    }
    const auto proposed = std::find_if(rq.contexts.begin(), rq.contexts.end(),
                                       [&](const auto& p) { return p.id == pc.id; });
    if (proposed != rq.contexts.end()) {
      a.info_.contexts.push_back({pc.id, proposed->abstract_syntax, pc.transfer_syntax});
    }
  }
  co_return assoc;
}

asio::awaitable<void> Association::spill(std::vector<uint8_t> bytes) {
  if (!spool_) {
    auto created = settings_.spooler->create();
    if (!created) {
      assembler_.drop_data_set(dimse::DataSetDropped::spool_failed);
      co_return;
    }
    spool_ = std::move(*created);
  }
  auto appended = co_await settings_.spooler->append(spool_, std::move(bytes));
  if (!appended) {
    spool_.reset();
    assembler_.drop_data_set(dimse::DataSetDropped::spool_failed);
  }
}

asio::awaitable<void> Association::finish_spool(dimse::Message& message) {
  std::shared_ptr<SpoolFile> spool = std::move(spool_);
  Result<void> appended;
  if (!spool) {
    appended = fail(std::errc::io_error, "no spool");  // not reached: a failed spool drops
  } else if (!message.data_set.empty()) {
    appended = co_await settings_.spooler->append(spool, std::move(message.data_set));
  }
  message.data_set = {};
  message.lease.reset();
  if (!appended) {
    message.dropped = dimse::DataSetDropped::spool_failed;
    message.spilled_bytes = 0;
    co_return;
  }
  message.spool = std::move(spool);
}

[[nodiscard]] asio::awaitable<Result<dimse::Message>> Association::receive_message() {
  for (;;) {
    if (!ready_.empty()) {
      dimse::Message m = std::move(ready_.front());
      ready_.pop_front();
      co_return m;
    }
    if (fsm_.state() != State::Sta6 && fsm_.state() != State::Sta7) {
      co_return fail(AssocErrc::invalid_state, ul::state_name(fsm_.state()));
    }
    if (progress_since_ == Clock::time_point{}) {
      progress_since_ = Clock::now();
    }
    auto st = co_await next_event(conn_, fsm_, limits_, current_timeout(), artim_running_);
    if (auto done = co_await execute(st.fx); !done) {
      co_return fail(done.error());
    }
    progress_bytes_ += st.bytes;
    if (st.fx.indication == Indication::PData &&
        settings_.timeouts.progress_window > Clock::duration::zero() &&
        Clock::now() - progress_since_ >= settings_.timeouts.progress_window) {
      if (progress_bytes_ < settings_.timeouts.min_progress_bytes) {
        const uint64_t moved = progress_bytes_;
        spool_.reset();
        co_await execute(fsm_.abort_request());
        conn_.close();
        co_return fail(AssocErrc::no_progress,
                       std::to_string(moved) + " bytes in the progress window");
      }
      progress_since_ = Clock::now();
      progress_bytes_ = 0;
    }
    switch (st.fx.indication) {
      case Indication::PData: {
        for (const auto& pdv : std::get<ul::PData>(*st.pdu).pdvs) {
          if (info_.context(pdv.pc_id) == nullptr) {
            // PS3.8 Annex E: a PDV on a context we did not accept. Refused from its header,
            // before a data set of it is reassembled or spooled (issue 12): A-ABORT, provider
            // source, invalid PDU parameter value.
            spool_.reset();
            co_await execute(fsm_.invalid_pdu_received(
                make_error_code(ul::UlErrc::invalid_pdu_parameter_value)));
            co_await await_close();
            co_return fail(AssocErrc::protocol_error, "PDV on presentation context " +
                                                          std::to_string(pdv.pc_id) +
                                                          ", which was not accepted");
          }
          auto added = assembler_.add(pdv);
          if (!added) {
            spool_.reset();
            // A DIMSE-level violation is still the peer's protocol error: A-ABORT, reason 5.
            auto fx =
                fsm_.invalid_pdu_received(make_error_code(ul::UlErrc::unexpected_pdu_parameter));
            co_await execute(fx);
            co_await await_close();
            co_return fail(AssocErrc::protocol_error, added.error().message());
          }
          if (added->has_value()) {
            if ((*added)->spilled_bytes > 0) {
              co_await finish_spool(**added);
            } else {
              // A data set dropped (receive budget full) after part of it had spilled: its spool
              // goes with it. Kept, the next data set to spill was appended to it, and stored
              // with the dropped one's bytes in front (found by the association_sequence fuzz
              // target).
              spool_.reset();
            }
            ready_.push_back(std::move(**added));
          } else if (assembler_.spill_ready()) {
            co_await spill(assembler_.take_spill());
          }
        }
        continue;
      }
      case Indication::ReleaseRequest: {
        // Synchronous operation: every response owed has been sent, so answer at once (AR-4).
        auto done = co_await execute(fsm_.release_response());
        if (done) {
          co_await await_close();
        }
        conn_.close();
        co_return fail(AssocErrc::released);
      }
      case Indication::None:
        if (st.cause) {
          break;
        }
        continue;  // AA-6: ignored PDU
      default:
        break;
    }
    const Error why = outcome_error(st);
    if (fsm_.state() == State::Sta13) {
      if (st.cause == AssocErrc::timed_out) {
        conn_.close();  // the peer is silent; do not wait another ARTIM for it
      } else {
        co_await await_close();
      }
    }
    conn_.close();
    co_return fail(why);
  }
}

[[nodiscard]] asio::awaitable<Result<void>> Association::send_message(
    uint8_t pc_id, const dimse::Command& command, std::span<const uint8_t> data_set) {
  const ul::Effects fx = fsm_.pdata_request();  // DT-1 in Sta6, AR-7 in Sta8
  if (fx.invalid) {
    co_return fail(AssocErrc::invalid_state, ul::state_name(fsm_.state()));
  }
  const std::vector<uint8_t> command_bytes = dimse::encode_command(command);
  const auto pdus = dimse::fragment_message(pc_id, command_bytes, data_set,
                                            info_.peer_max_pdu_length, settings_.max_pdu_length);
  auto written = co_await conn_.write_pdata(pdus, settings_.timeouts.operation);
  if (!written) {
    conn_.close();
    fsm_.transport_closed();
  }
  co_return written;
}

[[nodiscard]] asio::awaitable<Result<void>> Association::send_message(uint8_t pc_id,
                                                                      const dimse::Command& command,
                                                                      const DataSetPieces& pieces) {
  const ul::Effects fx = fsm_.pdata_request();  // DT-1 in Sta6, AR-7 in Sta8
  if (fx.invalid) {
    co_return fail(AssocErrc::invalid_state, ul::state_name(fsm_.state()));
  }
  auto fail_transport = [this](Result<void> written) {
    conn_.close();
    fsm_.transport_closed();
    return written;
  };
  const std::vector<uint8_t> command_bytes = dimse::encode_command(command);
  const auto command_pdus = dimse::fragment_message(
      pc_id, command_bytes, {}, info_.peer_max_pdu_length, settings_.max_pdu_length);
  if (auto written = co_await conn_.write_pdata(command_pdus, settings_.timeouts.operation);
      !written) {
    co_return fail_transport(std::move(written));
  }
  // A few PDUs per piece: one read from storage feeds several writes.
  const std::size_t piece_bytes =
      8 * dimse::max_fragment_bytes(info_.peer_max_pdu_length, settings_.max_pdu_length);
  for (;;) {
    auto piece = co_await pieces(piece_bytes);
    if (!piece) {
      co_await abort();  // the PACS must not keep a data set that stops half-way
      co_return fail(std::move(piece.error()));
    }
    auto pdus = dimse::fragment_data_piece(pc_id, piece->bytes, piece->last,
                                           info_.peer_max_pdu_length, settings_.max_pdu_length);
    if (!pdus) {
      co_await abort();
      co_return fail(std::move(pdus.error()));
    }
    if (auto written = co_await conn_.write_pdata(*pdus, settings_.timeouts.operation); !written) {
      co_return fail_transport(std::move(written));
    }
    if (piece->last) {
      co_return Result<void>{};
    }
  }
}

[[nodiscard]] asio::awaitable<Result<void>> Association::release() {
  if (auto sent = co_await execute(fsm_.release_request()); !sent) {  // AR-1
    co_return sent;
  }
  for (;;) {
    auto st = co_await next_event(conn_, fsm_, limits_, settings_.timeouts.operation, false);
    if (auto done = co_await execute(st.fx); !done) {
      co_return done;
    }
    switch (st.fx.indication) {
      case Indication::ReleaseConfirm:  // AR-3 (closes) or AR-10 (collision, acceptor)
        if (fsm_.state() == State::Sta12) {
          co_await execute(fsm_.release_response());
        }
        conn_.close();
        co_return Result<void>{};
      case Indication::PData:  // AR-6: a late response; nothing is waiting for it
        continue;
      case Indication::ReleaseRequest:  // AR-8: collision; as requestor answer RP (AR-9)
        if (auto rp = co_await execute(fsm_.release_response()); !rp) {
          co_return rp;
        }
        continue;
      default:
        break;
    }
    const Error why = outcome_error(st);
    conn_.close();
    co_return fail(why);
  }
}

asio::awaitable<void> Association::abort() {
  if (fsm_.connected() && fsm_.state() != State::Sta13) {
    co_await execute(fsm_.abort_request());
  }
  conn_.close();
}

}  // namespace acc::dicom::net
