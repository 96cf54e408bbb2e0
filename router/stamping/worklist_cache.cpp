#include "router/stamping/worklist_cache.hpp"
#include "common/clock.hpp"

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <iterator>
#include <limits>
#include <map>
#include <unordered_map>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <asio/co_spawn.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/post.hpp>
#include <asio/use_awaitable.hpp>

#include "dicom/data/sop_classes.hpp"
#include "dicom/dimse/status.hpp"
#include "dicom/net/scu.hpp"
#include "router/runtime/spawn.hpp"

namespace acc::router {

namespace data = dicom::data;
namespace net = dicom::net;
using nlohmann::json;

namespace {

// Scheduled dates are local calendar dates at the hospital.
std::string local_date(int day_offset) {
  const std::time_t t = std::time(nullptr) + static_cast<std::time_t>(day_offset) * 86400;
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[9];
  std::strftime(buf, sizeof buf, "%Y%m%d", &tm);
  return buf;
}

std::string identity(const data::WorklistItem& i) {
  return i.accession_number + '\x1f' + i.requested_procedure_id + '\x1f' + i.sps_id + '\x1f' +
         i.patient_id;
}

// An entry's last_seen is rewritten in the store only when it has moved this far: a full refresh
// then writes only new and changed orders, not every entry every refresh_s. After a restart an
// entry may look up to this much older than it was, so it stops matching that much earlier when
// the RIS is gone for good; grace_s / 4 keeps three quarters of the grace.
int64_t seen_persist_interval_ms(const config::WorklistConfig& c) {
  return std::max<int64_t>(static_cast<int64_t>(c.refresh_s) * 1000,
                           static_cast<int64_t>(c.grace_s) * 250);
}

constexpr std::string_view kEntryPrefix = "e/";
constexpr std::string_view kLastSuccessKey = "s/last_success_ms";

}  // namespace

json to_json(const data::WorklistItem& i) {
  json j = {{"patient_id", i.patient_id},
            {"issuer_of_patient_id", i.issuer_of_patient_id},
            {"patient_name", i.patient_name},
            {"patient_birth_date", i.patient_birth_date},
            {"patient_sex", i.patient_sex},
            {"accession_number", i.accession_number},
            {"referring_physician_name", i.referring_physician_name},
            {"study_instance_uid", i.study_instance_uid},
            {"requested_procedure_id", i.requested_procedure_id},
            {"requested_procedure_description", i.requested_procedure_description},
            {"modality", i.modality},
            {"scheduled_station_ae", i.scheduled_station_ae},
            {"sps_start_date", i.sps_start_date},
            {"sps_start_time", i.sps_start_time},
            {"sps_id", i.sps_id},
            {"sps_description", i.sps_description},
            {"sps_status", i.sps_status}};
  if (i.accession_issuer) {
    j["accession_issuer"] = {{"local_namespace", i.accession_issuer->local_namespace},
                             {"universal_id", i.accession_issuer->universal_id},
                             {"universal_id_type", i.accession_issuer->universal_id_type}};
  }
  if (!i.requested_procedure_codes.empty()) {
    json codes = json::array();
    for (const data::CodedEntry& c : i.requested_procedure_codes) {
      codes.push_back({{"code_value", c.code_value},
                       {"coding_scheme_designator", c.coding_scheme_designator},
                       {"coding_scheme_version", c.coding_scheme_version},
                       {"code_meaning", c.code_meaning}});
    }
    j["requested_procedure_codes"] = std::move(codes);
  }
  return j;
}

data::WorklistItem worklist_item_from_json(const json& j) {
  data::WorklistItem i;
  auto get = [&j](const char* key) { return j.value(key, std::string()); };
  i.patient_id = get("patient_id");
  i.issuer_of_patient_id = get("issuer_of_patient_id");
  i.patient_name = get("patient_name");
  i.patient_birth_date = get("patient_birth_date");
  i.patient_sex = get("patient_sex");
  i.accession_number = get("accession_number");
  i.referring_physician_name = get("referring_physician_name");
  i.study_instance_uid = get("study_instance_uid");
  i.requested_procedure_id = get("requested_procedure_id");
  i.requested_procedure_description = get("requested_procedure_description");
  i.modality = get("modality");
  i.scheduled_station_ae = get("scheduled_station_ae");
  i.sps_start_date = get("sps_start_date");
  i.sps_start_time = get("sps_start_time");
  i.sps_id = get("sps_id");
  i.sps_description = get("sps_description");
  i.sps_status = get("sps_status");
  if (j.contains("accession_issuer") && j["accession_issuer"].is_object()) {
    const auto& a = j["accession_issuer"];
    i.accession_issuer = data::AccessionIssuer{a.value("local_namespace", std::string()),
                                               a.value("universal_id", std::string()),
                                               a.value("universal_id_type", std::string())};
  }
  // Absent in entries stored before codes were kept: no codes.
  if (j.contains("requested_procedure_codes") && j["requested_procedure_codes"].is_array()) {
    for (const auto& c : j["requested_procedure_codes"]) {
      if (c.is_object()) {
        i.requested_procedure_codes.push_back({c.value("code_value", std::string()),
                                               c.value("coding_scheme_designator", std::string()),
                                               c.value("coding_scheme_version", std::string()),
                                               c.value("code_meaning", std::string())});
      }
    }
  }
  return i;
}

WorklistCache::WorklistCache(asio::io_context& io, config::WorklistConfig config,
                             std::string our_ae, queue::InstanceStore& store)
    : io_(io),
      config_(std::move(config)),
      our_ae_(std::move(our_ae)),
      store_(store),
      strand_(asio::make_strand(io)),
      timer_(strand_),
      tls_(net::requestor_tls(config_.tls,
                              {.certificate = config_.tls_certificate,
                               .key = config_.tls_key,
                               .ca_file = config_.tls_ca_file},
                              "worklist")) {}

Result<void> WorklistCache::reload_tls() {
  return net::reload(tls_);
}

std::string WorklistCache::store_key(const data::WorklistItem& item) {
  std::string key(kEntryPrefix);
  key += identity(item);
  return key;
}

[[nodiscard]] Result<void> WorklistCache::load() {
  auto stored = store_.read_worklist();
  if (!stored) {
    return fail(stored.error());
  }
  std::size_t skipped = 0;
  std::lock_guard lock(mutex_);
  entries_.clear();
  for (const auto& [key, value] : *stored) {
    if (key == kLastSuccessKey) {
      status_.last_success_ms = std::strtoll(value.c_str(), nullptr, 10);
      continue;
    }
    const json j = json::parse(value, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("item")) {
      ++skipped;
      continue;
    }
    const int64_t seen = j.value("last_seen_ms", int64_t{0});
    entries_.push_back({worklist_item_from_json(j["item"]), seen, seen});
  }
  if (skipped > 0) {
    spdlog::warn("worklist cache: {} stored entr(ies) unreadable, skipped", skipped);
  }
  status_.entries = entries_.size();
  rebuild_snapshot_locked(unix_now_ms());
  spdlog::info("worklist cache: {} entries from the store (last refresh {})", entries_.size(),
               status_.last_success_ms);
  return {};
}

std::vector<std::size_t> WorklistCache::merge(std::vector<Entry>& entries,
                                              std::vector<data::WorklistItem> items,
                                              int64_t now_ms) {
  std::unordered_map<std::string, std::size_t> index;
  index.reserve(entries.size() + items.size());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    index.emplace(identity(entries[i].item), i);
  }
  std::vector<std::size_t> changed;
  for (auto& item : items) {
    auto [it, inserted] = index.try_emplace(identity(item), entries.size());
    if (inserted) {
      changed.push_back(entries.size());
      entries.push_back({std::move(item), now_ms, 0});
      continue;
    }
    Entry& e = entries[it->second];
    if (!(e.item == item)) {
      e.item = std::move(item);
      changed.push_back(it->second);
    }
    e.last_seen_ms = now_ms;
  }
  std::sort(changed.begin(), changed.end());
  changed.erase(std::unique(changed.begin(), changed.end()), changed.end());
  return changed;
}

