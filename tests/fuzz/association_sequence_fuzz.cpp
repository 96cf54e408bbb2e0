// Stateful libFuzzer target for the association acceptor (issue 12): the input is what a hostile
// peer sends on one accepted TCP connection, and the harness drives with it, sans-I/O, what the
// daemon's receive path drives: the PS3.8 state machine as dicom/net/association.cpp does
// (accept(), receive_message(), await_close()), router/receive's negotiation, the DIMSE assembler
// with its spool, and the Storage SCP's answers. The single-PDU targets cannot reach what needs a
// sequence: a P-DATA before the AC, a PDV on a refused context, memory held across PDUs.
// The driver logic here mirrors dicom/net/association.cpp rather than calling it (that code is
// bound to a socket): a fix to one must be made in the other, as the stale-spool fix was.
//
// Input: steps of [control byte][PDU]. The control byte says what else happens at that step
// (kinds and flags below); a PDU follows unless the peer stays silent. PDUs are cut from the
// stream by their header's length, as PduConnection::read_pdu reads a socket: a header that
// decode_pdu_header refuses consumes its 6 bytes only, and a PDU cut short by the end of the input
// is the peer closing the connection.
//
// Invariants (__builtin_trap):
//  - every event fed and every primitive issued finds a cell in Table 9-10 (no Effects::invalid,
//    always an action), and the states chain;
//  - nothing is fed once the machine is back in Sta1, and after Closed, PeerAborted or
//    ProviderAborted only Sta13's wait for the close;
//  - Effects::send decodes as the PDU its action calls for (A-ABORT source and reason included);
//  - an A-ASSOCIATE-AC answers each proposed context once, in order, each with a transfer syntax
//    sub-item, and accepts only a transfer syntax that was proposed;
//  - PDVs reach the assembler only on DT-2/AR-6 and only for contexts the AC we sent accepted; a
//    PDV on another context is answered A-ABORT (provider, reason 6);
//  - the assembler holds at most its limit; a message carries exactly the data bytes fed for it
//    (in memory or spooled) unless it was dropped, and leaves no spool behind; the receive budget
//    is all given back at the end;
//  - a response goes out in P-DATA-TF PDUs that decode, fit the peer's maximum PDU length and
//    join into the command set encoded.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <utility>
#include <variant>
#include <vector>

#include "common/byte_budget.hpp"
#include "dicom/dimse/command.hpp"
#include "dicom/dimse/message.hpp"
#include "dicom/dimse/status.hpp"
#include "dicom/ul/fsm.hpp"
#include "dicom/ul/pdu.hpp"
#include "router/receive/association_acceptor.hpp"

namespace {

using namespace acc::dicom;
using ul::Action;
using ul::Effects;
using ul::Event;
using ul::Indication;
using ul::State;

void check(bool ok) {
  if (!ok) {
    __builtin_trap();
  }
}

// What the daemon announces and accepts (AssociationSettings::max_pdu_length, [server]).
constexpr uint32_t kMaxPdu = 16384;
constexpr const char* kOurAe = "ACCESSIONER";
// Small limits keep memory bounded and put the limits' edges within reach of short inputs; the
// spool threshold and the budget are what make a data set spill or be dropped.
constexpr dimse::AssemblerLimits kAssemblerLimits{.max_command_bytes = 512,
                                                  .max_data_set_bytes = 4096,
                                                  .budget = nullptr,
                                                  .spool_above_bytes = 512};
constexpr uint64_t kBudgetBytes = 1536;

// Control byte: the top three bits pick what happens at the step, the low bits qualify it. A
// seed's plain steps are 0x00.
enum class Kind : uint8_t {
  Read,           // the peer sends the PDU that follows (0..3: most random bytes just read)
  Silence = 4,    // the peer says nothing until the read times out (ARTIM, or the idle timer)
  WriteFails,     // a PDU follows; our next write on this step fails (the peer reset)
  ShortProgress,  // a PDU follows; if it is P-DATA, its progress window ends under the minimum
  Release,        // in Sta6 we send A-RELEASE-RQ before reading on (Association::release())
};
constexpr uint8_t kAtCapacity = 0x01;  // the RQ read at this step finds every slot taken
constexpr uint8_t kAllowList = 0x02;   // it meets a calling-AE allow-list naming MODALITY only
constexpr uint8_t kSpoolFails = 0x04;  // the spool file refuses what this step writes to it

Kind kind_of(uint8_t control) {
  const auto k = static_cast<uint8_t>(control >> 5);
  return k < 4 ? Kind::Read : static_cast<Kind>(k);
}

// The peer's side of the connection: the input, read as PduConnection::read_pdu reads a socket.
class Peer {
 public:
  explicit Peer(std::span<const uint8_t> input) : input_(input) {}

