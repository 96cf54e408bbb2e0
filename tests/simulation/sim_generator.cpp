// The scenario generator: a mid-size site's days of RIS orders and modality behaviour, every
// study with its truth. See sim_model.hpp.
#include <algorithm>
#include <array>
#include <cstdio>
#include <numeric>
#include <set>
#include <stdexcept>
#include <utility>

#include "tests/simulation/sim_model.hpp"

namespace acc::sim {

namespace {

// Howard Hinnant's days_from_civil / civil_from_days.
int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

struct Civil {
  int64_t y, m, d;
};
Civil civil_from_days(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = yoe + era * 400;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const int64_t m = mp + (mp < 10 ? 3 : -9);
  return {y + (m <= 2 ? 1 : 0), m, d};
}

int64_t floor_div(int64_t a, int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0);
}

std::string two(int64_t v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02d", static_cast<int>(v));
  return buf;
}

const std::array<const char*, 24> kFamily = {
    "MUELLER", "SCHMIDT",  "SCHNEIDER", "FISCHER", "WEBER",  "MEYER",   "WAGNER",  "BECKER",
    "SCHULZ",  "HOFFMANN", "KOCH",      "RICHTER", "KLEIN",  "WOLF",    "NEUMANN", "BRAUN",
    "ZIMMER",  "KRUEGER",  "HARTMANN",  "LANGE",   "WERNER", "LEHMANN", "KAISER",  "FUCHS"};
const std::array<const char*, 16> kGiven = {"ANNA",  "PETER", "MARIA", "KLAUS", "SABINE", "JAN",
                                            "LENA",  "TOM",   "EVA",   "JONAS", "MIA",    "PAUL",
                                            "LAURA", "FELIX", "EMMA",  "LUKAS"};

std::string description_for(const std::string& modality) {
  if (modality == "CT")
    return "CT THORAX ABDOMEN";
  if (modality == "MR")
    return "MR HEAD";
  if (modality == "PT")
    return "PET WHOLE BODY";
  if (modality == "CR" || modality == "DX")
    return "XR CHEST";
  if (modality == "US")
    return "US ABDOMEN";
  return "EXAM";
}

// Acquisition modality and SOP class of a device's image series.
struct SeriesKind {
  const char* modality;
  const char* sop_class;
};
constexpr SeriesKind kCt{"CT", "1.2.840.10008.5.1.4.1.1.2"};
constexpr SeriesKind kMr{"MR", "1.2.840.10008.5.1.4.1.1.4"};
constexpr SeriesKind kPt{"PT", "1.2.840.10008.5.1.4.1.1.128"};
constexpr SeriesKind kCr{"CR", "1.2.840.10008.5.1.4.1.1.1"};
constexpr SeriesKind kDx{"DX", "1.2.840.10008.5.1.4.1.1.1.1"};
constexpr SeriesKind kUs{"US", "1.2.840.10008.5.1.4.1.1.6.1"};
constexpr SeriesKind kSr{"SR", "1.2.840.10008.5.1.4.1.1.88.67"};  // X-Ray Radiation Dose SR
constexpr SeriesKind kKo{"KO", "1.2.840.10008.5.1.4.1.1.88.59"};  // Key Object Selection

// What the RIS schedules for a device kind.
std::string order_modality(const std::string& device_kind) {
  if (device_kind == "PETCT" || device_kind == "PETMR")
    return "PT";
  return device_kind;
}

class Generator {
 public:
  explicit Generator(const Params& p)
      : rng_(p.seed * 0x9E3779B97F4A7C15ULL + 7919 * (p.block + 1)) {
    sc_.params = p;
    boost_ = std::max(1.0, p.boost);
    sc_.start_ms = p.first_day_ms != 0 ? p.first_day_ms
                                       : day_start(2024, 3, 4) + p.block * (p.days + 3) * kDay;
    uid_root_ = "1.2.826.0.1.3680043.10.543." + std::to_string(p.seed % 1000000 + 1) + "." +
                std::to_string(p.block + 1) + ".";
    sc_.devices = {
        {"CT01", "CT", true, true, false, false, "CT_ROOM_1", 5},
        {"CT02", "CT", false, false, false, false, "CT_ROOM_2", 4},
        {"MR01", "MR", true, true, false, false, "MR_ROOM_1", 3},
        {"MR02", "MR", false, false, false, false, "MR_ROOM_2", 2},
        {"PETCT1", "PETCT", true, true, false, false, "NUC_1", 2},
        {"PETMR1", "PETMR", false, true, false, false, "NUC_2", 1},
        {"CR01", "CR", false, false, true, false, "XR_ROOM_1", 4},
        {"DX01", "DX", false, false, true, false, "XR_ROOM_2", 4},
        {"US01", "US", true, false, false, true, "US_ROOM_1", 3},
        {"US02", "US", false, false, false, false, "US_ROOM_2", 2},
    };
  }

