#pragma once
// Private to dicom/data: reading and writing whole DcmDatasets through memory buffers, and the
// small text checks shared by the worklist and stamping code. Includes DCMTK, so never include it
// from outside this module.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdatset.h>
#include <dcmtk/dcmdata/dcxfer.h>

#include "common/result.hpp"

namespace acc::dicom::data::detail {

// DCMTK's transfer syntax for `ts_uid`, DataErrc::unknown_transfer_syntax if it has none.
[[nodiscard]] Result<E_TransferSyntax> xfer_of(std::string_view ts_uid);

// Parses `bytes` (no meta header) in `xfer`; deflated input is inflated by DCMTK. Group lengths
// are kept as read. DataErrc::unparsable carries DCMTK's reason.
[[nodiscard]] Result<std::unique_ptr<DcmDataset>> read_dataset(std::span<const uint8_t> bytes,
                                                               E_TransferSyntax xfer);

// Encodes `ds` in `xfer` (deflated again if `xfer` is), explicit item and sequence lengths.
// Group length elements that exist are recalculated, none are added.
[[nodiscard]] Result<std::vector<uint8_t>> write_dataset(DcmDataset& ds, E_TransferSyntax xfer);

// Without leading/trailing spaces and trailing NULs (DICOM padding).
[[nodiscard]] std::string trim(std::string_view v);

[[nodiscard]] bool is_ascii(std::string_view v);
[[nodiscard]] bool is_valid_utf8(std::string_view v);

// True if `v` can be written as one value of a DICOM string VR: no backslash (value separator)
// and no control characters.
[[nodiscard]] bool is_single_text_value(std::string_view v);

}  // namespace acc::dicom::data::detail
