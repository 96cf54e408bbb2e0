#include "router/server.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <optional>
#include <random>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>
#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <asio/thread_pool.hpp>

#include "common/clock.hpp"
#include "dicom/data/data_set.hpp"
#include "dicom/net/pdu_connection.hpp"
#include "queue/instance_store.hpp"
#include "router/admin/admin_protocol.hpp"
#include "router/admin/admin_server.hpp"
#include "router/forward/destination.hpp"
#include "router/observability/health_report.hpp"
#include "router/observability/metrics.hpp"
#include "router/observability/metrics_server.hpp"
#include "router/receive/dicom_listener.hpp"
#include "router/receive/disk_space_guard.hpp"
#include "router/receive/receive_spooler.hpp"
#include "router/receive/rule_book.hpp"
#include "router/receive/storage_scp.hpp"
#include "router/runtime/spawn.hpp"
#include "router/stamping/stamping_service.hpp"
#include "router/stamping/worklist_cache.hpp"

namespace acc::router {

using namespace std::chrono_literals;

namespace {
unsigned thread_count(uint32_t configured) {
  if (configured != 0) {
    return configured;
  }
  return std::max(1u, std::thread::hardware_concurrency());
}
}  // namespace

// Members are declared in dependency order: each is constructed after, and destroyed before,
// everything it holds a reference to (the metrics registry and the configuration first, the
// listener and the admin socket last). The store outlives the io_context (commit callbacks
// dispatch into it) and is closed explicitly before the io_context goes away.
struct Server::Impl {
  explicit Impl(config::RouterConfig c)
      : config(std::move(c)),
        work_pool(thread_count(config.server.io_threads)),
        signals(io, SIGINT, SIGTERM),
        hangups(io, SIGHUP) {}

  config::RouterConfig config;
  RouterMetrics metrics{ACC_VERSION};  // outlives everything that counts into it
  std::unique_ptr<queue::InstanceStore> store;
  asio::thread_pool work_pool;
  asio::io_context io;
  asio::signal_set signals;
  asio::signal_set hangups;  // SIGHUP: reload the rule files
  bool stopping = false;
  std::atomic<uint64_t> forward_association_ids{0};
  std::optional<RuleBook> rules;       // read by the SCP, stamping and health
  std::optional<DiskSpaceGuard> disk;  // read by the SCP and health
  std::vector<std::unique_ptr<Destination>> destinations;
  std::optional<WorklistCache> worklist;  // read by stamping
  std::optional<StampingService> stamping;
  std::optional<asio::steady_timer> hold_timer;
  // Data sets being received, all associations together (the listener's assemblers).
  ByteBudget receive_budget{config.server.receive_memory_budget_mb << 20};
  std::optional<ReceiveSpooler> spooler;  // holds disk
  std::optional<StorageScp> scp;          // holds rules, disk, stamping
  std::optional<DicomListener> listener;  // holds scp
  std::optional<HealthReport> health;     // reads everything above
  std::optional<MetricsServer> http;      // [metrics]: /metrics, /healthz, /readyz, /status
  std::optional<AdminServer> admin;       // its operations reach everything above

  // Held studies are re-examined after every worklist answer and every 5 s (hold expiry, and
  // instances that arrived while their study was being released).
  void reevaluate_held() {
    asio::post(work_pool, [this] { stamping->reevaluate_held(unix_now_ms()); });
  }
  void arm_hold_timer() {
    hold_timer->expires_after(5s);
    hold_timer->async_wait([this](const std::error_code& ec) {
      if (ec || stopping) {
        return;
      }
      reevaluate_held();
      arm_hold_timer();
    });
  }

  // The admin socket's operations (router/admin/admin_protocol.hpp has the table).
  [[nodiscard]] AdminOperations admin_operations();
  [[nodiscard]] nlohmann::json hold_decision(AdminOp op, const nlohmann::json& request);
  [[nodiscard]] nlohmann::json worklist_state() const;
  [[nodiscard]] nlohmann::json status() const;
  // What /metrics, /readyz and /status report of the running parts.
  [[nodiscard]] ServerSnapshot snapshot();