  Scenario run() {
    const Params& p = sc_.params;
    const int days = std::max(1, p.days);
    for (int d = 0; d < days; ++d) {
      const int target = p.studies * (d + 1) / days;
      const int64_t day = sc_.start_ms + d * kDay;
      roll_device_day(day);
      const std::size_t first_of_day = sc_.studies.size();
      while (static_cast<int>(sc_.studies.size()) < target) {
        base_study(day);
      }
      reuse_study_uids(first_of_day);
      if (rng_.chance(0.8)) {
        sc_.restarts.push_back(day + rng_.range(0, kDay - 1));
      }
      for (int64_t h = 8; h <= 20; h += 2) {
        sc_.person_rounds.push_back(day + h * kHour + rng_.range(0, 20) * kMinute);
      }
    }
    finish();
    return std::move(sc_);
  }

 private:
  // ---- identities --------------------------------------------------------------------------
  std::string uid(int type) {
    return uid_root_ + std::to_string(type) + "." + std::to_string(++uid_counter_);
  }

  int new_patient(const std::string& issuer, const std::string& id = {}) {
    Patient pt;
    pt.id = id.empty() ? std::to_string(1000000 + 37 * static_cast<int64_t>(sc_.patients.size()) +
                                        rng_.range(0, 36))
                       : id;
    pt.issuer = issuer;
    pt.name = std::string(kFamily[static_cast<std::size_t>(rng_.range(0, kFamily.size() - 1))]) +
              "^" + kGiven[static_cast<std::size_t>(rng_.range(0, kGiven.size() - 1))];
    pt.birth_date = dicom_date(day_start(static_cast<int>(rng_.range(1930, 2020)), 1, 1) +
                               rng_.range(0, 364) * kDay);
    pt.sex = rng_.chance(0.5) ? "F" : "M";
    sc_.patients.push_back(pt);
    return static_cast<int>(sc_.patients.size()) - 1;
  }

  int new_patient() { return new_patient(rng_.chance(0.85) ? "HOSP_A" : "HOSP_B"); }

  // ---- devices -----------------------------------------------------------------------------
  struct DeviceDay {
    int64_t skew_ms = 0;
    std::string timezone;  // what it writes into (0008,0201), "" if it does not
  };

  void roll_device_day(int64_t /*day*/) {
    for (const auto& dev : sc_.devices) {
      DeviceDay& dd = device_day_[dev.ae];
      dd.skew_ms = 0;
      if (rare(0.08)) {
        static const std::vector<int64_t> skews = {-11, -8, -5, -2, -1, 1, 1, 2, 5, 8, 11, -1};
        dd.skew_ms = rng_.pick(skews) * kHour + rng_.range(-5, 5) * kMinute;
      }
      dd.timezone.clear();
      if (dev.sends_timezone) {
        // The site is at +0100. A skewed clock sometimes has the offset that explains it.
        int64_t minutes = 60;
        if (dd.skew_ms != 0 && rng_.chance(0.5)) {
          minutes += dd.skew_ms / kMinute;
          minutes = minutes / 15 * 15;
          minutes = std::clamp<int64_t>(minutes, -720, 840);
        }
        const int64_t a = minutes < 0 ? -minutes : minutes;
        dd.timezone = (minutes < 0 ? "-" : "+") + two(a / 60) + two(a % 60);
      }
    }
  }

  const Device& pick_device() {
    int total = 0;
    for (const auto& d : sc_.devices)
      total += d.weight;
    int64_t r = rng_.range(0, total - 1);
    for (const auto& d : sc_.devices) {
      if (r < d.weight)
        return d;
      r -= d.weight;
    }
    return sc_.devices.front();
  }

  const Device& device_of_kind(const std::string& kind, const std::string& prefer_not = {}) {
    std::vector<const Device*> all;
    for (const auto& d : sc_.devices) {
      if (d.kind == kind && d.ae != prefer_not)
        all.push_back(&d);
    }
    if (all.empty()) {
      for (const auto& d : sc_.devices) {
        if (d.kind == kind)
          all.push_back(&d);
      }
    }
    return *all[static_cast<std::size_t>(rng_.range(0, static_cast<int64_t>(all.size()) - 1))];
  }

  // ---- orders ------------------------------------------------------------------------------
  int new_order(int patient, const Device& dev, int64_t scheduled, std::vector<Kind>& kinds) {
    Order o;
    const int n = static_cast<int>(sc_.orders.size()) + 1;
    char acc[24];
    std::snprintf(acc, sizeof acc, "A%02d%06d", sc_.params.block % 100, n);
    o.accession = acc;
    o.patient = patient;
    o.modality = order_modality(dev.kind);
    const int64_t r = rng_.range(0, 99);
    if (r < 60) {
      o.station_ae = dev.ae;
      kinds.push_back(Kind::station_ae_matches);
    } else {
      o.station_ae = r < 85 ? dev.room_ae : "";
      kinds.push_back(Kind::station_ae_differs);
    }
    o.scheduled_ms = scheduled;
    o.requested_procedure_id = "RP" + std::to_string(n);
    o.sps_id = "SPS" + std::to_string(n);
    o.description = description_for(o.modality);
    o.ris_study_uid = uid(4);
    const int64_t day = scheduled - (scheduled - sc_.start_ms) % kDay;
    if (rng_.chance(0.6)) {
      o.appears_ms = day - kDay + rng_.range(8 * 60, 18 * 60) * kMinute;  // booked the day before
    } else {
      o.appears_ms = scheduled - rng_.range(30, 180) * kMinute;  // booked the same day
    }
    sc_.orders.push_back(o);
    return static_cast<int>(sc_.orders.size()) - 1;
  }

