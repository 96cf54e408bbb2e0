// Issue-4 figures: what accession stamping adds to an instance compared with the plain receive
// path, and what the worklist cache costs in matching time, memory and merge time. Inputs are
// built in memory with DCMTK so the run needs no corpus on disk.
#include <benchmark/benchmark.h>

#include <malloc.h>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <span>
#include <string>
#include <vector>

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdatset.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcostrmb.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmdata/dcxfer.h>

#include "benchmarks/synthetic_ct.hpp"
#include "dicom/data/data_set.hpp"
#include "dicom/data/part10.hpp"
#include "dicom/data/stamp.hpp"
#include "router/receive/instance_attributes.hpp"
#include "router/stamping/worklist_cache.hpp"
#include "rules/worklist_match.hpp"

namespace {

using acc::dicom::data::WorklistItem;

using acc::bench::kExplicitLe;
constexpr const char* kPatientId = "PAT-MATCH-0001";
constexpr const char* kStudyDate = "20261123";

struct Instance {
  std::string sop_class_uid;
  std::string sop_instance_uid;
  std::vector<uint8_t> data_set;
};

// A CT (or multi-frame CT) data set, Explicit VR LE, pixel data a gradient so nothing is all zero.
Instance make_instance(uint16_t rows, uint16_t columns, int frames) {
  DcmDataset ds;
  char uid[100];
  Instance out;
  out.sop_class_uid = frames > 1 ? UID_EnhancedCTImageStorage : UID_CTImageStorage;
  out.sop_instance_uid = dcmGenerateUniqueIdentifier(uid, SITE_INSTANCE_UID_ROOT);
  ds.putAndInsertString(DCM_SpecificCharacterSet, "ISO_IR 100");
  ds.putAndInsertString(DCM_SOPClassUID, out.sop_class_uid.c_str());
  ds.putAndInsertString(DCM_SOPInstanceUID, out.sop_instance_uid.c_str());
  ds.putAndInsertString(DCM_StudyDate, kStudyDate);
  ds.putAndInsertString(DCM_StudyTime, "101500");
  ds.putAndInsertString(DCM_Modality, "CT");
  ds.putAndInsertString(DCM_PatientName, "Bench^Patient");
  ds.putAndInsertString(DCM_PatientID, kPatientId);
  ds.putAndInsertString(DCM_StudyInstanceUID,
                        dcmGenerateUniqueIdentifier(uid, SITE_STUDY_UID_ROOT));
  ds.putAndInsertString(DCM_SeriesInstanceUID,
                        dcmGenerateUniqueIdentifier(uid, SITE_SERIES_UID_ROOT));
  ds.putAndInsertString(DCM_AccessionNumber, "");
  acc::bench::put_ct_pixels(ds, rows, columns, frames);
  out.data_set = acc::bench::encode_explicit_le(ds);
  return out;
}

const Instance& ct_slice() {
  static const Instance kInstance = make_instance(512, 512, 1);
  return kInstance;
}

const Instance& multiframe() {
  static const Instance kInstance = make_instance(512, 512, 200);
  return kInstance;
}

// `n` orders for random patients (ids never equal to kPatientId) plus, at a random position, one
// order for kPatientId that the instance matches.
std::vector<WorklistItem> make_items(std::size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<uint32_t> pid(0, 99'999'999);
  std::uniform_int_distribution<int> day(1, 28);
  std::vector<WorklistItem> items;
  items.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    WorklistItem w;
    w.patient_id = "P" + std::to_string(pid(rng));
    w.patient_name = "Doe^Jane" + std::to_string(i);
    w.patient_birth_date = "19700101";
    w.patient_sex = "F";
    w.accession_number = "A" + std::to_string(1'000'000 + i);
    w.accession_issuer = acc::dicom::data::AccessionIssuer{"RIS", "1.2.3.4", "ISO"};
    w.referring_physician_name = "Ref^Doctor";
    w.study_instance_uid = "1.2.826.0.1.3680043.9.7777." + std::to_string(i);
    w.requested_procedure_id = "RP" + std::to_string(i);
    w.requested_procedure_description = "CT CHEST WITH CONTRAST";
    w.modality = "CT";
    w.scheduled_station_ae = "CT01";
    const int d = day(rng);
    w.sps_start_date = "202611" + std::string(d < 10 ? "0" : "") + std::to_string(d);
    w.sps_start_time = "090000";
    w.sps_id = "SPS" + std::to_string(i);
    w.sps_description = "CT CHEST";
    w.sps_status = "SCHEDULED";
    items.push_back(std::move(w));
  }
  if (n > 0) {
    auto& m = items[std::uniform_int_distribution<std::size_t>(0, n - 1)(rng)];
    m.patient_id = kPatientId;
    m.patient_name = "Bench^Patient";  // the instance's: disagreeing demographics never match
    m.sps_start_date = kStudyDate;
  }
  return items;
}