  // Loads the rule files again; an invalid set is refused and the one in force stays.
  nlohmann::json reload_rules() {
    auto loaded = load_rule_set(config);
    if (auto* errors = std::get_if<std::vector<rules::RuleError>>(&loaded)) {
      std::string text;
      for (const auto& e : *errors) {
        spdlog::error("reload refused: {}", e.to_string());
        text += e.to_string();
        text += '\n';
      }
      spdlog::error("rule reload refused ({} error(s)): the previous rules stay in force",
                    errors->size());
      metrics.rule_reload(false);
      return {{"ok", false}, {"error", text}};
    }
    auto next = std::make_shared<const rules::RuleSet>(std::move(std::get<rules::RuleSet>(loaded)));
    const std::size_t count = next->rules().size();
    const std::size_t files = next->files().size();
    rules->replace(std::move(next));
    metrics.rule_reload(true);
    metrics.rules_loaded(count);
    spdlog::info("rules reloaded: {} rule(s) from {} file(s), for instances received from now on",
                 count, files);
    return {{"ok", true}, {"rules", count}, {"files", files}};
  }
  // Reads every TLS certificate, key and CA file again (issue 12): associations opened from now
  // on use them, established ones keep theirs. A set that does not load is refused and the one
  // in force stays. Empty: nothing failed.
  std::string reload_tls() {
    std::string errors;
    auto take = [&errors](const Result<void>& r) {
      if (!r) {
        spdlog::error("TLS certificates not reloaded, the previous ones stay in force: {}",
                      r.error().message());
        errors += r.error().message() + "\n";
      }
    };
    if (listener) {
      take(listener->reload_tls());
    }
    for (auto& d : destinations) {
      take(d->reload_tls());
    }
    if (worklist) {
      take(worklist->reload_tls());
    }
    const bool any = config.server.tls.enabled || config.worklist.tls ||
                     std::any_of(config.destinations.begin(), config.destinations.end(),
                                 [](const config::DestinationConfig& d) { return d.tls; });
    if (errors.empty() && any) {
      spdlog::info("TLS certificates reloaded, for connections from now on");
    }
    return errors;
  }
  // SIGHUP and `accessioner reload`: TLS certificates, then the rule files.
  nlohmann::json reload() {
    const std::string tls_errors = reload_tls();
    nlohmann::json reply = reload_rules();
    if (!tls_errors.empty()) {
      reply["ok"] = false;
      reply["tls_error"] = tls_errors;
    }
    return reply;
  }
  void wait_for_hangup() {
    hangups.async_wait([this](const std::error_code& ec, int) {
      if (ec || stopping) {
        return;
      }
      asio::post(work_pool, [this] { reload(); });
      wait_for_hangup();
    });
  }

  [[nodiscard]] nlohmann::json destinations_json() const {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& d : destinations) {
      const DestinationState s = d->state();
      out.push_back({{"destination", s.name},
                     {"backing_off", s.backing_off},
                     {"consecutive_failures", s.consecutive_failures},
                     {"paused_until", iso_time_ms(s.paused_until_ms)},
                     {"last_error", s.last_error},
                     {"delivered", s.delivered},
                     {"retried", s.retried},
                     {"dead_lettered", s.dead_lettered}});
    }
    return out;
  }

  [[nodiscard]] bool drained() const {
    if (listener->active_associations() > 0) {
      return false;
    }
    return std::all_of(destinations.begin(), destinations.end(),
                       [](const auto& d) { return d->stopped(); });
  }

  // Binds [metrics] (before the DICOM listener, so a test that sees DICOM listening finds the
  // metrics port in the log already).
  [[nodiscard]] Result<void> open_metrics();

  asio::awaitable<void> drain_then_stop();
  void on_signal(const std::error_code& ec, int signo);
};

Server::Server(config::RouterConfig config) : impl_(std::make_unique<Impl>(std::move(config))) {}

Server::~Server() {
  if (impl_->store) {
    impl_->store->close();
  }
}

