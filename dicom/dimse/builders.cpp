// Builders for the commands Accessioner sends (PS3.7 §9.3.1, §9.3.2, §9.3.5, §9.3.2.3).
#include "dicom/dimse/command.hpp"
#include "dicom/dimse/status.hpp"

namespace acc::dicom::dimse {

namespace {

constexpr const char* kVerificationSopClass = "1.2.840.10008.1.1";
constexpr std::size_t kMaxLoLength = 64;

// Any value but 0x0101 means "a data set follows" (PS3.7 E.1-1); DCMTK 3.6.7 and pynetdicom send
// 0x0001 (seen on the wire), so we do too.
constexpr uint16_t kDataSetPresent = 0x0001;

Command response_to(const Command& rq, CommandField field, uint16_t status) {
  Command c;
  c.CommandField = field;
  c.AffectedSOPClassUID = rq.AffectedSOPClassUID;
  c.MessageIDBeingRespondedTo = rq.MessageID;
  c.CommandDataSetType = kNoDataSet;
  c.Status = status;
  return c;
}

}  // namespace

Command make_c_echo_rq(uint16_t message_id) {
  Command c;
  c.CommandField = CommandField::CEchoRq;
  c.AffectedSOPClassUID = kVerificationSopClass;
  c.MessageID = message_id;
  c.CommandDataSetType = kNoDataSet;
  return c;
}

Command make_c_echo_rsp(const Command& rq, uint16_t status) {
  Command c = response_to(rq, CommandField::CEchoRsp, status);
  // AffectedSOPClassUID is mandatory in the response but only optional in the request.
  if (c.AffectedSOPClassUID.empty()) {
    c.AffectedSOPClassUID = kVerificationSopClass;
  }
  return c;
}

Command make_c_store_rq(uint16_t message_id, std::string sop_class_uid,
                        std::string sop_instance_uid, dimse::Priority priority) {
  Command c;
  c.CommandField = CommandField::CStoreRq;
  c.AffectedSOPClassUID = std::move(sop_class_uid);
  c.MessageID = message_id;
  c.Priority = static_cast<uint16_t>(priority);
  c.CommandDataSetType = kDataSetPresent;
  c.AffectedSOPInstanceUID = std::move(sop_instance_uid);
  return c;
}

Command make_c_store_rsp(const Command& rq, uint16_t status, std::string error_comment) {
  Command c = response_to(rq, CommandField::CStoreRsp, status);
  c.AffectedSOPInstanceUID = rq.AffectedSOPInstanceUID;
  if (error_comment.size() > kMaxLoLength) {
    error_comment.resize(kMaxLoLength);
  }
  c.ErrorComment = std::move(error_comment);
  return c;
}

Command make_c_find_rq(uint16_t message_id, std::string sop_class_uid, dimse::Priority priority) {
  Command c;
  c.CommandField = CommandField::CFindRq;
  c.AffectedSOPClassUID = std::move(sop_class_uid);
  c.MessageID = message_id;
  c.Priority = static_cast<uint16_t>(priority);
  c.CommandDataSetType = kDataSetPresent;
  return c;
}

Command make_c_find_rsp(const Command& rq, uint16_t status) {
  Command c = response_to(rq, CommandField::CFindRsp, status);
  if (status::classify(status) == status::Class::Pending) {
    c.CommandDataSetType = kDataSetPresent;
  }
  return c;
}

Command make_c_cancel_rq(uint16_t message_id_being_cancelled) {
  Command c;
  c.CommandField = CommandField::CCancelRq;
  c.MessageIDBeingRespondedTo = message_id_being_cancelled;
  c.CommandDataSetType = kNoDataSet;
  return c;
}

}  // namespace acc::dicom::dimse