  [[nodiscard]] std::optional<uint8_t> peek_control() const {
    return pos_ < input_.size() ? std::optional<uint8_t>(input_[pos_]) : std::nullopt;
  }
  [[nodiscard]] std::optional<uint8_t> control() {
    auto c = peek_control();
    pos_ += c ? 1 : 0;
    return c;
  }

  struct Read {
    std::error_code refused;         // decode_pdu_header's verdict on the header
    std::span<const uint8_t> bytes;  // the whole PDU; empty: the connection closed
  };
  [[nodiscard]] Read read_pdu(const ul::PduLimits& limits) {
    const std::size_t left = input_.size() - pos_;
    if (left < ul::kPduHeaderLength) {
      pos_ = input_.size();
      return {};
    }
    const auto header = ul::decode_pdu_header(input_.subspan(pos_, ul::kPduHeaderLength), limits);
    if (!header) {
      pos_ += ul::kPduHeaderLength;
      return {header.error().code, {}};
    }
    const std::size_t total = ul::kPduHeaderLength + header->length;
    if (left < total) {
      pos_ = input_.size();
      return {};
    }
    const auto bytes = input_.subspan(pos_, total);
    pos_ += total;
    return {{}, bytes};
  }

 private:
  std::span<const uint8_t> input_;
  std::size_t pos_ = 0;
};

// association.cpp's StepOutcome: the event one read turned into, and why there is no PDU.
enum class Cause { None, Closed, TimedOut, BadPdu };
struct Step {
  Effects fx;
  std::optional<ul::Pdu> pdu;
  Cause cause = Cause::None;
  uint8_t control = 0;
};

// A complete message as StorageScp::serve gets it; `spooled` stands for Message::spool.
struct Delivered {
  dimse::Message message;
  std::optional<std::vector<uint8_t>> spooled;
};

// What the peer decodes from bytes we send; they must decode, as a P.
template <class P>
P sent_as(std::span<const uint8_t> bytes) {
  const auto pdu = ul::decode_pdu(bytes);
  check(pdu.has_value());
  const P* p = std::get_if<P>(&*pdu);
  check(p != nullptr);
  return *p;
}

dimse::Command unrecognized(const dimse::Command& rq) {  // as storage_scp.cpp answers
  dimse::Command rsp;
  rsp.CommandField =
      static_cast<dimse::CommandField>(static_cast<uint16_t>(rq.CommandField) | 0x8000);
  rsp.AffectedSOPClassUID = rq.AffectedSOPClassUID;
  rsp.MessageIDBeingRespondedTo = rq.MessageID.value_or(0);
  rsp.Status = dimse::status::kUnrecognizedOperation;
  return rsp;
}

class Driver {
 public:
  Driver(std::span<const uint8_t> input, acc::ByteBudget& budget)
      : peer_(input), assembler_(with_budget(budget)) {}

  // DicomListener::session: Association::accept, then StorageScp::serve.
  void run() {
    if (accept()) {
      serve();
    }
  }

 private:
  static dimse::AssemblerLimits with_budget(acc::ByteBudget& budget) {
    dimse::AssemblerLimits limits = kAssemblerLimits;
    limits.budget = &budget;
    return limits;
  }

