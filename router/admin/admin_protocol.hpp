#pragma once
// The admin socket's protocol, shared by the server and the CLI: one JSON object per line in each
// direction on a Unix stream socket at <storage.path>/admin.sock (mode 0600: only the service
// account and root can retry, purge or decide for a held study). A request names its operation in
// "op"; a response is {"ok":true,...} or {"ok":false,"error":"..."}.
//
// Every operation, in the one table below (kAdminOps) that the server dispatches on, the log
// level follows (mutating operations are logged at info with the request) and help is made of:
//
//   op             mutating  request fields                     reply fields
//   jobs           no        destination ("" = all)             jobs: live jobs, in-flight too
//   stats          no        -                                  stats, forwarders
//   retry          yes       uids | dead: true | destination    changed
//   purge          yes       -                                  removed
//   decisions      no        study ("" = all)                   decisions: the audit log
//   hold_list      no        -                                  held
//   hold_assign    yes       study, accession                   released
//   hold_release   yes       study                              released
//   worklist       no        -                                  entries, last_success, ...
//   reload         yes       -                                  rules, files
//   status         no        -                                  version, uptime_s, dicom_port
//
// jobs, stats, retry, purge and decisions work on a store alone (the CLI runs them itself when
// no server runs); the others need the running server.
#include <array>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace acc::router {

inline constexpr std::size_t kAdminMaxLine = 64 * 1024;

enum class AdminOp {
  jobs,
  stats,
  retry,
  purge,
  decisions,
  hold_list,
  hold_assign,
  hold_release,
  worklist,
  reload,
  status,
};

struct AdminOpSpec {
  AdminOp op;
  std::string_view name;  // the "op" of a request
  bool mutating;          // changes the queue, a study or the rules: logged with the request
  bool needs_server;      // false: the CLI can run it on the storage when no server runs
  std::string_view help;
};

inline constexpr std::array kAdminOps = {
    AdminOpSpec{AdminOp::jobs, "jobs", false, false, "live delivery jobs, in-flight included"},
    AdminOpSpec{AdminOp::stats, "stats", false, false, "per-destination counts, forwarder state"},
    AdminOpSpec{AdminOp::retry, "retry", true, false, "make waiting or dead jobs pending now"},
    AdminOpSpec{AdminOp::purge, "purge", true, false, "delete every instance and job"},
    AdminOpSpec{AdminOp::decisions, "decisions", false, false, "the stamping audit log"},
    AdminOpSpec{AdminOp::hold_list, "hold_list", false, true, "studies held for a person"},
    AdminOpSpec{AdminOp::hold_assign, "hold_assign", true, true,
                "stamp a held study with an accession and release it"},
    AdminOpSpec{AdminOp::hold_release, "hold_release", true, true,
                "forward a held study unstamped"},
    AdminOpSpec{AdminOp::worklist, "worklist", false, true, "the worklist cache's state"},
    AdminOpSpec{AdminOp::reload, "reload", true, true, "load the rule files again"},
    AdminOpSpec{AdminOp::status, "status", false, true, "version, uptime and bound ports"},
};

[[nodiscard]] const AdminOpSpec& spec(AdminOp op);
[[nodiscard]] std::string_view to_string(AdminOp op);
[[nodiscard]] std::optional<AdminOp> parse_admin_op(std::string_view name);

[[nodiscard]] nlohmann::json admin_error(const std::string& text);

// Operation -> handler. A request for an operation without a handler is answered with an error
// that names it; a handler that reads a field of the wrong type (json::exception) is answered
// "malformed request" instead of unwinding the caller.
class AdminOperations {
 public:
  using Handler = std::function<nlohmann::json(const nlohmann::json& request)>;

  void on(AdminOp op, Handler handler);
  [[nodiscard]] nlohmann::json handle(const nlohmann::json& request) const;

 private:
  std::map<AdminOp, Handler> handlers_;
};

[[nodiscard]] inline std::filesystem::path admin_socket_path(const std::string& storage_path) {
  return std::filesystem::absolute(std::filesystem::path(storage_path) / "admin.sock");
}

}  // namespace acc::router
