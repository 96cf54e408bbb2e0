#pragma once
// Private to dicom/data: the pieces every attribute change shares (stamping, rule coercion) —
// the Specific Character Set policy for text we write, DCMTK ownership helpers, and the
// Original Attributes Sequence (0400,0561) audit item of PS3.3 C.12.1. Includes DCMTK, so never
// include it from outside this module.
#include <memory>
#include <string>
#include <string_view>

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcitem.h>
#include <dcmtk/dcmdata/dcsequen.h>

#include "common/result.hpp"

namespace acc::dicom::data::detail {

// True if the data set's Specific Character Set (0008,0005) is ISO_IR 192 (UTF-8).
[[nodiscard]] bool declares_utf8(DcmItem& ds);

// Text we write must be representable in the instance's Specific Character Set. We do not
// convert into legacy character sets: non-ASCII text is written only where ISO_IR 192 declares
// UTF-8 (`utf8`), else DataErrc::cannot_transcode; invalid UTF-8 is DataErrc::invalid_value.
// `name` names the attribute in the error.
[[nodiscard]] Result<void> check_charset(bool utf8, std::string_view name, std::string_view value);

// True if DCMTK's data dictionary has a public entry for `tag` (repeating groups included).
[[nodiscard]] bool dictionary_knows(const DcmTagKey& tag);

// DcmItem::insert and DcmSequenceOfItems::append take ownership only when they succeed.
OFCondition adopt(DcmItem& into, std::unique_ptr<DcmElement> element, bool replace = false);
OFCondition adopt(DcmSequenceOfItems& into, std::unique_ptr<DcmItem> item);

// The sequence `key` of `ds`, created empty when absent. An element with that tag that is not
// a sequence (e.g. kept as UN) cannot be appended to without guessing its content:
// DataErrc::unparsable naming `name`.
[[nodiscard]] Result<DcmSequenceOfItems*> sequence(DcmItem& ds, const DcmTagKey& key,
                                                   const char* name);

// Copies the element `tag` of `from` (whole, sequences included) into `into`. If `from` has no
// such element, an empty one is recorded when `empty_if_absent` (PS3.3 C.12.1.1.9.2), else
// nothing.
OFCondition record_previous(DcmItem& into, DcmItem& from, const DcmTagKey& tag,
                            bool empty_if_absent);

// `datetime`, or the current date and time with fraction and time zone if it is empty.
[[nodiscard]] std::string datetime_or_now(const std::string& datetime);

// The audit attributes of one Original Attributes Sequence item.
struct AuditFields {
  std::string_view modifying_system;           // (0400,0563)
  std::string_view source_of_previous_values;  // (0400,0564)
  std::string_view reason;                     // (0400,0565), "COERCE" if empty
  std::string_view modification_datetime;      // (0400,0562), already filled
};

// One Original Attributes Sequence item: the audit attributes and a Modified Attributes
// Sequence (0400,0550) holding `previous` as its single item. nullptr if DCMTK refuses a value.
[[nodiscard]] std::unique_ptr<DcmItem> original_attributes_item(const AuditFields& audit,
                                                                std::unique_ptr<DcmItem> previous);

}  // namespace acc::dicom::data::detail
