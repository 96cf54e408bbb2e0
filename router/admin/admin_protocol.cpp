#include "router/admin/admin_protocol.hpp"

#include <algorithm>

namespace acc::router {

using nlohmann::json;

const AdminOpSpec& spec(AdminOp op) {
  // The table is in enum order; checked once here rather than trusted.
  static_assert(kAdminOps.size() == static_cast<std::size_t>(AdminOp::status) + 1);
  return kAdminOps[static_cast<std::size_t>(op)];
}

std::string_view to_string(AdminOp op) {
  return spec(op).name;
}

std::optional<AdminOp> parse_admin_op(std::string_view name) {
  const auto* it = std::find_if(kAdminOps.begin(), kAdminOps.end(),
                                [name](const AdminOpSpec& s) { return s.name == name; });
  if (it == kAdminOps.end()) {
    return std::nullopt;
  }
  return it->op;
}

json admin_error(const std::string& text) {
  return {{"ok", false}, {"error", text}};
}

void AdminOperations::on(AdminOp op, Handler handler) {
  handlers_[op] = std::move(handler);
}

json AdminOperations::handle(const json& request) const {
  if (!request.is_object() || !request.contains("op") || !request["op"].is_string()) {
    return admin_error("request must be a JSON object with a string \"op\"");
  }
  const std::string& name = request["op"].get_ref<const std::string&>();
  const auto op = parse_admin_op(name);
  if (!op) {
    return admin_error("unknown op '" + name + "'");
  }
  const auto it = handlers_.find(*op);
  if (it == handlers_.end()) {
    return admin_error("op '" + name + "' is not available here");
  }
  // The handlers read fields with json::value(), which throws on a wrong type ("study": 5).
  try {
    return it->second(request);
  } catch (const json::exception& e) {
    return admin_error(std::string("malformed request: ") + e.what());
  }
}

}  // namespace acc::router