  // Every Effects the machine returns comes here first.
  void observe(const Effects& fx) {
    check(!fx.invalid && fx.action.has_value());
    check(fx.from == state_ && fx.to == fsm_.state());
    // Nothing once the connection is over; after an end indication only Sta13's wait.
    check(!started_ || fx.from != State::Sta1);
    check(!ended_ || fx.from == State::Sta13);
    started_ = true;
    check_sent(fx);
    if (fx.indication == Indication::Closed || fx.indication == Indication::PeerAborted ||
        fx.indication == Indication::ProviderAborted) {
      ended_ = true;
    }
    state_ = fx.to;
    last_action_ = *fx.action;
  }

  // Effects::send is the whole PDU the action calls for (PS3.8 Tables 9-6 to 9-9).
  void check_sent(const Effects& fx) const {
    using enum Action;
    const Action a = *fx.action;
    const bool rejects = a == AE_6 && fx.to == State::Sta13;
    const bool sends = rejects || a == AE_7 || a == AE_8 || a == AR_1 || a == AR_4 || a == AR_9 ||
                       a == AA_1 || a == AA_7 || a == AA_8;
    check(sends != fx.send.empty());
    if (!sends) {
      return;
    }
    switch (a) {
      case AE_6:
        check(sent_as<ul::AssociateRj>(fx.send) ==
              ul::AssociateRj{ul::RjResult::RejectedPermanent, ul::RjSource::ServiceProviderAcse,
                              ul::rj_reason::kProtocolVersionNotSupported});
        break;
      case AE_7:
        (void)sent_as<ul::AssociateAc>(fx.send);
        break;
      case AE_8:
        (void)sent_as<ul::AssociateRj>(fx.send);
        break;
      case AR_1:
        (void)sent_as<ul::ReleaseRq>(fx.send);
        break;
      case AR_4:
      case AR_9:
        (void)sent_as<ul::ReleaseRp>(fx.send);
        break;
      default: {  // AA-1, AA-7, AA-8
        const auto abort = sent_as<ul::Abort>(fx.send);
        if (fx.event == Event::Evt15) {
          check(abort == ul::Abort{ul::AbortSource::ServiceUser, ul::AbortReason::NotSpecified});
        } else {
          const auto reason = fx.event == Event::Evt19 ? ul::abort_reason_for(why_)
                                                       : ul::AbortReason::UnexpectedPdu;
          check(abort == ul::Abort{ul::AbortSource::ServiceProvider, reason});
        }
      }
    }
  }

  Effects invalid_pdu(std::error_code why) {
    why_ = why;
    return fsm_.invalid_pdu_received(why);
  }

  // Association::execute: send, ARTIM, close. The write fails when the step says so.
  bool execute(const Effects& fx) {
    observe(fx);
    if (!fx.send.empty() && open_ && write_fails_) {
      open_ = false;
      observe(fsm_.transport_closed());
      return false;
    }
    if (fx.artim == ul::Artim::Start) {
      artim_running_ = true;
    } else if (fx.artim == ul::Artim::Stop) {
      artim_running_ = false;
    }
    if (fx.close_transport) {
      open_ = false;
    }
    return true;
  }

