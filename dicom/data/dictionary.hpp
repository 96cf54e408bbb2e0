#pragma once
// Attribute tags by name, from DCMTK's data dictionary, for people-facing text (rule files, the
// CLI). Keeps DCMTK out of the modules that need names.
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace acc::dicom::data {

struct Tag {
  uint16_t group = 0;
  uint16_t element = 0;
  auto operator<=>(const Tag&) const = default;
};

// "StationName" (a keyword of DCMTK's dictionary, case-sensitive), "0008,1010" or "(0008,1010)"
// (hex, either case) -> tag; std::nullopt for an unknown keyword or a malformed number.
[[nodiscard]] std::optional<Tag> tag_from_text(std::string_view text);
// "StationName", or "(gggg,eeee)" for a tag the dictionary does not name.
[[nodiscard]] std::string tag_keyword(Tag tag);
// "(0008,1010)".
[[nodiscard]] std::string tag_text(Tag tag);

// "CTImageStorage" (DCMTK's UID name) or a UID in dotted form -> the UID; std::nullopt for an
// unknown name or text that is not a UID.
[[nodiscard]] std::optional<std::string> sop_class_from_text(std::string_view text);

// Attributes a router must never set or remove: file meta (group 0002), command group, SOP Class
// and Instance UID, Study/Series Instance UID, Transfer Syntax, pixel data and its descriptors
// (7FE0 group, Rows, Columns, Bits Allocated/Stored, High Bit, Pixel Representation, Samples per
// Pixel, Photometric Interpretation, Number of Frames), Specific Character Set, and the audit
// sequences a router writes (Original Attributes Sequence). The reason, for error messages.
[[nodiscard]] std::optional<std::string> protected_reason(Tag tag);

}  // namespace acc::dicom::data
