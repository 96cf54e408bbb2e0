#pragma once
// The Upper Layer protocol machine of PS3.8 §9.2, sans-I/O. States, events and actions carry the
// standard's names (Sta6, Evt10, AA-8 -> AA_8) so every transition can be checked against
// Table 9-10. The machine never touches a socket: each input returns the Effects the driver must
// carry out (send these bytes, start or stop ARTIM, close the transport, tell the user).

#include <cstdint>
#include <optional>
#include <span>
#include <system_error>
#include <vector>

#include "dicom/ul/pdu.hpp"

namespace acc::dicom::ul {

enum class State : uint8_t {
  Sta1 = 1,  // idle
  Sta2,      // transport connection open, awaiting A-ASSOCIATE-RQ
  Sta3,      // awaiting local A-ASSOCIATE response primitive
  Sta4,      // awaiting transport connection to open (requestor)
  Sta5,      // awaiting A-ASSOCIATE-AC or -RJ
  Sta6,      // association established, ready for data transfer
  Sta7,      // awaiting A-RELEASE-RP
  Sta8,      // awaiting local A-RELEASE response primitive
  Sta9,      // release collision requestor side: awaiting local A-RELEASE response
  Sta10,     // release collision acceptor side: awaiting A-RELEASE-RP
  Sta11,     // release collision requestor side: awaiting A-RELEASE-RP
  Sta12,     // release collision acceptor side: awaiting local A-RELEASE response
  Sta13,     // awaiting transport connection close
};

enum class Event : uint8_t {
  Evt1 = 1,  // A-ASSOCIATE request (local user)
  Evt2,      // transport connection confirm
  Evt3,      // A-ASSOCIATE-AC PDU received
  Evt4,      // A-ASSOCIATE-RJ PDU received
  Evt5,      // transport connection indication (accepted)
  Evt6,      // A-ASSOCIATE-RQ PDU received
  Evt7,      // A-ASSOCIATE response primitive (accept)
  Evt8,      // A-ASSOCIATE response primitive (reject)
  Evt9,      // P-DATA request primitive
  Evt10,     // P-DATA-TF PDU received
  Evt11,     // A-RELEASE request primitive
  Evt12,     // A-RELEASE-RQ PDU received
  Evt13,     // A-RELEASE-RP PDU received
  Evt14,     // A-RELEASE response primitive
  Evt15,     // A-ABORT request primitive
  Evt16,     // A-ABORT PDU received
  Evt17,     // transport connection closed indication
  Evt18,     // ARTIM timer expired
  Evt19,     // unrecognized or invalid PDU received
};

enum class Action : uint8_t {
  AE_1,
  AE_2,
  AE_3,
  AE_4,
  AE_5,
  AE_6,
  AE_7,
  AE_8,
  DT_1,
  DT_2,
  AR_1,
  AR_2,
  AR_3,
  AR_4,
  AR_5,
  AR_6,
  AR_7,
  AR_8,
  AR_9,
  AR_10,
  AA_1,
  AA_2,
  AA_3,
  AA_4,
  AA_5,
  AA_6,
  AA_7,
  AA_8,
};

enum class Role : uint8_t { Requestor, Acceptor };

// One cell of Table 9-10. `next` is the state the standard names; AE-6 (Sta3 or Sta13) and AR-8
// (Sta9 or Sta10) choose at run time and record the first alternative here.
struct Transition {
  Action action;
  State next;
};

// PS3.8 Table 9-10. std::nullopt for an empty cell: the event cannot happen in that state (a local
// primitive issued at the wrong time, a programming error in the driver).
[[nodiscard]] std::optional<Transition> transition(State state, Event event) noexcept;

[[nodiscard]] const char* state_name(State s) noexcept;
[[nodiscard]] const char* event_name(Event e) noexcept;
[[nodiscard]] const char* action_name(Action a) noexcept;

// What the service user (our association driver) learns from a transition.
enum class Indication : uint8_t {
  None,
  AssociateRequest,   // AE-6: decide, then call accept() or reject()
  AssociateAccepted,  // AE-3
  AssociateRejected,  // AE-4
  PData,              // DT-2, AR-6: hand the PDVs to the DIMSE assembler
  ReleaseRequest,     // AR-2, AR-8: answer with release_response() once responses are flushed
  ReleaseConfirm,     // AR-3, AR-10
  PeerAborted,        // AA-3: A-ABORT from the peer
  ProviderAborted,    // AA-4, AA-8: transport or protocol failure
  Closed,             // AA-2, AA-5, AR-5: the connection is gone, nothing more to do
};

enum class Artim : uint8_t { Keep, Start, Stop };

struct Effects {
  State from = State::Sta1;
  Event event = Event::Evt1;
  std::optional<Action> action;  // std::nullopt: the cell was empty (see `invalid`)
  State to = State::Sta1;
  std::vector<uint8_t> send;  // a whole PDU to write, if not empty
  bool connect = false;       // AE-1: open the transport connection
  bool close_transport = false;
  Artim artim = Artim::Keep;
  Indication indication = Indication::None;
  bool invalid = false;  // local primitive in a state where Table 9-10 has no cell
};

class StateMachine {
 public:
  explicit StateMachine(Role role) : role_(role) {}

  [[nodiscard]] State state() const noexcept { return state_; }
  [[nodiscard]] Role role() const noexcept { return role_; }
  // True while a transport connection exists from the machine's point of view.
  [[nodiscard]] bool connected() const noexcept;

  // Transport events.
  Effects transport_accepted();   // Evt5
  Effects transport_connected();  // Evt2
  Effects transport_closed();     // Evt17
  Effects artim_expired();        // Evt18
  // A decoded PDU (Evt3, 4, 6, 10, 12, 13, 16) or a decode failure (Evt19).
  Effects pdu_received(const Pdu& pdu);
  Effects invalid_pdu_received(const std::error_code& why);

  // Local primitives. The PDU bytes are produced by the caller (encode(...)).
  Effects associate_request(std::vector<uint8_t> associate_rq);  // Evt1; sent on Evt2 (AE-2)
  Effects associate_accept(std::vector<uint8_t> associate_ac);   // Evt7
  Effects associate_reject(std::vector<uint8_t> associate_rj);   // Evt8
  // Evt9. On success the driver writes its P-DATA-TF PDUs itself (gathered writes).
  Effects pdata_request();
  Effects release_request();   // Evt11
  Effects release_response();  // Evt14
  Effects abort_request();     // Evt15

 private:
  Effects fire(Event event, const std::error_code& why = {});
  void perform(Action action, Effects& fx, const std::error_code& why);

  Role role_;
  State state_ = State::Sta1;
  std::vector<uint8_t> pending_rq_;  // AE-1 stores the RQ, AE-2 sends it
  bool rq_protocol_ok_ = true;       // AE-6 input: does the peer's protocol version have bit 0?
};

}  // namespace acc::dicom::ul