  // ---- studies -----------------------------------------------------------------------------
  int64_t slot(const Device& dev, int64_t day) {
    if (dev.ae == "CT01") {
      return day + rng_.range(0, 24 * 60 - 1) * kMinute;  // emergency CT, day and night
    }
    return day + rng_.range(7 * 60 + 30, 18 * 60 + 30) * kMinute;
  }

  int64_t delay() {
    const int64_t r = rng_.range(0, 99);
    if (r < 75)
      return rng_.range(-10, 30) * kMinute;
    if (r < 95)
      return rng_.range(30, 120) * kMinute;
    return rng_.range(120, 240) * kMinute;
  }

  // Adds one series of `count` instances acquired from `at`, `gap` apart. Returns the last time.
  int64_t add_series(Study& s, const Device& dev, SeriesKind kind, int count, int64_t at,
                     int64_t gap, const std::string& calling_ae) {
    const std::string series = uid(2);
    const int number = ++series_numbers_[s.index];
    for (int i = 0; i < count; ++i) {
      Instance in;
      in.study = s.index;
      in.sop_class_uid = kind.sop_class;
      in.sop_instance_uid = uid(3);
      in.series_uid = series;
      in.modality = kind.modality;
      in.series_number = number;
      in.instance_number = i + 1;
      in.acquired_ms = at + i * gap;
      const int64_t written = in.acquired_ms + device_day_[dev.ae].skew_ms;
      in.series_date = dicom_date(written);
      in.series_time = dicom_time(written);
      in.arrives_ms = in.acquired_ms + rng_.range(10, 120) * kSecond;
      in.calling_ae = calling_ae;
      s.instances.push_back(static_cast<int>(sc_.instances.size()));
      sc_.instances.push_back(in);
    }
    return at + (count - 1) * gap;
  }

  void acquire(Study& s, const Device& dev) {
    const int64_t t0 = s.start_ms;
    int64_t last = t0;
    const std::string& ae = dev.ae;
    bool dose = false;
    if (dev.kind == "CT") {
      int64_t t = t0;
      const int series = static_cast<int>(rng_.range(1, 3));
      for (int i = 0; i < series; ++i) {
        last = add_series(s, dev, kCt, 1, t, 0, ae);
        t = last + rng_.range(2, 6) * kMinute;
      }
      dose = rng_.chance(0.6);
    } else if (dev.kind == "MR") {
      int64_t t = t0;
      const int series = static_cast<int>(rng_.range(2, 4));
      for (int i = 0; i < series; ++i) {
        last = add_series(s, dev, kMr, 1, t, 0, ae);
        t = last + rng_.range(4, 10) * kMinute;
      }
    } else if (dev.kind == "PETCT") {
      add_series(s, dev, kCt, 1, t0 + rng_.range(0, 3) * kMinute, 0, ae);
      last = add_series(s, dev, kPt, 2, t0 + rng_.range(10, 25) * kMinute, 4 * kMinute, ae);
      dose = rng_.chance(0.5);
    } else if (dev.kind == "PETMR") {
      add_series(s, dev, kMr, 1, t0 + rng_.range(0, 5) * kMinute, 0, ae);
      add_series(s, dev, kPt, 2, t0 + rng_.range(5, 15) * kMinute, 5 * kMinute, ae);
      last = add_series(s, dev, kMr, 1, t0 + rng_.range(30, 40) * kMinute, 0, ae);
    } else if (dev.kind == "CR" || dev.kind == "DX") {
      last = add_series(s, dev, dev.kind == "CR" ? kCr : kDx, static_cast<int>(rng_.range(1, 3)),
                        t0, rng_.range(1, 3) * kMinute, ae);
    } else {
      last = add_series(s, dev, kUs, static_cast<int>(rng_.range(2, 4)), t0,
                        rng_.range(2, 5) * kMinute, ae);
    }
    if (dose) {
      last = add_series(s, dev, kSr, 1, last + rng_.range(1, 8) * kMinute, 0, ae);
      s.kinds.push_back(Kind::dose_report);
    }
    if (rare(0.10)) {
      // Key images made on a reading workstation (or at the console) later in the day.
      const std::string from = rng_.chance(0.7) ? "WS01" : ae;
      add_series(s, dev, kKo, 1, last + rng_.range(30, 360) * kMinute, 0, from);
      s.kinds.push_back(Kind::key_images);
    }
    // Arrival quirks.
    if (rare(0.03)) {
      const int64_t late = rng_.range(60, 20 * 60) * kMinute;
      std::vector<int64_t> times;
      for (int i : s.instances)
        times.push_back(sc_.instances[i].arrives_ms + late);
      shuffle(times);
      for (std::size_t i = 0; i < s.instances.size(); ++i) {
        sc_.instances[s.instances[i]].arrives_ms = times[i];
      }
      s.kinds.push_back(Kind::delayed_send);
    } else if (s.instances.size() > 1 && rare(0.08)) {
      std::vector<int64_t> times;
      for (int i : s.instances)
        times.push_back(sc_.instances[i].arrives_ms);
      shuffle(times);
      for (std::size_t i = 0; i < s.instances.size(); ++i) {
        sc_.instances[s.instances[i]].arrives_ms = times[i];
      }
      s.kinds.push_back(Kind::shuffled_within_study);
    }
    for (int i : s.instances) {
      s.first_arrival_ms = std::min(s.first_arrival_ms, sc_.instances[i].arrives_ms);
      s.last_arrival_ms = std::max(s.last_arrival_ms, sc_.instances[i].arrives_ms);
    }
  }