std::vector<acc::rules::CachedEntry> make_entries(std::size_t n) {
  std::vector<acc::rules::CachedEntry> entries;
  for (auto& item : make_items(n, 42)) {
    entries.push_back({std::move(item), false});
  }
  return entries;
}

acc::dicom::data::StampRequest stamp_request(const WorklistItem& w) {
  acc::dicom::data::StampRequest r;
  r.accession_number = w.accession_number;
  r.issuer = *w.accession_issuer;
  r.requested_procedure_id = w.requested_procedure_id;
  r.requested_procedure_description = w.requested_procedure_description;
  r.sps_id = w.sps_id;
  r.sps_description = w.sps_description;
  r.study_instance_uid = w.study_instance_uid;
  r.modifying_system = "ACCESSIONER";
  r.source_of_previous_values = "CT01";
  r.modification_datetime = "20261123101500.000000+0000";
  return r;
}

// The receive path without a worklist (storage_scp prepare_instance): parse, summary, Part 10.
void pass_through(benchmark::State& state, const Instance& in) {
  for (auto _ : state) {
    auto parsed = acc::dicom::data::DataSet::parse(in.data_set, kExplicitLe);
    if (!parsed) {
      state.SkipWithError(parsed.error().detail.c_str());
      return;
    }
    const auto s = parsed->summary();
    auto part10 = acc::dicom::data::make_part10(
        {in.sop_class_uid, s.sop_instance_uid, kExplicitLe, {}}, in.data_set);
    benchmark::DoNotOptimize(part10.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * in.data_set.size()));
  state.counters["instance_bytes"] = static_cast<double>(in.data_set.size());
}

// The same plus what stamping adds: match against a 1,000-entry cache (one match), stamp, Part 10
// of the stamped data set.
void stamped(benchmark::State& state, const Instance& in) {
  const auto entries = make_entries(1'000);
  const acc::rules::MatchingPolicy policy;
  for (auto _ : state) {
    auto parsed = acc::dicom::data::DataSet::parse(in.data_set, kExplicitLe);
    if (!parsed) {
      state.SkipWithError(parsed.error().detail.c_str());
      return;
    }
    const auto s = parsed->summary();
    auto attrs = acc::router::instance_attributes(*parsed);
    attrs.calling_ae = "CT01";
    const auto d = acc::rules::match(attrs, entries, policy);
    if (d.outcome != acc::rules::Outcome::Matched) {
      state.SkipWithError("instance did not match");
      return;
    }
    auto result = acc::dicom::data::stamp_accession(in.data_set, kExplicitLe,
                                                    stamp_request(entries[*d.selected].item));
    if (!result) {
      state.SkipWithError(result.error().detail.c_str());
      return;
    }
    auto part10 = acc::dicom::data::make_part10(
        {in.sop_class_uid, s.sop_instance_uid, kExplicitLe, {}}, result->data_set);
    benchmark::DoNotOptimize(part10.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * in.data_set.size()));
  state.counters["instance_bytes"] = static_cast<double>(in.data_set.size());
}

void BM_PassThrough_CT512(benchmark::State& state) {
  pass_through(state, ct_slice());
}
void BM_Stamped_CT512(benchmark::State& state) {
  stamped(state, ct_slice());
}
void BM_PassThrough_MultiFrame200(benchmark::State& state) {
  pass_through(state, multiframe());
}
void BM_Stamped_MultiFrame200(benchmark::State& state) {
  stamped(state, multiframe());
}
BENCHMARK(BM_PassThrough_CT512)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Stamped_CT512)->Unit(benchmark::kMicrosecond);
// A 100 MiB instance takes ~0.1-0.3 s: give it a few iterations whatever --benchmark_min_time is.
BENCHMARK(BM_PassThrough_MultiFrame200)->MinTime(1.0)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Stamped_MultiFrame200)->MinTime(1.0)->Unit(benchmark::kMillisecond);

