#include "dicom/net/scu.hpp"

#include "dicom/dimse/status.hpp"
#include "dicom/ul/implementation.hpp"

namespace acc::dicom::net {

namespace {

// Reads until the response to `message_id` arrives. Anything else on a synchronous association is
// the peer's error.
[[nodiscard]] asio::awaitable<Result<dimse::Message>> await_response(Association& assoc,
                                                                     uint16_t message_id) {
  auto message = co_await assoc.receive_message();
  if (!message) {
    co_return fail(message.error());
  }
  const auto& c = message->command;
  if (!c.is_response() || c.MessageIDBeingRespondedTo != message_id || !c.Status) {
    co_await assoc.abort();
    co_return fail(AssocErrc::protocol_error, "unexpected DIMSE message instead of the response");
  }
  co_return message;
}

}  // namespace

ul::AssociateRq make_associate_rq(std::string calling_ae, std::string called_ae,
                                  const std::vector<ProposedContext>& contexts,
                                  uint32_t max_pdu_length) {
  ul::AssociateRq rq;
  rq.calling_ae = std::move(calling_ae);
  rq.called_ae = std::move(called_ae);
  uint8_t id = 1;
  for (const auto& pc : contexts) {
    rq.contexts.push_back({id, pc.abstract_syntax, pc.transfer_syntaxes});
    id = static_cast<uint8_t>(id + 2);
  }
  rq.user_info.max_pdu_length = max_pdu_length;
  rq.user_info.implementation_class_uid = kImplementationClassUid;
  rq.user_info.implementation_version_name = kImplementationVersionName;
  return rq;
}

[[nodiscard]] asio::awaitable<Result<uint16_t>> c_echo(Association& assoc) {
  const AcceptedContext* ctx = assoc.info().find_context("1.2.840.10008.1.1");
  if (ctx == nullptr) {
    co_return fail(AssocErrc::no_presentation_context, "Verification");
  }
  const uint16_t id = assoc.next_message_id();
  if (auto sent = co_await assoc.send_message(ctx->id, dimse::make_c_echo_rq(id)); !sent) {
    co_return fail(sent.error());
  }
  auto rsp = co_await await_response(assoc, id);
  if (!rsp) {
    co_return fail(rsp.error());
  }
  co_return *rsp->command.Status;
}

[[nodiscard]] asio::awaitable<Result<StoreResponse>> c_store(Association& assoc,
                                                             std::string_view sop_class_uid,
                                                             std::string_view sop_instance_uid,
                                                             std::string_view transfer_syntax,
                                                             std::span<const uint8_t> data_set) {
  // The whole data set is one piece. A named std::function, not a temporary: the coroutine
  // lambda's closure must outlive every resumption (see docs/architecture.md on g++ 12).
  const Association::DataSetPieces whole =
      [data_set](std::size_t) -> asio::awaitable<Result<Association::DataSetPiece>> {
    co_return Association::DataSetPiece{data_set, true};
  };
  co_return co_await c_store(assoc, sop_class_uid, sop_instance_uid, transfer_syntax, whole);
}

[[nodiscard]] asio::awaitable<Result<StoreResponse>> c_store(
    Association& assoc, std::string_view sop_class_uid, std::string_view sop_instance_uid,
    std::string_view transfer_syntax, const Association::DataSetPieces& pieces) {
  const AcceptedContext* ctx = assoc.info().find_context(sop_class_uid, transfer_syntax);
  if (ctx == nullptr) {
    co_return fail(AssocErrc::no_presentation_context,
                   std::string(sop_class_uid) + " in " + std::string(transfer_syntax));
  }
  const uint16_t id = assoc.next_message_id();
  const auto rq =
      dimse::make_c_store_rq(id, std::string(sop_class_uid), std::string(sop_instance_uid));
  if (auto sent = co_await assoc.send_message(ctx->id, rq, pieces); !sent) {
    co_return fail(sent.error());
  }
  auto rsp = co_await await_response(assoc, id);
  if (!rsp) {
    co_return fail(rsp.error());
  }
  co_return StoreResponse{*rsp->command.Status, rsp->command.ErrorComment};
}

[[nodiscard]] asio::awaitable<Result<uint16_t>> c_find(Association& assoc,
                                                       std::string_view sop_class_uid,
                                                       std::span<const uint8_t> identifier,
                                                       FindMatchHandler on_match) {
  const AcceptedContext* ctx = assoc.info().find_context(sop_class_uid);
  if (ctx == nullptr) {
    co_return fail(AssocErrc::no_presentation_context, std::string(sop_class_uid));
  }
  const uint16_t id = assoc.next_message_id();
  const auto rq = dimse::make_c_find_rq(id, std::string(sop_class_uid));
  if (auto sent = co_await assoc.send_message(ctx->id, rq, identifier); !sent) {
    co_return fail(sent.error());
  }
  bool cancelled = false;
  for (;;) {
    auto rsp = co_await await_response(assoc, id);
    if (!rsp) {
      co_return fail(rsp.error());
    }
    const uint16_t status = *rsp->command.Status;
    if (dimse::status::classify(status) != dimse::status::Class::Pending) {
      co_return status;
    }
    // PS3.4 C.4.1.3: pending responses may still arrive after our C-CANCEL; they are drained.
    if (!cancelled && !on_match(std::move(rsp->data_set))) {
      cancelled = true;
      auto cancel = co_await assoc.send_message(ctx->id, dimse::make_c_cancel_rq(id));
      if (!cancel) {
        co_return fail(cancel.error());
      }
    }
  }
}

}  // namespace acc::dicom::net
