#pragma once
// DIMSE service user operations on an established association (the requestor side used to
// forward to a PACS and to query a worklist). Synchronous: one outstanding request at a time.
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <asio/awaitable.hpp>

#include "common/result.hpp"
#include "dicom/net/association.hpp"

namespace acc::dicom::net {

// Presentation contexts to propose: one per (abstract syntax, transfer syntax list).
struct ProposedContext {
  std::string abstract_syntax;
  std::vector<std::string> transfer_syntaxes;
};

// A-ASSOCIATE-RQ with odd context IDs 1, 3, 5, ... in the given order.
[[nodiscard]] ul::AssociateRq make_associate_rq(std::string calling_ae, std::string called_ae,
                                                const std::vector<ProposedContext>& contexts,
                                                uint32_t max_pdu_length);

// PS3.7 §9.1.5 C-ECHO. Returns the peer's status.
[[nodiscard]] asio::awaitable<Result<uint16_t>> c_echo(Association& assoc);

struct StoreResponse {
  uint16_t status = 0;
  std::string error_comment;
};

// PS3.7 §9.1.1 C-STORE of a data set encoded in `transfer_syntax`, on a context accepted for that
// SOP class and transfer syntax (AssocErrc::no_presentation_context otherwise).
[[nodiscard]] asio::awaitable<Result<StoreResponse>> c_store(Association& assoc,
                                                             std::string_view sop_class_uid,
                                                             std::string_view sop_instance_uid,
                                                             std::string_view transfer_syntax,
                                                             std::span<const uint8_t> data_set);
// The same, with the data set read piece by piece while it is sent (Association::DataSetPieces):
// a stored object is forwarded without being held in memory.
[[nodiscard]] asio::awaitable<Result<StoreResponse>> c_store(
    Association& assoc, std::string_view sop_class_uid, std::string_view sop_instance_uid,
    std::string_view transfer_syntax, const Association::DataSetPieces& pieces);

// Called with each pending identifier (encoded in the context's transfer syntax). Return false to
// cancel the query (a C-CANCEL-RQ is sent; responses still in flight are drained).
using FindMatchHandler = std::function<bool(std::vector<uint8_t> identifier)>;

// PS3.7 §9.1.2 C-FIND. Returns the final status (0x0000, 0xFE00 after cancel, or a failure).
[[nodiscard]] asio::awaitable<Result<uint16_t>> c_find(Association& assoc,
                                                       std::string_view sop_class_uid,
                                                       std::span<const uint8_t> identifier,
                                                       FindMatchHandler on_match);

}  // namespace acc::dicom::net