  // association.cpp's next_event(): one read, or its timeout, as an event.
  Step next_event(bool artim_running) {
    Step st;
    const auto control = peer_.control();
    if (!control) {
      st.cause = Cause::Closed;
      st.fx = fsm_.transport_closed();
      return st;
    }
    st.control = *control;
    write_fails_ = kind_of(*control) == Kind::WriteFails;
    spool_fails_ = (*control & kSpoolFails) != 0;
    if (kind_of(*control) == Kind::Silence) {
      st.cause = Cause::TimedOut;
      const bool artim_state = fsm_.state() == State::Sta2 || fsm_.state() == State::Sta13;
      st.fx = (artim_running && artim_state) ? fsm_.artim_expired() : fsm_.abort_request();
      return st;
    }
    const Peer::Read read = peer_.read_pdu(limits_);
    if (read.refused) {
      st.cause = Cause::BadPdu;
      st.fx = invalid_pdu(read.refused);
      return st;
    }
    if (read.bytes.empty()) {
      st.cause = Cause::Closed;
      st.fx = fsm_.transport_closed();
      return st;
    }
    auto pdu = ul::decode_pdu(read.bytes);
    if (!pdu) {
      st.cause = Cause::BadPdu;
      st.fx = invalid_pdu(pdu.error().code);
      return st;
    }
    st.fx = fsm_.pdu_received(*pdu);
    st.pdu = std::move(*pdu);
    return st;
  }

  // Association::await_close: Sta13 reads (and ignores) until the peer closes or ARTIM expires.
  void await_close() {
    while (fsm_.state() == State::Sta13 && open_) {
      const Step st = next_event(true);
      if (!execute(st.fx) || st.cause != Cause::None) {
        break;
      }
    }
    open_ = false;
  }

  // Association::accept with DicomListener's policy: true when the association is established.
  bool accept() {
    if (!execute(fsm_.transport_accepted())) {
      return false;
    }
    check(fsm_.state() == State::Sta2 && artim_running_);
    const Step st = next_event(artim_running_);
    if (!execute(st.fx)) {
      return false;
    }
    if (st.fx.indication != Indication::AssociateRequest) {
      await_close();
      return false;
    }
    const auto& rq = std::get<ul::AssociateRq>(*st.pdu);
    peer_max_pdu_ = rq.user_info.max_pdu_length;

    acc::router::AcceptorPolicy policy{
        .ae_title = kOurAe, .allowed_calling_ae = std::nullopt, .max_pdu_length = kMaxPdu};
    if ((st.control & kAllowList) != 0) {
      policy.allowed_calling_ae = std::vector<std::string>{"MODALITY"};
    }
    auto decision = acc::router::negotiate_association(rq, policy, (st.control & kAtCapacity) != 0);
    if (const auto* rj = std::get_if<ul::AssociateRj>(&decision)) {
      Effects fx = fsm_.associate_reject(ul::encode(*rj));
      check(sent_as<ul::AssociateRj>(fx.send) == *rj);
      if (execute(fx)) {
        await_close();
      }
      return false;
    }
    auto& ac = std::get<ul::AssociateAc>(decision);
    ac.called_ae = rq.called_ae;
    ac.calling_ae = rq.calling_ae;
    if (ac.user_info.max_pdu_length == 0) {
      ac.user_info.max_pdu_length = kMaxPdu;
    }
    limits_.max_pdata_length = ac.user_info.max_pdu_length;
    for (const auto& pc : ac.contexts) {
      if (pc.result != ul::PcResult::Acceptance) {
        continue;
      }
      const auto proposed = std::find_if(rq.contexts.begin(), rq.contexts.end(),
                                         [&](const auto& p) { return p.id == pc.id; });
      if (proposed != rq.contexts.end()) {
        accepted_.push_back(pc.id);  // AssociationInfo::contexts
      }
    }
    std::vector<uint8_t> bytes = ul::encode(ac);
    check_ac(rq, bytes);
    return execute(fsm_.associate_accept(std::move(bytes)));
  }

  // The AC as the peer decodes it: one answer per proposed context, in order, each with a
  // transfer syntax sub-item (PS3.8 Table 9-18, issue 12). Its accepted contexts are the oracle
  // the PDVs are checked against, independent of the driver's own bookkeeping.
  void check_ac(const ul::AssociateRq& rq, const std::vector<uint8_t>& bytes) {
    const auto ac = sent_as<ul::AssociateAc>(bytes);
    check(ac.contexts.size() == rq.contexts.size());
    for (std::size_t i = 0; i < ac.contexts.size(); ++i) {
      const auto& answer = ac.contexts[i];
      const auto& proposed = rq.contexts[i];
      check(answer.id == proposed.id);
      check(!answer.transfer_syntax.empty());
      if (answer.result == ul::PcResult::Acceptance) {
        check(std::find(proposed.transfer_syntaxes.begin(), proposed.transfer_syntaxes.end(),
                        answer.transfer_syntax) != proposed.transfer_syntaxes.end());
        oracle_accepted_.push_back(answer.id);
      }
    }
  }

