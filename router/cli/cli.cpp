#include "router/cli/cli.hpp"

#include <iostream>
#include <optional>

#include <CLI/CLI.hpp>

#include "config/config.hpp"
#include "router/cli/decisions_commands.hpp"
#include "router/cli/hold_commands.hpp"
#include "router/cli/queue_commands.hpp"
#include "router/cli/rules_commands.hpp"
#include "router/cli/serve_commands.hpp"
#include "router/cli/worklist_commands.hpp"

namespace acc::router {

namespace {
constexpr const char* kVersion = ACC_VERSION;
}  // namespace

int run_cli(int argc, char** argv) {
  CLI::App app{"Accessioner: DICOM store-and-forward router that stamps accession numbers",
               "accessioner"};
  app.set_version_flag("--version", std::string("accessioner ") + kVersion);
  app.require_subcommand(1);

  std::string config_path;
  auto* serve_cmd = app.add_subcommand("serve", "Run the DICOM router (foreground)");
  serve_cmd->add_option("--config", config_path, "TOML configuration file (default: embedded)")
      ->check(CLI::ExistingFile);

  auto* check_cmd = app.add_subcommand("check-config", "Validate a configuration file and exit");
  check_cmd->add_option("--config", config_path, "TOML configuration file")->required();

  auto* queue_cmd = app.add_subcommand("queue", "Inspect stored instances (works while serving)");
  queue_cmd->require_subcommand(1);
  bool json = false;
  auto* list_cmd = queue_cmd->add_subcommand("list", "One line per stored instance");
  list_cmd->add_option("--config", config_path, "TOML configuration file");
  list_cmd->add_flag("--json", json, "JSON array instead of a table");

  std::vector<std::string> uids;
  bool all = false;
  std::string to;
  auto* export_cmd = queue_cmd->add_subcommand("export", "Write stored instances as Part-10 files");
  export_cmd->add_option("uids", uids, "SOP Instance UIDs");
  export_cmd->add_flag("--all", all, "Export every stored instance");
  export_cmd->add_option("--to", to, "Target directory")->required();
  export_cmd->add_option("--config", config_path, "TOML configuration file");

  RetrySelection retry;
  auto* retry_cmd = queue_cmd->add_subcommand(
      "retry", "Make jobs pending again now (dead-lettered or waiting for their retry time)");
  retry_cmd->add_option("uids", retry.uids, "SOP Instance UIDs");
  retry_cmd->add_flag("--dead", retry.dead, "Every dead-lettered job");
  retry_cmd->add_option("--destination", retry.destination,
                        "Every waiting or dead job of one destination");
  retry_cmd->add_option("--config", config_path, "TOML configuration file");

  bool yes = false;
  auto* purge_cmd =
      queue_cmd->add_subcommand("purge", "Delete every stored instance and job (irreversible)");
  purge_cmd->add_flag("--yes", yes, "Confirm: undelivered instances are lost");
  purge_cmd->add_option("--config", config_path, "TOML configuration file");

  auto* stats_cmd = queue_cmd->add_subcommand("stats", "Job counts and oldest age per destination");
  stats_cmd->add_option("--config", config_path, "TOML configuration file");
  stats_cmd->add_flag("--json", json, "JSON instead of a table");

  std::string study;
  auto* decisions_cmd = app.add_subcommand("decisions", "The accession stamping audit log");
  decisions_cmd->require_subcommand(1);
  auto* decisions_list_cmd = decisions_cmd->add_subcommand("list", "One line per decision");
  decisions_list_cmd->add_option("--study", study, "Only this Study Instance UID");
  decisions_list_cmd->add_flag("--json", json, "JSON instead of a table");
  decisions_list_cmd->add_option("--config", config_path, "TOML configuration file");

  RulesTestOptions rules_test_options;
  auto* rules_cmd = app.add_subcommand("rules", "Site rule files");
  rules_cmd->require_subcommand(1);
  auto* rules_test_cmd = rules_cmd->add_subcommand(
      "test", "Show what the rules do to FILE.dcm (nothing is sent or stored)");
  rules_test_cmd->add_option("file", rules_test_options.file, "A DICOM Part-10 file")
      ->required()
      ->check(CLI::ExistingFile);
  rules_test_cmd->add_option("--calling-ae", rules_test_options.calling_ae,
                             "Calling AE title of the modality");
  rules_test_cmd->add_option("--source", rules_test_options.source, "Peer IP address");
  rules_test_cmd->add_flag("--json", rules_test_options.json, "JSON instead of text");
  rules_test_cmd->add_option("--config", config_path, "TOML configuration file");

  auto* reload_cmd =
      app.add_subcommand("reload", "Make the running server load its rule files again");
  reload_cmd->add_option("--config", config_path, "TOML configuration file");

  auto* worklist_cmd = app.add_subcommand("worklist", "The Modality Worklist cache");
  worklist_cmd->require_subcommand(1);
  auto* worklist_status_cmd =
      worklist_cmd->add_subcommand("status", "Entries cached, last refresh, failures");
  worklist_status_cmd->add_flag("--json", json, "JSON instead of text");
  worklist_status_cmd->add_option("--config", config_path, "TOML configuration file");

  auto* hold_cmd = app.add_subcommand("hold", "Studies held for a person's decision");
  hold_cmd->require_subcommand(1);
  auto* hold_list_cmd = hold_cmd->add_subcommand("list", "Held studies");
  hold_list_cmd->add_flag("--json", json, "JSON instead of a table");
  hold_list_cmd->add_option("--config", config_path, "TOML configuration file");
  HoldChoice choice;
  auto* hold_assign_cmd = hold_cmd->add_subcommand(
      "assign", "Stamp a held study with ACCESSION (a cached order of its patient) and release it");
  hold_assign_cmd->add_option("study", choice.study, "Study Instance UID")->required();
  hold_assign_cmd->add_option("accession", choice.accession, "Accession Number")->required();
  hold_assign_cmd->add_option("--patient", choice.patient,
                              "Patient ID of the held instances (when the study has several)");
  hold_assign_cmd->add_flag("--correct-patient", choice.correct_patient,
                            "Also rewrite Patient ID, Name, Birth Date, Sex from the order "
                            "(reason CORRECT); needs --reason");
  hold_assign_cmd->add_flag("--force", choice.force,
                            "Stamp even if ACCESSION is not a cached order of the held patient; "
                            "needs --reason");
  hold_assign_cmd->add_option("--reason", choice.reason, "Why (recorded with who decided)");
  hold_assign_cmd->add_option("--config", config_path, "TOML configuration file");
  auto* hold_release_cmd = hold_cmd->add_subcommand("release", "Forward a held study unstamped");
  hold_release_cmd->add_option("study", choice.study, "Study Instance UID")->required();
  hold_release_cmd->add_option("--patient", choice.patient,
                               "Patient ID of the held instances (when the study has several)");
  hold_release_cmd->add_option("--reason", choice.reason, "Why (recorded with who decided)");
  hold_release_cmd->add_option("--config", config_path, "TOML configuration file");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }

