// `cancelcheck replay`: a --json document's violations re-run in the reference executor
// (checker/replay.h); docs/replay.md ("cancelcheck replay").
#pragma once

#include <string>
#include <vector>

namespace CLI {
class App;
}

#include "app/color.h"

namespace cc {

/// Everything `replay` accepts on the command line.
struct ReplayCommandOptions {
  std::string trace;                 ///< the --json document
  std::string spec;                  ///< spec to replay against (default: each result's path)
  std::vector<std::string> defines;  ///< raw NAME=VALUE texts, as given to check
  bool force = false;                ///< replay even when the spec's content hash differs
  ColorFlags color;                  ///< --color / --no-color (the spec's diagnostics)
};

/// Registers the replay subcommand's arguments on `app`.
void add_replay_options(CLI::App& app, ReplayCommandOptions& o);

/// Runs `cancelcheck replay`; returns the exit code (0 clean, 1 reproduced, 2 the document is
/// unreadable or does not fit the spec, 3 a genuine disagreement, 4 not replayable).
int run_replay(const ReplayCommandOptions& o);

}  // namespace cc