void WorklistCache::rebuild_snapshot_locked(int64_t now_ms) const {
  const int64_t grace_ms = static_cast<int64_t>(config_.grace_s) * 1000;
  auto next = std::make_shared<std::vector<rules::CachedEntry>>();
  next->reserve(entries_.size() + undecodable_.size());
  int64_t expires = std::numeric_limits<int64_t>::max();
  for (const auto& e : entries_) {
    const bool stale = now_ms - e.last_seen_ms > grace_ms;
    if (!stale) {
      expires = std::min(expires, e.last_seen_ms + grace_ms + 1);
    }
    next->push_back({e.item, stale, /*undecodable=*/false});
  }
  for (const auto& p : undecodable_) {
    rules::CachedEntry placeholder;
    placeholder.item.patient_id = p.patient_id;
    placeholder.item.issuer_of_patient_id = p.issuer_of_patient_id;
    placeholder.undecodable = true;
    next->push_back(std::move(placeholder));
  }
  snapshot_ = std::move(next);
  snapshot_expires_ms_ = expires;
}

WorklistCache::Snapshot WorklistCache::entries(int64_t now_ms) const {
  std::lock_guard lock(mutex_);
  if (!snapshot_ || now_ms >= snapshot_expires_ms_) {
    rebuild_snapshot_locked(now_ms);
  }
  return snapshot_;
}