  [[nodiscard]] bool accepted(uint8_t pc_id) const {  // AssociationInfo::context(pc_id)
    return std::find(accepted_.begin(), accepted_.end(), pc_id) != accepted_.end();
  }

  // StorageScp::serve over Association::receive_message.
  void serve() {
    for (;;) {
      while (!ready_.empty()) {
        Delivered d = std::move(ready_.front());
        ready_.pop_front();
        if (!respond(d)) {
          return;
        }
      }
      if (fsm_.state() != State::Sta6 && fsm_.state() != State::Sta7) {
        return;  // receive_message: invalid_state
      }
      if (const auto c = peer_.peek_control();
          c && kind_of(*c) == Kind::Release && fsm_.state() == State::Sta6) {
        release();
        return;
      }
      const Step st = next_event(artim_running_);
      if (!execute(st.fx)) {
        return;
      }
      if (st.fx.indication == Indication::PData && kind_of(st.control) == Kind::ShortProgress) {
        spool_.reset();  // the progress window ended under min_progress_bytes: A-ABORT, close
        execute(fsm_.abort_request());
        open_ = false;
        return;
      }
      switch (st.fx.indication) {
        case Indication::PData:
          if (!deliver(std::get<ul::PData>(*st.pdu))) {
            return;
          }
          continue;
        case Indication::ReleaseRequest: {
          // Synchronous operation: every response owed has been sent, so answer at once (AR-4).
          if (execute(fsm_.release_response())) {
            await_close();
          }
          open_ = false;
          return;
        }
        case Indication::None:
          if (st.cause != Cause::None) {
            break;
          }
          continue;
        default:
          break;
      }
      if (fsm_.state() == State::Sta13) {
        if (st.cause == Cause::TimedOut) {
          open_ = false;
        } else {
          await_close();
        }
      }
      open_ = false;
      return;
    }
  }

  // receive_message's P-DATA branch. False when the association ended.
  bool deliver(const ul::PData& pdata) {
    for (const auto& pdv : pdata.pdvs) {
      if (!accepted(pdv.pc_id)) {
        // PS3.8 Annex E: refused from its header, A-ABORT (provider, invalid PDU parameter value).
        spool_.reset();
        const Effects fx = invalid_pdu(make_error_code(ul::UlErrc::invalid_pdu_parameter_value));
        check(fx.action == Action::AA_8 &&
              sent_as<ul::Abort>(fx.send) == ul::Abort{ul::AbortSource::ServiceProvider,
                                                       ul::AbortReason::InvalidPduParameterValue});
        execute(fx);
        await_close();
        return false;
      }
      if (!feed(pdv)) {
        return false;
      }
    }
    return true;
  }

  // One PDV to the assembler; the spool handling of receive_message.
  bool feed(const ul::Pdv& pdv) {
    check(!ended_ && (state_ == State::Sta6 || state_ == State::Sta7));
    check(last_action_ == Action::DT_2 || last_action_ == Action::AR_6);
    check(std::find(oracle_accepted_.begin(), oracle_accepted_.end(), pdv.pc_id) !=
          oracle_accepted_.end());
    if (!pdv.is_command()) {
      fed_.insert(fed_.end(), pdv.fragment.begin(), pdv.fragment.end());
    }
    auto added = assembler_.add(pdv);
    check(assembler_.data_set_bytes() <= kAssemblerLimits.max_data_set_bytes);
    if (!added) {
      // A DIMSE-level violation is still the peer's protocol error: A-ABORT, reason 5.
      spool_.reset();
      const Effects fx = invalid_pdu(make_error_code(ul::UlErrc::unexpected_pdu_parameter));
      execute(fx);
      await_close();
      return false;
    }
    if (added->has_value()) {
      Delivered d{std::move(**added), std::nullopt};
      if (d.message.spilled_bytes > 0) {
        finish_spool(d);
      } else {
        spool_.reset();  // as Association::receive_message: a dropped data set's spool goes too
      }
      check_message(d);
      ready_.push_back(std::move(d));
    } else if (assembler_.spill_ready()) {
      spill(assembler_.take_spill());
    }
    return true;
  }

