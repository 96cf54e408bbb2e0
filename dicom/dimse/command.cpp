// Command set codec (PS3.7 §9.3, Annex E). Command sets are always Implicit VR Little Endian and
// hold only group 0000, so the VR of each element is implied by its element number.
#include "dicom/dimse/command.hpp"

#include <cstdio>
#include <new>
#include <string_view>

#include "common/error_category.hpp"

namespace acc::dicom::dimse {

namespace {

const char* describe(DimseErrc e) {
  switch (e) {
    case DimseErrc::ok:
      return "ok";
    case DimseErrc::truncated_element:
      return "command element runs past the end of the command";
    case DimseErrc::not_command_group:
      return "element outside group 0000 in a command set";
    case DimseErrc::bad_element_length:
      return "command element has a length invalid for its VR";
    case DimseErrc::group_length_mismatch:
      return "command group length disagrees with the elements that follow";
    case DimseErrc::missing_command_field:
      return "command set without a command field";
    case DimseErrc::missing_required_field:
      return "command set lacks a required field";
    case DimseErrc::unknown_command_field:
      return "unknown command field";
    case DimseErrc::tags_not_ascending:
      return "command elements not in ascending tag order";
    case DimseErrc::command_too_large:
      return "command set above the size limit";
    case DimseErrc::data_set_too_large:
      return "data set above the size limit";
    case DimseErrc::unexpected_fragment:
      return "PDV out of order for the DIMSE message";
  }
  return "unknown DIMSE error";
}

// Element numbers within group 0000 (PS3.7 Annex E).
namespace tag {
inline constexpr uint16_t kCommandGroupLength = 0x0000;
inline constexpr uint16_t kAffectedSOPClassUID = 0x0002;
inline constexpr uint16_t kRequestedSOPClassUID = 0x0003;
inline constexpr uint16_t kCommandField = 0x0100;
inline constexpr uint16_t kMessageID = 0x0110;
inline constexpr uint16_t kMessageIDBeingRespondedTo = 0x0120;
inline constexpr uint16_t kMoveDestination = 0x0600;
inline constexpr uint16_t kPriority = 0x0700;
inline constexpr uint16_t kCommandDataSetType = 0x0800;
inline constexpr uint16_t kStatus = 0x0900;
inline constexpr uint16_t kOffendingElement = 0x0901;
inline constexpr uint16_t kErrorComment = 0x0902;
inline constexpr uint16_t kAffectedSOPInstanceUID = 0x1000;
inline constexpr uint16_t kNumberOfRemainingSuboperations = 0x1020;
inline constexpr uint16_t kNumberOfCompletedSuboperations = 0x1021;
inline constexpr uint16_t kNumberOfFailedSuboperations = 0x1022;
inline constexpr uint16_t kNumberOfWarningSuboperations = 0x1023;
inline constexpr uint16_t kMoveOriginatorApplicationEntityTitle = 0x1030;
inline constexpr uint16_t kMoveOriginatorMessageID = 0x1031;
}  // namespace tag

constexpr std::size_t kElementHeader = 8;  // group, element, u32 length

uint16_t read_u16(const uint8_t* p) noexcept {
  return static_cast<uint16_t>(p[0] | (p[1] << 8));
}

uint32_t read_u32(const uint8_t* p) noexcept {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}

std::string tag_text(uint16_t group, uint16_t element) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "(%04X,%04X)", group, element);
  return buf;
}

std::string_view as_chars(std::span<const uint8_t> value) noexcept {
  return {reinterpret_cast<const char*>(value.data()), value.size()};
}

// UIDs arrive padded with NUL (or, from some peers, a space) to even length.
std::string ui_value(std::span<const uint8_t> value) {
  std::string_view s = as_chars(value);
  while (!s.empty() && (s.back() == '\0' || s.back() == ' ')) {
    s.remove_suffix(1);
  }
  return std::string(s);
}

// AE titles arrive trimmed or padded to 16 (pynetdicom #405), sometimes with stray NULs.
std::string ae_value(std::span<const uint8_t> value) {
  std::string_view s = as_chars(value);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) {
    s.remove_suffix(1);
  }
  while (!s.empty() && (s.front() == ' ' || s.front() == '\0')) {
    s.remove_prefix(1);
  }
  return std::string(s);
}

