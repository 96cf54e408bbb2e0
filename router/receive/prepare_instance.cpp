#include "router/receive/prepare_instance.hpp"

#include "common/clock.hpp"
#include "dicom/data/coerce.hpp"
#include "dicom/data/data_set.hpp"
#include "dicom/data/part10.hpp"
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
  r.size_bytes = p.part10.size();
  p.data_set.reset();
}

}  // namespace acc::router