  // Association::spill with a spool file that is a vector (and fails when the step says so).
  void spill(std::vector<uint8_t> bytes) {
    if (!spool_) {
      if (spool_fails_) {
        assembler_.drop_data_set(dimse::DataSetDropped::spool_failed);
        return;
      }
      spool_.emplace();
    }
    if (spool_fails_) {
      spool_.reset();
      assembler_.drop_data_set(dimse::DataSetDropped::spool_failed);
      return;
    }
    spool_->insert(spool_->end(), bytes.begin(), bytes.end());
  }

  // Association::finish_spool.
  void finish_spool(Delivered& d) {
    auto spool = std::exchange(spool_, std::nullopt);
    bool appended = spool.has_value();
    if (spool && !d.message.data_set.empty()) {
      appended = !spool_fails_;
      spool->insert(spool->end(), d.message.data_set.begin(), d.message.data_set.end());
    }
    d.message.data_set = {};
    d.message.lease.reset();
    if (!appended) {
      d.message.dropped = dimse::DataSetDropped::spool_failed;
      d.message.spilled_bytes = 0;
      return;
    }
    d.spooled = std::move(spool);
  }

  // A complete message carries exactly the data bytes fed for it, unless it was dropped, and
  // leaves no spool file behind for the next one.
  void check_message(const Delivered& d) {
    const auto& m = d.message;
    check(std::find(oracle_accepted_.begin(), oracle_accepted_.end(), m.pc_id) !=
          oracle_accepted_.end());
    check(m.command.has_data_set() || fed_.empty());
    check(!spool_.has_value());
    if (m.dropped == dimse::DataSetDropped::no) {
      std::vector<uint8_t> content = d.spooled.value_or(std::vector<uint8_t>{});
      content.insert(content.end(), m.data_set.begin(), m.data_set.end());
      check(content == fed_);
    } else {
      check(m.data_set.empty() && !d.spooled);
    }
    fed_.clear();
  }

  // StorageScp::serve's answer to one message (the store itself is not the receive path's).
  bool respond(const Delivered& d) {
    const auto& m = d.message;
    // StorageScp aborts a message on an unaccepted context; none gets here, its PDVs were.
    check(accepted(m.pc_id));
    dimse::Command rsp;
    switch (m.command.CommandField) {
      case dimse::CommandField::CEchoRq:
        rsp = dimse::make_c_echo_rsp(m.command, dimse::status::kSuccess);
        break;
      case dimse::CommandField::CStoreRq:
        rsp = dimse::make_c_store_rsp(m.command, m.dropped == dimse::DataSetDropped::no
                                                     ? dimse::status::kSuccess
                                                     : dimse::status::kOutOfResources);
        break;
      case dimse::CommandField::CCancelRq:
        return true;  // PS3.7 9.3.2.3: no response
      default:
        rsp = unrecognized(m.command);
        break;
    }
    return send_message(m.pc_id, rsp);
  }