[[nodiscard]] Result<void> Server::start() {
  auto& m = *impl_;
  if (!dicom::data::dictionary_loaded()) {
    spdlog::warn("DCMTK data dictionary not loaded: attribute names will be missing");
  }
  if (!m.config.storage.sync) {
    spdlog::warn("storage.sync = false: acknowledged instances can be LOST on power failure");
  }
  queue::StoreOptions store_options;
  store_options.path = m.config.storage.path;
  store_options.sync = m.config.storage.sync;
  // After a failed fsync the page cache cannot be trusted: exit for the supervisor to restart
  // us, which recovers from what is on disk (nothing of the failed group was acknowledged).
  store_options.on_fatal_io = [](const Error& error) {
    spdlog::critical(
        "segment write or fdatasync failed: {}; exiting (status 74) so that the "
        "supervisor restarts from what is on disk",
        error.message());
    spdlog::shutdown();
    std::_Exit(74);
  };
  auto store = queue::InstanceStore::open(store_options);
  if (!store) {
    return fail(store.error());
  }
  m.store = std::move(*store);
  std::vector<std::string> names;
  for (const auto& d : m.config.destinations) {
    names.push_back(d.name);
    m.destinations.push_back(std::make_unique<Destination>(m.io, m.work_pool, d, *m.store,
                                                           m.forward_association_ids,
                                                           std::random_device{}(), m.metrics));
    if (auto tls = m.destinations.back()->reload_tls(); !tls) {
      return tls;
    }
  }
  if (names.empty()) {
    spdlog::warn("no [[destination]] configured: instances are stored but not forwarded");
  }
  if (auto stats = m.store->forward_queue().stats()) {
    for (const auto& s : *stats) {
      if (std::find(names.begin(), names.end(), s.destination) == names.end()) {
        spdlog::warn(
            "{} job(s) for destination '{}', which is no longer configured: they stay "
            "queued; add it back, or `accessioner queue purge` after checking",
            s.pending + s.dead, s.destination);
      }
    }
  }
  // Called on the commit thread once jobs are durable; a wake is a post to the strand.
  m.store->forward_queue().set_ready_listener([&m](const std::string& name) {
    for (auto& d : m.destinations) {
      if (d->name() == name) {
        d->wake();
      }
    }
  });
  m.disk.emplace(m.config.storage.path, m.config.storage.free_space_floor_mb << 20);
  auto loaded_rules = load_rule_set(m.config);
  if (auto* errors = std::get_if<std::vector<rules::RuleError>>(&loaded_rules)) {
    std::string text;
    for (const auto& e : *errors) {
      text += text.empty() ? "" : "\n";
      text += e.to_string();
    }
    return fail(std::errc::invalid_argument, text);
  }
  auto rule_set =
      std::make_shared<const rules::RuleSet>(std::move(std::get<rules::RuleSet>(loaded_rules)));
  if (!rule_set->rules().empty()) {
    spdlog::info("site rules: {} rule(s) from {} file(s)", rule_set->rules().size(),
                 rule_set->files().size());
  }
  m.metrics.rules_loaded(rule_set->rules().size());
  m.rules.emplace(std::move(rule_set), names);
  if (m.config.worklist.enabled) {
    m.worklist.emplace(m.io, m.config.worklist, m.config.server.ae_title, *m.store);
    if (auto loaded = m.worklist->load(); !loaded) {
      return loaded;
    }
    if (auto tls = m.worklist->reload_tls(); !tls) {
      return tls;
    }
    m.stamping.emplace(m.config, *m.store, *m.worklist, *m.rules, m.metrics);
    m.stamping->load_held();
    m.worklist->set_listener([&m] { m.reevaluate_held(); });
    m.hold_timer.emplace(m.io);
  } else {
    spdlog::warn("no [worklist] configured: instances are forwarded without accession stamping");
  }
  m.scp.emplace(*m.store, m.work_pool, *m.disk, *m.rules, m.metrics, m.config.server.ae_title,
                m.stamping ? static_cast<InstanceFilter*>(&*m.stamping) : nullptr);
  m.spooler.emplace(std::filesystem::path(m.config.storage.path) / "spool", m.work_pool, *m.disk,
                    m.metrics);
  m.listener.emplace(m.io, m.config, *m.scp, m.metrics, m.receive_budget, *m.spooler);
  if (auto opened = m.open_metrics(); !opened) {
    return opened;
  }
  if (auto opened = m.listener->open(); !opened) {
    return opened;
  }
  m.admin.emplace(m.io, m.work_pool, admin_socket_path(m.config.storage.path), m.admin_operations(),
                  m.config.admin.group);
  if (auto opened = m.admin->open(); !opened) {
    return opened;
  }
  spdlog::info("accessioner listening on {}:{} as {} (storage {}, max PDU {}, max {} associations)",
               m.config.server.bind, m.listener->port(), m.config.server.ae_title,
               m.config.storage.path, m.config.server.max_pdu_length,
               m.config.server.max_associations);
  return {};
}