  // A situation's probability, scaled by Params::boost (the daemon scenarios' few studies).
  bool rare(double p) { return rng_.chance(std::min(0.5, p * boost_)); }

  template <typename T>
  void shuffle(std::vector<T>& v) {
    for (std::size_t i = v.size(); i > 1; --i) {
      std::swap(v[i - 1], v[static_cast<std::size_t>(rng_.range(0, static_cast<int64_t>(i) - 1))]);
    }
  }

  // Creates a study of `patient` on `dev` starting at `start`; `order` its true order.
  int make_study(int patient, const Device& dev, int64_t start, std::optional<int> order,
                 std::vector<Kind> kinds) {
    Study s;
    s.index = static_cast<int>(sc_.studies.size());
    s.patient = patient;
    s.order = order;
    s.device = dev.ae;
    s.start_ms = start;
    s.kinds = std::move(kinds);
    s.kinds.push_back(order ? Kind::ordered : Kind::unordered);
    if (dev.kind == "PETCT")
      s.kinds.push_back(Kind::pet_ct);
    if (dev.kind == "PETMR")
      s.kinds.push_back(Kind::pet_mr);
    const Patient& pt = sc_.patients[static_cast<std::size_t>(patient)];
    s.sent = {pt.id, dev.sends_issuer ? pt.issuer : "", pt.name, pt.birth_date, pt.sex};
    if (dev.sends_issuer)
      s.kinds.push_back(Kind::issuer_sent);
    DeviceDay& dd = device_day_[dev.ae];
    const int64_t written = start + dd.skew_ms;
    s.study_date = dicom_date(written);
    s.study_time = dicom_time(written);
    if (dd.skew_ms != 0) {
      s.kinds.push_back(Kind::clock_skew);
      if (dicom_date(written) != dicom_date(start))
        s.kinds.push_back(Kind::clock_skew_date_shift);
    }
    s.timezone_offset = dd.timezone;
    if (!dd.timezone.empty())
      s.kinds.push_back(Kind::timezone_offset);
    s.own_uid = uid(1);
    s.study_uid = s.own_uid;
    if (rare(0.01)) {
      s.study_uid.clear();
      s.kinds.push_back(Kind::missing_study_uid);
    }
    if (dev.worklist_capable && order &&
        sc_.orders[static_cast<std::size_t>(*order)].listed_at(start)) {
      const Order& o = sc_.orders[static_cast<std::size_t>(*order)];
      s.accession = o.accession;
      s.own_uid = o.ris_study_uid;
      if (!s.has(Kind::missing_study_uid))
        s.study_uid = o.ris_study_uid;
      s.kinds.push_back(Kind::modality_sends_accession);
    }
    sc_.studies.push_back(std::move(s));
    Study& ref = sc_.studies.back();
    acquire(ref, dev);
    return ref.index;
  }

  // Applies the order lifecycle relative to the study that performs it.
  void lifecycle(int order, const Study& s, std::vector<Kind>& kinds) {
    Order& o = sc_.orders[static_cast<std::size_t>(order)];
    const int64_t first = s.first_arrival_ms;
    const int64_t last = s.last_arrival_ms;
    const double r = static_cast<double>(rng_.range(0, 999999)) / 1e6;
    if (r < 0.15) {
      o.status_change_ms = first + (last - first) / 2 + 1;
      o.new_status = "COMPLETED";
      kinds.push_back(Kind::order_completed_mid_study);
    } else if (r < 0.15 + std::min(0.1, 0.02 * boost_)) {
      o.status_change_ms = first + (last - first) / 3 + 1;
      o.new_status = "DISCONTINUED";
      kinds.push_back(Kind::order_discontinued_mid_study);
    } else if (r < 0.15 + std::min(0.1, 0.02 * boost_) + std::min(0.15, 0.05 * boost_)) {
      o.removed_ms = first + (last - first) / 2 + 1;
      kinds.push_back(Kind::order_removed_mid_study);
    } else {
      // Most RIS drop an order some hours after it was performed.
      o.removed_ms = std::max(last, o.appears_ms) + rng_.range(2, 12) * kHour;
    }
  }

