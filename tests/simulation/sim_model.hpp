#pragma once
// The scenario model of the stamping simulator: patients, RIS orders, modalities and the studies
// they acquire, each with its KNOWN TRUTH (the real patient, the real order or none). Plain data,
// no router code: the in-process simulator (tests/simulation) and the daemon scenarios
// (tests/integration/stamping_scenarios_test.cpp) share it.
//
// Time is simulated: Unix-epoch-like milliseconds read as the site's LOCAL wall clock (a DICOM
// date/time is local). Nothing here reads the real clock.
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "dicom/data/worklist_item.hpp"

namespace acc::sim {

inline constexpr int64_t kSecond = 1000;
inline constexpr int64_t kMinute = 60 * kSecond;
inline constexpr int64_t kHour = 60 * kMinute;
inline constexpr int64_t kDay = 24 * kHour;
inline constexpr int64_t kNever = std::numeric_limits<int64_t>::max();

// Local calendar helpers (proleptic Gregorian, no time zone: the value IS local time).
[[nodiscard]] int64_t day_start(int year, int month, int day);  // ms at 00:00 of that date
[[nodiscard]] int64_t day_of(int64_t ms);                       // days since 1970-01-01
[[nodiscard]] std::string dicom_date(int64_t ms);               // YYYYMMDD
[[nodiscard]] std::string dicom_time(int64_t ms);               // HHMMSS
[[nodiscard]] std::string clock_text(int64_t ms);               // "2024-03-05 14:07"

// A small deterministic PRNG (splitmix64): the same seed gives the same scenario on every
// platform and standard library (std::uniform_int_distribution does not promise that).
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t next();
  // Uniform in [lo, hi] (inclusive).
  int64_t range(int64_t lo, int64_t hi);
  bool chance(double p);
  template <typename T>
  const T& pick(const std::vector<T>& v) {
    return v[static_cast<std::size_t>(range(0, static_cast<int64_t>(v.size()) - 1))];
  }

 private:
  uint64_t state_;
};

// What the generator made happen, counted so a test can prove each situation was exercised.
enum class Kind {
  ordered,
  unordered,                   // no order at all (emergency without request, QA)
  same_patient_same_modality,  // two ordered studies of one patient, one day, one modality
  same_patient_other_modality,
  repeat_exam,              // a second, unordered scan of the same patient right after
  pet_ct,                   // one study, PT + CT series
  pet_mr,                   // one study, PT + MR series
  pet_with_plain_ct_order,  // the PET patient also has a plain CT order that day
  dose_report,              // SR arriving after the images
  key_images,               // KO from a workstation, later
  id_typo_other_patient,    // Patient ID typed as another patient's who has a same-day order
  id_typo_nobody,
  demographics_typo,  // name or birth date differs from the RIS
  reused_study_uid,   // legacy modality reuses the previous patient's Study Instance UID
  missing_study_uid,
  late_order,  // first instance arrives before the order is in the RIS
  order_removed_mid_study,
  order_completed_mid_study,
  order_discontinued_mid_study,
  order_replaced,         // order cancelled shortly before the scan and re-entered
  clock_skew,             // modality clock off by hours
  clock_skew_date_shift,  // ... so much that the Study Date is not the real day
  timezone_offset,        // Timezone Offset From UTC sent
  delayed_send,           // the modality's queue flushes hours later, instances shuffled
  shuffled_within_study,  // e.g. the SR before the images
  shared_id_two_issuers,  // two patients, one Patient ID, two issuers, same-day orders
  issuer_sent,            // Issuer of Patient ID present in the images
  station_ae_matches,     // the order's Scheduled Station AE is the calling AE
  station_ae_differs,
  modality_sends_accession,  // a worklist-capable modality sends the right accession itself
  restart,
  manual_assign,
  manual_release,
  count_  // number of kinds
};
[[nodiscard]] const char* kind_name(Kind k);
inline constexpr int kKindCount = static_cast<int>(Kind::count_);

struct Patient {
  std::string id;
  std::string issuer;
  std::string name;  // PN: FAMILY^GIVEN
  std::string birth_date;
  std::string sex;
};

struct Order {
  std::string accession;
  int patient = -1;        // index into Scenario::patients
  std::string modality;    // what the RIS schedules: CT, MR, PT, CR, DX, US
  std::string station_ae;  // Scheduled Station AE Title ("" = not scheduled to a station)
  int64_t scheduled_ms = 0;
  std::string requested_procedure_id;
  std::string sps_id;
  std::string description;
  std::string ris_study_uid;    // the Study Instance UID the RIS generated
  int64_t appears_ms = 0;       // enters the worklist
  int64_t removed_ms = kNever;  // no longer returned by the RIS
  std::string status = "SCHEDULED";
  int64_t status_change_ms = kNever;  // from then on the RIS returns `new_status`
  std::string new_status;

