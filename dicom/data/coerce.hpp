#pragma once
// Attribute coercion by site rules: set or remove top-level attributes of one instance, with the
// audit trail in Original Attributes Sequence (PS3.3 C.12.1), applied with DCMTK and re-encoded in
// the instance's own transfer syntax (encapsulated pixel data is kept as it is, never
// recompressed).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "dicom/data/dictionary.hpp"

namespace acc::dicom::data {

struct AttributeEdit {
  Tag tag;
  std::optional<std::string> value;  // std::nullopt = remove; "" = present with no value
};

struct CoerceRequest {
  std::vector<AttributeEdit> edits;  // applied in order
  // Audit (Original Attributes Sequence item):
  std::string modifying_system;           // (0400,0563) our AE title
  std::string source_of_previous_values;  // (0400,0564) calling AE
  std::string reason = "COERCE";          // (0400,0565)
  std::string modification_datetime;      // (0400,0562), now if empty
};

struct CoerceResult {
  std::vector<uint8_t> data_set;  // re-encoded in the same transfer syntax
  std::size_t changed = 0;        // attributes whose value differs from the input's
};

// Applies `request.edits` and appends ONE Original Attributes Sequence (0400,0561) item whose
// Modified Attributes Sequence holds the previous value of every attribute changed or removed (an
// attribute that was absent is recorded empty). Instance Coercion DateTime (0008,0015) is set to
// the modification time as well (its previous value recorded when it had one), unless an edit
// names it.
//
// Values are text in DICOM's string form, written with the VR of DCMTK's data dictionary;
// multiple values are separated by '\'. Refused with DataErrc::invalid_value, before anything is
// written: a tag the dictionary does not know (private ones included), tags that are no attribute
// of a data set or that coercion must not touch (groups 0000 and 0002, group lengths, items,
// Specific Character Set, Original Attributes Sequence, pixel data group 7FE0), values for
// sequences, binary VRs (OB, OW, OF, OD, OL, OV, UN, AT) or a VR the dictionary leaves ambiguous
// (US or SS), and any value invalid for its VR or value multiplicity (format, length, range).
// Non-ASCII text is written only into ISO_IR 192 instances (else DataErrc::cannot_transcode), and
// only for the VRs that allow it (SH, LO, ST, LT, UT, UC, PN).
//
// Edits that change nothing (the same value, removing an absent attribute) are skipped; when
// nothing changes the input bytes are returned unchanged, with no audit item and changed == 0.
[[nodiscard]] Result<CoerceResult> coerce_attributes(std::span<const uint8_t> data_set,
                                                     std::string_view transfer_syntax,
                                                     const CoerceRequest& request) noexcept;

}  // namespace acc::dicom::data