  // Another patient with an order of this modality today (for a Patient ID typo that hits him).
  std::optional<int> same_day_other_patient(int patient, const std::string& modality, int64_t day) {
    std::vector<int> found;
    for (std::size_t i = 0; i < sc_.orders.size(); ++i) {
      const Order& o = sc_.orders[i];
      if (o.patient != patient && o.modality == modality && o.scheduled_ms >= day &&
          o.scheduled_ms < day + kDay &&
          sc_.patients[static_cast<std::size_t>(o.patient)].id !=
              sc_.patients[static_cast<std::size_t>(patient)].id) {
        found.push_back(o.patient);
      }
    }
    if (found.empty())
      return std::nullopt;
    return found[static_cast<std::size_t>(rng_.range(0, static_cast<int64_t>(found.size()) - 1))];
  }

  // One ordered (or not) study with its complications; may add related studies.
  void base_study(int64_t day) {
    const Device& dev = pick_device();
    const int64_t scheduled = slot(dev, day);
    const int patient = new_patient();
    std::vector<Kind> kinds;
    if (rare(0.03)) {
      finish_study(
          make_study(patient, dev, scheduled + rng_.range(0, 20) * kMinute, std::nullopt, kinds),
          std::nullopt, day);
      return;
    }
    int order = new_order(patient, dev, scheduled, kinds);
    const int64_t start = std::clamp(scheduled + delay(), day, day + kDay - kHour);
    if (rare(0.08)) {
      sc_.orders[static_cast<std::size_t>(order)].appears_ms = start + rng_.range(5, 120) * kMinute;
      kinds.push_back(Kind::late_order);
    } else if (rare(0.02)) {
      // The clerk cancels the order shortly before the scan and enters a new one.
      Order& old = sc_.orders[static_cast<std::size_t>(order)];
      const int64_t at = std::max(old.appears_ms + kMinute, start - rng_.range(5, 55) * kMinute);
      if (rng_.chance(0.5)) {
        old.status_change_ms = at;
        old.new_status = "CANCELED";
      } else {
        old.removed_ms = at;
      }
      const std::string station_ae = old.station_ae;  // new_order() below grows sc_.orders
      std::vector<Kind> ignored;
      order = new_order(patient, dev, scheduled, ignored);
      sc_.orders[static_cast<std::size_t>(order)].appears_ms = at;
      sc_.orders[static_cast<std::size_t>(order)].station_ae = station_ae;
      kinds.push_back(Kind::order_replaced);
    }
    const int study = make_study(patient, dev, start, order, kinds);
    finish_study(study, order, day);

    // (Copies: make_study() below grows sc_.studies.)
    const int64_t base_start = sc_.studies[static_cast<std::size_t>(study)].start_ms;
    // Related studies the same day.
    if (rare(0.04) && base_start + 6 * kHour < day + kDay) {
      const bool same = rng_.chance(0.5);
      const Device& other =
          same ? device_of_kind(dev.kind == "PETCT" || dev.kind == "PETMR" ? "CT" : dev.kind)
               : device_of_kind(dev.kind == "CT" ? "MR" : "CT");
      const Kind k = same ? Kind::same_patient_same_modality : Kind::same_patient_other_modality;
      sc_.studies[static_cast<std::size_t>(study)].kinds.push_back(k);
      std::vector<Kind> k2 = {k};
      const int64_t later = base_start + rng_.range(60, 300) * kMinute;
      const int o2 = new_order(patient, other, later - rng_.range(0, 40) * kMinute, k2);
      finish_study(make_study(patient, other, later, o2, k2), o2, day);
    }
    if (rare(0.03)) {
      const Study& base = sc_.studies[static_cast<std::size_t>(study)];
      const int64_t again = base.last_arrival_ms + rng_.range(5, 40) * kMinute;
      sc_.studies[static_cast<std::size_t>(study)].kinds.push_back(Kind::repeat_exam);
      finish_study(make_study(patient, dev, again, std::nullopt, {Kind::repeat_exam}), std::nullopt,
                   day);
    }
    if (dev.kind == "PETCT" && rare(0.3)) {
      const Device& ct = device_of_kind("CT");
      const int64_t when = std::clamp(base_start + rng_.range(-4 * 60, 4 * 60) * kMinute,
                                      day + 7 * kHour, day + 20 * kHour);
      sc_.studies[static_cast<std::size_t>(study)].kinds.push_back(Kind::pet_with_plain_ct_order);
      std::vector<Kind> k2 = {Kind::pet_with_plain_ct_order};
      const int o2 = new_order(patient, ct, when - rng_.range(0, 30) * kMinute, k2);
      finish_study(make_study(patient, ct, when, o2, k2), o2, day);
    }
    if (rare(0.015)) {
      // Another hospital of the group uses the same number for someone else, scanned today too.
      const Patient& p = sc_.patients[static_cast<std::size_t>(patient)];
      const int twin = new_patient(p.issuer == "HOSP_A" ? "HOSP_B" : "HOSP_A", p.id);
      const Device& same_kind = device_of_kind(dev.kind);
      const int64_t when = std::clamp(base_start + rng_.range(-3 * 60, 3 * 60) * kMinute,
                                      day + 7 * kHour, day + 20 * kHour);
      sc_.studies[static_cast<std::size_t>(study)].kinds.push_back(Kind::shared_id_two_issuers);
      std::vector<Kind> k2 = {Kind::shared_id_two_issuers};
      const int o2 = new_order(twin, same_kind, when - rng_.range(0, 30) * kMinute, k2);
      finish_study(make_study(twin, same_kind, when, o2, k2), o2, day);
    }
  }

