// Store-and-forward to DCMTK storescp (issue 3, tests 1, 5 and 6): every instance arrives in the
// transfer syntax it was stored in with the same data set; a refused SOP class is dead-lettered
// and delivered after an admin retry; compressed instances are decompressed for a PACS that takes
// only uncompressed syntaxes, and what cannot be decompressed is dead-lettered, never sent.
#include <gtest/gtest.h>

#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <thread>

#include "dicom/data/data_set.hpp"
#include "dicom/data/sop_classes.hpp"
#include "tests/integration/dcmtk_tools.hpp"
#include "tests/integration/forward_helpers.hpp"
#include "tests/support/accessioner_process.hpp"
#include "tests/support/dcmtk_senders.hpp"
#include "tests/support/dicom_files.hpp"
#include "tests/support/pacs_peers.hpp"
#include "tests/support/temp_dir.hpp"

namespace acc::test {
namespace {

namespace data = acc::dicom::data;
using namespace std::chrono_literals;

constexpr const char* kJpegBaseline = "1.2.840.10008.1.2.4.50";
constexpr const char* kJpegLsLossless = "1.2.840.10008.1.2.4.80";
constexpr const char* kJpeg2000Lossless = "1.2.840.10008.1.2.4.90";
constexpr const char* kRleLossless = "1.2.840.10008.1.2.5";

// The stored (network) transfer syntax and the original of the file sent last per SOP Instance
// UID, from dcmsend's report: that version is what the PACS must end up with.
struct SentInstance {
  std::filesystem::path original;
  std::string network_xfer;
};

std::map<std::string, SentInstance> send_with_dcmsend(uint16_t port,
                                                      const std::vector<SampleFile>& files,
                                                      const std::filesystem::path& scratch) {
  std::vector<std::filesystem::path> paths;
  std::map<std::string, const SampleFile*> by_path;
  for (const auto& f : files) {
    paths.push_back(f.path);
    by_path[f.path.string()] = &f;
  }
  const auto report_file = scratch / "dcmsend-report.txt";
  const ToolResult sent =
      run_tool(dcmsend_argv({.port = port, .files = paths, .report = report_file}),
               scratch / "dcmsend.log", std::chrono::seconds(120));
  EXPECT_EQ(sent.exit_code, 0) << tail(sent.output);
  const auto report = parse_dcmsend_report(read_text(report_file));
  EXPECT_EQ(report.size(), files.size());
  std::set<std::string> associations;
  std::map<std::string, SentInstance> out;
  for (const auto& e : report) {
    EXPECT_EQ(e.dimse_status, "0x0000 (Success)") << e.filename;
    associations.insert(e.association);
    const auto it = by_path.find(e.filename);
    if (it != by_path.end()) {
      out[it->second->sop_instance_uid] = {it->second->path, e.network_xfer};
    }
  }
  EXPECT_EQ(associations.size(), 1u) << "expected one association";
  return out;
}

std::string pixel_hash(const std::filesystem::path& file) {
  const DataSetBytes read = read_data_set(file);
  auto parsed = data::DataSet::parse(read.bytes, read.transfer_syntax_uid);
  if (!parsed) {
    ADD_FAILURE() << file << ": " << parsed.error().message();
    return {};
  }
  return parsed->pixel_data_hash();
}

// What the PACS must hold after a dcmsend of `files`: per SOP Instance UID the file sent last, in
// the network transfer syntax of that transfer (the server forwards what it stored).
void expect_at_pacs_as_sent(const StorescpProcess& pacs,
                            const std::map<std::string, SentInstance>& sent) {
  const auto received = pacs.received_files();
  EXPECT_EQ(received.size(), sent.size());
  std::set<std::string> syntaxes;
  std::set<std::string> sent_syntaxes;
  for (const auto& [uid, want] : sent) {
    SCOPED_TRACE(want.original.string());
    sent_syntaxes.insert(want.network_xfer);
    const auto it = received.find(uid);
    if (it == received.end()) {
      ADD_FAILURE() << "not at the PACS: " << uid;
      continue;
    }
    syntaxes.insert(it->second.transfer_syntax_uid);
    EXPECT_EQ(it->second.transfer_syntax_uid, want.network_xfer);
    EXPECT_EQ(canonical_dump(it->second.path), canonical_dump(want.original));
  }
  EXPECT_EQ(syntaxes, sent_syntaxes);
  std::cout << syntaxes.size() << " transfer syntaxes at the PACS\n";
}

// Sends every storable sample (each with a UID of its own) through a server with `server_extra`
// and checks the PACS ends up with identical data sets. Returns the server's /status.
nlohmann::json forward_every_sample(const std::string& server_extra) {
  const auto samples = select_storage_samples();
  EXPECT_GE(samples.size(), 40u) << "pydicom sample set too small: is python3-pydicom installed?";
  TempDir scratch("acc-fwd-samples");
  std::vector<SampleFile> files;
  for (const auto& sample : samples) {
    const auto dir = scratch / ("copies/" + sample.path.filename().string());
    std::filesystem::create_directories(dir);
    SampleFile copy = sample;
    const auto copied = make_unique_copies(sample.path, dir, 1).front();
    copy.path = copied.path;
    copy.sop_instance_uid = copied.sop_instance_uid;
    EXPECT_EQ(read_data_set(copy.path).transfer_syntax_uid, sample.transfer_syntax_uid)
        << sample.path;
    files.push_back(std::move(copy));
  }
  StorescpProcess pacs;
  pacs.start();
  AccessionerOptions options{.server_extra = server_extra};
  options.sync = false;
  options.destinations = {destination_to(pacs)};
  AccessionerProcess server(options);
  server.start();

  const auto start = std::chrono::steady_clock::now();
  const auto sent = send_with_dcmsend(server.port(), files, scratch.path());
  EXPECT_EQ(sent.size(), files.size());
  const nlohmann::json left = wait_until_drained(server, 60s);
  EXPECT_TRUE(left.at("instances").empty()) << left.dump(2);
  EXPECT_TRUE(left.at("jobs").empty()) << left.dump(2);
  std::cout << sent.size() << " instances forwarded in " << seconds_since(start) << " s\n";
  expect_at_pacs_as_sent(pacs, sent);
  return nlohmann::json::parse(http_get(server.metrics_port(), "/status"));
}

// Several pydicom samples share a SOP Instance UID (the MR_small variants, the JPEG2000 and the
// SC_rgb_rle families): each sample gets a fresh one here, so every file is an instance of its own
// and the check does not depend on the order in which replaced versions reach the PACS (see the
// disabled test below).
TEST(ForwardToStorescp, EverySampleArrivesInItsOwnTransferSyntaxWithAnIdenticalDataSet) {
  const auto status = forward_every_sample("");
  EXPECT_EQ(status.at("memory").at("receive_spooled").get<uint64_t>(), 0u) << "all under 4 MiB";
}

// Issue 11, streaming receive: the same with every data set over 64 KiB received into a spool
// file, its attributes read back from there and its bulk committed from the spool unchanged.
TEST(ForwardToStorescp, EverySampleReceivedThroughTheSpoolArrivesWithAnIdenticalDataSet) {
  const auto status = forward_every_sample("spool_above_kb = 64");
  // pydicom's samples over 64 KiB: three, in three transfer syntaxes.
  EXPECT_GE(status.at("memory").at("receive_spooled").get<uint64_t>(), 3u);
}

// Regression test (fixed in router/; was a product bug): When a SOP Instance UID is stored again
// while its previous version is being forwarded, the PACS can end up with the OLD version:
// GroupBuilder::add_commit (queue/group_builder.cpp) deletes the replaced record's jobs even when
// one is leased, but the worker holding that lease (Destination::deliver,
// router/forward/destination.cpp) carries on and its C-STORE may complete after the new version's
// job, which another worker of the same destination leased meanwhile (nothing orders jobs of one
// UID across workers). The queue then looks drained while the stale C-STORE is still in flight, and
// the new version is removed from storage, so nothing repairs the PACS. deliver() also reads the
// object by UID but sends it under the job's transfer syntax, so a job leased before a replace can
// send the new bytes labelled with the old transfer syntax. Fails in about 2 runs of 3 as a wrong
// final version (MR_small_padded.dcm sent last, MR_small_implicit.dcm's data set at the PACS), as a
// file still being written after the queue drained, or as a file storescp could not write
// ("Pixel representation not found": bytes under the wrong transfer syntax).
TEST(ForwardToStorescp, ReplacedInstancesReachThePacsInTheirLastSentVersion) {
  const auto files = select_storage_samples();
  ASSERT_GE(files.size(), 40u);
  TempDir scratch("acc-fwd-replaced");
  StorescpProcess pacs;
  pacs.start();
  AccessionerProcess server({.sync = false, .destinations = {destination_to(pacs)}});
  server.start();
  const auto sent = send_with_dcmsend(server.port(), files, scratch.path());
  ASSERT_LT(sent.size(), files.size()) << "the sample set should repeat SOP Instance UIDs";
  const nlohmann::json left = wait_until_drained(server, 60s);
  EXPECT_TRUE(left.at("instances").empty()) << left.dump(2);
  EXPECT_TRUE(left.at("jobs").empty()) << left.dump(2);
  expect_at_pacs_as_sent(pacs, sent);
}

// storescp association configuration: CT (and Verification) only, uncompressed.
void write_ct_only_config(const std::filesystem::path& file) {
  std::ofstream out(file);
  out << "[[TransferSyntaxes]]\n"
         "[Uncompressed]\n"
         "TransferSyntax1 = LocalEndianExplicit\n"
         "TransferSyntax2 = LittleEndianImplicit\n"
         "[[PresentationContexts]]\n"
         "[CTOnly]\n"
         "PresentationContext1 = VerificationSOPClass\\Uncompressed\n"
         "PresentationContext2 = CTImageStorage\\Uncompressed\n"
         "[[Profiles]]\n"
         "[CTOnly]\n"
         "PresentationContexts = CTOnly\n";
}

// CT_small and MR_small to a PACS that takes CT only: MR is dead-lettered with a reason naming the
// refused context. The PACS is then reconfigured to take everything and restarted (its open
// associations drop); after `pause` the operator runs `queue retry --dead` while the server runs,
// and MR must arrive. `destination_extra`: TOML lines for the destination.
void refused_then_delivered_by_admin_retry(const std::string& destination_extra,
                                           std::chrono::milliseconds pause) {
  TempDir scratch("acc-fwd-refused");
  const auto profile = scratch / "ct-only.cfg";
  write_ct_only_config(profile);
  const auto& ct = kCtSmall;
  const auto& mr = kMrSmall;
  const std::string ct_uid = read_data_set(ct).sop_instance_uid;
  const std::string mr_uid = read_data_set(mr).sop_instance_uid;

  StorescpProcess pacs({.association_config = std::make_pair(profile, std::string("CTOnly"))});
  pacs.start();
  AccessionerProcess server(
      {.sync = false,
       .destinations = {destination_to(
           pacs, "pacs", "retry_initial_s = 1\nretry_max_s = 2\n" + destination_extra)}});
  server.start();
  const ToolResult sent = run_tool(dcmsend_argv({.port = server.port(), .files = {ct, mr}}),
                                   scratch / "dcmsend.log", 60s);
  ASSERT_EQ(sent.exit_code, 0) << sent.output;

  nlohmann::json all;
  const bool settled = wait_until(
      [&] {
        all = server.queue_list_all();
        const auto jobs = jobs_in(all);
        return jobs.size() == 1 && jobs[0].value("state", "") == "dead";
      },
      30s, 200ms);
  ASSERT_TRUE(settled) << all.dump(2) << "\n" << tail(server.log_text());
  const auto dead = jobs_in(all).front();
  EXPECT_EQ(dead.value("sop_instance_uid", ""), mr_uid);
  EXPECT_EQ(dead.value("attempts", 0), 1);
  const std::string reason = dead.value("last_error", "");
  EXPECT_NE(reason.find("presentation context"), std::string::npos) << reason;
  EXPECT_NE(reason.find(data::uid_name(kMrImageStorage)), std::string::npos) << reason;
  // The CT instance was delivered and removed; the MR one stays stored for the retry.
  EXPECT_EQ(instance_uids_in(all), std::set<std::string>{mr_uid});
  EXPECT_EQ(pacs.received_uids(), std::set<std::string>{ct_uid});

  pacs.start({.accept_all = true});
  std::this_thread::sleep_for(pause);
  const ToolResult retried = server.queue_command({"retry", "--dead"});
  ASSERT_EQ(retried.exit_code, 0) << retried.output;
  EXPECT_NE(retried.output.find("1 job(s) made pending"), std::string::npos) << retried.output;
  const nlohmann::json left = wait_until_drained(server, 30s);
  EXPECT_TRUE(left.at("jobs").empty()) << left.dump(2) << "\n" << tail(server.log_text());
  EXPECT_TRUE(left.at("instances").empty()) << left.dump(2);
  const auto received = pacs.received_files();
  ASSERT_TRUE(received.contains(mr_uid)) << tail(server.log_text());
  EXPECT_EQ(canonical_dump(received.at(mr_uid).path), canonical_dump(mr));
}

TEST(ForwardToStorescp, RefusedSopClassIsDeadLetteredThenDeliveredByAdminRetry) {
  // The association that saw the refusal is released (idle) before the retry: see the disabled
  // test below for what happens when it is not.
  refused_then_delivered_by_admin_retry("max_associations = 1\nidle_release_s = 1\n", 2500ms);
}

// Regression test (fixed in router/; was a product bug): A dead-lettered job retried by `queue
// retry
// --dead` is dead-lettered again at once, without contacting the PACS, while the worker still holds
// the association on which the context was refused: Destination::ensure_association
// (router/forward/destination.cpp) reuses the worker's association because the (SOP class, transfer
// syntax) pair was *proposed* on it, and deliver() then dead-letters on that association's old
// refusal ("PACS refused the presentation context"), before any I/O. Here the PACS was even
// restarted (the association's peer is gone) and now accepts MR. With max_associations = 1 and
// the default idle_release_s = 30 it fails every time; with the default 4 workers in about one run
// of ten (when the retried job goes to that worker). A retry should renegotiate (or at least not
// dead-letter on a negotiation older than the retry).
TEST(ForwardToStorescp, AdminRetryRenegotiatesInsteadOfReusingTheRefusal) {
  refused_then_delivered_by_admin_retry("max_associations = 1\n", 0ms);
}

// Issue 12: a pooled association the PACS closed while idle (its own idle timer, a restart) was
// reused, failed, counted as an attempt and paused the destination for retry_initial_s. It is now
// seen closed before it is reused and replaced, with no attempt counted and no pause.
TEST(ForwardToStorescp, APooledAssociationThePacsClosedWhileIdleIsReplacedWithoutAFailedAttempt) {
  TempDir scratch("acc-fwd-stale");
  std::filesystem::create_directories(scratch / "copies");
  const auto copies = make_unique_copies(kCtSmall, scratch / "copies", 2);
  StorescpProcess pacs;
  pacs.start();
  AccessionerProcess server(
      {.sync = false,
       .destinations = {destination_to(pacs, "pacs",
                                       "max_associations = 1\nretry_initial_s = 120\n"
                                       "retry_max_s = 120\nidle_release_s = 600\n")}});
  server.start();
  send_all_with_storescu(server.port(), {copies[0]}, scratch / "first.log");
  nlohmann::json left = wait_until_drained(server, 30s);
  ASSERT_TRUE(left.at("jobs").empty()) << left.dump(2) << tail(server.log_text());

  pacs.stop();  // the association's peer is gone (FIN); the PACS is back on the same port
  pacs.start();
  send_all_with_storescu(server.port(), {copies[1]}, scratch / "second.log");
  // A counted failure would pause the destination for at least 60 s (half of 120 with jitter).
  left = wait_until_drained(server, 30s);
  EXPECT_TRUE(left.at("jobs").empty()) << left.dump(2) << tail(server.log_text());
  EXPECT_TRUE(pacs.received_uids().contains(copies[1].sop_instance_uid));
  const std::string metrics = http_get(server.metrics_port(), "/metrics");
  EXPECT_NE(
      metrics.find("accessioner_forward_attempts_total{destination=\"pacs\",result=\"retry\"} 0"),
      std::string::npos)
      << metrics.substr(0, 3000);
  EXPECT_NE(server.log_text().find("pooled association closed by the PACS while idle"),
            std::string::npos)
      << tail(server.log_text());
}

struct CompressedCase {
  std::string file;
  std::string transfer_syntax_uid;
  bool lossless;
};

TEST(ForwardToStorescp, UncompressedOnlyPacsGetsDecompressedPixelsAndNoJpeg2000) {
  const std::vector<CompressedCase> cases = {
      {"MR_small_jpeg_ls_lossless.dcm", kJpegLsLossless, true},
      {"MR_small_RLE.dcm", kRleLossless, true},
      {"SC_rgb_jpeg_dcmtk.dcm", kJpegBaseline, false},
  };
  const std::string j2k_file = "MR_small_jp2klossless.dcm";
  TempDir scratch("acc-fwd-decompress");
  // The MR_small variants share one SOP Instance UID: fresh UIDs make them four instances.
  std::vector<std::filesystem::path> to_send;
  std::map<std::string, const CompressedCase*> case_of_uid;
  for (const auto& c : cases) {
    const auto dir = scratch / c.file;
    std::filesystem::create_directories(dir);
    const auto copy =
        make_unique_copies(std::filesystem::path(kPydicomTestFiles) / c.file, dir, 1).front();
    ASSERT_EQ(read_data_set(copy.path).transfer_syntax_uid, c.transfer_syntax_uid) << c.file;
    to_send.push_back(copy.path);
    case_of_uid[copy.sop_instance_uid] = &c;
  }
  const auto j2k_dir = scratch / j2k_file;
  std::filesystem::create_directories(j2k_dir);
  const auto j2k =
      make_unique_copies(std::filesystem::path(kPydicomTestFiles) / j2k_file, j2k_dir, 1).front();
  ASSERT_EQ(read_data_set(j2k.path).transfer_syntax_uid, kJpeg2000Lossless);
  to_send.push_back(j2k.path);
  const std::string reference_pixels = pixel_hash(kMrSmall);
  ASSERT_FALSE(reference_pixels.empty());

  StorescpProcess pacs({.accept_all = false});
  pacs.start();
  AccessionerProcess server(
      {.sync = false,
       .destinations = {destination_to(pacs, "pacs", "retry_initial_s = 1\nretry_max_s = 2")}});
  server.start();
  const ToolResult sent = run_tool(dcmsend_argv({.port = server.port(), .files = to_send}),
                                   scratch / "dcmsend.log", 60s);
  ASSERT_EQ(sent.exit_code, 0) << sent.output;

  nlohmann::json all;
  const bool settled = wait_until(
      [&] {
        all = server.queue_list_all();
        const auto jobs = jobs_in(all);
        return jobs.size() == 1 && jobs[0].value("state", "") == "dead";
      },
      30s, 200ms);
  ASSERT_TRUE(settled) << all.dump(2) << "\n" << tail(server.log_text());
  const auto dead = jobs_in(all).front();
  EXPECT_EQ(dead.value("sop_instance_uid", ""), j2k.sop_instance_uid);
  const std::string reason = dead.value("last_error", "");
  EXPECT_NE(reason.find("cannot be converted"), std::string::npos) << reason;
  EXPECT_NE(reason.find(data::uid_name(kJpeg2000Lossless)), std::string::npos) << reason;
  EXPECT_EQ(instance_uids_in(all), std::set<std::string>{j2k.sop_instance_uid});

  const auto received = pacs.received_files();
  EXPECT_FALSE(received.contains(j2k.sop_instance_uid)) << "a JPEG 2000 instance was sent";
  EXPECT_FALSE(pacs.store_counts().contains(j2k.sop_instance_uid));
  for (const auto& [uid, c] : case_of_uid) {
    SCOPED_TRACE(c->file);
    const auto it = received.find(uid);
    if (it == received.end()) {
      ADD_FAILURE() << "not at the PACS";
      continue;
    }
    const std::string& ts = it->second.transfer_syntax_uid;
    EXPECT_TRUE(ts == data::kExplicitVrLittleEndian || ts == data::kImplicitVrLittleEndian) << ts;
    const std::string pixels = pixel_hash(it->second.path);
    EXPECT_FALSE(pixels.empty());
    if (c->lossless) {
      EXPECT_EQ(pixels, reference_pixels);
    }
  }
}

}  // namespace
}  // namespace acc::test

