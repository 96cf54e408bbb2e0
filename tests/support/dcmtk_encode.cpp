#include "tests/support/dcmtk_encode.hpp"

#include <stdexcept>
#include <string>

#include <dcmtk/dcmdata/dcostrmb.h>

namespace acc::test {

std::vector<uint8_t> encode_data_set(DcmDataset& ds, E_TransferSyntax xfer) {
  if (ds.chooseRepresentation(xfer, nullptr).bad()) {
    throw std::runtime_error("cannot represent the data set in the transfer syntax");
  }
  std::vector<uint8_t> out;
  std::vector<uint8_t> chunk(64 * 1024);
  DcmOutputBufferStream stream(chunk.data(), chunk.size());
  ds.transferInit();
  OFCondition cond = EC_StreamNotifyClient;
  while (cond == EC_StreamNotifyClient) {
    cond = ds.write(stream, xfer, EET_ExplicitLength, nullptr);
    void* data = nullptr;
    offile_off_t length = 0;
    stream.flushBuffer(data, length);
    const auto* bytes = static_cast<const uint8_t*>(data);
    out.insert(out.end(), bytes, bytes + length);
  }
  ds.transferEnd();
  if (cond.bad()) {
    throw std::runtime_error(std::string("encoding a data set failed: ") + cond.text());
  }
  return out;
}

}  // namespace acc::test
