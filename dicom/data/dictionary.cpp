#include "dicom/data/dictionary.hpp"

#include <cstdio>
#include <string>
#include <unordered_map>

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdicent.h>
#include <dcmtk/dcmdata/dcdict.h>
#include <dcmtk/dcmdata/dcuid.h>

#include "dicom/data/sop_classes.hpp"
#include "dicom/data/uid.hpp"

namespace acc::dicom::data {
namespace {

// Holds DCMTK's global dictionary read lock for one look-up (the dictionary is shared with every
// parsing thread; rdlock() also loads it on first use).
class DictionaryReader {
 public:
  DictionaryReader() : dict_(dcmDataDict.rdlock()) {}
  ~DictionaryReader() { dcmDataDict.rdunlock(); }
  DictionaryReader(const DictionaryReader&) = delete;
  DictionaryReader& operator=(const DictionaryReader&) = delete;
  const DcmDataDictionary& operator*() const { return dict_; }
  const DcmDataDictionary* operator->() const { return &dict_; }

 private:
  const DcmDataDictionary& dict_;
};

// Keyword -> tag for every entry a keyword can address (not repeating, not private), built once.
// DcmDataDictionary::findEntry(name) scans the whole dictionary per call: loading 1,000 rules
// spent 90 % of its time there (benchmarks/RESULTS.md, "Site rules").
const std::unordered_map<std::string, Tag>& keyword_index() {
  static const std::unordered_map<std::string, Tag> index = [] {
    std::unordered_map<std::string, Tag> out;
    const DictionaryReader dict;
    // normalBegin() is not const in DCMTK 3.6.7 although it only reads.
    auto& d = const_cast<DcmDataDictionary&>(*dict);
    for (auto it = d.normalBegin(); it != d.normalEnd(); ++it) {
      const DcmDictEntry* e = *it;
      if (e != nullptr && e->getTagName() != nullptr && !e->isRepeating() &&
          e->getPrivateCreator() == nullptr) {
        out.emplace(e->getTagName(), Tag{e->getGroup(), e->getElement()});
      }
    }
    return out;
  }();
  return index;
}

std::optional<uint16_t> hex4(std::string_view s) {
  if (s.size() != 4) {
    return std::nullopt;
  }
  uint16_t v = 0;
  for (const char c : s) {
    unsigned digit = 0;
    if (c >= '0' && c <= '9') {
      digit = static_cast<unsigned>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      digit = static_cast<unsigned>(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
      digit = static_cast<unsigned>(c - 'A' + 10);
    } else {
      return std::nullopt;
    }
    v = static_cast<uint16_t>((v << 4) | digit);
  }
  return v;
}

// "gggg,eeee" with or without parentheses; exactly four hex digits each.
std::optional<Tag> numeric_tag(std::string_view text) {
  if (text.size() >= 2 && text.front() == '(' && text.back() == ')') {
    text = text.substr(1, text.size() - 2);
  }
  const auto comma = text.find(',');
  if (comma == std::string_view::npos) {
    return std::nullopt;
  }
  const auto group = hex4(text.substr(0, comma));
  const auto element = hex4(text.substr(comma + 1));
  if (!group || !element) {
    return std::nullopt;
  }
  return Tag{*group, *element};
}

}  // namespace

std::optional<Tag> tag_from_text(std::string_view text) {
  if (text.find(',') != std::string_view::npos) {
    return numeric_tag(text);
  }
  if (text.empty()) {
    return std::nullopt;
  }
  // A repeating entry (OverlayData, 60xx) names a range, not one tag; private entries need their
  // creator to mean anything. Neither is in the index: neither can be addressed by keyword alone.
  const auto& index = keyword_index();
  if (auto it = index.find(std::string(text)); it != index.end()) {
    return it->second;
  }
  return std::nullopt;
}

std::string tag_keyword(Tag tag) {
  {
    const DictionaryReader dict;
    const DcmDictEntry* entry = dict->findEntry(DcmTagKey(tag.group, tag.element), nullptr);
    if (entry != nullptr && entry->getTagName() != nullptr) {
      return entry->getTagName();
    }
  }
  return tag_text(tag);
}

std::string tag_text(Tag tag) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "(%04X,%04X)", static_cast<unsigned>(tag.group),
                static_cast<unsigned>(tag.element));
  return buf;
}

std::optional<std::string> sop_class_from_text(std::string_view text) {
  if (text.empty() || text.size() > 128) {
    return std::nullopt;
  }
  if (text.front() >= '0' && text.front() <= '9') {
    // A UID is taken as given: private SOP classes are not in any dictionary.
    return is_uid(text) ? std::optional<std::string>(text) : std::nullopt;
  }
  const std::string name(text);
  const char* uid = dcmFindUIDFromName(name.c_str());
  // Only storage classes: a transfer syntax or a query model name can never be an instance's class.
  if (uid == nullptr || !(dcmIsaStorageSOPClassUID(uid, ESSC_All) || is_storage_sop_class(uid))) {
    return std::nullopt;
  }
  return std::string(uid);
}

std::optional<std::string> protected_reason(Tag tag) {
  switch (tag.group) {
    case 0x0000:
      return "command group (0000) belongs to DIMSE messages";
    case 0x0002:
      return "file meta information (group 0002) is written by the router";
    case 0x7FE0:
      return "pixel data (group 7FE0) is never changed";
    case 0xFFFE:
      return "item and delimitation tags (FFFE) are structure, not attributes";
    default:
      break;
  }
  struct Protected {
    Tag tag;
    const char* reason;
  };
  static constexpr Protected kProtected[] = {
      {{0x0008, 0x0005}, "Specific Character Set describes how every other value is encoded"},
      {{0x0008, 0x0016}, "SOP Class UID identifies the instance"},
      {{0x0008, 0x0018}, "SOP Instance UID identifies the instance"},
      {{0x0020, 0x000D}, "Study Instance UID identifies the study"},
      {{0x0020, 0x000E}, "Series Instance UID identifies the series"},
      {{0x0028, 0x0002}, "Samples per Pixel describes the pixel data"},
      {{0x0028, 0x0004}, "Photometric Interpretation describes the pixel data"},
      {{0x0028, 0x0006}, "Planar Configuration describes the pixel data"},
      {{0x0028, 0x0008}, "Number of Frames describes the pixel data"},
      {{0x0028, 0x0010}, "Rows describes the pixel data"},
      {{0x0028, 0x0011}, "Columns describes the pixel data"},
      {{0x0028, 0x0100}, "Bits Allocated describes the pixel data"},
      {{0x0028, 0x0101}, "Bits Stored describes the pixel data"},
      {{0x0028, 0x0102}, "High Bit describes the pixel data"},
      {{0x0028, 0x0103}, "Pixel Representation describes the pixel data"},
      {{0x0400, 0x0550}, "Modified Attributes Sequence is the router's audit trail"},
      {{0x0400, 0x0561}, "Original Attributes Sequence is the router's audit trail"},
  };
  for (const auto& p : kProtected) {
    if (p.tag == tag) {
      return std::string(p.reason);
    }
  }
  return std::nullopt;
}

}  // namespace acc::dicom::data