std::size_t WorklistCache::absorb(std::vector<data::WorklistItem> items, bool full_refresh) {
  return absorb(std::move(items), full_refresh, {});
}

std::size_t WorklistCache::absorb(std::vector<data::WorklistItem> items, bool full_refresh,
                                  std::vector<data::IssuedPatientId> undecodable,
                                  const std::string& queried_patient_id) {
  std::map<std::string, std::size_t> per_patient;
  for (const auto& p : undecodable) {
    ++per_patient[p.patient_id];
  }
  for (const auto& [patient_id, count] : per_patient) {
    spdlog::warn(
        "worklist: {} item(s) for Patient ID {} could not be decoded; kept as placeholder(s), so "
        "that patient's orders never match as the only candidate",
        count, patient_id);
  }
  const int64_t now = unix_now_ms();
  const std::size_t returned = items.size();
  queue::InstanceStore::KeyedWrite write;
  std::vector<Entry> to_write;  // serialised after the lock: matching must not wait for JSON
  std::size_t cached = 0;
  {
    std::lock_guard lock(mutex_);
    if (full_refresh) {
      undecodable_ = std::move(undecodable);
    } else {
      std::erase_if(undecodable_, [&](const data::IssuedPatientId& p) {
        return p.patient_id == queried_patient_id || per_patient.contains(p.patient_id);
      });
      undecodable_.insert(undecodable_.end(), std::make_move_iterator(undecodable.begin()),
                          std::make_move_iterator(undecodable.end()));
    }
    status_.undecodable = undecodable_.size();
    const auto changed = merge(entries_, std::move(items), now);
    std::vector<bool> dirty(entries_.size(), false);
    for (std::size_t i : changed) {
      dirty[i] = true;
    }
    const int64_t interval = seen_persist_interval_ms(config_);
    for (std::size_t i = 0; i < entries_.size(); ++i) {
      if (entries_[i].last_seen_ms - entries_[i].persisted_seen_ms >= interval) {
        dirty[i] = true;
      }
    }
    if (full_refresh) {
      // Forget entries gone from the RIS for a week; they stopped matching after grace_s already.
      std::vector<Entry> kept;
      std::vector<bool> kept_dirty;
      kept.reserve(entries_.size());
      for (std::size_t i = 0; i < entries_.size(); ++i) {
        if (now - entries_[i].last_seen_ms > 7 * 86'400'000LL) {
          write.erase.push_back(store_key(entries_[i].item));
        } else {
          kept.push_back(std::move(entries_[i]));
          kept_dirty.push_back(dirty[i]);
        }
      }
      entries_ = std::move(kept);
      dirty = std::move(kept_dirty);
      ++status_.refreshes;
      status_.last_success_ms = now;
      status_.last_error.clear();
      write.put.emplace_back(std::string(kLastSuccessKey), std::to_string(now));
    }
    for (std::size_t i = 0; i < entries_.size(); ++i) {
      if (!dirty[i]) {
        continue;
      }
      Entry& e = entries_[i];
      e.persisted_seen_ms = e.last_seen_ms;
      to_write.push_back(e);
    }
    status_.entries = entries_.size();
    rebuild_snapshot_locked(now);
    cached = entries_.size();
  }
  const auto persist_start = std::chrono::steady_clock::now();
  for (const Entry& e : to_write) {
    write.put.emplace_back(
        store_key(e.item),
        json{{"item", to_json(e.item)}, {"last_seen_ms", e.last_seen_ms}}.dump());
  }
  // Outside the lock: matching never waits for the disk.
  if (auto written = store_.write_worklist(write); !written) {
    spdlog::warn("worklist cache not persisted: {}", written.error().message());
  }
  if (full_refresh) {
    const auto persist_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::steady_clock::now() - persist_start)
                                .count();
    spdlog::info("worklist refreshed: {} item(s) returned, {} cached, {} key(s) written in {} ms",
                 returned, cached, write.put.size() + write.erase.size(), persist_ms);
  }
  return write.put.size() + write.erase.size();
}