// LO: leading and trailing spaces are insignificant (PS3.5 Table 6.2-1).
std::string lo_value(std::span<const uint8_t> value) {
  std::string_view s = as_chars(value);
  while (!s.empty() && s.back() == ' ') {
    s.remove_suffix(1);
  }
  while (!s.empty() && s.front() == ' ') {
    s.remove_prefix(1);
  }
  return std::string(s);
}

bool is_known_command_field(uint16_t v) noexcept {
  switch (static_cast<CommandField>(v)) {
    case CommandField::CStoreRq:
    case CommandField::CStoreRsp:
    case CommandField::CGetRq:
    case CommandField::CGetRsp:
    case CommandField::CFindRq:
    case CommandField::CFindRsp:
    case CommandField::CMoveRq:
    case CommandField::CMoveRsp:
    case CommandField::CEchoRq:
    case CommandField::CEchoRsp:
    case CommandField::CCancelRq:
    case CommandField::NEventReportRq:
    case CommandField::NGetRq:
    case CommandField::NSetRq:
    case CommandField::NActionRq:
    case CommandField::NCreateRq:
    case CommandField::NDeleteRq:
      return true;
  }
  return false;
}

// What PS3.7 §9.3 requires in the messages we receive. Requests we do not implement still need a
// MessageID: without it the caller could not even answer "unrecognized operation".
[[nodiscard]] Result<void> check_required(const Command& c) {
  auto missing = [](const char* keyword) {
    return fail(DimseErrc::missing_required_field, keyword);
  };
  const bool needs_data_set =
      c.CommandField == CommandField::CStoreRq || c.CommandField == CommandField::CFindRq;
  if (c.CommandField == CommandField::CCancelRq) {
    if (!c.MessageIDBeingRespondedTo) {
      // DIMSE_ERR_11: C-CANCEL-RQ without MessageIDBeingRespondedTo
      return missing("MessageIDBeingRespondedTo");
    }
    return {};
  }
  if (c.is_response()) {
    if (!c.MessageIDBeingRespondedTo) {
      // DIMSE_ERR_12: response without MessageIDBeingRespondedTo
      return missing("MessageIDBeingRespondedTo");
    }
    if (!c.Status) {
      // DIMSE_ERR_13: response without Status
      return missing("Status");
    }
    return {};
  }
  if (!c.MessageID) {
    // DIMSE_ERR_14: request without MessageID
    return missing("MessageID");
  }
  if (needs_data_set && c.AffectedSOPClassUID.empty()) {
    // DIMSE_ERR_15: C-STORE-RQ / C-FIND-RQ without AffectedSOPClassUID
    return missing("AffectedSOPClassUID");
  }
  if (c.CommandField == CommandField::CStoreRq && c.AffectedSOPInstanceUID.empty()) {
    // DIMSE_ERR_16: C-STORE-RQ without AffectedSOPInstanceUID
    return missing("AffectedSOPInstanceUID");
  }
  if (needs_data_set && !c.has_data_set()) {
    // DIMSE_ERR_17: C-STORE-RQ / C-FIND-RQ announcing no data set
    return missing("CommandDataSetType");
  }
  return {};
}

