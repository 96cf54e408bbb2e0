// The StateMachine's Effects for the paths an association really takes, without sockets.
#include <gtest/gtest.h>

#include "dicom/ul/fsm.hpp"

namespace acc::dicom::ul {
namespace {

AssociateRq sample_rq(uint16_t version = 1) {
  AssociateRq rq;
  rq.protocol_version = version;
  rq.called_ae = "ACCESSIONER";
  rq.calling_ae = "CT01";
  rq.contexts.push_back({1, "1.2.840.10008.1.1", {"1.2.840.10008.1.2"}});
  rq.user_info.max_pdu_length = 16384;
  rq.user_info.implementation_class_uid = "1.2.3";
  return rq;
}

StateMachine established_acceptor() {
  StateMachine m(Role::Acceptor);
  m.transport_accepted();
  m.pdu_received(sample_rq());
  m.associate_accept(encode(AssociateAc{}));
  return m;
}

TEST(FsmMachine, AcceptorHappyPathStartsAndStopsArtim) {
  StateMachine m(Role::Acceptor);
  auto fx = m.transport_accepted();  // Sta1 + Evt5 -> AE-5 -> Sta2
  EXPECT_EQ(fx.action, Action::AE_5);
  EXPECT_EQ(fx.artim, Artim::Start);
  EXPECT_EQ(m.state(), State::Sta2);

  fx = m.pdu_received(sample_rq());  // Sta2 + Evt6 -> AE-6 -> Sta3
  EXPECT_EQ(fx.action, Action::AE_6);
  EXPECT_EQ(fx.artim, Artim::Stop);
  EXPECT_EQ(fx.indication, Indication::AssociateRequest);
  EXPECT_EQ(m.state(), State::Sta3);

  const auto ac = encode(AssociateAc{});
  fx = m.associate_accept(ac);  // Sta3 + Evt7 -> AE-7 -> Sta6
  EXPECT_EQ(fx.action, Action::AE_7);
  EXPECT_EQ(fx.send, ac);
  EXPECT_EQ(m.state(), State::Sta6);
}

TEST(FsmMachine, ProtocolVersionWithoutBit0IsRejectedByTheProvider) {
  StateMachine m(Role::Acceptor);
  m.transport_accepted();
  auto fx = m.pdu_received(sample_rq(/*version=*/2));  // AE-6, "not acceptable" branch
  EXPECT_EQ(fx.action, Action::AE_6);
  EXPECT_EQ(m.state(), State::Sta13);
  EXPECT_EQ(fx.artim, Artim::Start);
  const auto rj = decode_pdu(fx.send);
  ASSERT_TRUE(rj);
  const auto& r = std::get<AssociateRj>(*rj);
  EXPECT_EQ(r.source, RjSource::ServiceProviderAcse);
  EXPECT_EQ(r.reason, rj_reason::kProtocolVersionNotSupported);
}

TEST(FsmMachine, ProtocolVersionTestsBit0Only) {
  StateMachine m(Role::Acceptor);
  m.transport_accepted();
  m.pdu_received(sample_rq(/*version=*/3));
  EXPECT_EQ(m.state(), State::Sta3);
}

TEST(FsmMachine, RejectSendsRjAndWaitsForCloseUnderArtim) {
  StateMachine m(Role::Acceptor);
  m.transport_accepted();
  m.pdu_received(sample_rq());
  const auto rj = encode(AssociateRj{});
  auto fx = m.associate_reject(rj);  // Sta3 + Evt8 -> AE-8 -> Sta13
  EXPECT_EQ(fx.send, rj);
  EXPECT_EQ(fx.artim, Artim::Start);
  EXPECT_EQ(m.state(), State::Sta13);
  fx = m.transport_closed();  // Sta13 + Evt17 -> AR-5 -> Sta1
  EXPECT_EQ(fx.action, Action::AR_5);
  EXPECT_EQ(fx.artim, Artim::Stop);
  EXPECT_EQ(m.state(), State::Sta1);
}

TEST(FsmMachine, ArtimExpiryInSta2ClosesWithoutSending) {
  StateMachine m(Role::Acceptor);
  m.transport_accepted();
  auto fx = m.artim_expired();  // Sta2 + Evt18 -> AA-2 -> Sta1
  EXPECT_EQ(fx.action, Action::AA_2);
  EXPECT_TRUE(fx.send.empty());
  EXPECT_TRUE(fx.close_transport);
  EXPECT_EQ(m.state(), State::Sta1);
}

TEST(FsmMachine, ArtimExpiryHasNoCellWhileEstablished) {
  StateMachine m = established_acceptor();
  auto fx = m.artim_expired();
  EXPECT_TRUE(fx.invalid);
  EXPECT_EQ(m.state(), State::Sta6);
}

TEST(FsmMachine, PDataIsDeliveredInSta6) {
  StateMachine m = established_acceptor();
  auto fx = m.pdu_received(PData{});  // Sta6 + Evt10 -> DT-2
  EXPECT_EQ(fx.action, Action::DT_2);
  EXPECT_EQ(fx.indication, Indication::PData);
  EXPECT_EQ(m.state(), State::Sta6);
}

TEST(FsmMachine, UnexpectedPduWhileEstablishedAbortsWithReason2) {
  StateMachine m = established_acceptor();
  auto fx = m.pdu_received(sample_rq());  // Sta6 + Evt6 -> AA-8
  EXPECT_EQ(fx.action, Action::AA_8);
  EXPECT_EQ(fx.indication, Indication::ProviderAborted);
  EXPECT_EQ(m.state(), State::Sta13);
  const auto abort = decode_pdu(fx.send);
  ASSERT_TRUE(abort);
  EXPECT_EQ(std::get<Abort>(*abort).source, AbortSource::ServiceProvider);
  EXPECT_EQ(std::get<Abort>(*abort).reason, AbortReason::UnexpectedPdu);
}

TEST(FsmMachine, InvalidPduAbortReasonFollowsTheDecodeError) {
  StateMachine m = established_acceptor();
  auto fx = m.invalid_pdu_received(make_error_code(UlErrc::unrecognized_pdu));  // Evt19 -> AA-8
  const auto abort = decode_pdu(fx.send);
  ASSERT_TRUE(abort);
  EXPECT_EQ(std::get<Abort>(*abort).reason, AbortReason::UnrecognizedPdu);
}

TEST(FsmMachine, InvalidPduBeforeAssociationIsAbortedToo) {
  StateMachine m(Role::Acceptor);
  m.transport_accepted();
  auto fx = m.invalid_pdu_received(make_error_code(UlErrc::pdu_too_large));  // Sta2 + Evt19 -> AA-1
  EXPECT_EQ(fx.action, Action::AA_1);
  EXPECT_EQ(m.state(), State::Sta13);
  const auto abort = decode_pdu(fx.send);
  ASSERT_TRUE(abort);
  EXPECT_EQ(std::get<Abort>(*abort).reason, AbortReason::InvalidPduParameterValue);
}

TEST(FsmMachine, PeerReleaseIsAnsweredWithRp) {
  StateMachine m = established_acceptor();
  auto fx = m.pdu_received(ReleaseRq{});  // Sta6 + Evt12 -> AR-2 -> Sta8
  EXPECT_EQ(fx.indication, Indication::ReleaseRequest);
  EXPECT_EQ(m.state(), State::Sta8);
  EXPECT_FALSE(m.pdata_request().invalid);  // AR-7: responses still owed may be sent in Sta8
  fx = m.release_response();                // Sta8 + Evt14 -> AR-4 -> Sta13
  EXPECT_EQ(fx.send, encode(ReleaseRp{}));
  EXPECT_EQ(fx.artim, Artim::Start);
  EXPECT_EQ(m.state(), State::Sta13);
}

TEST(FsmMachine, RequestorPathAndRelease) {
  StateMachine m(Role::Requestor);
  const auto rq = encode(sample_rq());
  auto fx = m.associate_request(rq);  // Sta1 + Evt1 -> AE-1 -> Sta4
  EXPECT_TRUE(fx.connect);
  fx = m.transport_connected();  // Sta4 + Evt2 -> AE-2 -> Sta5
  EXPECT_EQ(fx.send, rq);
  fx = m.pdu_received(AssociateAc{});  // Sta5 + Evt3 -> AE-3 -> Sta6
  EXPECT_EQ(fx.indication, Indication::AssociateAccepted);
  fx = m.release_request();  // Sta6 + Evt11 -> AR-1 -> Sta7
  EXPECT_EQ(fx.send, encode(ReleaseRq{}));
  fx = m.pdu_received(PData{});  // Sta7 + Evt10 -> AR-6: late data is still delivered
  EXPECT_EQ(fx.indication, Indication::PData);
  fx = m.pdu_received(ReleaseRp{});  // Sta7 + Evt13 -> AR-3 -> Sta1
  EXPECT_TRUE(fx.close_transport);
  EXPECT_EQ(m.state(), State::Sta1);
}

TEST(FsmMachine, RequestorRejectedClosesTransport) {
  StateMachine m(Role::Requestor);
  m.associate_request(encode(sample_rq()));
  m.transport_connected();
  auto fx = m.pdu_received(AssociateRj{});  // Sta5 + Evt4 -> AE-4 -> Sta1
  EXPECT_EQ(fx.indication, Indication::AssociateRejected);
  EXPECT_TRUE(fx.close_transport);
  EXPECT_EQ(m.state(), State::Sta1);
}

TEST(FsmMachine, ReleaseCollisionAsRequestor) {
  StateMachine m(Role::Requestor);
  m.associate_request(encode(sample_rq()));
  m.transport_connected();
  m.pdu_received(AssociateAc{});
  m.release_request();
  auto fx = m.pdu_received(ReleaseRq{});  // Sta7 + Evt12 -> AR-8 -> Sta9 (requestor)
  EXPECT_EQ(m.state(), State::Sta9);
  fx = m.release_response();  // Sta9 + Evt14 -> AR-9 -> Sta11
  EXPECT_EQ(fx.send, encode(ReleaseRp{}));
  EXPECT_EQ(m.state(), State::Sta11);
  fx = m.pdu_received(ReleaseRp{});  // Sta11 + Evt13 -> AR-3 -> Sta1
  EXPECT_EQ(m.state(), State::Sta1);
}

TEST(FsmMachine, ReleaseCollisionAsAcceptor) {
  StateMachine m = established_acceptor();
  m.release_request();          // we asked first
  m.pdu_received(ReleaseRq{});  // Sta7 + Evt12 -> AR-8 -> Sta10 (acceptor)
  EXPECT_EQ(m.state(), State::Sta10);
  auto fx = m.pdu_received(ReleaseRp{});  // Sta10 + Evt13 -> AR-10 -> Sta12
  EXPECT_EQ(fx.indication, Indication::ReleaseConfirm);
  fx = m.release_response();  // Sta12 + Evt14 -> AR-4 -> Sta13
  EXPECT_EQ(fx.send, encode(ReleaseRp{}));
  EXPECT_EQ(m.state(), State::Sta13);
}

TEST(FsmMachine, LocalAbortUsesServiceUserSource) {
  StateMachine m = established_acceptor();
  auto fx = m.abort_request();  // Sta6 + Evt15 -> AA-1
  const auto abort = decode_pdu(fx.send);
  ASSERT_TRUE(abort);
  EXPECT_EQ(std::get<Abort>(*abort).source, AbortSource::ServiceUser);
  EXPECT_EQ(m.state(), State::Sta13);
}

TEST(FsmMachine, PeerAbortClosesImmediately) {
  StateMachine m = established_acceptor();
  auto fx = m.pdu_received(Abort{});  // Sta6 + Evt16 -> AA-3 -> Sta1
  EXPECT_EQ(fx.indication, Indication::PeerAborted);
  EXPECT_TRUE(fx.close_transport);
  EXPECT_EQ(m.state(), State::Sta1);
}

TEST(FsmMachine, PduAfterOurRpIsIgnoredInSta13) {
  StateMachine m = established_acceptor();
  m.pdu_received(ReleaseRq{});
  m.release_response();
  auto fx = m.pdu_received(PData{});  // Sta13 + Evt10 -> AA-6
  EXPECT_EQ(fx.action, Action::AA_6);
  EXPECT_TRUE(fx.send.empty());
  EXPECT_EQ(m.state(), State::Sta13);
}

TEST(FsmMachine, LocalPrimitiveInWrongStateIsInvalidAndChangesNothing) {
  StateMachine m(Role::Acceptor);
  auto fx = m.pdata_request();
  EXPECT_TRUE(fx.invalid);
  EXPECT_FALSE(fx.action.has_value());
  EXPECT_EQ(m.state(), State::Sta1);
}

}  // namespace
}  // namespace acc::dicom::ul
