#pragma once
// The admin socket's protocol, shared by the server and the CLI: one JSON object per line in each
// direction on a Unix stream socket at <storage.path>/admin.sock (mode 0600: only the service
// account and root can retry or purge). Requests:
//   {"op":"jobs","destination":"pacs"}      live jobs, in-flight included ("" = all)
//   {"op":"stats"}                          per-destination counts and forwarder state
//   {"op":"retry","uids":["1.2..."]}        make these instances' jobs pending now
//   {"op":"retry","dead":true}              every dead-lettered job
//   {"op":"retry","destination":"pacs"}     every waiting or dead job of one destination
//   {"op":"purge"}                          delete every instance and job
// Responses: {"ok":true,...} or {"ok":false,"error":"..."}.
#include <cstddef>
#include <filesystem>
#include <string>

namespace acc::router {

inline constexpr std::size_t kAdminMaxLine = 64 * 1024;

[[nodiscard]] inline std::filesystem::path admin_socket_path(const std::string& storage_path) {
  return std::filesystem::absolute(std::filesystem::path(storage_path) / "admin.sock");
}

}  // namespace acc::router
