#include "router/receive/storage_scp.hpp"

#include <chrono>
#include <functional>

#include <spdlog/spdlog.h>

#include "common/clock.hpp"
#include "dicom/dimse/status.hpp"
#include "router/receive/durable_commit.hpp"
#include "router/receive/prepare_instance.hpp"
#include "router/runtime/offload.hpp"

namespace acc::router {

using namespace acc::dicom;
namespace st = dimse::status;

namespace {

// Any request we do not serve gets its own response type with 0x0211 (PS3.7 C.5.7).
dimse::Command unrecognized(const dimse::Command& rq) {
  dimse::Command rsp;
  rsp.CommandField =
      static_cast<dimse::CommandField>(static_cast<uint16_t>(rq.CommandField) | 0x8000);
  rsp.AffectedSOPClassUID = rq.AffectedSOPClassUID;
  rsp.MessageIDBeingRespondedTo = rq.MessageID.value_or(0);
  rsp.Status = st::kUnrecognizedOperation;
  return rsp;
}

}  // namespace

asio::awaitable<dimse::Command> StorageScp::handle_store(net::Association& assoc,
                                                         const net::AcceptedContext& context,
                                                         dimse::Message& message,
                                                         SessionSummary& summary) {
  const dimse::Command& rq = message.command;
  const auto& info = assoc.info();
  const auto received = std::chrono::steady_clock::now();  // the whole data set is here
  if (!disk_.has_room()) {
    ++summary.failed;
    co_return dimse::make_c_store_rsp(rq, st::kOutOfResources,
                                      "out of resources: storage below its free-space floor");
  }
  if (message.dropped != dimse::DataSetDropped::no) {
    // Holding it would have passed the receive memory budget, or its spool could not take it:
    // read, not kept (assembler).
    ++summary.failed;
    const bool budget = message.dropped == dimse::DataSetDropped::memory_budget_full;
    spdlog::warn("[assoc {}] C-STORE {} refused 0xA700: {}", info.id, rq.AffectedSOPInstanceUID,
                 budget ? "the receive memory budget is full" : "its receive spool failed");
    co_return dimse::make_c_store_rsp(rq, st::kOutOfResources,
                                      budget ? "out of resources: receive memory budget full"
                                             : "out of resources: storage refused the data set");
  }
  // Parse, check, stamp: one trip to the work pool (DCMTK and RocksDB reads block).
  auto work = [this, &rq, &context, &message, &info] {
    PreparedInstance p = message.spool
                             ? prepare_spooled_instance(rq, context, std::move(message.spool))
                             : prepare_instance(rq, context, message.data_set);
    if (p.status != st::kSuccess) {
      return p;
    }
    p.record.calling_ae = info.calling_ae;
    p.record.called_ae = info.called_ae;
    p.record.peer_address = info.peer_address;
    p.record.association_id = info.id;
    p.record.received_at_ms = unix_now_ms();
    apply_rules(p, rules_, our_ae_, p.record.received_at_ms);
    if (p.status != st::kSuccess) {
      return p;
    }
    if (filter_ != nullptr) {
      filter_->process(p, p.record.received_at_ms);
    }
    return p;
  };
  PreparedInstance prepared = co_await offload(work_pool_, std::ref(work));
  message.data_set = {};  // the Part-10 copy is all we keep
  message.lease.reset();
  if (prepared.status != st::kSuccess) {
    ++summary.failed;
    spdlog::warn("[assoc {}] C-STORE {} refused 0x{:04X}: {}", info.id, rq.AffectedSOPInstanceUID,
                 prepared.status, prepared.error_comment);
    co_return dimse::make_c_store_rsp(rq, prepared.status, prepared.error_comment);
  }
  const uint64_t bytes = prepared.object_size();
  const bool held = prepared.record.state == queue::RecordState::held;
  const std::string study_uid = prepared.record.study_instance_uid;
  auto committed =
      co_await commit_durably(store_, std::move(prepared.record), prepared.take_object());
  if (held) {
    filter_->hold_settled(study_uid);
  }
  if (!committed) {
    ++summary.failed;
    spdlog::error("[assoc {}] C-STORE {} not stored: {}", info.id, rq.AffectedSOPInstanceUID,
                  committed.error().message());
    co_return dimse::make_c_store_rsp(rq, st::kOutOfResources, "storage error: not stored");
  }
  ++summary.stored;
  summary.bytes += bytes;
  metrics_.commit_latency(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - received).count());
  metrics_.instance_received(info.calling_ae, bytes);
  spdlog::debug("[assoc {}] C-STORE {} stored (seq {})", info.id, rq.AffectedSOPInstanceUID,
                *committed);
  co_return dimse::make_c_store_rsp(rq, st::kSuccess);
}

asio::awaitable<SessionSummary> StorageScp::serve(net::Association& assoc) {
  SessionSummary summary;
  for (;;) {
    auto message = co_await assoc.receive_message();
    if (!message) {
      summary.end = message.error().code;
      if (summary.end != net::AssocErrc::released) {
        spdlog::info("[assoc {}] ended: {}", assoc.info().id, message.error().message());
      }
      co_return summary;
    }
    const net::AcceptedContext* context = assoc.info().context(message->pc_id);
    if (context == nullptr) {
      // PS3.8 Annex E: a PDV on a context we did not accept is a protocol violation.
      spdlog::warn("[assoc {}] message on unaccepted presentation context {}", assoc.info().id,
                   message->pc_id);
      co_await assoc.abort();
      summary.end = make_error_code(net::AssocErrc::protocol_error);
      co_return summary;
    }
    dimse::Command response;
    switch (message->command.CommandField) {
      case dimse::CommandField::CEchoRq:
        ++summary.echoes;
        response = dimse::make_c_echo_rsp(message->command, st::kSuccess);
        break;
      case dimse::CommandField::CStoreRq:
        response = co_await handle_store(assoc, *context, *message, summary);
        metrics_.store_response(response.Status.value_or(st::kSuccess));
        break;
      case dimse::CommandField::CCancelRq:
        // PS3.7 §9.3.2.3: C-CANCEL has no response. We perform operations one at a time and
        // answer each before reading the next message, so what it names is already answered.
        spdlog::info("[assoc {}] C-CANCEL for message {} ignored: already answered",
                     assoc.info().id, message->command.MessageIDBeingRespondedTo.value_or(0));
        continue;
      default:
        response = unrecognized(message->command);
        break;
    }
    auto sent = co_await assoc.send_message(message->pc_id, response);
    if (!sent) {
      summary.end = sent.error().code;
      spdlog::warn("[assoc {}] response not delivered: {}", assoc.info().id,
                   sent.error().message());
      co_return summary;
    }
  }
}

}  // namespace acc::router
