#include "router/forward/destination.hpp"
#include "common/clock.hpp"

#include <algorithm>
#include <map>

#include <spdlog/spdlog.h>
#include <asio/co_spawn.hpp>
#include <asio/dispatch.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/post.hpp>
#include <asio/use_awaitable.hpp>

#include "dicom/data/part10.hpp"
#include "dicom/data/sop_classes.hpp"
#include "dicom/data/transcode.hpp"
#include "dicom/net/scu.hpp"
#include "router/forward/delivery_outcome.hpp"
#include "router/runtime/offload.hpp"
#include "router/runtime/spawn.hpp"

namespace acc::router {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;
namespace data = dicom::data;
namespace net = dicom::net;

namespace {

// Enough for the Part-10 meta information (well under 1 KiB in practice) and the first PDVs.
constexpr std::size_t kHeadBytes = 64 * 1024;
// Converting to an uncompressed syntax for a PACS that refuses the stored one decodes in memory;
// larger objects are dead-lettered with the reason (issue 11 bounds memory per object).
constexpr uint64_t kMaxTranscodeBytes = uint64_t{512} << 20;

// The first kHeadBytes of the object (or all of it), copied: the stream's piece is only valid
// until its next read.
Result<std::vector<uint8_t>> read_head(queue::ObjectStream& object) {
  std::vector<uint8_t> head;
  while (head.size() < kHeadBytes && object.remaining() > 0) {
    auto piece = object.next(kHeadBytes - head.size());
    if (!piece) {
      return fail(std::move(piece.error()));
    }
    head.insert(head.end(), piece->begin(), piece->end());
  }
  return head;
}

// The data set whole: what the head holds of it, then the rest of the object.
Result<std::vector<uint8_t>> read_rest(queue::ObjectStream& object,
                                       std::span<const uint8_t> data_set_head) {
  std::vector<uint8_t> out(data_set_head.begin(), data_set_head.end());
  out.reserve(data_set_head.size() + object.remaining());
  while (object.remaining() > 0) {
    auto piece = object.next(std::size_t{1} << 20);
    if (!piece) {
      return fail(std::move(piece.error()));
    }
    out.insert(out.end(), piece->begin(), piece->end());
  }
  return out;
}

constexpr std::size_t kMaxPresentationContexts = 128;  // PS3.8: odd IDs 1..255

SteadyClock::time_point steady_from_unix_ms(int64_t unix_ms) {
  return SteadyClock::now() + std::chrono::milliseconds(unix_ms - unix_now_ms());
}

bool is_native_little_endian(const std::string& ts) {
  return ts == data::kExplicitVrLittleEndian || ts == data::kImplicitVrLittleEndian;
}

bool accepts(const net::AssociationInfo& info, const std::string& sop_class) {
  for (const auto& c : info.contexts) {
    if (c.abstract_syntax == sop_class) {
      return true;
    }
  }
  return false;
}

class InFlightGuard {
 public:
  InFlightGuard(std::shared_ptr<std::set<std::string>> set, std::string uid)
      : set_(std::move(set)), uid_(std::move(uid)) {}
  ~InFlightGuard() { set_->erase(uid_); }
  InFlightGuard(const InFlightGuard&) = delete;
  InFlightGuard& operator=(const InFlightGuard&) = delete;

 private:
  std::shared_ptr<std::set<std::string>> set_;
  std::string uid_;
};

class RunningGuard {
 public:
  explicit RunningGuard(std::shared_ptr<std::atomic<unsigned>> n) : n_(std::move(n)) {}
  ~RunningGuard() { --*n_; }
  RunningGuard(const RunningGuard&) = delete;
  RunningGuard& operator=(const RunningGuard&) = delete;

