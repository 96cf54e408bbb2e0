#pragma once
// What to do with a job after one delivery attempt: the retry/dead-letter policy of issue 3 as a
// pure function of the C-STORE status, so it is unit-tested without a PACS.
#include <cstdint>
#include <string>
#include <vector>

#include "config/status_pattern.hpp"

namespace acc::router {

enum class Disposition {
  Delivered,   // Success or Warning (the PACS has it)
  Retry,       // transient: a status in the destination's retry_statuses, transport failure
  DeadLetter,  // will not change on retry: refused class, bad data set, not authorized, ...
};

// PS3.4 B.2.3 / PS3.7 C: 0x0000 and warnings (0x0001, 0xBxxx, 0x0107, 0x0116) are delivered,
// whatever the list says; a failure matching `retry_statuses` (by default 0xA7xx, 0x0110,
// 0x0213: config::default_retry_statuses) is worth retrying; every other failure is permanent.
[[nodiscard]] Disposition disposition_for_status(
    uint16_t status, const std::vector<config::StatusPattern>& retry_statuses);

// "0xA900 (data set does not match SOP class): <comment>" for logs and the job's last_error.
[[nodiscard]] std::string describe_status(uint16_t status, const std::string& error_comment);

}  // namespace acc::router
