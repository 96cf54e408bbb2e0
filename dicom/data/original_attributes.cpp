#include "dicom/data/original_attributes.hpp"

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcdict.h>
#include <dcmtk/dcmdata/dcvrdt.h>

#include "dicom/data/data_errc.hpp"
#include "dicom/data/dcmtk_io.hpp"

namespace acc::dicom::data::detail {

bool declares_utf8(DcmItem& ds) {
  OFString charset;
  ds.findAndGetOFStringArray(DCM_SpecificCharacterSet, charset);
  return trim(charset.c_str()) == "ISO_IR 192";
}

[[nodiscard]] Result<void> check_charset(bool utf8, std::string_view name, std::string_view value) {
  if (is_ascii(value)) {
    return {};
  }
  std::string what(name);
  if (!utf8) {
    what += " is not ASCII and the instance is not ISO_IR 192";
    return fail(DataErrc::cannot_transcode, std::move(what));
  }
  if (!is_valid_utf8(value)) {
    what += " is not valid UTF-8";
    return fail(DataErrc::invalid_value, std::move(what));
  }
  return {};
}

bool dictionary_knows(const DcmTagKey& tag) {
  const DcmDataDictionary& dict = dcmDataDict.rdlock();
  const bool known = dict.findEntry(tag, nullptr) != nullptr;
  dcmDataDict.rdunlock();
  return known;
}

OFCondition adopt(DcmItem& into, std::unique_ptr<DcmElement> element, bool replace) {
  const OFCondition c = into.insert(element.get(), replace ? OFTrue : OFFalse);
  if (c.good()) {
    element.release();
  }
  return c;
}

OFCondition adopt(DcmSequenceOfItems& into, std::unique_ptr<DcmItem> item) {
  const OFCondition c = into.append(item.get());
  if (c.good()) {
    item.release();
  }
  return c;
}

[[nodiscard]] Result<DcmSequenceOfItems*> sequence(DcmItem& ds, const DcmTagKey& key,
                                                   const char* name) {
  DcmElement* element = nullptr;
  if (ds.findAndGetElement(key, element).good() && element != nullptr) {
    if (element->ident() != EVR_SQ) {
      return fail(DataErrc::unparsable, std::string(name) + " is not a sequence");
    }
    return static_cast<DcmSequenceOfItems*>(element);
  }
  auto seq = std::make_unique<DcmSequenceOfItems>(key);
  DcmSequenceOfItems* raw = seq.get();
  if (adopt(ds, std::move(seq)).bad()) {
    return fail(DataErrc::unparsable, std::string("cannot add ") + name);
  }
  return raw;
}

OFCondition record_previous(DcmItem& into, DcmItem& from, const DcmTagKey& tag,
                            bool empty_if_absent) {
  DcmElement* element = nullptr;
  if (from.findAndGetElement(tag, element).good() && element != nullptr) {
    std::unique_ptr<DcmElement> copy(static_cast<DcmElement*>(element->clone()));
    if (copy == nullptr) {
      return EC_MemoryExhausted;
    }
    return adopt(into, std::move(copy), /*replace=*/true);
  }
  return empty_if_absent ? into.insertEmptyElement(tag) : EC_Normal;
}

std::string datetime_or_now(const std::string& datetime) {
  if (!datetime.empty()) {
    return datetime;
  }
  OFString now;
  DcmDateTime::getCurrentDateTime(now, OFTrue, OFTrue, OFTrue);
  return now.c_str();
}

std::unique_ptr<DcmItem> original_attributes_item(const AuditFields& audit,
                                                  std::unique_ptr<DcmItem> previous) {
  const auto put = [](DcmItem& item, const DcmTagKey& tag, std::string_view value) {
    return item.putAndInsertString(tag, std::string(value).c_str());
  };
  auto item = std::make_unique<DcmItem>();
  OFCondition c = put(*item, DCM_SourceOfPreviousValues, audit.source_of_previous_values);
  if (c.good()) {
    c = put(*item, DCM_AttributeModificationDateTime, audit.modification_datetime);
  }
  if (c.good()) {
    c = put(*item, DCM_ModifyingSystem, audit.modifying_system);
  }
  if (c.good()) {
    c = put(*item, DCM_ReasonForTheAttributeModification,
            audit.reason.empty() ? std::string_view("COERCE") : audit.reason);
  }
  auto modified = std::make_unique<DcmSequenceOfItems>(DCM_ModifiedAttributesSequence);
  if (c.bad() || previous == nullptr || adopt(*modified, std::move(previous)).bad() ||
      adopt(*item, std::move(modified)).bad()) {
    return nullptr;
  }
  return item;
}

}  // namespace acc::dicom::data::detail