  // Association::send_message: DT-1, then the PDUs fragment_message cuts for the peer.
  bool send_message(uint8_t pc_id, const dimse::Command& rsp) {
    observe(fsm_.pdata_request());
    const std::vector<uint8_t> command = dimse::encode_command(rsp);
    const auto pdus = dimse::fragment_message(pc_id, command, {}, peer_max_pdu_, kMaxPdu);
    const uint32_t max = std::max(peer_max_pdu_ != 0 ? peer_max_pdu_ : kMaxPdu, uint32_t{8});
    // The bytes, not decode_command: the peer reads responses our decoder need not know (an
    // N-EVENT-REPORT-RQ is answered 0x8100, unrecognized operation).
    std::vector<uint8_t> joined;
    for (std::size_t i = 0; i < pdus.size(); ++i) {
      std::vector<uint8_t> bytes(pdus[i].header.begin(), pdus[i].header.end());
      bytes.insert(bytes.end(), pdus[i].payload.begin(), pdus[i].payload.end());
      check(bytes.size() - ul::kPduHeaderLength <= max);
      const auto pdu = ul::decode_pdu(bytes);
      check(pdu.has_value());
      const auto& pdata = std::get<ul::PData>(*pdu);
      check(pdata.pdvs.size() == 1 && pdata.pdvs[0].pc_id == pc_id);
      check(pdata.pdvs[0].is_command() && pdata.pdvs[0].is_last() == (i + 1 == pdus.size()));
      joined.insert(joined.end(), pdata.pdvs[0].fragment.begin(), pdata.pdvs[0].fragment.end());
    }
    check(joined == command);
    if (write_fails_) {
      open_ = false;
      observe(fsm_.transport_closed());
      return false;
    }
    return true;
  }

  // Association::release() as the acceptor. The daemon never releases as acceptor; doing it here
  // puts Sta7, Sta10 and Sta12 (release collision, AR-6 P-DATA) within the fuzzer's reach.
  void release() {
    if (!execute(fsm_.release_request())) {
      return;
    }
    for (;;) {
      const Step st = next_event(false);
      if (!execute(st.fx)) {
        return;
      }
      switch (st.fx.indication) {
        case Indication::ReleaseConfirm:  // AR-3 (closes) or AR-10 (collision, acceptor)
          if (fsm_.state() == State::Sta12) {
            execute(fsm_.release_response());
          }
          open_ = false;
          return;
        case Indication::PData:  // AR-6: a late message; nothing is waiting for it
          continue;
        case Indication::ReleaseRequest:
          // AR-8, a collision. release() answers it at once, right for a requestor (Sta9, AR-9);
          // an acceptor is in Sta10, where Table 9-10 has no A-RELEASE response: it answers after
          // the peer's A-RELEASE-RP (AR-10, Sta12), above.
          if (fsm_.state() == State::Sta9 && !execute(fsm_.release_response())) {
            return;
          }
          continue;
        default:
          break;
      }
      open_ = false;
      return;
    }
  }

  ul::StateMachine fsm_{ul::Role::Acceptor};
  Peer peer_;
  ul::PduLimits limits_{.max_pdata_length = kMaxPdu, .max_association_length = 64u << 10};
  dimse::MessageAssembler assembler_;
  std::deque<Delivered> ready_;
  std::optional<std::vector<uint8_t>> spool_;  // of the data set in progress, once it spilled
  std::vector<uint8_t> fed_;                   // data bytes given to the assembler since the last
                                               // message
  std::vector<uint8_t> accepted_;              // the driver's AssociationInfo::contexts
  std::vector<uint8_t> oracle_accepted_;       // from the AC as sent
  uint32_t peer_max_pdu_ = 0;
  std::error_code why_;  // of the last Evt19
  State state_ = State::Sta1;
  Action last_action_ = Action::AE_5;
  bool started_ = false;
  bool ended_ = false;
  bool open_ = true;
  bool artim_running_ = false;
  bool write_fails_ = false;
  bool spool_fails_ = false;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // DicomListener's receive budget, shared by every association; here this one's alone.
  acc::ByteBudget budget(kBudgetBytes);
  {
    Driver driver(std::span<const uint8_t>(data, size), budget);
    driver.run();
  }
  check(budget.in_use() == 0);
  return 0;
}
