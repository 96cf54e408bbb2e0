#include "queue/decision_log.hpp"

#include <rocksdb/options.h>

#include <memory>

#include "queue/record_codec.hpp"
#include "queue/rocksdb_support.hpp"

namespace acc::queue {
namespace {

std::string key_text(const rocksdb::Slice& key) {
  auto seq = decode_u64_be(key.ToStringView());
  return seq ? std::to_string(*seq) : key.ToString(/*hex=*/true);
}

}  // namespace

[[nodiscard]] Result<std::optional<std::string>> read_study_decision(
    rocksdb::DB& db, rocksdb::ColumnFamilyHandle* studies, std::string_view study_instance_uid) {
  if (studies == nullptr || study_instance_uid.empty()) {
    return std::nullopt;
  }
  std::string value;
  auto s = db.Get(rocksdb::ReadOptions(), studies, as_slice(study_instance_uid), &value);
  if (s.IsNotFound()) {
    return std::nullopt;
  }
  if (!s.ok()) {
    return fail(status_error(QueueErrc::read_failed, s, "get study decision"));
  }
  return std::optional<std::string>(std::move(value));
}

[[nodiscard]] Result<std::vector<std::pair<std::string, std::string>>> read_study_decisions(
    rocksdb::DB& db, rocksdb::ColumnFamilyHandle* studies) {
  std::vector<std::pair<std::string, std::string>> out;
  if (studies == nullptr) {
    return out;
  }
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;  // one pass over everything: keep the block cache for point lookups
  std::unique_ptr<rocksdb::Iterator> it(db.NewIterator(ro, studies));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    out.emplace_back(it->key().ToString(), it->value().ToString());
  }
  if (!it->status().ok()) {
    return fail(status_error(QueueErrc::read_failed, it->status(), "list study decisions"));
  }
  return out;
}

[[nodiscard]] Result<std::vector<std::string>> read_decisions(
    rocksdb::DB& db, rocksdb::ColumnFamilyHandle* decisions, std::string_view study_instance_uid) {
  std::vector<std::string> out;
  if (decisions == nullptr) {
    return out;
  }
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it(db.NewIterator(ro, decisions));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const std::string_view value = it->value().ToStringView();
    if (!study_instance_uid.empty()) {
      auto study = decision_study(value);
      if (!study) {
        study.error().detail += " (decision " + key_text(it->key()) + ")";
        return fail(std::move(study.error()));
      }
      if (*study != study_instance_uid) {
        continue;
      }
    }
    auto entry = decode_decision(value);
    if (!entry) {
      entry.error().detail += " (decision " + key_text(it->key()) + ")";
      return fail(std::move(entry.error()));
    }
    out.push_back(std::move(entry->decision_json));
  }
  if (!it->status().ok()) {
    return fail(status_error(QueueErrc::read_failed, it->status(), "list decisions"));
  }
  return out;
}

}  // namespace acc::queue
