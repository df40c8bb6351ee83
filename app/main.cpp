// cancelcheck: command-line entry point.
#include "app/cli.h"

int main(int argc, char** argv) {
  return cc::run_cli(argc, argv);
}