  // A legacy modality sometimes sends the next patient's images under the Study UID of the
  // study before (in time, on the same device).
  void reuse_study_uids(std::size_t first) {
    for (const auto& dev : sc_.devices) {
      if (!dev.legacy_uid_reuse)
        continue;
      std::vector<int> on_device;
      for (std::size_t i = first; i < sc_.studies.size(); ++i) {
        if (sc_.studies[i].device == dev.ae)
          on_device.push_back(static_cast<int>(i));
      }
      std::sort(on_device.begin(), on_device.end(), [&](int a, int b) {
        return sc_.studies[static_cast<std::size_t>(a)].start_ms <
               sc_.studies[static_cast<std::size_t>(b)].start_ms;
      });
      for (std::size_t k = 1; k < on_device.size(); ++k) {
        const Study& prev = sc_.studies[static_cast<std::size_t>(on_device[k - 1])];
        Study& s = sc_.studies[static_cast<std::size_t>(on_device[k])];
        if (prev.patient != s.patient && !prev.study_uid.empty() && !s.study_uid.empty() &&
            prev.last_arrival_ms < s.start_ms && !s.has(Kind::modality_sends_accession) &&
            rare(0.10)) {
          s.study_uid = prev.study_uid;
          s.kinds.push_back(Kind::reused_study_uid);
        }
      }
    }
  }

  // Order lifecycle and typos, once the study's instances exist.
  void finish_study(int study, std::optional<int> order, int64_t day) {
    Study& s = sc_.studies[static_cast<std::size_t>(study)];
    if (order) {
      std::vector<Kind> k;
      lifecycle(*order, s, k);
      s.kinds.insert(s.kinds.end(), k.begin(), k.end());
    }
    if (s.has(Kind::modality_sends_accession)) {
      return;  // patient taken from the worklist: no typing
    }
    const double r = static_cast<double>(rng_.range(0, 999999)) / 1e6;
    if (r < std::min(0.15, 0.020 * boost_)) {
      const Device& dev = *std::find_if(sc_.devices.begin(), sc_.devices.end(),
                                        [&](const Device& d) { return d.ae == s.device; });
      if (auto other = same_day_other_patient(s.patient, order_modality(dev.kind), day)) {
        const Patient& o = sc_.patients[static_cast<std::size_t>(*other)];
        s.sent.patient_id = o.id;
        if (!s.sent.issuer.empty())
          s.sent.issuer = o.issuer;
        s.kinds.push_back(Kind::id_typo_other_patient);
      }
    } else if (r < std::min(0.30, 0.035 * boost_)) {
      s.sent.patient_id = "9" + std::to_string(rng_.range(100000, 999999));
      s.kinds.push_back(Kind::id_typo_nobody);
    } else if (r < std::min(0.45, 0.065 * boost_)) {
      if (rng_.chance(0.5) && s.sent.name.size() > 3) {
        std::swap(s.sent.name[1], s.sent.name[2]);
        if (s.sent.name == sc_.patients[static_cast<std::size_t>(s.patient)].name) {
          s.sent.name[1] = 'X';
        }
      } else {
        s.sent.birth_date =
            s.sent.birth_date.substr(0, 6) + (s.sent.birth_date.substr(6) == "15" ? "16" : "15");
      }
      s.kinds.push_back(Kind::demographics_typo);
    }
  }