[[nodiscard]] Result<void> Server::Impl::open_metrics() {
  if (!config.metrics.enabled) {
    spdlog::info("[metrics] enabled = false: no /metrics, /healthz, /readyz or /status");
    return {};
  }
  health.emplace(HealthReport::Parts{
      .config = config, .store = *store, .metrics = metrics, .snapshot = [this] {
        return snapshot();
      }});
  http.emplace(io, work_pool, config.metrics,
               MetricsEndpoints{.metrics = [this] { return health->metrics(); },
                                .readiness = [this] { return health->readiness(); },
                                .status = [this] { return health->status(); }});
  return http->open();
}

AdminOperations Server::Impl::admin_operations() {
  AdminOperations ops;
  add_store_operations(ops, *store, [this] { return destinations_json(); });
  ops.on(AdminOp::reload, [this](const nlohmann::json&) { return reload(); });
  ops.on(AdminOp::status, [this](const nlohmann::json&) { return status(); });
  for (const AdminOp op :
       {AdminOp::hold_list, AdminOp::hold_assign, AdminOp::hold_release, AdminOp::worklist}) {
    ops.on(op, [this, op](const nlohmann::json& request) { return hold_decision(op, request); });
  }
  return ops;
}

nlohmann::json Server::Impl::hold_decision(AdminOp op, const nlohmann::json& request) {
  if (!stamping) {
    return admin_error("no [worklist] configured: nothing is stamped or held");
  }
  const int64_t now = unix_now_ms();
  switch (op) {
    case AdminOp::hold_list:
      return {{"ok", true}, {"held", stamping->held_studies()}};
    case AdminOp::hold_assign:
    case AdminOp::hold_release: {
      const std::string study = request.value("study", std::string());
      ManualDecision m;
      m.study_uid = study;
      m.patient_id = request.value("patient", std::string());
      m.accession = request.value("accession", std::string());
      m.correct_patient = request.value("correct_patient", false);
      m.force = request.value("force", false);
      m.who = request.value("peer", std::string("unknown peer"));
      m.why = request.value("reason", std::string());
      auto done = op == AdminOp::hold_assign ? stamping->assign(m, now) : stamping->release(m, now);
      if (!done) {
        return admin_error(done.error().message());
      }
      if (*done == 0) {
        return admin_error("no held instance of study " + study + " could be released");
      }
      return {{"ok", true}, {"released", *done}};
    }
    case AdminOp::worklist:
      return worklist_state();
    default:
      return admin_error("op '" + std::string(to_string(op)) + "' is not a hold operation");
  }
}

nlohmann::json Server::Impl::worklist_state() const {
  const auto st = worklist->status();
  return {{"ok", true},
          {"entries", st.entries},
          {"last_success", iso_time_ms(st.last_success_ms)},
          {"refreshes", st.refreshes},
          {"failures", st.failures},
          {"last_error", st.last_error}};
}

// What a test or a script needs to find this server: the ports it bound (port 0 in the
// configuration means "any free port").
nlohmann::json Server::Impl::status() const {
  return {{"ok", true},
          {"version", ACC_VERSION},
          {"ae_title", config.server.ae_title},
          {"dicom_port", listener ? listener->port() : 0},
          {"dicom_tls_port", listener ? listener->tls_port() : 0},
          {"metrics_port", http ? http->port() : 0}};
}

