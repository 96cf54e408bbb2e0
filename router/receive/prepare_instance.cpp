#include "router/receive/prepare_instance.hpp"

#include "common/clock.hpp"
#include "dicom/data/coerce.hpp"
#include "dicom/data/data_errc.hpp"
#include "dicom/data/data_set.hpp"
#include "dicom/data/data_set_layout.hpp"
#include "dicom/data/part10.hpp"
#include "dicom/data/uid.hpp"
#include "dicom/dimse/status.hpp"
#include "router/receive/instance_attributes.hpp"

namespace acc::router {

using namespace acc::dicom;
namespace st = dimse::status;

namespace {

constexpr std::size_t kMaxErrorComment = 64;  // LO

std::string comment(std::string text) {
  if (text.size() > kMaxErrorComment) {
    text.resize(kMaxErrorComment);
  }
  return text;
}

}  // namespace

PreparedInstance prepare_instance(const dimse::Command& rq, const net::AcceptedContext& context,
                                  std::span<const uint8_t> data_set) {
  PreparedInstance out;
  if (rq.AffectedSOPClassUID != context.abstract_syntax) {
    out.status = st::kSopClassNotSupported;
    out.error_comment = "SOP class differs from the presentation context";
    return out;
  }
  // DCMTK parses the header only: every attribute read here lies before the pixel data, which it
  // would otherwise copy (issue 11); the framing of the rest is checked all the same.
  auto parsed = data::DataSet::parse_header(data_set, context.transfer_syntax);
  if (!parsed) {
    out.status = st::kCannotUnderstand;
    out.error_comment = comment("unparsable: " + parsed.error().detail);
    return out;
  }
  const data::InstanceSummary s = parsed->summary();
  if (s.sop_instance_uid.empty()) {
    out.status = st::kCannotUnderstand;
    out.error_comment = "no SOP Instance UID (0008,0018)";
    return out;
  }
  if (const auto fault = data::uid_fault(s.sop_instance_uid); fault != data::UidFault::none) {
    // Issue 12: a UID is data, never a path; one that is not a UID goes no further.
    out.status = st::kInvalidSopInstance;
    out.error_comment = comment("SOP Instance UID has " + std::string(data::describe(fault)));
    return out;
  }
  if (!s.sop_class_uid.empty() && s.sop_class_uid != rq.AffectedSOPClassUID) {
    out.status = st::kDataSetDoesNotMatchSopClass;
    out.error_comment = "SOP Class UID differs from the C-STORE request";
    return out;
  }
  if (s.sop_instance_uid != rq.AffectedSOPInstanceUID) {
    out.status = st::kCannotUnderstand;
    out.error_comment = "SOP Instance UID differs from the C-STORE request";
    return out;
  }
  out.attributes = instance_attributes(*parsed);
  out.existing_accession = s.accession_number;
  out.part10 = data::make_part10(
      {rq.AffectedSOPClassUID, s.sop_instance_uid, context.transfer_syntax, {}}, data_set);
  auto& r = out.record;
  r.sop_instance_uid = s.sop_instance_uid;
  r.sop_class_uid = rq.AffectedSOPClassUID;
  r.transfer_syntax_uid = context.transfer_syntax;
  r.patient_id = s.patient_id;
  r.study_instance_uid = s.study_instance_uid;
  r.size_bytes = out.part10.size();
  out.data_set.emplace(std::move(*parsed));
  return out;
}

PreparedInstance prepare_spooled_instance(const dimse::Command& rq,
                                          const net::AcceptedContext& context,
                                          std::shared_ptr<const SpoolFile> spool) {
  const uint64_t size = spool->size();
  data::ReadAt read = [&spool](uint64_t offset, std::span<uint8_t> out) {
    return spool->read_at(offset, out);
  };
  auto layout = data::walk_data_set(read, size, context.transfer_syntax);
  PreparedInstance refused;
  if (!layout) {
    const bool framing = layout.error().code == data::DataErrc::unparsable;
    refused.status = framing ? st::kCannotUnderstand : st::kOutOfResources;
    refused.error_comment =
        comment(framing ? "unparsable: " + layout.error().detail : "storage error: spool read");
    return refused;
  }
  // A deflated data set cannot be walked: it is read whole, so it must fit the cap as a head.
  const uint64_t head_bytes = layout->walked && layout->bulk_start ? *layout->bulk_start : size;
  if (head_bytes > kMaxSpooledHeadBytes) {
    refused.status = st::kOutOfResources;
    refused.error_comment = "out of resources: attributes before the pixel data over 64 MiB";
    return refused;
  }
  std::vector<uint8_t> head(head_bytes);
  if (auto r = spool->read_at(0, head); !r) {
    refused.status = st::kOutOfResources;
    refused.error_comment = "storage error: spool read";
    return refused;
  }
  PreparedInstance out = prepare_instance(rq, context, head);
  if (out.status != st::kSuccess) {
    return out;
  }
  out.bulk_offset = head_bytes;
  out.bulk_length = size - head_bytes;
  out.record.size_bytes = out.object_size();
  out.spool = std::move(spool);
  return out;
}

void apply_rules(PreparedInstance& p, const RuleBook& rules, const std::string& our_ae,
                 int64_t now_ms) {
  if (!p.data_set) {
    return;
  }
  auto& r = p.record;
  InstancePlan plan = rules.plan(*p.data_set, r.calling_ae, r.peer_address);
  r.destinations = std::move(plan.destinations);
  p.rules = std::move(plan.outcome);
  if (p.rules.changes.empty()) {
    p.data_set.reset();
    return;
  }
  if (p.spool) {
    // A spooled instance's bulk is committed from the spool unchanged: only what lies before it
    // can be edited here.
    for (const auto& c : p.rules.changes) {
      if (c.tag.group >= data::kBulkGroup) {
        p.status = kRuleFailedStatus;
        p.error_comment = "rule change refused: pixel data of a spooled instance";
        p.data_set.reset();
        return;
      }
    }
  }
  data::CoerceRequest request;
  for (const auto& c : p.rules.changes) {
    request.edits.push_back({c.tag, c.after});
  }
  request.modifying_system = our_ae;
  request.source_of_previous_values = r.calling_ae;
  request.modification_datetime = dicom_datetime(now_ms);
  auto view = data::split_part10(p.part10);
  auto coerced =
      view ? data::coerce_attributes(view->data_set, view->meta.transfer_syntax_uid, request)
           : Result<data::CoerceResult>(fail(view.error()));
  if (!coerced) {
    p.status = kRuleFailedStatus;
    p.error_comment = comment("rule change refused: " + coerced.error().message());
    p.data_set.reset();
    return;
  }
  auto reparsed = data::DataSet::parse_header(coerced->data_set, view->meta.transfer_syntax_uid);
  if (!reparsed) {
    p.status = kRuleFailedStatus;
    p.error_comment = comment("rule change made the data set unparsable");
    p.data_set.reset();
    return;
  }
  // Matching and the record follow the corrected instance (a rule may fix the Patient ID).
  p.attributes = instance_attributes(*reparsed);
  const data::InstanceSummary s = reparsed->summary();
  p.existing_accession = s.accession_number;
  r.patient_id = s.patient_id;
  p.part10 = data::make_part10(view->meta, coerced->data_set);
  r.size_bytes = p.object_size();
  p.data_set.reset();
}

}  // namespace acc::router