  void finish() {
    // Truth bookkeeping.
    for (std::size_t i = 0; i < sc_.orders.size(); ++i) {
      sc_.order_by_accession[sc_.orders[i].accession] = static_cast<int>(i);
    }
    for (std::size_t i = 0; i < sc_.instances.size(); ++i) {
      sc_.instance_by_sop[sc_.instances[i].sop_instance_uid] = static_cast<int>(i);
    }
    for (auto& s : sc_.studies) {
      std::sort(s.kinds.begin(), s.kinds.end());
      s.kinds.erase(std::unique(s.kinds.begin(), s.kinds.end()), s.kinds.end());
      for (Kind k : s.kinds)
        sc_.count(k);
      bool ok = s.order.has_value() && !s.has(Kind::id_typo_other_patient) &&
                !s.has(Kind::id_typo_nobody) && !s.has(Kind::demographics_typo) &&
                !s.has(Kind::reused_study_uid) && !s.has(Kind::missing_study_uid);
      if (ok) {
        const Order& o = sc_.orders[static_cast<std::size_t>(*s.order)];
        ok = o.appears_ms <= s.last_arrival_ms && o.removed_ms > s.first_arrival_ms;
      }
      s.stampable = ok;
    }
    sc_.arrival_order.resize(sc_.instances.size());
    std::iota(sc_.arrival_order.begin(), sc_.arrival_order.end(), 0);
    std::stable_sort(sc_.arrival_order.begin(), sc_.arrival_order.end(), [&](int a, int b) {
      return sc_.instances[static_cast<std::size_t>(a)].arrives_ms <
             sc_.instances[static_cast<std::size_t>(b)].arrives_ms;
    });
    sc_.end_ms = sc_.start_ms;
    for (const auto& in : sc_.instances)
      sc_.end_ms = std::max(sc_.end_ms, in.arrives_ms);
    sc_.end_ms += kMinute;
    std::sort(sc_.restarts.begin(), sc_.restarts.end());
    std::sort(sc_.person_rounds.begin(), sc_.person_rounds.end());
    sc_.kind_counts[static_cast<int>(Kind::restart)] += static_cast<int>(sc_.restarts.size());
  }

  Scenario sc_;
  Rng rng_;
  double boost_ = 1.0;
  std::string uid_root_;
  uint64_t uid_counter_ = 0;
  std::map<std::string, DeviceDay> device_day_;
  std::map<int, int> series_numbers_;
};

}  // namespace

int64_t day_start(int year, int month, int day) {
  return days_from_civil(year, month, day) * kDay;
}

int64_t day_of(int64_t ms) {
  return floor_div(ms, kDay);
}

std::string dicom_date(int64_t ms) {
  const Civil c = civil_from_days(day_of(ms));
  return std::to_string(c.y) + two(c.m) + two(c.d);
}

std::string dicom_time(int64_t ms) {
  const int64_t in_day = ms - day_of(ms) * kDay;
  return two(in_day / kHour) + two(in_day / kMinute % 60) + two(in_day / kSecond % 60);
}

std::string clock_text(int64_t ms) {
  if (ms == kNever)
    return "never";
  const Civil c = civil_from_days(day_of(ms));
  const int64_t in_day = ms - day_of(ms) * kDay;
  return std::to_string(c.y) + "-" + two(c.m) + "-" + two(c.d) + " " + two(in_day / kHour) + ":" +
         two(in_day / kMinute % 60);
}