// Matching alone, against n cached entries: the instance attributes are taken once.
void BM_Match(benchmark::State& state) {
  const auto entries = make_entries(static_cast<std::size_t>(state.range(0)));
  auto parsed = acc::dicom::data::DataSet::parse(ct_slice().data_set, kExplicitLe);
  auto attrs = acc::router::instance_attributes(*parsed);
  attrs.calling_ae = "CT01";
  const acc::rules::MatchingPolicy policy;
  bool matched = false;
  for (auto _ : state) {
    const auto d = acc::rules::match(attrs, entries, policy);
    matched = d.outcome == acc::rules::Outcome::Matched;
    benchmark::DoNotOptimize(d.selected);
  }
  // 1 when the one order of the instance's patient was selected: the whole rule path ran.
  state.counters["matched"] = matched ? 1 : 0;
}
BENCHMARK(BM_Match)->Arg(1'000)->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMicrosecond);

// StampingService copies the cache for every instance (WorklistCache::entries); its cost per n.
void BM_EntriesCopy(benchmark::State& state) {
  const auto entries = make_entries(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    auto copy = entries;
    benchmark::DoNotOptimize(copy.data());
  }
}
BENCHMARK(BM_EntriesCopy)->Arg(1'000)->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMicrosecond);

long vm_rss_kib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      return std::stol(line.substr(6));
    }
  }
  return -1;
}

// RSS growth from building n WorklistItems. One iteration: allocation patterns repeat, and the
// figure is a size, not a time.
void BM_WorklistMemory(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  double delta_kib = 0;
  double heap_delta = 0;
  for (auto _ : state) {
    // Earlier benchmarks leave freed heap that would absorb the vector without RSS growing.
    malloc_trim(0);
    const long before = vm_rss_kib();
    const std::size_t heap_before = mallinfo2().uordblks + mallinfo2().hblkhd;
    auto items = make_items(n, 7);
    const long after = vm_rss_kib();
    heap_delta = static_cast<double>(mallinfo2().uordblks + mallinfo2().hblkhd - heap_before);
    benchmark::DoNotOptimize(items.data());
    delta_kib = static_cast<double>(after - before);
  }
  state.counters["heap_delta_MiB"] = heap_delta / (1024.0 * 1024.0);
  state.counters["rss_delta_MiB"] = delta_kib / 1024.0;
  state.counters["bytes_per_item"] = delta_kib * 1024.0 / static_cast<double>(n);
  state.counters["sizeof_item"] = static_cast<double>(sizeof(WorklistItem));
}
BENCHMARK(BM_WorklistMemory)
    ->Arg(10'000)
    ->Arg(100'000)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

// merge() of a full refresh (n items) into a cache of n entries; half the items are already
// cached (same identity), half are new orders, as after a day rolls over.
void BM_Merge(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  std::vector<acc::router::WorklistCache::Entry> base;
  for (auto& item : make_items(n, 11)) {
    base.push_back({std::move(item), 1'000});
  }
  auto refresh = make_items(n, 12);
  for (std::size_t i = 0; i < n / 2; ++i) {
    refresh[i] = base[i].item;
  }
  for (auto _ : state) {
    state.PauseTiming();
    auto entries = base;
    auto items = refresh;
    state.ResumeTiming();
    acc::router::WorklistCache::merge(entries, std::move(items), 2'000);
    benchmark::DoNotOptimize(entries.data());
  }
}
BENCHMARK(BM_Merge)->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
