#pragma once
// DIMSE command sets (PS3.7 §9.3, Annex E): group 0000 elements in Implicit VR Little Endian.
// Sans-I/O and noexcept on decode, like the Upper Layer.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <vector>

#include "common/result.hpp"

namespace acc::dicom::dimse {

enum class DimseErrc {
  ok = 0,
  truncated_element,       // element header or value runs past the buffer
  not_command_group,       // an element outside group 0000
  bad_element_length,      // e.g. a US value that is not 2 bytes
  group_length_mismatch,   // (0000,0000) disagrees with the elements that follow
  missing_command_field,   // no (0000,0100)
  missing_required_field,  // a field the message type requires is absent
  unknown_command_field,   // command field we do not implement
  tags_not_ascending,
  command_too_large,    // assembler: command stream above its cap
  data_set_too_large,   // assembler: data set above the configured cap
  unexpected_fragment,  // assembler: data before command, PC ID change, command after data
};

const std::error_category& dimse_category() noexcept;
inline std::error_code make_error_code(DimseErrc e) noexcept {
  return {static_cast<int>(e), dimse_category()};
}

// PS3.7 Annex E command field values; responses are request | 0x8000.
enum class CommandField : uint16_t {
  CStoreRq = 0x0001,
  CStoreRsp = 0x8001,
  CGetRq = 0x0010,
  CGetRsp = 0x8010,
  CFindRq = 0x0020,
  CFindRsp = 0x8020,
  CMoveRq = 0x0021,
  CMoveRsp = 0x8021,
  CEchoRq = 0x0030,
  CEchoRsp = 0x8030,
  CCancelRq = 0x0FFF,
  NEventReportRq = 0x0100,
  NGetRq = 0x0110,
  NSetRq = 0x0120,
  NActionRq = 0x0130,
  NCreateRq = 0x0140,
  NDeleteRq = 0x0150,
};

inline constexpr uint16_t kNoDataSet = 0x0101;  // (0000,0800) value meaning "no data set follows"

enum class Priority : uint16_t { Medium = 0x0000, High = 0x0001, Low = 0x0002 };

// A decoded command set. Field names are the DICOM keywords (PS3.7 Annex E) so they can be grepped
// in the standard. Absent optional fields are not encoded.
struct Command {
  dimse::CommandField CommandField = dimse::CommandField::CEchoRq;  // (0000,0100)
  std::string AffectedSOPClassUID;                                  // (0000,0002)
  std::string RequestedSOPClassUID;                                 // (0000,0003)
  std::optional<uint16_t> MessageID;                                // (0000,0110)
  std::optional<uint16_t> MessageIDBeingRespondedTo;                // (0000,0120)
  std::string MoveDestination;                                      // (0000,0600)
  std::optional<uint16_t> Priority;                                 // (0000,0700)
  uint16_t CommandDataSetType = kNoDataSet;                         // (0000,0800)
  std::optional<uint16_t> Status;                                   // (0000,0900)
  std::optional<uint32_t> OffendingElement;                         // (0000,0901), first AT value
  std::string ErrorComment;                                         // (0000,0902)
  std::string AffectedSOPInstanceUID;                               // (0000,1000)
  std::optional<uint16_t> NumberOfRemainingSuboperations;           // (0000,1020)
  std::optional<uint16_t> NumberOfCompletedSuboperations;           // (0000,1021)
  std::optional<uint16_t> NumberOfFailedSuboperations;              // (0000,1022)
  std::optional<uint16_t> NumberOfWarningSuboperations;             // (0000,1023)
  std::string MoveOriginatorApplicationEntityTitle;                 // (0000,1030)
  std::optional<uint16_t> MoveOriginatorMessageID;                  // (0000,1031)

  [[nodiscard]] bool has_data_set() const { return CommandDataSetType != kNoDataSet; }
  [[nodiscard]] bool is_response() const {
    return (static_cast<uint16_t>(CommandField) & 0x8000) != 0;
  }
  bool operator==(const Command&) const = default;
};

// Decodes a complete command set. UI values have trailing NUL/space removed, AE values are trimmed.
// Unknown group-0000 elements are skipped; (0000,0000) if present must match the rest.
[[nodiscard]] Result<Command> decode_command(std::span<const uint8_t> bytes) noexcept;

// Encodes ascending by tag with a leading (0000,0000) group length; UI padded with 0x00, AE and
// LO with a space to even length.
[[nodiscard]] std::vector<uint8_t> encode_command(const Command& command);

// ---- builders for the messages Accessioner sends (PS3.7 §9.3) -------------------------------
[[nodiscard]] Command make_c_echo_rq(uint16_t message_id);
[[nodiscard]] Command make_c_echo_rsp(const Command& rq, uint16_t status);
[[nodiscard]] Command make_c_store_rq(uint16_t message_id, std::string sop_class_uid,
                                      std::string sop_instance_uid,
                                      dimse::Priority priority = Priority::Medium);
[[nodiscard]] Command make_c_store_rsp(const Command& rq, uint16_t status,
                                       std::string error_comment = {});
[[nodiscard]] Command make_c_find_rq(uint16_t message_id, std::string sop_class_uid,
                                     dimse::Priority priority = Priority::Medium);
// Pending responses (0xFF00/0xFF01) carry an identifier; final ones do not.
[[nodiscard]] Command make_c_find_rsp(const Command& rq, uint16_t status);
[[nodiscard]] Command make_c_cancel_rq(uint16_t message_id_being_cancelled);

}  // namespace acc::dicom::dimse

template <>
struct std::is_error_code_enum<acc::dicom::dimse::DimseErrc> : std::true_type {};
