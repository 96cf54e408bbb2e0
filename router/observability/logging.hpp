#pragma once
// Log sinks and formats from [log] (issue 6): stdout always (systemd and Docker collect it),
// optionally a size-rotated file; plain text or one JSON object per line.
#include <memory>
#include <string>

#include <spdlog/formatter.h>

#include "config/config.hpp"

namespace acc::router {

// One JSON object per line: {"time":"2026-12-04T21:02:23.167Z","level":"info","assoc":1,
// "msg":"..."}. Time in UTC; "assoc" is lifted from a "[assoc N] " message prefix so collectors
// can group an association's lines; the message is escaped per RFC 8259 (control characters,
// quotes, backslashes; bytes that are not valid UTF-8 become U+FFFD).
class JsonLineFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override;
  [[nodiscard]] std::unique_ptr<spdlog::formatter> clone() const override;
};

// Installs the default logger named "accessioner" as [log] says. Throws spdlog::spdlog_ex when
// the log file cannot be opened (start-up: the one place exceptions are used).
void setup_logging(const config::LogConfig& log);

}  // namespace acc::router