 private:
  std::shared_ptr<std::atomic<unsigned>> n_;
};

// Contexts proposed to a PACS: the stored transfer syntax of each (class, TS) pair first, in a
// context of its own so the PACS cannot pick something else when it takes the stored one; then
// one context per class with the uncompressed syntaxes as fallback (decompressed for sending).
std::vector<net::ProposedContext> contexts_for(
    const std::set<std::pair<std::string, std::string>>& wanted) {
  std::map<std::string, std::vector<std::string>> by_class;
  for (const auto& [sop_class, ts] : wanted) {
    by_class[sop_class].push_back(ts);
  }
  std::vector<net::ProposedContext> out;
  for (const auto& [sop_class, stored] : by_class) {
    bool implicit_only = true;
    for (const auto& ts : stored) {
      if (!is_native_little_endian(ts)) {
        out.push_back({sop_class, {ts}});
      }
      implicit_only = implicit_only && ts == data::kImplicitVrLittleEndian;
    }
    if (implicit_only) {
      out.push_back({sop_class, {data::kImplicitVrLittleEndian, data::kExplicitVrLittleEndian}});
    } else {
      out.push_back({sop_class, {data::kExplicitVrLittleEndian, data::kImplicitVrLittleEndian}});
    }
  }
  return out;
}

}  // namespace

struct Destination::Worker {
  Worker(unsigned i, const asio::any_io_executor& ex) : index(i), timer(ex) {}
  unsigned index;
  asio::steady_timer timer;
  net::Association::Ptr assoc;
  std::set<std::pair<std::string, std::string>> proposed;  // on the current association
  SteadyClock::time_point last_used{};
};

Destination::Destination(asio::io_context& io, asio::thread_pool& work_pool,
                         config::DestinationConfig config, queue::InstanceStore& store,
                         std::atomic<uint64_t>& association_ids, uint64_t seed,
                         RouterMetrics& metrics)
    : io_(io),
      work_pool_(work_pool),
      config_(std::move(config)),
      store_(store),
      queue_(store.forward_queue()),
      association_ids_(association_ids),
      metrics_(metrics),
      strand_(asio::make_strand(io)),
      tls_(net::requestor_tls(config_.tls,
                              {.certificate = config_.tls_certificate,
                               .key = config_.tls_key,
                               .ca_file = config_.tls_ca_file},
                              "destination " + config_.name)),
      health_(Backoff(std::chrono::seconds(config_.retry_initial_s),
                      std::chrono::seconds(config_.retry_max_s), seed)) {
  state_.name = config_.name;
}

Result<void> Destination::reload_tls() {
  return net::reload(tls_);
}

Destination::~Destination() = default;

void Destination::start() {
  asio::dispatch(strand_, [this] {
    for (unsigned i = 0; i < config_.max_associations; ++i) {
      auto worker = std::make_shared<Worker>(i, strand_);
      workers_.push_back(worker);
      ++*running_;
      asio::co_spawn(strand_, run_worker(worker), LogUncaught{"forward worker"});
    }
  });
}

void Destination::wake() {
  asio::post(strand_, [this] {
    for (auto& w : workers_) {
      w->timer.cancel();
    }
  });
}

void Destination::stop() {
  asio::post(strand_, [this] {
    stopping_ = true;
    for (auto& w : workers_) {
      w->timer.cancel();
    }
  });
}

DestinationState Destination::state() const {
  std::lock_guard lock(state_mutex_);
  return state_;
}

asio::awaitable<void> Destination::sleep(Worker& w, SteadyClock::time_point until) {
  w.timer.expires_at(until);
  co_await w.timer.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
}

asio::awaitable<void> Destination::run_worker(std::shared_ptr<Worker> w) {
  RunningGuard guard(running_);
  const auto idle_release = std::chrono::seconds(config_.idle_release_s);
  while (!stopping_) {
    const auto now = SteadyClock::now();
    if (health_.paused(now)) {
      co_await sleep(*w, health_.paused_until());
      continue;
    }
    auto job = queue_.lease_next(config_.name, unix_now_ms());
    if (!job) {
      auto until = now + 1h;
      if (auto due = queue_.next_due_ms(config_.name)) {
        until = std::min(until, steady_from_unix_ms(*due));
      }
      if (w->assoc) {
        const auto idle_deadline = w->last_used + idle_release;
        if (now >= idle_deadline) {
          co_await w->assoc->release();
          w->assoc.reset();
          continue;
        }
        until = std::min(until, idle_deadline);
      }
      co_await sleep(*w, until);
      continue;
    }
    co_await deliver(*w, std::move(*job));
  }
  if (w->assoc) {
    co_await w->assoc->release();
    w->assoc.reset();
  }
}

[[nodiscard]] asio::awaitable<Result<void>> Destination::ensure_association(Worker& w,
                                                                            const queue::Job& job,
                                                                            bool force_new) {
  const std::pair<std::string, std::string> pair{job.sop_class_uid, job.transfer_syntax_uid};
  if (!force_new && w.assoc && w.assoc->established() && w.proposed.contains(pair)) {
    co_return Result<void>{};
  }
  if (w.assoc) {
    co_await w.assoc->release();  // it was negotiated without this SOP class / syntax
    w.assoc.reset();
  }
  contexts_wanted_.insert(pair);
  auto contexts = contexts_for(contexts_wanted_);
  if (contexts.size() > kMaxPresentationContexts) {
    contexts_wanted_ = {pair};
    contexts = contexts_for(contexts_wanted_);
  }
  net::AssociationSettings settings;
  settings.id = ++association_ids_;
  settings.max_pdu_length = config_.max_pdu_length;
  settings.timeouts.connect = std::chrono::seconds(config_.connect_timeout_s);
  settings.timeouts.operation = std::chrono::seconds(config_.response_timeout_s);
  settings.timeouts.idle = std::chrono::seconds(config_.response_timeout_s);
  if (tls_) {
    settings.tls = net::TlsPeerPolicy{.context = tls_->current(),
                                      .server_name = config_.host,
                                      .verify_hostname = config_.tls_verify_hostname,
                                      .allowed_subjects = {}};
  }
  // Other workers may add pairs while this one connects: remember what THIS request proposed.
  auto proposed = contexts_wanted_;
  auto rq = net::make_associate_rq(config_.calling_ae, config_.ae_title, contexts,
                                   config_.max_pdu_length);
  auto assoc = co_await net::Association::request(strand_, config_.host, config_.port,
                                                  std::move(rq), settings);
  if (!assoc) {
    co_return fail(assoc.error());
  }
  w.assoc = std::move(*assoc);
  w.proposed = std::move(proposed);
  spdlog::info("[dest {}] assoc {} to {}@{}:{}: {} of {} presentation contexts accepted",
               config_.name, settings.id, config_.ae_title, config_.host, config_.port,
               w.assoc->info().contexts.size(), contexts.size());
  co_return Result<void>{};
}

asio::awaitable<void> Destination::deliver(Worker& w, queue::Job job) {
  // One C-STORE per SOP Instance UID at a time: when an instance is stored again while its
  // previous version is on its way, the new version must be the one that reaches the PACS last.
  while (in_flight_uids_->contains(job.sop_instance_uid) && !stopping_) {
    co_await sleep(w, SteadyClock::now() + 20ms);
  }
  in_flight_uids_->insert(job.sop_instance_uid);
  const InFlightGuard in_flight(in_flight_uids_, job.sop_instance_uid);
  // What the destination's health was when this attempt began (DestinationHealth).
  const DestinationHealth::Attempt attempt = health_.begin();

  // Reference captures only: g++ 12 destroys a by-value capture of a temporary lambda inside a
  // co_await expression twice (seen as a double free under ASan); see docs/architecture.md.
  const std::string& uid = job.sop_instance_uid;
  auto opened = co_await offload(work_pool_, [this, &uid] { return store_.open_object(uid); });
  if (!opened) {
    read_failed(job, attempt, opened.error());
    co_return;
  }
  if (!*opened) {
    // Replaced or purged since the job was leased: nothing left to deliver.
    queue_.complete(job, [name = config_.name, uid = job.sop_instance_uid](Result<void> r) {
      if (!r) {
        // The job stays and is leased again after a restart: a delivery tried twice, not lost.
        spdlog::warn("[dest {}] {} (no longer stored): job not removed: {}", name, uid,
                     r.error().message());
      }
    });
    co_return;
  }
  // The object is read in pieces while it is sent (issue 11): memory is one piece, whatever its
  // size. First its head: the Part-10 meta information and the data set's first bytes.
  std::unique_ptr<queue::ObjectStream> object = std::move(**opened);
  auto head = co_await offload(work_pool_, [&object] { return read_head(*object); });
  if (!head) {
    read_failed(job, attempt, head.error());
    co_return;
  }
  auto view = data::split_part10(*head);
  if (!view) {
    settle(job, 0, "stored object is not Part-10: " + view.error().message(), true);
    co_return;
  }
  // What is stored now decides what is sent: a replaced instance may have another syntax.
  job.transfer_syntax_uid = view->meta.transfer_syntax_uid;
  job.sop_class_uid = view->meta.media_storage_sop_class_uid;

  if (w.assoc && w.assoc->established() && w.assoc->gone_while_idle()) {
    // The PACS closed (or released, or aborted) the pooled association while it was idle: its
    // own idle timer, a restart. Not an attempt and not a failure: open a new one (issue 12).
    spdlog::info("[dest {}] pooled association closed by the PACS while idle; opening a new one",
                 config_.name);
    co_await w.assoc->abort();
    w.assoc.reset();
  }
  const std::pair<std::string, std::string> pair{job.sop_class_uid, job.transfer_syntax_uid};
  const bool reusing = w.assoc && w.assoc->established() && w.proposed.contains(pair);
  if (auto ready = co_await ensure_association(w, job, false); !ready) {
    on_destination_failure(job, attempt, ready.error().message());
    co_return;
  }
  if (reusing && !accepts(w.assoc->info(), job.sop_class_uid)) {
    // The refusal is from an earlier negotiation (the PACS may have been reconfigured, or a
    // person retried the job): ask again before dead-lettering.
    if (auto ready = co_await ensure_association(w, job, true); !ready) {
      on_destination_failure(job, attempt, ready.error().message());
      co_return;
    }
  }
  const auto& info = w.assoc->info();
  std::string ts = job.transfer_syntax_uid;
  std::vector<uint8_t> converted;
  std::optional<Error> read_error;  // set when a piece could not be read (or did not check out)
  bool head_sent = false;
  // Reference captures only, and a named std::function (see above).
  const net::Association::DataSetPieces pieces =
      [this, &view, &object, &head_sent, &read_error, &converted](
          std::size_t max_bytes) -> asio::awaitable<Result<net::Association::DataSetPiece>> {
    if (!converted.empty()) {
      co_return net::Association::DataSetPiece{converted, true};
    }
    if (!head_sent) {
      head_sent = true;
      co_return net::Association::DataSetPiece{view->data_set, object->remaining() == 0};
    }
    auto piece =
        co_await offload(work_pool_, [&object, max_bytes] { return object->next(max_bytes); });
    if (!piece) {
      read_error = piece.error();
      co_return fail(std::move(piece.error()));
    }
    co_return net::Association::DataSetPiece{*piece, object->remaining() == 0};
  };
  if (info.find_context(job.sop_class_uid, ts) == nullptr) {
    const net::AcceptedContext* fallback = nullptr;
    for (const auto& c : info.contexts) {
      if (c.abstract_syntax == job.sop_class_uid && is_native_little_endian(c.transfer_syntax)) {
        fallback = &c;
        break;
      }
    }
    if (fallback == nullptr) {
      settle(job, 0,
             "PACS refused the presentation context for " + data::uid_name(job.sop_class_uid),
             true);
      co_return;
    }
    const std::string target = fallback->transfer_syntax;
    if (object->size() > kMaxTranscodeBytes) {
      settle(job, 0,
             "PACS accepts " + data::uid_name(job.sop_class_uid) + " only uncompressed, and " +
                 std::to_string(object->size() >> 20) + " MiB is too large to convert in memory",
             true);
      co_return;
    }
    // Converting needs the whole data set in memory (bounded above).
    auto whole = co_await offload(work_pool_,
                                  [&object, &view] { return read_rest(*object, view->data_set); });
    if (!whole) {
      read_failed(job, attempt, whole.error());
      co_return;
    }
    auto decoded = co_await offload(
        work_pool_, [&whole, &ts, &target] { return data::transcode(*whole, ts, target); });
    if (!decoded) {
      // Never send something the destination did not accept.
      settle(job, 0,
             "PACS accepts " + data::uid_name(job.sop_class_uid) + " only uncompressed and " +
                 data::uid_name(ts) + " cannot be converted: " + decoded.error().message(),
             true);
      co_return;
    }
    spdlog::info("[dest {}] {} converted from {} to {} (PACS did not accept the stored syntax)",
                 config_.name, job.sop_instance_uid, data::uid_name(ts), data::uid_name(target));
    converted = std::move(*decoded);
    ts = target;
  }

  const auto sent_at = SteadyClock::now();
  auto rsp = co_await net::c_store(*w.assoc, job.sop_class_uid, job.sop_instance_uid, ts, pieces);
  w.last_used = SteadyClock::now();
  const double round_trip_s = std::chrono::duration<double>(w.last_used - sent_at).count();
  if (!rsp) {
    w.assoc.reset();
    if (read_error && read_error->code == queue::QueueErrc::corrupt_record) {
      // Found while sending: the association was aborted, so the PACS discarded what it got.
      dead_letter_corrupt(job, *read_error);
      co_return;
    }
    on_destination_failure(job, attempt, rsp.error().message(), round_trip_s);
    co_return;
  }
  const std::string outcome = describe_status(rsp->status, rsp->error_comment);
  switch (disposition_for_status(rsp->status, config_.retry_statuses)) {
    case Disposition::Delivered:
      queue_.complete(job, [name = config_.name, uid = job.sop_instance_uid](Result<void> r) {
        if (!r) {
          spdlog::error("[dest {}] {} delivered but not marked so: {}", name, uid,
                        r.error().message());
        }
      });
      record_success(job, attempt, round_trip_s);
      spdlog::debug("[dest {}] {} delivered: {}", config_.name, job.sop_instance_uid, outcome);
      break;
    case Disposition::Retry:
      on_destination_failure(job, attempt, outcome, round_trip_s);
      break;
    case Disposition::DeadLetter:
      settle(job, 0, outcome, true, round_trip_s);
      break;
  }
}

void Destination::read_failed(const queue::Job& job, const DestinationHealth::Attempt& attempt,
                              const Error& error) {
  if (error.code == queue::QueueErrc::corrupt_record) {
    dead_letter_corrupt(job, error);
  } else {
    on_destination_failure(job, attempt, "reading the stored instance: " + error.message());
  }
}

void Destination::dead_letter_corrupt(const queue::Job& job, const Error& error) {
  // Its bytes failed their checksum or are gone: never sent, whatever the retries.
  metrics_.object_corrupt();
  spdlog::error("[dest {}] {}: stored object is corrupt, dead-lettered: {}", config_.name,
                job.sop_instance_uid, error.message());
  settle(job, 0, "stored object is corrupt: " + error.message(), true);
}

void Destination::on_destination_failure(const queue::Job& job,
                                         const DestinationHealth::Attempt& attempt,
                                         const std::string& error,
                                         std::optional<double> round_trip_s) {
  const auto now = SteadyClock::now();
  const auto delay =
      std::chrono::duration_cast<std::chrono::milliseconds>(health_.failed(attempt, now) - now);
  {
    std::lock_guard lock(state_mutex_);
    state_.backing_off = true;
    state_.consecutive_failures = health_.consecutive_failures();
    state_.paused_until_ms = unix_now_ms() + delay.count();
    state_.last_error = error;
  }
  spdlog::warn("[dest {}] {} not delivered (attempt {}): {}; next try in {} ms", config_.name,
               job.sop_instance_uid, job.attempts + 1, error, delay.count());
  settle(job, unix_now_ms() + delay.count(), error, false, round_trip_s);
}

void Destination::record_success(const queue::Job& job, const DestinationHealth::Attempt& attempt,
                                 double round_trip_s) {
  metrics_.forward_attempt(config_.name, ForwardResult::Delivered, round_trip_s);
  metrics_.delivered(config_.name,
                     static_cast<double>(unix_now_ms() - job.enqueued_at_ms) / 1000.0);
  const bool cleared = health_.succeeded(attempt);
  std::lock_guard lock(state_mutex_);
  ++state_.delivered;
  if (cleared) {
    state_.backing_off = false;
    state_.consecutive_failures = 0;
    state_.paused_until_ms = 0;
  }
}

void Destination::settle(const queue::Job& job, int64_t retry_at_ms, std::string error, bool dead,
                         std::optional<double> round_trip_s) {
  if (!dead && config_.max_attempts > 0 && job.attempts + 1 >= config_.max_attempts) {
    dead = true;
    error = "gave up after " + std::to_string(job.attempts + 1) + " attempts: " + error;
  }
  const auto result = dead ? ForwardResult::DeadLetter : ForwardResult::Retry;
  if (round_trip_s) {
    metrics_.forward_attempt(config_.name, result, *round_trip_s);
  } else {
    metrics_.forward_attempt(config_.name, result);
  }
  auto report = [name = config_.name, uid = job.sop_instance_uid](Result<void> r) {
    if (!r) {
      spdlog::error("[dest {}] job state of {} not saved: {}", name, uid, r.error().message());
    }
  };
  std::lock_guard lock(state_mutex_);
  if (dead) {
    ++state_.dead_lettered;
    spdlog::error("[dest {}] {} dead-lettered: {}", config_.name, job.sop_instance_uid, error);
    queue_.dead_letter(job, std::move(error), report);
  } else {
    ++state_.retried;
    queue_.retry_at(job, retry_at_ms, std::move(error), report);
  }
}

}  // namespace acc::router
