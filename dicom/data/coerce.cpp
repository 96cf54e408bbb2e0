#include "dicom/data/coerce.hpp"

#include <cfloat>
#include <charconv>
#include <cmath>
#include <initializer_list>
#include <limits>
#include <memory>
#include <utility>

#include <dcmtk/dcmdata/dcdatset.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcdicent.h>
#include <dcmtk/dcmdata/dcdict.h>
#include <dcmtk/dcmdata/dcitem.h>
#include <dcmtk/dcmdata/dcsequen.h>

#include "dicom/data/data_errc.hpp"
#include "dicom/data/dcmtk_io.hpp"
#include "dicom/data/original_attributes.hpp"

namespace acc::dicom::data {
namespace {

using detail::adopt;

// Error texts are built by appending: g++ 12 reports a false -Wrestrict for `"x" + std::string`.
std::string cat(std::initializer_list<std::string_view> parts) {
  std::string out;
  for (const std::string_view p : parts) {
    out += p;
  }
  return out;
}

DcmTagKey key_of(Tag tag) {
  return {tag.group, tag.element};
}

// "StationName (0008,1010)", or "(gggg,eeee)" alone for a tag the dictionary does not name.
std::string name_of(const DcmTagKey& key) {
  std::string out;
  if (detail::dictionary_knows(key)) {
    out += DcmTag(key).getTagName();
    out += ' ';
  }
  out += key.toString().c_str();
  return out;
}

FailedResult refuse(const DcmTagKey& key, std::string_view why) {
  std::string detail = name_of(key);
  detail += ": ";
  detail += why;
  return fail(DataErrc::invalid_value, std::move(detail));
}

// Tags a coercion may name at all (to set or to remove).
[[nodiscard]] Result<void> check_tag(const DcmTagKey& key) {
  const uint16_t group = key.getGroup();
  if (group % 2 == 1) {
    return refuse(key, "private attributes cannot be coerced");
  }
  if (!detail::dictionary_knows(key)) {
    return refuse(key, "not in the data dictionary");
  }
  if (group == 0x0000 || group == 0x0002 || group == 0xFFFE || key.getElement() == 0x0000) {
    return refuse(key, "not an attribute of the data set (command, file meta, group length)");
  }
  if (key == DCM_SpecificCharacterSet) {
    return refuse(key, "changing it would reinterpret every text value");
  }
  if (key == DCM_OriginalAttributesSequence) {
    return refuse(key, "the audit trail cannot be coerced");
  }
  if (group == 0x7FE0) {
    return refuse(key, "pixel data cannot be coerced");
  }
  return {};
}

enum class Kind { text, integer, floating, unsupported };

Kind kind_of(DcmEVR vr) {
  switch (vr) {
    case EVR_AE:
    case EVR_AS:
    case EVR_CS:
    case EVR_DA:
    case EVR_DS:
    case EVR_DT:
    case EVR_IS:
    case EVR_LO:
    case EVR_LT:
    case EVR_PN:
    case EVR_SH:
    case EVR_ST:
    case EVR_TM:
    case EVR_UC:
    case EVR_UI:
    case EVR_UR:
    case EVR_UT:
      return Kind::text;
    case EVR_US:
    case EVR_SS:
    case EVR_UL:
    case EVR_SL:
    case EVR_UV:
    case EVR_SV:
      return Kind::integer;
    case EVR_FL:
    case EVR_FD:
      return Kind::floating;
    default:  // SQ, OB, OW, OF, OD, OL, OV, UN, AT, and DCMTK's ambiguous xs, ox, lt, px, ...
      return Kind::unsupported;
  }
}

// VRs whose single value may contain '\' (they have no value multiplicity).
bool single_valued(DcmEVR vr) {
  return vr == EVR_LT || vr == EVR_ST || vr == EVR_UT || vr == EVR_UR;
}

// VRs whose character repertoire goes beyond the default one (PS3.5 6.1.2.3).
bool allows_extended_characters(DcmEVR vr) {
  return vr == EVR_SH || vr == EVR_LO || vr == EVR_ST || vr == EVR_LT || vr == EVR_UT ||
         vr == EVR_UC || vr == EVR_PN;
}

// PS3.5 Table 6.2-1 maximum length of one value in characters (PN: of one component group);
// 0 for no limit below the 32-bit length (UC, UR, UT).
std::size_t max_length(DcmEVR vr) {
  switch (vr) {
    case EVR_AE:
    case EVR_CS:
    case EVR_DS:
    case EVR_SH:
      return 16;
    case EVR_AS:
      return 4;
    case EVR_DA:
      return 8;
    case EVR_DT:
      return 26;
    case EVR_IS:
      return 12;
    case EVR_TM:
      return 14;
    case EVR_LO:
    case EVR_PN:
    case EVR_UI:
      return 64;
    case EVR_ST:
      return 1024;
    case EVR_LT:
      return 10240;
    default:
      return 0;
  }
}

std::vector<std::string_view> split(std::string_view v, char separator) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (;;) {
    const std::size_t end = v.find(separator, start);
    parts.push_back(v.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) {
      return parts;
    }
    start = end + 1;
  }
}

std::string_view strip(std::string_view v) {
  while (!v.empty() && v.front() == ' ') {
    v.remove_prefix(1);
  }
  while (!v.empty() && v.back() == ' ') {
    v.remove_suffix(1);
  }
  if (v.size() > 1 && v.front() == '+' && v[1] != '-') {
    v.remove_prefix(1);  // from_chars does not take an explicit plus sign
  }
  return v;
}

template <class T>
bool parse_whole(std::string_view v, T& out) {
  const char* end = v.data() + v.size();
  const auto [ptr, ec] = std::from_chars(v.data(), end, out);
  return ec == std::errc() && ptr == end;
}

// Integer range of the binary VRs (and of IS, PS3.5 6.2).
bool integer_in_range(DcmEVR vr, std::string_view text) {
  if (vr == EVR_UV) {
    uint64_t u = 0;
    return parse_whole(text, u);
  }
  int64_t v = 0;
  if (!parse_whole(text, v)) {
    return false;
  }
  switch (vr) {
    case EVR_US:
      return v >= 0 && v <= std::numeric_limits<uint16_t>::max();
    case EVR_SS:
      return v >= std::numeric_limits<int16_t>::min() && v <= std::numeric_limits<int16_t>::max();
    case EVR_UL:
      return v >= 0 && v <= std::numeric_limits<uint32_t>::max();
    case EVR_SL:
    case EVR_IS:
      return v >= std::numeric_limits<int32_t>::min() && v <= std::numeric_limits<int32_t>::max();
    default:  // SV
      return true;
  }
}

bool finite_in_range(DcmEVR vr, std::string_view text) {
  double v = 0;
  if (!parse_whole(text, v) || !std::isfinite(v)) {
    return false;
  }
  return vr != EVR_FL || std::fabs(v) <= FLT_MAX;
}

// `v` (valid UTF-8) with every non-ASCII character replaced by one 'x': DCMTK's VR checker only
// knows ASCII and Latin-1, and lengths count characters, not bytes.
std::string ascii_shadow(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (const char c : v) {
    const auto b = static_cast<unsigned char>(c);
    if (b < 0x80) {
      out += c;
    } else if ((b & 0xC0) != 0x80) {
      out += 'x';
    }
  }
  return out;
}

struct VmRange {
  int min = 1;
  int max = 1;  // DcmVariableVM for no upper limit
};

VmRange vm_of(const DcmTagKey& key) {
  VmRange range;
  const DcmDataDictionary& dict = dcmDataDict.rdlock();
  if (const DcmDictEntry* entry = dict.findEntry(key, nullptr); entry != nullptr) {
    range = {entry->getVMMin(), entry->getVMMax()};
  }
  dcmDataDict.rdunlock();
  return range;
}

std::string vm_text(VmRange vm) {
  std::string out = std::to_string(vm.min);
  if (vm.max == DcmVariableVM) {
    out += "-n";
  } else if (vm.max != vm.min) {
    out += '-';
    out += std::to_string(vm.max);
  }
  return out;
}

// The element `key` would be with `value`, in the dictionary's VR, once the value is known to be
// valid for that VR in an instance whose character set is UTF-8 (`utf8`) or not.
[[nodiscard]] Result<std::unique_ptr<DcmElement>> new_element(const DcmTagKey& key,
                                                              const std::string& value, bool utf8) {
  const DcmTag tag(key);
  const DcmEVR vr = tag.getEVR();
  const Kind kind = kind_of(vr);
  std::string vr_name = tag.getVRName();
  if (kind == Kind::unsupported) {
    if (vr == EVR_SQ) {
      return refuse(key, "a sequence cannot be set from text");
    }
    return refuse(key, cat({"VR ", vr_name, " cannot be set from text"}));
  }
  const std::string name = name_of(key);
  if (auto ok = detail::check_charset(utf8, name, value); !ok) {
    return fail(ok.error());
  }
  const bool ascii = detail::is_ascii(value);
  if (!ascii && !allows_extended_characters(vr)) {
    return refuse(key, cat({"VR ", vr_name, " allows ASCII characters only"}));
  }
  const std::string shadow = ascii ? value : ascii_shadow(value);

  std::vector<std::string_view> values;
  if (!shadow.empty()) {
    values = single_valued(vr) ? std::vector<std::string_view>{shadow} : split(shadow, '\\');
  }
  const VmRange vm = vm_of(key);
  const auto count = static_cast<int>(values.size());
  if (count > 0 && (count < vm.min || (vm.max != DcmVariableVM && count > vm.max))) {
    return refuse(key, cat({std::to_string(count), " value(s), VM ", vm_text(vm), " required"}));
  }
  // Error texts name the attribute, the VR and the value's position, never the value: it may be
  // patient data.
  for (std::size_t i = 0; i < values.size(); ++i) {
    const std::string_view one = values[i];
    const std::string position = std::to_string(i + 1);
    if (kind == Kind::integer && !integer_in_range(vr, strip(one))) {
      return refuse(key, cat({"value ", position, " is not an integer in the range of ", vr_name}));
    }
    if (kind == Kind::floating && !finite_in_range(vr, strip(one))) {
      return refuse(key, cat({"value ", position, " is not a finite number for ", vr_name}));
    }
    if (vr == EVR_IS && !integer_in_range(vr, strip(one))) {
      return refuse(key, cat({"value ", position, " is not a 32-bit integer (IS)"}));
    }
    const std::size_t limit = max_length(vr);
    const auto parts = vr == EVR_PN ? split(one, '=') : std::vector<std::string_view>{one};
    for (const std::string_view part : parts) {
      if (limit != 0 && part.size() > limit) {
        return refuse(key, cat({"value ", position, " is longer than ", std::to_string(limit),
                                " characters (VR ", vr_name, ")"}));
      }
    }
  }

  std::unique_ptr<DcmElement> element(DcmItem::newDicomElement(key));
  if (element == nullptr || element->ident() != vr) {
    return refuse(key, cat({"DCMTK cannot create an element of VR ", vr_name}));
  }
  if (kind == Kind::text) {
    // Format checks (dates, times, numbers as text, UIDs, code strings, control characters) by
    // DCMTK's VR checker. It checks the character repertoire only for an element that is part of
    // a data set: one without Specific Character Set, so ASCII (non-ASCII characters shadowed).
    DcmDataset scratch;
    std::unique_ptr<DcmElement> probe(DcmItem::newDicomElement(key));
    OFCondition c = probe == nullptr ? EC_MemoryExhausted : probe->putString(shadow.c_str());
    DcmElement* inserted = probe.get();
    if (c.good()) {
      c = adopt(scratch, std::move(probe));
    }
    if (c.good()) {
      c = inserted->checkValue("1-n", OFFalse);
    }
    if (c.bad()) {
      return refuse(key, cat({"no valid ", vr_name, " value (", c.text(), ")"}));
    }
  }
  if (const OFCondition c = element->putString(value.c_str()); c.bad()) {
    return refuse(key, cat({"no valid ", vr_name, " value (", c.text(), ")"}));
  }
  return element;
}

// The audit strings are written too: one value each, representable in the instance.
[[nodiscard]] Result<void> check_audit(const CoerceRequest& r, const std::string& datetime,
                                       bool utf8) {
  const std::pair<const char*, const std::string*> fields[] = {
      {"Modifying System", &r.modifying_system},
      {"Source of Previous Values", &r.source_of_previous_values},
      {"Reason for the Attribute Modification", &r.reason},
      {"Attribute Modification DateTime", &datetime}};
  for (const auto& [name, value] : fields) {
    if (!detail::is_single_text_value(*value)) {
      return fail(DataErrc::invalid_value, name);
    }
    if (auto ok = detail::check_charset(utf8, name, *value); !ok) {
      return ok;
    }
  }
  return {};
}

DcmElement* find(DcmItem& ds, const DcmTagKey& key) {
  DcmElement* element = nullptr;
  if (ds.findAndGetElement(key, element).bad()) {
    return nullptr;
  }
  return element;
}

bool same(DcmElement* before, DcmElement* after) {
  if (before == nullptr || after == nullptr) {
    return before == after;
  }
  if (before->ident() != after->ident()) {
    return false;
  }
  if (kind_of(before->ident()) != Kind::text) {
    return before->compare(*after) == 0;
  }
  // Text compares without its insignificant padding (DCMTK's normalisation for the VR).
  OFString before_text;
  OFString after_text;
  return before->getOFStringArray(before_text, OFTrue).good() &&
         after->getOFStringArray(after_text, OFTrue).good() && before_text == after_text;
}

struct Edit {
  DcmTagKey key;
  std::unique_ptr<DcmElement> element;  // nullptr: remove
};

// The attribute as it was before the first edit naming it (nullptr: absent).
struct Original {
  DcmTagKey key;
  std::unique_ptr<DcmElement> element;
};

[[nodiscard]] Result<CoerceResult> coerce(std::span<const uint8_t> data_set,
                                          std::string_view transfer_syntax,
                                          const CoerceRequest& r) {
  const std::string datetime = detail::datetime_or_now(r.modification_datetime);
  auto xfer = detail::xfer_of(transfer_syntax);
  if (!xfer) {
    return fail(xfer.error());
  }
  auto parsed = detail::read_dataset(data_set, *xfer);
  if (!parsed) {
    return fail(parsed.error());
  }
  DcmDataset& ds = **parsed;
  const bool utf8 = detail::declares_utf8(ds);
  if (auto ok = check_audit(r, datetime, utf8); !ok) {
    return fail(ok.error());
  }

  // Everything is checked before anything changes.
  std::vector<Edit> edits;
  edits.reserve(r.edits.size());
  bool names_coercion_time = false;
  for (const AttributeEdit& e : r.edits) {
    const DcmTagKey key = key_of(e.tag);
    if (auto ok = check_tag(key); !ok) {
      return fail(ok.error());
    }
    names_coercion_time = names_coercion_time || key == DCM_InstanceCoercionDateTime;
    Edit edit{key, nullptr};
    if (e.value) {
      auto element = new_element(key, *e.value, utf8);
      if (!element) {
        return fail(element.error());
      }
      edit.element = std::move(*element);
    }
    edits.push_back(std::move(edit));
  }

  std::vector<Original> originals;
  for (Edit& edit : edits) {
    bool seen = false;
    for (const Original& o : originals) {
      seen = seen || o.key == edit.key;
    }
    if (!seen) {
      DcmElement* current = find(ds, edit.key);
      std::unique_ptr<DcmElement> copy;
      if (current != nullptr) {
        copy.reset(static_cast<DcmElement*>(current->clone()));
        if (copy == nullptr) {
          return fail(DataErrc::unparsable, cat({"copying ", name_of(edit.key)}));
        }
      }
      originals.push_back({edit.key, std::move(copy)});
    }
    if (edit.element != nullptr) {
      if (const OFCondition c = adopt(ds, std::move(edit.element), /*replace=*/true); c.bad()) {
        return refuse(edit.key, cat({"cannot be set: ", c.text()}));
      }
    } else if (find(ds, edit.key) != nullptr) {
      if (const OFCondition c = ds.findAndDeleteElement(edit.key); c.bad()) {
        return refuse(edit.key, cat({"cannot be removed: ", c.text()}));
      }
    }
  }

  // Only what differs from the input in the end is a change (setting then removing an
  // attribute that was absent is none).
  CoerceResult result;
  auto previous = std::make_unique<DcmItem>();
  for (Original& o : originals) {
    if (same(o.element.get(), find(ds, o.key))) {
      continue;
    }
    ++result.changed;
    const OFCondition c = o.element != nullptr ? adopt(*previous, std::move(o.element), true)
                                               : previous->insertEmptyElement(o.key);
    if (c.bad()) {
      return fail(DataErrc::unparsable, cat({"recording the previous value of ", name_of(o.key)}));
    }
  }
  if (result.changed == 0) {
    result.data_set.assign(data_set.begin(), data_set.end());
    return result;
  }

  // Instance Coercion DateTime is recent (2015); an older dictionary would write it as UN.
  if (!names_coercion_time && detail::dictionary_knows(DCM_InstanceCoercionDateTime)) {
    OFCondition c = detail::record_previous(*previous, ds, DCM_InstanceCoercionDateTime,
                                            /*empty_if_absent=*/false);
    if (c.good()) {
      c = ds.putAndInsertString(DCM_InstanceCoercionDateTime, datetime.c_str());
    }
    if (c.bad()) {
      return fail(DataErrc::invalid_value, cat({"Instance Coercion DateTime: ", c.text()}));
    }
  }
  auto oas = detail::sequence(ds, DCM_OriginalAttributesSequence, "Original Attributes Sequence");
  if (!oas) {
    return fail(oas.error());
  }
  auto item = detail::original_attributes_item(
      {r.modifying_system, r.source_of_previous_values, r.reason, datetime}, std::move(previous));
  if (item == nullptr || adopt(**oas, std::move(item)).bad()) {
    return fail(DataErrc::invalid_value, "building the Original Attributes item");
  }
  auto bytes = detail::write_dataset(ds, *xfer);
  if (!bytes) {
    return fail(bytes.error());
  }
  result.data_set = std::move(*bytes);
  return result;
}

}  // namespace

[[nodiscard]] Result<CoerceResult> coerce_attributes(std::span<const uint8_t> data_set,
                                                     std::string_view transfer_syntax,
                                                     const CoerceRequest& request) noexcept {
  try {
    return coerce(data_set, transfer_syntax, request);
  } catch (const std::exception& e) {
    // DCMTK is not exception-based, but std::bad_alloc on a hostile length must not escape.
    return fail(DataErrc::unparsable, e.what());
  }
}

}  // namespace acc::dicom::data
