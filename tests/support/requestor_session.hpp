#pragma once
// Associations opened with our own requestor library (dicom/net) against a server on loopback:
// for tests that must hold an association open across other actions, or send what DCMTK's tools
// would not (an unparsable data set), or query a worklist provider.
#include <cstdint>
#include <string>
#include <vector>

#include <asio/io_context.hpp>

#include "common/result.hpp"
#include "dicom/net/association.hpp"
#include "dicom/net/scu.hpp"
#include "tests/support/dicom_files.hpp"

namespace acc::test {

// Max PDU length every test requestor offers.
inline constexpr uint32_t kRequestorMaxPdu = 16384;

// A-ASSOCIATE-RQ from `calling_ae` to `called_ae` at 127.0.0.1:port proposing `contexts`, run on
// `io` until established or refused. The caller owns `io`, and runs the operations on the
// association with run_awaitable() on it.
[[nodiscard]] Result<dicom::net::Association::Ptr> request_association(
    asio::io_context& io, uint16_t port, const std::string& calling_ae,
    const std::string& called_ae, const std::vector<dicom::net::ProposedContext>& contexts);

// One association to Accessioner (called AE ACCESSIONER) proposing CT Image Storage in Explicit VR
// Little Endian only, with its own io_context: a modality that stays connected while the test
// does other things (reloads rules, fills the disk, opens a second association).
class RequestorSession {
 public:
  // Throws std::runtime_error if the association is not established.
  RequestorSession(uint16_t port, const std::string& calling_ae);

  // C-STORE of CT Image Storage `data_set`, encoded in Explicit VR Little Endian (whatever the
  // bytes really are: tests send garbage too).
  Result<dicom::net::StoreResponse> store(const std::string& sop_instance_uid,
                                          const std::vector<uint8_t>& data_set);
  // C-STORE of a data set read from a file (its transfer syntax must be Explicit VR Little Endian).
  Result<dicom::net::StoreResponse> store(const DataSetBytes& data_set);
  Result<void> release();
  [[nodiscard]] bool established() const { return assoc_->established(); }

 private:
  Result<dicom::net::StoreResponse> c_store(const std::string& sop_instance_uid,
                                            const std::string& transfer_syntax,
                                            const std::vector<uint8_t>& data_set);

  asio::io_context io_;
  dicom::net::Association::Ptr assoc_;
};

}  // namespace acc::test