uint64_t Rng::next() {
  uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

int64_t Rng::range(int64_t lo, int64_t hi) {
  if (hi <= lo)
    return lo;
  const auto span = static_cast<uint64_t>(hi - lo) + 1;
  return lo + static_cast<int64_t>(next() % span);
}

bool Rng::chance(double p) {
  return static_cast<double>(next() >> 11) * (1.0 / 9007199254740992.0) < p;
}

const char* kind_name(Kind k) {
  switch (k) {
    case Kind::ordered:
      return "ordered";
    case Kind::unordered:
      return "unordered";
    case Kind::same_patient_same_modality:
      return "same_patient_same_modality";
    case Kind::same_patient_other_modality:
      return "same_patient_other_modality";
    case Kind::repeat_exam:
      return "repeat_exam";
    case Kind::pet_ct:
      return "pet_ct";
    case Kind::pet_mr:
      return "pet_mr";
    case Kind::pet_with_plain_ct_order:
      return "pet_with_plain_ct_order";
    case Kind::dose_report:
      return "dose_report";
    case Kind::key_images:
      return "key_images";
    case Kind::id_typo_other_patient:
      return "id_typo_other_patient";
    case Kind::id_typo_nobody:
      return "id_typo_nobody";
    case Kind::demographics_typo:
      return "demographics_typo";
    case Kind::reused_study_uid:
      return "reused_study_uid";
    case Kind::missing_study_uid:
      return "missing_study_uid";
    case Kind::late_order:
      return "late_order";
    case Kind::order_removed_mid_study:
      return "order_removed_mid_study";
    case Kind::order_completed_mid_study:
      return "order_completed_mid_study";
    case Kind::order_discontinued_mid_study:
      return "order_discontinued_mid_study";
    case Kind::order_replaced:
      return "order_replaced";
    case Kind::clock_skew:
      return "clock_skew";
    case Kind::clock_skew_date_shift:
      return "clock_skew_date_shift";
    case Kind::timezone_offset:
      return "timezone_offset";
    case Kind::delayed_send:
      return "delayed_send";
    case Kind::shuffled_within_study:
      return "shuffled_within_study";
    case Kind::shared_id_two_issuers:
      return "shared_id_two_issuers";
    case Kind::issuer_sent:
      return "issuer_sent";
    case Kind::station_ae_matches:
      return "station_ae_matches";
    case Kind::station_ae_differs:
      return "station_ae_differs";
    case Kind::modality_sends_accession:
      return "modality_sends_accession";
    case Kind::restart:
      return "restart";
    case Kind::manual_assign:
      return "manual_assign";
    case Kind::manual_release:
      return "manual_release";
    case Kind::count_:
      break;
  }
  return "?";
}

bool Study::has(Kind k) const {
  return std::find(kinds.begin(), kinds.end(), k) != kinds.end();
}

dicom::data::WorklistItem Scenario::item_of(const Order& o, int64_t t) const {
  const Patient& p = patients[static_cast<std::size_t>(o.patient)];
  dicom::data::WorklistItem w;
  w.patient_id = p.id;
  w.issuer_of_patient_id = p.issuer;
  w.patient_name = p.name;
  w.patient_birth_date = p.birth_date;
  w.patient_sex = p.sex;
  w.accession_number = o.accession;
  w.study_instance_uid = o.ris_study_uid;
  w.requested_procedure_id = o.requested_procedure_id;
  w.requested_procedure_description = o.description;
  w.modality = o.modality;
  w.scheduled_station_ae = o.station_ae;
  w.sps_start_date = dicom_date(o.scheduled_ms);
  w.sps_start_time = dicom_time(o.scheduled_ms);
  w.sps_id = o.sps_id;
  w.sps_description = o.description;
  w.sps_status = o.status_at(t);
  return w;
}

std::vector<dicom::data::WorklistItem> Scenario::worklist_at(int64_t t, int days_before,
                                                             int days_after,
                                                             const std::string& patient_id) const {
  std::vector<dicom::data::WorklistItem> out;
  const int64_t today = day_of(t);
  for (const auto& o : orders) {
    if (!o.listed_at(t))
      continue;
    const int64_t d = day_of(o.scheduled_ms);
    if (d < today - days_before || d > today + days_after)
      continue;
    if (!patient_id.empty() && patients[static_cast<std::size_t>(o.patient)].id != patient_id) {
      continue;
    }
    out.push_back(item_of(o, t));
  }
  return out;
}

bool Scenario::ris_changed(int64_t from, int64_t to, const std::string& patient_id) const {
  for (const auto& o : orders) {
    if (!patient_id.empty() && patients[static_cast<std::size_t>(o.patient)].id != patient_id) {
      continue;
    }
    for (int64_t at : {o.appears_ms, o.removed_ms, o.status_change_ms}) {
      if (at > from && at <= to)
        return true;
    }
  }
  return false;
}

std::set<std::string> Scenario::changed_patient_ids(int64_t from, int64_t to, bool removals) const {
  std::set<std::string> out;
  for (const auto& o : orders) {
    for (int64_t at : {o.appears_ms, removals ? o.removed_ms : kNever, o.status_change_ms}) {
      if (at > from && at <= to) {
        out.insert(patients[static_cast<std::size_t>(o.patient)].id);
      }
    }
  }
  return out;
}

std::string Scenario::true_accession(const Study& s) const {
  return s.order ? orders[static_cast<std::size_t>(*s.order)].accession : std::string();
}

std::string Scenario::describe(const Study& s) const {
  const Patient& p = patients[static_cast<std::size_t>(s.patient)];
  std::string out = "study #" + std::to_string(s.index) + " on " + s.device + " at " +
                    clock_text(s.start_ms) + ": true patient " + p.id + "/" + p.issuer + " " +
                    p.name + " " + p.birth_date + " " + p.sex;
  if (s.order) {
    const Order& o = orders[static_cast<std::size_t>(*s.order)];
    out += "; true order " + o.accession + " (" + o.modality + " scheduled " +
           clock_text(o.scheduled_ms) + ", station '" + o.station_ae + "', in RIS " +
           clock_text(o.appears_ms) + " to " + clock_text(o.removed_ms) +
           (o.status_change_ms != kNever
                ? ", " + o.new_status + " at " + clock_text(o.status_change_ms)
                : std::string()) +
           ")";
  } else {
    out += "; unordered";
  }
  out += "; sent Patient ID '" + s.sent.patient_id + "' issuer '" + s.sent.issuer +
         "', Study Date/Time " + s.study_date + " " + s.study_time + ", Study UID '" + s.study_uid +
         "'";
  out += "; " + std::to_string(s.instances.size()) + " instance(s) arriving " +
         clock_text(s.first_arrival_ms) + " .. " + clock_text(s.last_arrival_ms) + "; kinds [";
  for (std::size_t i = 0; i < s.kinds.size(); ++i) {
    out += (i ? "," : "") + std::string(kind_name(s.kinds[i]));
  }
  return out + "]";
}

Scenario generate(const Params& params) {
  return Generator(params).run();
}

}  // namespace acc::sim
