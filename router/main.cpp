#include "router/cli/cli.hpp"

int main(int argc, char** argv) {
  return acc::router::run_cli(argc, argv);
}
