#pragma once
// Reads of the `studies` and `decisions` column families (layout in rocksdb_instance_store.hpp).
// The same code serves the primary and the reader. A null handle stands for a family that a
// reader found absent (a store written before they existed): it reads as empty.

#include <rocksdb/db.h>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.hpp"

namespace acc::queue {

[[nodiscard]] Result<std::optional<std::string>> read_study_decision(
    rocksdb::DB& db, rocksdb::ColumnFamilyHandle* studies, std::string_view study_instance_uid);
[[nodiscard]] Result<std::vector<std::pair<std::string, std::string>>> read_study_decisions(
    rocksdb::DB& db, rocksdb::ColumnFamilyHandle* studies);
// In arrival order (the keys are big-endian arrival_seq); `study_instance_uid` empty = all.
[[nodiscard]] Result<std::vector<std::string>> read_decisions(
    rocksdb::DB& db, rocksdb::ColumnFamilyHandle* decisions, std::string_view study_instance_uid);

}  // namespace acc::queue
