#pragma once
// The `accessioner` command line: serve, check-config, queue list/export. Returns the exit status
// (0 ok, 1 configuration or start-up error, 2 usage error).
namespace acc::router {

int run_cli(int argc, char** argv);

}  // namespace acc::router