namespace acc::test {
namespace {

// Issue 11: object bytes live in segment files with an XXH3-64 per object. An object whose bytes
// were damaged on disk while it waited is never sent: its job is dead-lettered with the reason,
// the metric counts it, and the other instances are delivered. Two files go in, the first one is
// damaged at `fraction` of the segment (both objects lie in it, back to back).
void damaged_object_is_dead_lettered(const std::filesystem::path& sample, double fraction) {
  TempDir scratch("acc-fwd-corrupt");
  const auto copies = make_unique_copies(sample, scratch.path(), 2);
  StorescpProcess pacs;
  pacs.start();
  AccessionerProcess server(
      {.destinations = {destination_to(pacs, "pacs", "retry_initial_s = 1\nretry_max_s = 1\n")}});
  pacs.stop();  // the PACS is down while the instances arrive: they wait in the store
  server.start();
  send_all_with_storescu(server.port(), copies, scratch.path() / "storescu.log");
  ASSERT_EQ(server.stop(), 0);

  std::vector<std::filesystem::path> segments;
  for (const auto& e : std::filesystem::directory_iterator(server.storage_path() / "segments")) {
    segments.push_back(e.path());
  }
  ASSERT_EQ(segments.size(), 1u);
  const auto at = static_cast<std::streamoff>(
      static_cast<double>(std::filesystem::file_size(segments[0])) * fraction);
  {
    std::fstream f(segments[0], std::ios::binary | std::ios::in | std::ios::out);
    f.seekg(at);
    const char c = static_cast<char>(f.get());
    f.seekp(at);
    f.put(static_cast<char>(c ^ 0x01));
  }

  pacs.start();
  server.start();
  nlohmann::json dead;
  ASSERT_TRUE(wait_until(
      [&] {
        for (const auto& job : jobs_in(server.queue_list_all(), "pacs")) {
          if (job.value("state", "") == "dead") {
            dead = job;
          }
        }
        return !dead.is_null() && pacs.received_uids().size() == 1;
      },
      30s))
      << server.log_text();
  EXPECT_NE(dead.value("last_error", "").find("stored object is corrupt"), std::string::npos)
      << dead.dump();
  EXPECT_FALSE(pacs.received_uids().contains(dead.value("sop_instance_uid", "")));
  const std::string metrics = http_get(server.metrics_port(), "/metrics");
  EXPECT_NE(metrics.find("accessioner_objects_corrupt_total 1"), std::string::npos) << metrics;
}

// CT_small (39 KB) fits the head read before anything is sent: found before the C-STORE.
TEST(ForwardToStorescp, AnObjectDamagedOnDiskIsDeadLetteredNeverSent) {
  damaged_object_is_dead_lettered(kCtSmall, 0.25);
}

// 197 KB is sent in pieces: the damage (near the first object's end) is found while the object
// is on its way, the last piece is withheld and the association aborted, so the PACS keeps
// nothing of it.
TEST(ForwardToStorescp, DamageFoundWhileSendingAbortsTheAssociationAndDeadLetters) {
  damaged_object_is_dead_lettered(std::filesystem::path(kPydicomTestFiles) / "SC_rgb_jpeg_dcmd.dcm",
                                  0.45);
}

}  // namespace
}  // namespace acc::test
