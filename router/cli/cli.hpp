#pragma once
// The `accessioner` command line: parses the verbs and hands each to its file (serve_commands,
// queue_commands, hold_commands, decisions_commands, worklist_commands, rules_commands). Returns
// the exit status (0 ok, 1 configuration or start-up error, 2 usage error).
namespace acc::router {

int run_cli(int argc, char** argv);

}  // namespace acc::router
