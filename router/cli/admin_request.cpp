#include "router/cli/admin_request.hpp"

#include <iostream>

#include "router/admin/admin_client.hpp"
#include "router/admin/admin_protocol.hpp"
#include "router/admin/admin_server.hpp"

namespace acc::router {

using nlohmann::json;

int report_error(const std::string& text) {
  std::cerr << "accessioner: " << text << "\n";
  return 1;
}

std::unique_ptr<queue::InstanceStore> open_reader(const config::RouterConfig& config) {
  auto store = queue::InstanceStore::open_reader(config.storage.path);
  if (!store) {
    report_error("cannot open storage " + config.storage.path + ": " + store.error().message());
    return nullptr;
  }
  return std::move(*store);
}

std::optional<json> run_request(const config::RouterConfig& config, const json& request,
                                bool writes) {
  if (auto reply = admin_call(admin_socket_path(config.storage.path), request)) {
    return reply;
  }
  if (writes) {
    auto store = queue::InstanceStore::open({config.storage.path, true});
    if (!store) {
      report_error("cannot open storage " + config.storage.path +
                   " (is a server running without "
                   "its admin socket?): " +
                   store.error().message());
      return std::nullopt;
    }
    AdminOperations ops;
    add_store_operations(ops, **store, {});
    json reply = ops.handle(request);
    (*store)->close();
    return reply;
  }
  auto store = open_reader(config);
  if (!store) {
    return std::nullopt;
  }
  AdminOperations ops;
  add_store_operations(ops, *store, {});
  return ops.handle(request);
}

bool reply_ok(const std::optional<json>& reply) {
  if (!reply) {
    return false;
  }
  if (!reply->value("ok", false)) {
    report_error(reply->value("error", std::string("request failed")));
    return false;
  }
  return true;
}

std::optional<json> server_request(const config::RouterConfig& config, const json& request,
                                   const std::string& why_server) {
  auto reply = admin_call(admin_socket_path(config.storage.path), request);
  if (!reply) {
    report_error("no server is running on " + config.storage.path + " (" + why_server + ")");
  }
  return reply;
}

}  // namespace acc::router