  if (*serve_cmd) {
    return serve(config_path);
  }
  if (*check_cmd) {
    return check_config(config_path);
  }
  auto config = load_config(config_path);
  if (!config) {
    return 1;
  }
  if (*list_cmd) {
    return queue_list(*config, json);
  }
  if (*export_cmd) {
    if (uids.empty() == !all) {
      std::cerr << "queue export: give either SOP Instance UIDs or --all\n";
      return 2;
    }
    return queue_export(*config, uids, all, to);
  }
  if (*retry_cmd) {
    const int chosen =
        (retry.uids.empty() ? 0 : 1) + (retry.dead ? 1 : 0) + (retry.destination.empty() ? 0 : 1);
    if (chosen != 1) {
      std::cerr << "queue retry: give exactly one of UIDs, --dead or --destination NAME\n";
      return 2;
    }
    return queue_retry(*config, retry);
  }
  if (*purge_cmd) {
    if (!yes) {
      std::cerr << "queue purge deletes every stored instance, delivered or not: add --yes\n";
      return 2;
    }
    return queue_purge(*config);
  }
  if (*stats_cmd) {
    return queue_stats(*config, json);
  }
  if (*decisions_list_cmd) {
    return decisions_list(*config, study, json);
  }
  if (*rules_test_cmd) {
    return rules_test(*config, rules_test_options);
  }
  if (*reload_cmd) {
    return reload(*config);
  }
  if (*worklist_status_cmd) {
    return worklist_status(*config, json);
  }
  if (*hold_list_cmd) {
    return hold_list(*config, json);
  }
  if (*hold_assign_cmd) {
    return hold_assign(*config, choice);
  }
  if (*hold_release_cmd) {
    return hold_release(*config, choice);
  }
  return 2;
}

}  // namespace acc::router