WorklistStatus WorklistCache::status() const {
  std::lock_guard lock(mutex_);
  return status_;
}

void WorklistCache::start() {
  asio::co_spawn(strand_, refresh_loop(), LogUncaught{"worklist refresh"});
}

void WorklistCache::stop() {
  asio::post(strand_, [this] {
    stopping_ = true;
    timer_.cancel();
  });
}

void WorklistCache::refresh_now() {
  asio::post(strand_, [this] { timer_.cancel(); });
}

void WorklistCache::query_patient(const std::string& patient_id) {
  if (!config_.query_on_miss || patient_id.empty()) {
    return;
  }
  asio::post(strand_, [this, patient_id] {
    const int64_t now = unix_now_ms();
    auto& last = recent_patient_queries_[patient_id];
    if (now - last < 60'000) {
      return;
    }
    last = now;
    asio::co_spawn(strand_, query_patient_once(patient_id), LogUncaught{"worklist query"});
  });
}

asio::awaitable<void> WorklistCache::refresh_loop() {
  while (!stopping_) {
    co_await refresh_once();
    timer_.expires_after(std::chrono::seconds(config_.refresh_s));
    co_await timer_.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
  }
}

asio::awaitable<void> WorklistCache::refresh_once() {
  std::vector<std::string> modalities = config_.modalities;
  if (modalities.empty()) {
    modalities.emplace_back();
  }
  Answer all;
  for (const auto& modality : modalities) {
    data::WorklistQuery q{local_date(-static_cast<int>(config_.days_before)),
                          local_date(static_cast<int>(config_.days_after)),
                          modality,
                          {}};
    auto answer = co_await query(q);
    if (!answer) {
      std::lock_guard lock(mutex_);
      ++status_.failures;
      status_.last_error = answer.error().message();
      spdlog::warn("worklist refresh from {}@{}:{} failed: {} (keeping {} cached entries)",
                   config_.ae_title, config_.host, config_.port, status_.last_error,
                   entries_.size());
      co_return;
    }
    for (auto& i : answer->items) {
      all.items.push_back(std::move(i));
    }
    for (auto& p : answer->undecodable) {
      all.undecodable.push_back(std::move(p));
    }
  }
  absorb(std::move(all.items), /*full_refresh=*/true, std::move(all.undecodable));
  if (listener_) {
    listener_();
  }
}