[[nodiscard]] Result<Command> decode_elements(std::span<const uint8_t> bytes) {
  Command c;
  std::optional<uint16_t> command_field;
  std::size_t offset = 0;
  bool have_previous = false;
  uint16_t previous = 0;

  while (offset < bytes.size()) {
    const std::size_t remaining = bytes.size() - offset;
    if (remaining < kElementHeader) {
      // DIMSE_ERR_01: fewer than 8 bytes left for an element header
      return fail(DimseErrc::truncated_element,
                  "element header at offset " + std::to_string(offset));
    }
    const uint8_t* p = bytes.data() + offset;
    const uint16_t group = read_u16(p);
    const uint16_t element = read_u16(p + 2);
    const uint32_t length = read_u32(p + 4);
    if (group != 0x0000) {
      // DIMSE_ERR_02: element outside group 0000
      return fail(DimseErrc::not_command_group, tag_text(group, element));
    }
    if (have_previous && element <= previous) {
      // DIMSE_ERR_03: element tag not above the previous one
      return fail(DimseErrc::tags_not_ascending,
                  tag_text(group, element) + " after " + tag_text(0, previous));
    }
    if (length > remaining - kElementHeader) {
      // DIMSE_ERR_04: value length past the end of the buffer
      return fail(DimseErrc::truncated_element,
                  tag_text(group, element) + " length " + std::to_string(length));
    }
    have_previous = true;
    previous = element;
    const std::span<const uint8_t> value = bytes.subspan(offset + kElementHeader, length);
    offset += kElementHeader + length;

    auto bad_length = [&] {
      return fail(DimseErrc::bad_element_length,
                  tag_text(group, element) + " length " + std::to_string(length));
    };
    auto us = [&](std::optional<uint16_t>& field) -> Result<void> {
      // DIMSE_ERR_07: US element not 2 bytes long
      if (length != 2) {
        return bad_length();
      }
      field = read_u16(value.data());
      return {};
    };

    Result<void> r;
    switch (element) {
      case tag::kCommandGroupLength:
        // DIMSE_ERR_05: (0000,0000) not 4 bytes long
        if (length != 4) {
          return bad_length();
        }
        if (read_u32(value.data()) != bytes.size() - offset) {
          // DIMSE_ERR_06: (0000,0000) value differs from the bytes after it
          return fail(DimseErrc::group_length_mismatch,
                      "claims " + std::to_string(read_u32(value.data())) + ", " +
                          std::to_string(bytes.size() - offset) + " follow");
        }
        break;
      case tag::kAffectedSOPClassUID:
        c.AffectedSOPClassUID = ui_value(value);
        break;
      case tag::kRequestedSOPClassUID:
        c.RequestedSOPClassUID = ui_value(value);
        break;
      case tag::kCommandField:
        r = us(command_field);
        break;
      case tag::kMessageID:
        r = us(c.MessageID);
        break;
      case tag::kMessageIDBeingRespondedTo:
        r = us(c.MessageIDBeingRespondedTo);
        break;
      case tag::kMoveDestination:
        c.MoveDestination = ae_value(value);
        break;
      case tag::kPriority:
        r = us(c.Priority);
        break;
      case tag::kCommandDataSetType: {
        std::optional<uint16_t> type;
        r = us(type);
        c.CommandDataSetType = type.value_or(kNoDataSet);
        break;
      }
      case tag::kStatus:
        r = us(c.Status);
        break;
      case tag::kOffendingElement:
        // AT, VM 1-n: keep the first tag, stored as group then element (two LE u16).
        // DIMSE_ERR_08: AT element empty or not a multiple of 4
        if (length == 0 || length % 4 != 0) {
          return bad_length();
        }
        c.OffendingElement =
            (static_cast<uint32_t>(read_u16(value.data())) << 16) | read_u16(value.data() + 2);
        break;
      case tag::kErrorComment:
        c.ErrorComment = lo_value(value);
        break;
      case tag::kAffectedSOPInstanceUID:
        c.AffectedSOPInstanceUID = ui_value(value);
        break;
      case tag::kNumberOfRemainingSuboperations:
        r = us(c.NumberOfRemainingSuboperations);
        break;
      case tag::kNumberOfCompletedSuboperations:
        r = us(c.NumberOfCompletedSuboperations);
        break;
      case tag::kNumberOfFailedSuboperations:
        r = us(c.NumberOfFailedSuboperations);
        break;
      case tag::kNumberOfWarningSuboperations:
        r = us(c.NumberOfWarningSuboperations);
        break;
      case tag::kMoveOriginatorApplicationEntityTitle:
        c.MoveOriginatorApplicationEntityTitle = ae_value(value);
        break;
      case tag::kMoveOriginatorMessageID:
        r = us(c.MoveOriginatorMessageID);
        break;
      default:
        break;  // retired or N-service elements we do not use
    }
    if (!r) {
      return fail(std::move(r.error()));
    }
  }

  if (!command_field) {
    // DIMSE_ERR_09: no (0000,0100)
    return fail(DimseErrc::missing_command_field);
  }
  if (!is_known_command_field(*command_field)) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "0x%04X", *command_field);
    // DIMSE_ERR_10: (0000,0100) value not in CommandField
    return fail(DimseErrc::unknown_command_field, buf);
  }
  c.CommandField = static_cast<CommandField>(*command_field);
  if (auto ok = check_required(c); !ok) {
    return fail(std::move(ok.error()));
  }
  return c;
}

// ---- encoding ----

void put_u16(std::vector<uint8_t>& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v & 0xFF));
  out.push_back(static_cast<uint8_t>(v >> 8));
}

