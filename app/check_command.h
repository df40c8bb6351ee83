// `cancelcheck check`: options, wiring of front-end, explorer and reports, exit code.
#pragma once

#include <string>
#include <vector>

#include "app/color.h"
#include "checker/check.h"
#include "model/frontend.h"

namespace CLI {
class App;
}

namespace cc {

/// The largest --max-memory (MB) accepted: 1 PiB, far above any machine, and small enough
/// that the limit in bytes cannot overflow.
inline constexpr unsigned long long kMaxMemoryMb = 1ULL << 30;

/// Everything `check` accepts on the command line.
struct CheckCommandOptions {
  std::vector<std::string> paths;
  std::vector<std::string> defines;  ///< raw NAME=VALUE texts
  std::string rules;                 ///< comma-separated rule keys to check (empty = all)
  std::string fail_on;               ///< comma-separated rule keys that gate the exit code
  std::string out_dir;               ///< default directory for reports
  std::string json_path;
  std::string sarif_path;
  std::string junit_path;
  std::string html_dir;
  std::string baseline_path;        ///< accepted violations (do not gate)
  std::string write_baseline_path;  ///< write the current violations as a baseline
  bool fail_on_stale = false;       ///< baseline entries that matched nothing fail the run
  std::string source_root;          ///< SARIF/baseline paths are relative to it (empty = default)
  std::string search = "bfs";
  bool hash_compaction = false;  ///< --hash-compaction
  std::string por = "on";
  std::string symmetry = "on";
  std::string liveness = "on";  ///< --liveness on/off
  unsigned threads = 1;
  unsigned long long max_states = 0;     ///< 0 = default
  unsigned long long max_memory_mb = 0;  ///< 0 = default
  double time_limit_s = 0;
  uint32_t z3_timeout_ms = 10'000;  ///< per Z3 query (symbolic data); 0 = none
  bool all = false;
  bool progress = false;
  bool no_progress = false;
  bool quiet = false;
  ColorFlags color;  ///< --color / --no-color
};

/// Registers the check options on a CLI11 subcommand.
void add_check_options(CLI::App& cmd, CheckCommandOptions& opts);

/// Parses -D texts into Defines; prints an error and returns false on malformed input or on
/// one name given twice with different values.
bool parse_defines(const std::vector<std::string>& texts, Defines& out);

/// Runs `check`; returns the process exit code.
int run_check(const CheckCommandOptions& opts);

}  // namespace cc
