#include "tests/support/requestor_session.hpp"

#include <stdexcept>

#include "dicom/data/sop_classes.hpp"
#include "tests/support/run_awaitable.hpp"

namespace acc::test {

namespace net = acc::dicom::net;
namespace data = acc::dicom::data;

Result<net::Association::Ptr> request_association(
    asio::io_context& io, uint16_t port, const std::string& calling_ae,
    const std::string& called_ae, const std::vector<net::ProposedContext>& contexts) {
  auto rq = net::make_associate_rq(calling_ae, called_ae, contexts, kRequestorMaxPdu);
  return run_awaitable(io, net::Association::request(io.get_executor(), "127.0.0.1", port, rq, {}));
}

RequestorSession::RequestorSession(uint16_t port, const std::string& calling_ae) {
  auto assoc = request_association(io_, port, calling_ae, "ACCESSIONER",
                                   {{kCtImageStorage, {data::kExplicitVrLittleEndian}}});
  if (!assoc) {
    throw std::runtime_error("association failed: " + assoc.error().message());
  }
  assoc_ = std::move(*assoc);
}

Result<net::StoreResponse> RequestorSession::store(const std::string& sop_instance_uid,
                                                   const std::vector<uint8_t>& data_set) {
  return c_store(sop_instance_uid, data::kExplicitVrLittleEndian, data_set);
}

Result<net::StoreResponse> RequestorSession::store(const DataSetBytes& data_set) {
  return c_store(data_set.sop_instance_uid, data_set.transfer_syntax_uid, data_set.bytes);
}

Result<net::StoreResponse> RequestorSession::c_store(const std::string& sop_instance_uid,
                                                     const std::string& transfer_syntax,
                                                     const std::vector<uint8_t>& data_set) {
  return run_awaitable(
      io_, net::c_store(*assoc_, kCtImageStorage, sop_instance_uid, transfer_syntax, data_set));
}

Result<void> RequestorSession::release() {
  return run_awaitable(io_, assoc_->release());
}

}  // namespace acc::test