void put_u32(std::vector<uint8_t>& out, uint32_t v) {
  put_u16(out, static_cast<uint16_t>(v & 0xFFFF));
  put_u16(out, static_cast<uint16_t>(v >> 16));
}

void put_header(std::vector<uint8_t>& out, uint16_t element, uint32_t length) {
  put_u16(out, 0x0000);
  put_u16(out, element);
  put_u32(out, length);
}

void put_us(std::vector<uint8_t>& out, uint16_t element, std::optional<uint16_t> v) {
  if (v) {
    put_header(out, element, 2);
    put_u16(out, *v);
  }
}

void put_string(std::vector<uint8_t>& out, uint16_t element, const std::string& v, char pad) {
  if (v.empty()) {
    return;
  }
  const std::size_t padded = v.size() + (v.size() % 2);
  put_header(out, element, static_cast<uint32_t>(padded));
  out.insert(out.end(), v.begin(), v.end());
  if (padded != v.size()) {
    out.push_back(static_cast<uint8_t>(pad));
  }
}

void put_ui(std::vector<uint8_t>& out, uint16_t element, const std::string& v) {
  put_string(out, element, v, '\0');
}

void put_text(std::vector<uint8_t>& out, uint16_t element, const std::string& v) {
  put_string(out, element, v, ' ');
}

}  // namespace

const std::error_category& dimse_category() noexcept {
  static const EnumCategory<DimseErrc, describe> category("dicom.dimse");
  return category;
}

[[nodiscard]] Result<Command> decode_command(std::span<const uint8_t> bytes) noexcept {
  // Strings are bounded by the input, but decoding must not terminate the process when a large
  // command meets memory pressure.
  try {
    return decode_elements(bytes);
  } catch (const std::bad_alloc&) {
    // DIMSE_ERR_18: allocation failure while decoding (not unit-tested)
    return fail(DimseErrc::command_too_large, "out of memory");
  }
}

std::vector<uint8_t> encode_command(const Command& c) {
  std::vector<uint8_t> out;
  out.reserve(128 + c.AffectedSOPClassUID.size() + c.AffectedSOPInstanceUID.size() +
              c.ErrorComment.size());
  put_header(out, tag::kCommandGroupLength, 4);
  put_u32(out, 0);  // patched below, once the rest is known
  put_ui(out, tag::kAffectedSOPClassUID, c.AffectedSOPClassUID);
  put_ui(out, tag::kRequestedSOPClassUID, c.RequestedSOPClassUID);
  put_us(out, tag::kCommandField, static_cast<uint16_t>(c.CommandField));
  put_us(out, tag::kMessageID, c.MessageID);
  put_us(out, tag::kMessageIDBeingRespondedTo, c.MessageIDBeingRespondedTo);
  put_text(out, tag::kMoveDestination, c.MoveDestination);
  put_us(out, tag::kPriority, c.Priority);
  put_us(out, tag::kCommandDataSetType, c.CommandDataSetType);
  put_us(out, tag::kStatus, c.Status);
  if (c.OffendingElement) {
    put_header(out, tag::kOffendingElement, 4);
    put_u16(out, static_cast<uint16_t>(*c.OffendingElement >> 16));
    put_u16(out, static_cast<uint16_t>(*c.OffendingElement & 0xFFFF));
  }
  put_text(out, tag::kErrorComment, c.ErrorComment);
  put_ui(out, tag::kAffectedSOPInstanceUID, c.AffectedSOPInstanceUID);
  put_us(out, tag::kNumberOfRemainingSuboperations, c.NumberOfRemainingSuboperations);
  put_us(out, tag::kNumberOfCompletedSuboperations, c.NumberOfCompletedSuboperations);
  put_us(out, tag::kNumberOfFailedSuboperations, c.NumberOfFailedSuboperations);
  put_us(out, tag::kNumberOfWarningSuboperations, c.NumberOfWarningSuboperations);
  put_text(out, tag::kMoveOriginatorApplicationEntityTitle, c.MoveOriginatorApplicationEntityTitle);
  put_us(out, tag::kMoveOriginatorMessageID, c.MoveOriginatorMessageID);

  const auto rest = static_cast<uint32_t>(out.size() - 12);
  for (int i = 0; i < 4; ++i) {
    out[8 + i] = static_cast<uint8_t>(rest >> (8 * i));
  }
  return out;
}

}  // namespace acc::dicom::dimse