  [[nodiscard]] bool listed_at(int64_t t) const { return appears_ms <= t && t < removed_ms; }
  [[nodiscard]] std::string status_at(int64_t t) const {
    return t >= status_change_ms ? new_status : status;
  }
};

// What a modality writes into every instance of a study (may differ from the truth).
struct SentIdentity {
  std::string patient_id;
  std::string issuer;  // "" when the modality does not send (0010,0021)
  std::string name;
  std::string birth_date;
  std::string sex;
};

struct Study {
  int index = 0;
  int patient = -1;          // TRUE patient
  std::optional<int> order;  // TRUE order (none: unordered)
  std::string device;        // calling AE of the acquiring modality
  int64_t start_ms = 0;      // true local start of acquisition
  SentIdentity sent;         // as written by the modality
  std::string study_uid;     // as sent; may be another study's, or ""
  std::string own_uid;       // the UID this study would have had without the bug
  std::string accession;     // (0008,0050) as sent; usually ""
  std::string study_date;    // as written (clock skew applied)
  std::string study_time;
  std::string timezone_offset;  // (0008,0201) or ""
  std::vector<Kind> kinds;      // situations this study is part of
  std::vector<int> instances;   // indices into Scenario::instances
  int64_t first_arrival_ms = kNever;
  int64_t last_arrival_ms = 0;
  // True when a perfect router could stamp it: an order existed in the worklist while the study
  // was received, the images name the right patient and the Study UID is the study's own.
  bool stampable = false;

  [[nodiscard]] bool has(Kind k) const;
};

struct Instance {
  int study = -1;
  std::string sop_class_uid;
  std::string sop_instance_uid;
  std::string series_uid;
  std::string modality;  // of the series
  int series_number = 1;
  int instance_number = 1;
  int64_t acquired_ms = 0;  // true local time of acquisition / creation
  std::string series_date;  // as written (clock skew applied)
  std::string series_time;
  int64_t arrives_ms = 0;  // at the router
  std::string calling_ae;  // the modality, or a workstation for KO
};

struct Device {
  std::string ae;
  std::string kind;  // CT, MR, PETCT, PETMR, CR, DX, US
  bool sends_issuer = false;
  bool sends_timezone = false;
  bool legacy_uid_reuse = false;  // sometimes reuses the previous study's UID
  bool worklist_capable = false;  // sends the accession itself
  std::string room_ae;            // what the RIS sometimes schedules instead of `ae`
  int weight = 1;                 // share of the day's studies
};

struct Params {
  int studies = 1000;  // studies to generate in this block (approximately, +- extras)
  int days = 4;        // simulated days
  uint64_t seed = 1;
  int block = 0;             // names UIDs and dates, so blocks never collide
  int64_t first_day_ms = 0;  // 00:00 of the first day; 0 = derived from block
  // Multiplies the probability of every rare situation (typos, reused UIDs, late orders...):
  // the daemon scenarios run few studies and still want each situation.
  double boost = 1.0;
};

struct Scenario {
  Params params;
  int64_t start_ms = 0;  // first day 00:00
  int64_t end_ms = 0;    // after the last arrival
  std::vector<Device> devices;
  std::vector<Patient> patients;
  std::vector<Order> orders;
  std::vector<Study> studies;
  std::vector<Instance> instances;
  std::vector<int> arrival_order;      // instance indices sorted by arrival
  std::vector<int64_t> restarts;       // router restarts
  std::vector<int64_t> person_rounds;  // a person looks at the held studies
  std::map<std::string, int> order_by_accession;
  std::map<std::string, int> instance_by_sop;
  std::vector<int> kind_counts = std::vector<int>(kKindCount, 0);

  // The RIS's answer to a worklist C-FIND at `t`: orders listed then, whose scheduled date is
  // within [today - days_before, today + days_after]; `patient_id` non-empty restricts it.
  [[nodiscard]] std::vector<dicom::data::WorklistItem> worklist_at(
      int64_t t, int days_before, int days_after, const std::string& patient_id = {}) const;
  // Whether any order (of `patient_id`, if not empty) appeared, left or changed status in
  // (from, to].
  [[nodiscard]] bool ris_changed(int64_t from, int64_t to,
                                 const std::string& patient_id = {}) const;
  // The Patient IDs of the orders that appeared or changed status in (from, to] (and, with
  // `removals`, left the RIS).
  [[nodiscard]] std::set<std::string> changed_patient_ids(int64_t from, int64_t to,
                                                          bool removals = true) const;
  [[nodiscard]] dicom::data::WorklistItem item_of(const Order& o, int64_t t) const;
  [[nodiscard]] std::string true_accession(const Study& s) const;
  // One line about a study for a failure report.
  [[nodiscard]] std::string describe(const Study& s) const;
  void count(Kind k) { ++kind_counts[static_cast<int>(k)]; }
};

// Generates one block: `params.days` days of orders and acquisitions at a mid-size site.
[[nodiscard]] Scenario generate(const Params& params);

}  // namespace acc::sim
