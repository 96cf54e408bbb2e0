// Admission and presentation-context negotiation (router/receive/association_acceptor.hpp).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "dicom/ul/pdu.hpp"
#include "router/receive/association_acceptor.hpp"

namespace acc::router {
namespace {

using namespace acc::dicom;

constexpr const char* kCt = "1.2.840.10008.5.1.4.1.1.2";
constexpr const char* kImplicit = "1.2.840.10008.1.2";
constexpr const char* kExplicit = "1.2.840.10008.1.2.1";
constexpr const char* kJpegLs = "1.2.840.10008.1.2.4.80";

ul::AssociateRq rq_with(std::vector<ul::PresentationContextRq> contexts,
                        std::string calling = "CT01") {
  ul::AssociateRq rq;
  rq.called_ae = "ACCESSIONER";
  rq.calling_ae = std::move(calling);
  rq.contexts = std::move(contexts);
  rq.user_info.max_pdu_length = 16384;
  return rq;
}

AcceptorPolicy policy() {
  AcceptorPolicy p;
  p.ae_title = "ACCESSIONER";
  p.max_pdu_length = 65536;
  return p;
}

ul::AssociateRj as_rj(const net::AssociateDecision& d) {
  return std::get<ul::AssociateRj>(d);
}

TEST(AssociationAcceptor, AcceptsVerificationAndStorage) {
  const auto d = negotiate_association(
      rq_with({{1, "1.2.840.10008.1.1", {kImplicit}}, {3, kCt, {kExplicit, kImplicit}}}), policy(),
      false);
  const auto& ac = std::get<ul::AssociateAc>(d);
  ASSERT_EQ(ac.contexts.size(), 2u);
  EXPECT_EQ(ac.contexts[0].result, ul::PcResult::Acceptance);
  EXPECT_EQ(ac.contexts[1].result, ul::PcResult::Acceptance);
  EXPECT_EQ(ac.contexts[1].transfer_syntax, kExplicit) << "the proposer's first choice wins";
  EXPECT_EQ(ac.user_info.max_pdu_length, 65536u);
  EXPECT_FALSE(ac.user_info.implementation_class_uid.empty());
}

TEST(AssociationAcceptor, CompressedSyntaxIsAcceptedAsProposed) {
  const auto d = negotiate_association(rq_with({{1, kCt, {kJpegLs}}}), policy(), false);
  const auto& ac = std::get<ul::AssociateAc>(d);
  EXPECT_EQ(ac.contexts[0].result, ul::PcResult::Acceptance);
  EXPECT_EQ(ac.contexts[0].transfer_syntax, kJpegLs);
}

TEST(AssociationAcceptor, EveryContextIsAnsweredEvenWhenRefused) {
  const auto d = negotiate_association(
      rq_with({{1, "1.2.840.10008.5.1.4.31", {kImplicit}},  // MWL FIND: not served here
               {3, kCt, {"1.2.3.4.5.6"}},                   // unknown transfer syntax
               {5, kCt, {kImplicit}}}),
      policy(), false);
  const auto& ac = std::get<ul::AssociateAc>(d);
  ASSERT_EQ(ac.contexts.size(), 3u);
  EXPECT_EQ(ac.contexts[0].result, ul::PcResult::AbstractSyntaxNotSupported);
  EXPECT_EQ(ac.contexts[1].result, ul::PcResult::TransferSyntaxesNotSupported);
  EXPECT_EQ(ac.contexts[2].result, ul::PcResult::Acceptance);
  EXPECT_EQ(ac.contexts[1].id, 3);
  // Issue 12: every context of the AC has its Transfer Syntax sub-item (PS3.8 Table 9-18), the
  // refused ones too (not significant there: the proposer's first choice is echoed).
  EXPECT_EQ(ac.contexts[0].transfer_syntax, kImplicit);
  EXPECT_EQ(ac.contexts[1].transfer_syntax, "1.2.3.4.5.6");
  const std::vector<uint8_t> encoded = ul::encode(ac);
  // Item 0x21 of 4 + 15 bytes: PC 3, result 4, then sub-item 0x40 of 11 bytes ("1.2.3.4.5.6").
  const std::vector<uint8_t> refused_item = {0x21, 0x00, 0x00, 0x13, 0x03, 0x00, 0x04, 0x00,
                                             0x40, 0x00, 0x00, 0x0B, '1',  '.',  '2'};
  EXPECT_NE(std::search(encoded.begin(), encoded.end(), refused_item.begin(), refused_item.end()),
            encoded.end())
      << "context 3's item does not carry its 0x40 sub-item";
}

// Found by the association_sequence fuzz target: a refused context whose first proposed transfer
// syntax was empty (padding only) was echoed as "", and the encoder then left out the sub-item.
TEST(AssociationAcceptor, ARefusedContextWhoseProposalIsNotAUidStillCarriesASubItem) {
  const auto d =
      negotiate_association(rq_with({{1, "1.2.840.10008.5.1.4.31", {"", "not a uid", kExplicit}},
                                     {3, "1.2.840.10008.5.1.4.31", {""}}}),
                            policy(), false);
  const auto& ac = std::get<ul::AssociateAc>(d);
  ASSERT_EQ(ac.contexts.size(), 2u);
  EXPECT_EQ(ac.contexts[0].transfer_syntax, kExplicit);
  EXPECT_EQ(ac.contexts[1].transfer_syntax, kImplicit);
  const auto decoded = ul::decode_pdu(ul::encode(ac));
  ASSERT_TRUE(decoded.has_value());
  const auto& again = std::get<ul::AssociateAc>(*decoded);
  ASSERT_EQ(again.contexts.size(), 2u);
  EXPECT_EQ(again.contexts[1].transfer_syntax, kImplicit);
}

TEST(AssociationAcceptor, WrongCalledAeIsRejectedPermanently) {
  auto rq = rq_with({{1, kCt, {kImplicit}}});
  rq.called_ae = "OTHER";
  const auto rj = as_rj(negotiate_association(rq, policy(), false));
  EXPECT_EQ(rj.result, ul::RjResult::RejectedPermanent);
  EXPECT_EQ(rj.source, ul::RjSource::ServiceUser);
  EXPECT_EQ(rj.reason, ul::rj_reason::kCalledAeNotRecognized);
  EXPECT_STREQ(rejection_reason(rj), "called_ae");
}

TEST(AssociationAcceptor, CallingAeOutsideAllowListIsRejected) {
  auto p = policy();
  p.allowed_calling_ae = std::vector<std::string>{"CT01", "US02"};
  const auto rj = as_rj(negotiate_association(rq_with({{1, kCt, {kImplicit}}}, "MR09"), p, false));
  EXPECT_EQ(rj.reason, ul::rj_reason::kCallingAeNotRecognized);
  EXPECT_TRUE(std::holds_alternative<ul::AssociateAc>(
      negotiate_association(rq_with({{1, kCt, {kImplicit}}}, "US02"), p, false)));
}

TEST(AssociationAcceptor, EmptyAllowListRejectsEveryone) {
  auto p = policy();
  p.allowed_calling_ae = std::vector<std::string>{};
  EXPECT_TRUE(std::holds_alternative<ul::AssociateRj>(
      negotiate_association(rq_with({{1, kCt, {kImplicit}}}), p, false)));
}

TEST(AssociationAcceptor, AtCapacityIsATransientLocalLimitRejection) {
  const auto rj = as_rj(negotiate_association(rq_with({{1, kCt, {kImplicit}}}), policy(), true));
  EXPECT_EQ(rj.result, ul::RjResult::RejectedTransient);
  EXPECT_EQ(rj.source, ul::RjSource::ServiceProviderPresentation);
  EXPECT_EQ(rj.reason, ul::rj_reason::kLocalLimitExceeded);
}

TEST(AssociationAcceptor, ForeignApplicationContextIsRejected) {
  auto rq = rq_with({{1, kCt, {kImplicit}}});
  rq.application_context = "1.2.3";
  EXPECT_EQ(as_rj(negotiate_association(rq, policy(), false)).reason,
            ul::rj_reason::kApplicationContextNotSupported);
}

TEST(AssociationAcceptor, AsyncWindowAndRolesAnsweredOnlyWhenProposed) {
  auto rq = rq_with({{1, kCt, {kImplicit}}});
  auto plain = std::get<ul::AssociateAc>(negotiate_association(rq, policy(), false));
  EXPECT_FALSE(plain.user_info.async_ops.has_value());
  EXPECT_TRUE(plain.user_info.roles.empty());

  rq.user_info.async_ops = ul::AsyncOpsWindow{8, 8};
  rq.user_info.roles.push_back({kCt, true, true});
  auto ac = std::get<ul::AssociateAc>(negotiate_association(rq, policy(), false));
  ASSERT_TRUE(ac.user_info.async_ops.has_value());
  EXPECT_EQ(ac.user_info.async_ops->max_invoked, 1);
  ASSERT_EQ(ac.user_info.roles.size(), 1u);
  EXPECT_TRUE(ac.user_info.roles[0].scu_role);
  EXPECT_FALSE(ac.user_info.roles[0].scp_role) << "we never act as SCU towards the modality";
}

}  // namespace
}  // namespace acc::router
