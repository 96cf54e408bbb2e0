// RouterMetrics (router/observability/metrics.hpp): every documented name is rendered, the calling
// AE label is capped, scrape values are applied (and reset for a destination that left the queue),
// and `promtool check metrics` accepts the exposition.
#include "router/observability/metrics.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

namespace acc::router {
namespace {

// The value of the first sample line starting with `series` (name and labels as rendered).
double sample(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with(series + " ")) {
      return std::stod(line.substr(series.size() + 1));
    }
  }
  ADD_FAILURE() << "no sample " << series;
  return -1;
}

RouterMetrics::ScrapeValues some_values() {
  RouterMetrics::ScrapeValues v;
  v.associations_active = 3;
  v.held_studies = 2;
  v.queues = {{.destination = "pacs",
               .pending = 5,
               .in_flight = 1,
               .waiting_retry = 2,
               .dead = 1,
               .oldest_pending_age_seconds = 12.5}};
  v.worklist = true;
  v.worklist_entries = 40;
  v.worklist_last_success_seconds = 1.7e9;
  v.worklist_refreshes = 7;
  v.worklist_failures = 1;
  return v;
}

void exercise(RouterMetrics& m) {
  m.association_accepted();
  m.association_rejected();
  m.association_closed(AssociationEnd::released);
  m.association_closed(AssociationEnd::error);
  m.instance_received("CT01", 1000);
  m.instance_received("CT01", 500);
  m.store_response(0x0000);
  m.store_response(0xB007);
  m.store_response(0xA700);
  m.commit_latency(0.003);
  m.stamping_decision(rules::StampOutcome::matched);
  m.stamping_decision(rules::StampOutcome::quarantined);
  m.forward_attempt("pacs", ForwardResult::Delivered, 0.02);
  m.forward_attempt("pacs", ForwardResult::Retry);
  m.delivered("pacs", 1.5);
  m.rules_loaded(4);
  m.rule_reload(true);
  m.rule_reload(false);
}

TEST(RouterMetrics, EveryStampOutcomeIsALabelFromTheStart) {
  // The label set is the enum's: a dashboard sees every outcome at 0 before the first decision,
  // and an outcome the code can produce cannot be missing from the metric.
  RouterMetrics m("1.2.3");
  const std::string text = m.render({});
  for (const rules::StampOutcome o : enum_values<rules::StampOutcome>()) {
    const std::string series =
        "accessioner_stamping_decisions_total{outcome=\"" + std::string(enum_name(o)) + "\"}";
    EXPECT_EQ(sample(text, series), 0) << series;
  }
  for (const AssociationEnd e : enum_values<AssociationEnd>()) {
    const std::string series =
        "accessioner_associations_closed_total{reason=\"" + std::string(enum_name(e)) + "\"}";
    EXPECT_EQ(sample(text, series), 0) << series;
  }
}

TEST(RouterMetrics, RendersEveryDocumentedName) {
  RouterMetrics m("1.2.3");
  exercise(m);
  const std::string text = m.render(some_values());
  for (const char* name :
       {"accessioner_build_info{version=\"1.2.3\"} 1",
        "accessioner_start_time_seconds",
        "accessioner_associations_active 3",
        "accessioner_associations_total{result=\"accepted\"}",
        "accessioner_associations_closed_total{reason=\"idle_timeout\"} 0",
        "accessioner_instances_received_total{calling_ae=\"CT01\"} 2",
        "accessioner_received_bytes_total{calling_ae=\"CT01\"} 1500",
        "accessioner_store_responses_total{status_class=\"warning\"} 1",
        "accessioner_commit_latency_seconds_bucket",
        "accessioner_commit_latency_seconds_count 1",
        "accessioner_stamping_decisions_total{outcome=\"quarantined\"} 1",
        "accessioner_held_studies 2",
        "accessioner_forward_attempts_total",
        "accessioner_forward_latency_seconds_count{destination=\"pacs\"} 1",
        "accessioner_receive_to_delivered_seconds_count{destination=\"pacs\"} 1",
        "accessioner_queue_jobs{destination=\"pacs\",state=\"waiting_retry\"} 2",
        "accessioner_queue_oldest_pending_age_seconds{destination=\"pacs\"} 12.5",
        "accessioner_worklist_entries 40",
        "accessioner_worklist_last_success_timestamp_seconds",
        "accessioner_worklist_refreshes_total 7",
        "accessioner_worklist_refresh_failures_total 1",
        "accessioner_rules_loaded 4",
        "accessioner_rule_reloads_total{result=\"refused\"} 1",
        "accessioner_storage_writable 1"}) {
    EXPECT_NE(text.find(name), std::string::npos) << name;
  }
  EXPECT_EQ(sample(text, "accessioner_associations_closed_total{reason=\"error\"}"), 1);
  EXPECT_EQ(sample(text, "accessioner_store_responses_total{status_class=\"failure\"}"), 1);
  EXPECT_EQ(
      sample(text, "accessioner_forward_attempts_total{destination=\"pacs\",result=\"retry\"}"), 1);
  // A retry without a C-STORE is counted but not timed.
  EXPECT_EQ(sample(text, "accessioner_forward_latency_seconds_count{destination=\"pacs\"}"), 1);
}

