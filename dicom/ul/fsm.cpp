#include "dicom/ul/fsm.hpp"

#include <array>

namespace acc::dicom::ul {
namespace {

constexpr std::size_t kStates = 13;
constexpr std::size_t kEvents = 19;

struct Cell {
  bool defined = false;
  Action action = Action::AA_1;
  State next = State::Sta1;
};

using Row = std::array<Cell, kStates>;

constexpr Cell c(Action a, State next) {
  return Cell{true, a, next};
}
constexpr Cell none() {
  return Cell{};
}

using enum Action;
using enum State;

// PS3.8 Table 9-10, one row per event, columns Sta1..Sta13. Transcribed cell by cell; the unit
// test fsm_table_test.cpp checks every cell again against an independent listing.
constexpr std::array<Row, kEvents> kTable = {{
    // Evt1 A-ASSOCIATE request (local)
    {c(AE_1, Sta4), none(), none(), none(), none(), none(), none(), none(), none(), none(), none(),
     none(), none()},
    // Evt2 transport connect confirm
    {none(), none(), none(), c(AE_2, Sta5), none(), none(), none(), none(), none(), none(), none(),
     none(), none()},
    // Evt3 A-ASSOCIATE-AC PDU
    {none(), c(AA_1, Sta13), c(AA_8, Sta13), none(), c(AE_3, Sta6), c(AA_8, Sta13), c(AA_8, Sta13),
     c(AA_8, Sta13), c(AA_8, Sta13), c(AA_8, Sta13), c(AA_8, Sta13), c(AA_8, Sta13),
     c(AA_6, Sta13)},
    // Evt4 A-ASSOCIATE-RJ PDU
    {none(), c(AA_1, Sta13), c(AA_8, Sta13), none(), c(AE_4, Sta1), c(AA_8, Sta13), c(AA_8, Sta13),
     c(AA_8, Sta13), c(AA_8, Sta13), c(AA_8, Sta13), c(AA_8, Sta13), c(AA_8, Sta13),
     c(AA_6, Sta13)},
    // Evt5 transport connection indication
    {c(AE_5, Sta2), none(), none(), none(), none(), none(), none(), none(), none(), none(), none(),
     none(), none()},
    // Evt6 A-ASSOCIATE-RQ PDU (AE-6 goes to Sta3, or Sta13 when the provider rejects)
    {none(), c(AE_6, Sta3), c(AA_8, Sta13), none(), c(AA_8, Sta13), c(AA_8, Sta13), c(AA_8, Sta13),
     c(AA_8, Sta13), c(AA_8, Sta13), c(AA_8, Sta13), c(AA_8, Sta13), c(AA_8, Sta13),
     c(AA_7, Sta13)},
    // Evt7 A-ASSOCIATE response (accept)
    {none(), none(), c(AE_7, Sta6), none(), none(), none(), none(), none(), none(), none(), none(),
     none(), none()},
    // Evt8 A-ASSOCIATE response (reject)
    {none(), none(), c(AE_8, Sta13), none(), none(), none(), none(), none(), none(), none(), none(),
     none(), none()},
    // Evt9 P-DATA request (local)
    {none(), none(), none(), none(), none(), c(DT_1, Sta6), none(), c(AR_7, Sta8), none(), none(),
     none(), none(), none()},
    // Evt10 P-DATA-TF PDU
    {none(), c(AA_1, Sta13), c(AA_8, Sta13), none(), c(AA_8, Sta13), c(DT_2, Sta6), c(AR_6, Sta7),
     c(AA_8, Sta13), c(AA_8, Sta13), c(AA_8, Sta13), c(AA_8, Sta13), c(AA_8, Sta13),
     c(AA_6, Sta13)},
    // Evt11 A-RELEASE request (local)
    {none(), none(), none(), none(), none(), c(AR_1, Sta7), none(), none(), none(), none(), none(),
     none(), none()},
    // Evt12 A-RELEASE-RQ PDU (AR-8 goes to Sta9 as requestor, Sta10 as acceptor)
    {none(), c(AA_1, Sta13), c(AA_8, Sta13), none(), c(AA_8, Sta13), c(AR_2, Sta8), c(AR_8, Sta9),
     c(AA_8, Sta13), c(AA_8, Sta13), c(AA_8, Sta13), c(AA_8, Sta13), c(AA_8, Sta13),
     c(AA_6, Sta13)},
    // Evt13 A-RELEASE-RP PDU
    {none(), c(AA_1, Sta13), c(AA_8, Sta13), none(), c(AA_8, Sta13), c(AA_8, Sta13), c(AR_3, Sta1),
     c(AA_8, Sta13), c(AA_8, Sta13), c(AR_10, Sta12), c(AR_3, Sta1), c(AA_8, Sta13),
     c(AA_6, Sta13)},
    // Evt14 A-RELEASE response (local)
    {none(), none(), none(), none(), none(), none(), none(), c(AR_4, Sta13), c(AR_9, Sta11), none(),
     none(), c(AR_4, Sta13), none()},
    // Evt15 A-ABORT request (local)
    {none(), none(), c(AA_1, Sta13), c(AA_2, Sta1), c(AA_1, Sta13), c(AA_1, Sta13), c(AA_1, Sta13),
     c(AA_1, Sta13), c(AA_1, Sta13), c(AA_1, Sta13), c(AA_1, Sta13), c(AA_1, Sta13), none()},
    // Evt16 A-ABORT PDU
    {none(), c(AA_2, Sta1), c(AA_3, Sta1), none(), c(AA_3, Sta1), c(AA_3, Sta1), c(AA_3, Sta1),
     c(AA_3, Sta1), c(AA_3, Sta1), c(AA_3, Sta1), c(AA_3, Sta1), c(AA_3, Sta1), c(AA_2, Sta1)},
    // Evt17 transport connection closed
    {none(), c(AA_5, Sta1), c(AA_4, Sta1), c(AA_4, Sta1), c(AA_4, Sta1), c(AA_4, Sta1),
     c(AA_4, Sta1), c(AA_4, Sta1), c(AA_4, Sta1), c(AA_4, Sta1), c(AA_4, Sta1), c(AA_4, Sta1),
     c(AR_5, Sta1)},
    // Evt18 ARTIM timer expired
    {none(), c(AA_2, Sta1), none(), none(), none(), none(), none(), none(), none(), none(), none(),
     none(), c(AA_2, Sta1)},
    // Evt19 unrecognized or invalid PDU
    {none(), c(AA_1, Sta13), c(AA_8, Sta13), none(), c(AA_8, Sta13), c(AA_8, Sta13), c(AA_8, Sta13),
     c(AA_8, Sta13), c(AA_8, Sta13), c(AA_8, Sta13), c(AA_8, Sta13), c(AA_8, Sta13),
     c(AA_7, Sta13)},
}};

constexpr std::array<const char*, kStates> kStateNames = {"Sta1",  "Sta2",  "Sta3", "Sta4", "Sta5",
                                                          "Sta6",  "Sta7",  "Sta8", "Sta9", "Sta10",
                                                          "Sta11", "Sta12", "Sta13"};

constexpr std::array<const char*, 28> kActionNames = {
    "AE-1", "AE-2", "AE-3", "AE-4", "AE-5", "AE-6", "AE-7", "AE-8", "DT-1", "DT-2",
    "AR-1", "AR-2", "AR-3", "AR-4", "AR-5", "AR-6", "AR-7", "AR-8", "AR-9", "AR-10",
    "AA-1", "AA-2", "AA-3", "AA-4", "AA-5", "AA-6", "AA-7", "AA-8"};

Event event_for(const Pdu& pdu) noexcept {
  switch (pdu.index()) {
    case 0:
      return Event::Evt6;  // AssociateRq
    case 1:
      return Event::Evt3;  // AssociateAc
    case 2:
      return Event::Evt4;  // AssociateRj
    case 3:
      return Event::Evt10;  // PData
    case 4:
      return Event::Evt12;  // ReleaseRq
    case 5:
      return Event::Evt13;  // ReleaseRp
    default:
      return Event::Evt16;  // Abort
  }
}

std::vector<uint8_t> abort_pdu(AbortSource source, AbortReason reason) {
  return encode(
      Abort{source, source == AbortSource::ServiceUser ? AbortReason::NotSpecified : reason});
}

}  // namespace

std::optional<Transition> transition(State state, Event event) noexcept {
  const auto s = static_cast<std::size_t>(state) - 1;
  const auto e = static_cast<std::size_t>(event) - 1;
  if (s >= kStates || e >= kEvents) {
    return std::nullopt;
  }
  const Cell& cell = kTable[e][s];
  if (!cell.defined) {
    return std::nullopt;
  }
  return Transition{cell.action, cell.next};
}

const char* state_name(State s) noexcept {
  const auto i = static_cast<std::size_t>(s) - 1;
  return i < kStates ? kStateNames[i] : "Sta?";
}

const char* event_name(Event e) noexcept {
  static constexpr std::array<const char*, kEvents> kNames = {
      "Evt1",  "Evt2",  "Evt3",  "Evt4",  "Evt5",  "Evt6",  "Evt7",  "Evt8",  "Evt9", "Evt10",
      "Evt11", "Evt12", "Evt13", "Evt14", "Evt15", "Evt16", "Evt17", "Evt18", "Evt19"};
  const auto i = static_cast<std::size_t>(e) - 1;
  return i < kEvents ? kNames[i] : "Evt?";
}

const char* action_name(Action a) noexcept {
  const auto i = static_cast<std::size_t>(a);
  return i < kActionNames.size() ? kActionNames[i] : "??";
}

bool StateMachine::connected() const noexcept {
  return state_ != State::Sta1 && state_ != State::Sta4;
}

Effects StateMachine::transport_accepted() {
  return fire(Event::Evt5);
}
Effects StateMachine::transport_connected() {
  return fire(Event::Evt2);
}
Effects StateMachine::transport_closed() {
  return fire(Event::Evt17);
}
Effects StateMachine::artim_expired() {
  return fire(Event::Evt18);
}

Effects StateMachine::pdu_received(const Pdu& pdu) {
  if (const auto* rq = std::get_if<AssociateRq>(&pdu)) {
    // PS3.8 §9.3.2: only bit 0 of the protocol version is tested.
    rq_protocol_ok_ = (rq->protocol_version & 0x0001) != 0;
  }
  return fire(event_for(pdu));
}

Effects StateMachine::invalid_pdu_received(const std::error_code& why) {
  return fire(Event::Evt19, why);
}

Effects StateMachine::associate_request(std::vector<uint8_t> associate_rq) {
  pending_rq_ = std::move(associate_rq);
  return fire(Event::Evt1);
}

Effects StateMachine::associate_accept(std::vector<uint8_t> associate_ac) {
  Effects fx = fire(Event::Evt7);
  if (!fx.invalid) {
    fx.send = std::move(associate_ac);
  }
  return fx;
}

Effects StateMachine::associate_reject(std::vector<uint8_t> associate_rj) {
  Effects fx = fire(Event::Evt8);
  if (!fx.invalid) {
    fx.send = std::move(associate_rj);
  }
  return fx;
}

Effects StateMachine::pdata_request() {
  return fire(Event::Evt9);
}
Effects StateMachine::release_request() {
  return fire(Event::Evt11);
}
Effects StateMachine::release_response() {
  return fire(Event::Evt14);
}
Effects StateMachine::abort_request() {
  return fire(Event::Evt15);
}

Effects StateMachine::fire(Event event, const std::error_code& why) {
  Effects fx;
  fx.from = state_;
  fx.event = event;
  fx.to = state_;
  const auto t = transition(state_, event);
  if (!t) {
    fx.invalid = true;
    return fx;
  }
  fx.action = t->action;
  fx.to = t->next;
  perform(t->action, fx, why);
  state_ = fx.to;
  return fx;
}

// PS3.8 Table 9-6 to 9-9: what each action does.
void StateMachine::perform(Action action, Effects& fx, const std::error_code& why) {
  switch (action) {
    case AE_1:  // issue transport connect request
      fx.connect = true;
      break;
    case AE_2:  // send A-ASSOCIATE-RQ
      fx.send = std::move(pending_rq_);
      pending_rq_.clear();
      break;
    case AE_3:
      fx.indication = Indication::AssociateAccepted;
      break;
    case AE_4:  // A-ASSOCIATE confirmation (reject) and close
      fx.indication = Indication::AssociateRejected;
      fx.close_transport = true;
      break;
    case AE_5:  // accept the connection, start ARTIM
      fx.artim = Artim::Start;
      break;
    case AE_6:  // stop ARTIM; indicate, or reject if the provider cannot take the RQ
      if (rq_protocol_ok_) {
        fx.artim = Artim::Stop;
        fx.indication = Indication::AssociateRequest;
        fx.to = Sta3;
      } else {
        fx.send = encode(AssociateRj{RjResult::RejectedPermanent, RjSource::ServiceProviderAcse,
                                     rj_reason::kProtocolVersionNotSupported});
        fx.artim = Artim::Start;
        fx.to = Sta13;
      }
      break;
    case AE_7:  // send AC (bytes attached by the caller)
      break;
    case AE_8:  // send RJ, start ARTIM
      fx.artim = Artim::Start;
      break;
    case DT_1:
    case AR_7:  // the driver writes the P-DATA-TF PDUs
      break;
    case DT_2:
    case AR_6:
      fx.indication = Indication::PData;
      break;
    case AR_1:
      fx.send = encode(ReleaseRq{});
      break;
    case AR_2:
      fx.indication = Indication::ReleaseRequest;
      break;
    case AR_3:  // release confirmation, close transport
      fx.indication = Indication::ReleaseConfirm;
      fx.close_transport = true;
      break;
    case AR_4:  // send RELEASE-RP, start ARTIM
      fx.send = encode(ReleaseRp{});
      fx.artim = Artim::Start;
      break;
    case AR_5:
      fx.artim = Artim::Stop;
      fx.indication = Indication::Closed;
      break;
    case AR_8:  // release collision
      fx.indication = Indication::ReleaseRequest;
      fx.to = role_ == Role::Requestor ? Sta9 : Sta10;
      break;
    case AR_9:
      fx.send = encode(ReleaseRp{});
      break;
    case AR_10:
      fx.indication = Indication::ReleaseConfirm;
      break;
    case AA_1:
      // A local abort (Evt15) comes from the service user; anything else here is the provider
      // refusing an out-of-place PDU, which the peer should learn as such.
      if (fx.event == Event::Evt15) {
        fx.send = abort_pdu(AbortSource::ServiceUser, AbortReason::NotSpecified);
      } else {
        fx.send = abort_pdu(AbortSource::ServiceProvider, fx.event == Event::Evt19
                                                              ? abort_reason_for(why)
                                                              : AbortReason::UnexpectedPdu);
      }
      fx.artim = Artim::Start;
      break;
    case AA_2:  // stop ARTIM, close transport
      fx.artim = Artim::Stop;
      fx.close_transport = true;
      fx.indication = Indication::Closed;
      break;
    case AA_3:
      fx.indication = Indication::PeerAborted;
      fx.close_transport = true;
      break;
    case AA_4:
      fx.indication = Indication::ProviderAborted;
      break;
    case AA_5:
      fx.artim = Artim::Stop;
      fx.indication = Indication::Closed;
      break;
    case AA_6:  // ignore the PDU
      break;
    case AA_7:
      fx.send =
          abort_pdu(AbortSource::ServiceProvider,
                    fx.event == Event::Evt19 ? abort_reason_for(why) : AbortReason::UnexpectedPdu);
      break;
    case AA_8:  // send A-ABORT (provider), indicate A-P-ABORT, start ARTIM
      fx.send =
          abort_pdu(AbortSource::ServiceProvider,
                    fx.event == Event::Evt19 ? abort_reason_for(why) : AbortReason::UnexpectedPdu);
      fx.indication = Indication::ProviderAborted;
      fx.artim = Artim::Start;
      break;
  }
}

}  // namespace acc::dicom::ul