ServerSnapshot Server::Impl::snapshot() {
  ServerSnapshot s;
  s.listener = {.open = listener->is_open(),
                .port = listener->port(),
                .active_associations = listener->active_associations()};
  s.storage = {.has_room = disk->has_room(),
               .free_bytes = disk->last_free_bytes(),
               .floor_bytes = disk->floor_bytes()};
  s.receive_budget = {.limit_bytes = receive_budget.limit(),
                      .in_use_bytes = receive_budget.in_use(),
                      .refusals = receive_budget.refusals(),
                      .spooled = spooler->spooled(),
                      .pdu_read_buffer_bytes = dicom::net::pdu_read_buffer_bytes()};
  s.rules_loaded = rules->current()->rules().size();
  if (stamping) {
    s.held_studies = stamping->held_count();
    const WorklistStatus w = worklist->status();
    s.worklist = ServerSnapshot::Worklist{.entries = w.entries,
                                          .last_success_ms = w.last_success_ms,
                                          .refreshes = w.refreshes,
                                          .failures = w.failures};
  }
  return s;
}

uint16_t Server::dicom_port() const {
  return impl_->listener ? impl_->listener->port() : 0;
}

// First signal: stop accepting and let associations finish (bounded); second: stop at once.
// Either way nothing acknowledged is lost: acknowledgements only follow a durable commit.
void Server::Impl::on_signal(const std::error_code& ec, int signo) {
  if (ec) {
    return;
  }
  if (stopping) {
    spdlog::warn("signal {} again: stopping now", signo);
    io.stop();
    return;
  }
  stopping = true;
  spdlog::info("signal {}: no new associations; finishing {} active and in-flight forwards", signo,
               listener->active_associations());
  listener->close();
  admin->close();
  if (http) {
    http->close();
  }
  hangups.cancel();
  for (auto& d : destinations) {
    d->stop();
  }
  if (worklist) {
    worklist->stop();
    hold_timer->cancel();
  }
  signals.async_wait([this](const std::error_code& e, int s) { on_signal(e, s); });
  asio::co_spawn(io, drain_then_stop(), LogUncaught{"shutdown"});
}

asio::awaitable<void> Server::Impl::drain_then_stop() {
  asio::steady_timer timer(io);
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(config.server.shutdown_grace_s);
  while (!drained() && std::chrono::steady_clock::now() < deadline) {
    timer.expires_after(20ms);
    co_await timer.async_wait(asio::use_awaitable);
  }
  if (!drained()) {
    spdlog::warn(
        "shutdown grace of {} s over: stopping with work in flight (nothing acknowledged "
        "is lost; unfinished forwards are retried at the next start)",
        config.server.shutdown_grace_s);
  }
  io.stop();
}

void Server::stop() {
  asio::post(impl_->io, [this] { impl_->on_signal({}, SIGTERM); });
}

int Server::run() {
  auto& m = *impl_;
  m.signals.async_wait([&m](const std::error_code& e, int s) { m.on_signal(e, s); });
  m.wait_for_hangup();
  asio::co_spawn(m.io, m.listener->accept_loop(), LogUncaught{"listener"});
  asio::co_spawn(m.io, m.admin->accept_loop(), LogUncaught{"admin socket"});
  if (m.http) {
    asio::co_spawn(m.io, m.http->accept_loop(), LogUncaught{"metrics server"});
  }
  for (auto& d : m.destinations) {
    d->start();
  }
  if (m.worklist) {
    m.worklist->start();
    m.arm_hold_timer();
  }

  std::vector<std::thread> threads;
  const unsigned n = thread_count(m.config.server.io_threads);
  for (unsigned i = 1; i < n; ++i) {
    threads.emplace_back([&m] { m.io.run(); });
  }
  m.io.run();
  for (auto& t : threads) {
    t.join();
  }
  m.work_pool.join();
  m.store->close();
  const auto s = m.store->stats();
  spdlog::info("stopped: {} instances committed in {} group commit(s) this run", s.instances,
               s.groups);
  return 0;
}

}  // namespace acc::router