TEST(RouterMetrics, ScrapeValuesAreAppliedAndReset) {
  RouterMetrics m("t");
  (void)m.render(some_values());
  RouterMetrics::ScrapeValues later;  // the queue is empty now: "pacs" is not listed
  later.storage_writable = false;
  later.worklist = true;
  later.worklist_refreshes = 9;
  const std::string text = m.render(later);
  EXPECT_EQ(sample(text, "accessioner_queue_jobs{destination=\"pacs\",state=\"pending\"}"), 0);
  EXPECT_EQ(sample(text, "accessioner_queue_oldest_pending_age_seconds{destination=\"pacs\"}"), 0);
  EXPECT_EQ(sample(text, "accessioner_storage_writable"), 0);
  EXPECT_EQ(sample(text, "accessioner_worklist_refreshes_total"), 9);  // counters catch up
}

TEST(RouterMetrics, CallingAeLabelsAreCapped) {
  RouterMetrics m("t");
  const std::size_t extra = 44;
  for (std::size_t i = 0; i < RouterMetrics::kMaxCallingAeLabels + extra; ++i) {
    m.instance_received("AE" + std::to_string(i), 10);
  }
  m.instance_received("AE0", 10);        // an early title keeps its own series
  m.instance_received("AE\x01\xff", 1);  // over the cap too; never raw bytes in a label
  const std::string text = m.render({});
  std::set<std::string> labels;
  const std::regex re("^accessioner_instances_received_total\\{calling_ae=\"([^\"]*)\"\\}");
  std::istringstream in(text);
  std::string line;
  std::smatch match;
  while (std::getline(in, line)) {
    if (std::regex_search(line, match, re)) {
      labels.insert(match[1]);
    }
  }
  EXPECT_EQ(labels.size(), RouterMetrics::kMaxCallingAeLabels + 1);
  EXPECT_TRUE(labels.contains("_other"));
  EXPECT_EQ(sample(text, "accessioner_instances_received_total{calling_ae=\"_other\"}"),
            static_cast<double>(extra + 1));
  EXPECT_EQ(sample(text, "accessioner_instances_received_total{calling_ae=\"AE0\"}"), 2);
}

TEST(RouterMetrics, UnprintableAeTitlesAreMadeSafe) {
  RouterMetrics m("t");
  m.instance_received("A\"B\\C\n\xff", 1);
  m.instance_received("", 1);
  const std::string text = m.render({});
  EXPECT_NE(text.find("calling_ae=\"A\\\"B\\\\C__\""), std::string::npos) << text;
  EXPECT_NE(text.find("calling_ae=\"_empty\""), std::string::npos);
}

TEST(RouterMetrics, PromtoolAcceptsTheExposition) {
  if (std::system("command -v promtool >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "promtool not installed (Debian package prometheus)";
  }
  RouterMetrics m("0.1.0");
  exercise(m);
  for (std::size_t i = 0; i < 300; ++i) {
    m.instance_received("AE" + std::to_string(i), 1);
  }
  const auto file = std::filesystem::temp_directory_path() /
                    ("acc-metrics-" + std::to_string(::getpid()) + ".prom");
  {
    std::ofstream out(file);
    out << m.render(some_values());
  }
  const std::string command = "promtool check metrics < " + file.string() + " 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buf[4096];
  while (std::size_t n = std::fread(buf, 1, sizeof buf, pipe)) {
    output.append(buf, n);
  }
  const int status = ::pclose(pipe);
  std::filesystem::remove(file);
  EXPECT_EQ(status, 0) << output;
  EXPECT_EQ(output, "") << output;
}

}  // namespace
}  // namespace acc::router