asio::awaitable<void> WorklistCache::query_patient_once(std::string patient_id) {
  data::WorklistQuery q{local_date(-static_cast<int>(config_.days_before)),
                        local_date(static_cast<int>(config_.days_after)),
                        {},
                        patient_id};
  auto answer = co_await query(q);
  if (!answer) {
    spdlog::warn("worklist query for a patient failed: {}", answer.error().message());
    co_return;
  }
  absorb(std::move(answer->items), /*full_refresh=*/false, std::move(answer->undecodable),
         patient_id);
  if (listener_) {
    listener_();
  }
}

[[nodiscard]] asio::awaitable<Result<WorklistCache::Answer>> WorklistCache::query(
    const data::WorklistQuery& q) {
  net::AssociationSettings settings;
  settings.max_pdu_length = 131072;
  settings.timeouts.connect = std::chrono::seconds(config_.timeout_s);
  settings.timeouts.operation = std::chrono::seconds(config_.timeout_s);
  settings.timeouts.idle = std::chrono::seconds(config_.timeout_s);
  if (tls_) {
    settings.tls = net::TlsPeerPolicy{.context = tls_->current(),
                                      .server_name = config_.host,
                                      .verify_hostname = config_.tls_verify_hostname,
                                      .allowed_subjects = {}};
  }
  const std::string calling = config_.calling_ae.empty() ? our_ae_ : config_.calling_ae;
  auto rq =
      net::make_associate_rq(calling, config_.ae_title,
                             {{data::kModalityWorklistFind,
                               {data::kExplicitVrLittleEndian, data::kImplicitVrLittleEndian}}},
                             settings.max_pdu_length);
  auto assoc = co_await net::Association::request(strand_, config_.host, config_.port,
                                                  std::move(rq), settings);
  if (!assoc) {
    co_return fail(assoc.error());
  }
  const auto* ctx = (*assoc)->info().find_context(data::kModalityWorklistFind);
  if (ctx == nullptr) {
    co_await (*assoc)->release();
    co_return fail(net::AssocErrc::no_presentation_context, "Modality Worklist FIND refused");
  }
  const std::string ts = ctx->transfer_syntax;
  auto identifier = data::encode_worklist_query(q, ts);
  if (!identifier) {
    co_await (*assoc)->release();
    co_return fail(identifier.error());
  }
  Answer answer;
  std::size_t undecodable = 0;
  std::size_t unidentified = 0;
  std::string first_error;
  // A named handler, not a temporary inside the co_await expression (g++ 12, see offload.hpp).
  const net::FindMatchHandler on_item = [&](std::vector<uint8_t> bytes) {
    auto item = data::decode_worklist_item(bytes, ts);
    if (item) {
      answer.items.push_back(std::move(*item));
      return true;
    }
    ++undecodable;
    if (first_error.empty()) {
      first_error = item.error().message();
    }
    // Dropping it would let the matcher take the patient's other order for the only one.
    if (auto patient = data::worklist_item_patient(bytes, ts)) {
      answer.undecodable.push_back(std::move(*patient));
    } else {
      ++unidentified;
    }
    return true;
  };
  auto status = co_await net::c_find(**assoc, data::kModalityWorklistFind, *identifier, on_item);
  if (!status) {
    co_return fail(status.error());
  }
  co_await (*assoc)->release();
  if (dicom::dimse::status::classify(*status) != dicom::dimse::status::Class::Success) {
    co_return fail(net::AssocErrc::protocol_error,
                   fmt::format("C-FIND final status 0x{:04X}", *status));
  }
  if (undecodable > 0) {
    spdlog::warn("worklist: {} item(s) could not be decoded (first: {})", undecodable, first_error);
  }
  if (unidentified > 0) {
    spdlog::error(
        "worklist: {} undecodable item(s) without a readable Patient ID were dropped: the "
        "matcher cannot know whose orders they are",
        unidentified);
  }
  co_return answer;
}

}  // namespace acc::router
