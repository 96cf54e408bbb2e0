#pragma once
// A DCMTK data set encoded in memory, for tests that build their instances (no meta header).
#include <cstdint>
#include <vector>

#include <dcmtk/config/osconfig.h>  // must precede other DCMTK headers
#include <dcmtk/dcmdata/dcdatset.h>
#include <dcmtk/dcmdata/dcxfer.h>

namespace acc::test {

// The data set's bytes in `xfer` (explicit lengths). Throws std::runtime_error when DCMTK cannot
// represent or write it: tests build their own data, so that is a bug in the test.
[[nodiscard]] std::vector<uint8_t> encode_data_set(
    DcmDataset& ds, E_TransferSyntax xfer = EXS_LittleEndianExplicit);

}  // namespace acc::test
