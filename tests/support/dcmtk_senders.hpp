#pragma once
// Command lines of the DCMTK storage requestors the tests play modalities with, sending to
// Accessioner (called AE ACCESSIONER) at 127.0.0.1:port. One place, so every test sends the same
// way and a changed flag changes everywhere.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace acc::test {

struct DcmsendCall {
  uint16_t port = 0;
  std::vector<std::filesystem::path> files{};
  // -aet: the modality's AE title; empty = dcmsend's own, DCMSEND.
  std::string calling_ae{};
  // --create-report-file: one entry per transfer (see parse_dcmsend_report).
  std::optional<std::filesystem::path> report{};
};

// dcmsend -nh (no "halt on unsuccessful store": every file is tried) on one association.
[[nodiscard]] std::vector<std::string> dcmsend_argv(const DcmsendCall& call);

// storescu -v (one association; by default uncompressed files only). `options` go before the
// host, e.g. {"-R", "-xi"}.
[[nodiscard]] std::vector<std::string> storescu_argv(
    uint16_t port, const std::vector<std::filesystem::path>& files,
    const std::vector<std::string>& options = {});

}  // namespace acc::test
