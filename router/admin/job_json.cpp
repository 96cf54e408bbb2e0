#include "router/admin/job_json.hpp"

#include <chrono>

#include "common/clock.hpp"
#include "dicom/data/sop_classes.hpp"

namespace acc::router {

nlohmann::json to_json(const queue::InstanceRecord& r) {
  return {{"sop_instance_uid", r.sop_instance_uid},
          {"sop_class_uid", r.sop_class_uid},
          {"sop_class", dicom::data::uid_name(r.sop_class_uid)},
          {"transfer_syntax_uid", r.transfer_syntax_uid},
          {"patient_id", r.patient_id},
          {"study_instance_uid", r.study_instance_uid},
          {"calling_ae", r.calling_ae},
          {"called_ae", r.called_ae},
          {"peer_address", r.peer_address},
          {"association_id", r.association_id},
          {"size_bytes", r.size_bytes},
          {"received_at", iso_time_ms(r.received_at_ms)},
          {"arrival_seq", r.arrival_seq},
          {"state", enum_name(r.state)},
          {"destinations", r.destinations}};
}

nlohmann::json to_json(const queue::Job& j) {
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  std::string state(enum_name(j.state));
  if (j.state == queue::JobState::Pending && j.next_attempt_at_ms > now) {
    state = "retry-at";
  }
  return {{"destination", j.destination},
          {"sop_instance_uid", j.sop_instance_uid},
          {"sop_class_uid", j.sop_class_uid},
          {"study_instance_uid", j.study_instance_uid},
          {"arrival_seq", j.arrival_seq},
          {"state", state},
          {"attempts", j.attempts},
          {"enqueued_at", iso_time_ms(j.enqueued_at_ms)},
          {"retry_at", j.next_attempt_at_ms > now ? iso_time_ms(j.next_attempt_at_ms) : ""},
          {"last_error", j.last_error}};
}

nlohmann::json to_json(const queue::DestinationStats& s, int64_t now_ms) {
  const double oldest_age_s = s.oldest_enqueued_at_ms > 0
                                  ? static_cast<double>(now_ms - s.oldest_enqueued_at_ms) / 1000.0
                                  : 0.0;
  return {{"destination", s.destination},     {"pending", s.pending},
          {"in_flight", s.in_flight},         {"dead", s.dead},
          {"waiting_retry", s.waiting_retry}, {"oldest_age_s", oldest_age_s}};
}

}  // namespace acc::router
