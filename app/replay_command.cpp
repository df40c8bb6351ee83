#include "app/replay_command.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "app/check_command.h"
#include "app/cli.h"
#include "checker/replay.h"
#include "model/frontend.h"
#include "model/rules.h"
#include "reports/json.h"

namespace cc {
namespace {

/// Exit-code precedence as for check: internal (3) > spec error (2) > violation (1) >
/// incomplete (4) > ok (0).
int exit_rank(ExitCode c) {
  switch (c) {
    case ExitCode::Internal:
      return 4;
    case ExitCode::SpecError:
      return 3;
    case ExitCode::Violation:
      return 2;
    case ExitCode::Incomplete:
      return 1;
    case ExitCode::Ok:
      return 0;
  }
  return 0;
}

/// The whole file, or nullopt when it cannot be read (or is a directory).
std::optional<std::string> read_bytes(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return text.str();
}

/// One spec result's violations replayed against its spec.
class SpecReplay {
 public:
  SpecReplay(const ReplayCommandOptions& o, const Defines& defines, const SpecResult& sr)
      : o_(o), defines_(defines), sr_(sr) {}

  /// Replays every violation of the result; returns the worst exit code.
  ExitCode run() {
    std::string path = resolve_path();
    shown_ = printable(path);
    std::optional<std::string> bytes = read_bytes(path);
    if (!bytes) {
      std::cerr << fmt::format("cancelcheck: error: cannot read spec '{}' to replay its trace\n",
                               shown_);
      return ExitCode::SpecError;
    }
    const std::string now = spec_content_hash(*bytes);
    if (!sr_.spec_hash.empty() && sr_.spec_hash != now) {
      if (!o_.force) {
        std::cerr << fmt::format(
            "cancelcheck: error: {}: spec '{}' has changed since the trace was written (hash {} "
            "recorded, {} now); check it again, or replay anyway with --force\n",
            printable(o_.trace), shown_, printable(sr_.spec_hash), now);
        return ExitCode::SpecError;
      }
      unverified_ = fmt::format(
          "the spec has changed since the trace was written (hash {} "
          "recorded, {} now; --force)",
          printable(sr_.spec_hash), now);
    } else if (sr_.spec_hash.empty()) {
      unverified_ = "the document records no spec hash, so the spec may have been edited";
    }
    SourceManager sm;
    Diagnostics diags;
    const FileId file = sm.add(shown_, std::move(*bytes));
    std::unique_ptr<ast::Spec> spec = parse_spec(sm, file, diags);
    if (spec) check_spec(*spec, sm, defines_, diags);
    diags.print(std::cerr, sm, use_color(o_.color, STDERR_FILENO));
    if (!spec || diags.has_errors()) {
      std::cerr << fmt::format("cancelcheck: error: cannot load spec '{}' to replay its trace\n",
                               shown_);
      return ExitCode::SpecError;
    }
    ExitCode worst = ExitCode::Ok;
    for (std::size_t k = 0; k < sr_.violations.size(); ++k) {
      ExitCode c = replay_one(*spec, sm, k);
      if (exit_rank(c) > exit_rank(worst)) worst = c;
    }
    return worst;
  }

 private:
  const ReplayCommandOptions& o_;
  const Defines& defines_;
  const SpecResult& sr_;
  std::string shown_;       ///< the spec path as printed (control characters escaped)
  std::string unverified_;  ///< why the spec may not be the one checked ("" = same hash)

  std::string resolve_path() const {
    if (!o_.spec.empty()) return o_.spec;
    std::error_code ec;
    if (!std::filesystem::exists(sr_.path, ec)) {
      // A relative path written by a check run elsewhere: try next to the JSON document.
      std::filesystem::path alt = std::filesystem::path(o_.trace).parent_path() / sr_.path;
      if (std::filesystem::exists(alt, ec)) return alt.string();
    }
    return sr_.path;
  }

  ExitCode replay_one(const ast::Spec& spec, const SourceManager& sm, std::size_t k) {
    const Violation& v = sr_.violations[k];
    const std::string what =
        fmt::format("{}: violation {} of {} [{} {}]", shown_, k + 1, sr_.violations.size(),
                    rule_info(v.rule).id, rule_info(v.rule).name);
    const ReplayResult r = replay_violation(spec, sm, v, sr_.checked_rules);
    switch (r.status) {
      case ReplayStatus::Reproduced:
        std::cout << fmt::format("{}: {}\n", what, r.message);
        return ExitCode::Violation;
      case ReplayStatus::Clean:
        std::cout << fmt::format("{}: {}\n", what, r.message);
        return ExitCode::Ok;
      case ReplayStatus::Misfit:
        std::cerr << fmt::format("cancelcheck: error: {}: the trace does not fit the spec at {}",
                                 what, r.message);
        return ExitCode::SpecError;
      case ReplayStatus::Mismatch:
        if (!unverified_.empty()) {
          // Not known to be the spec that was checked: the trace does not fit it.
          std::cerr << fmt::format(
              "cancelcheck: error: {}: the trace does not fit the spec ({}) at {}", what,
              unverified_, r.message);
          return ExitCode::SpecError;
        }
        std::cerr << fmt::format(
            "cancelcheck: internal error: {}: the trace and the reference executor disagree at {}",
            what, r.message);
        if (!r.message.empty() && r.message.back() != '\n') std::cerr << "\n";
        std::cerr << internal_error_advice();
        return ExitCode::Internal;
      case ReplayStatus::Unsupported:
        std::cerr << fmt::format("cancelcheck: {}: not replayed: {}\n", what, r.message);
        return ExitCode::Incomplete;
    }
    return ExitCode::Internal;
  }
};

}  // namespace

void add_replay_options(CLI::App& app, ReplayCommandOptions& o) {
  app.add_option("trace", o.trace, "JSON document written by 'cancelcheck check --json'")
      ->required();
  app.add_option("spec", o.spec, "Spec file to replay against (default: each result's path)");
  app.add_option("-D,--define", o.defines, "Override a const: NAME=VALUE (as given to check)");
  app.add_flag("--force", o.force,
               "Replay even when the spec's content differs from the one the trace was checked "
               "against (a disagreement then exits 2, not 3)");
  add_color_flags(app, o.color);
}

int run_replay(const ReplayCommandOptions& o) {
  Defines defines;
  if (!parse_defines(o.defines, defines)) return static_cast<int>(ExitCode::SpecError);
  const std::string shown = printable(o.trace);
  std::optional<std::string> text = read_bytes(o.trace);
  if (!text) {
    std::cerr << fmt::format("cancelcheck: error: cannot read '{}'\n", shown);
    return static_cast<int>(ExitCode::SpecError);
  }
  RunResult run;
  try {
    run = reports::parse_run_result(*text);
  } catch (const reports::JsonSchemaError& e) {
    std::cerr << fmt::format("cancelcheck: error: {}: not a cancelcheck --json document: {}\n",
                             shown, printable(e.what()));
    return static_cast<int>(ExitCode::SpecError);
  }
  if (run.specs.empty()) {
    std::cerr << fmt::format("cancelcheck: error: {}: the document lists no spec results\n", shown);
    return static_cast<int>(ExitCode::SpecError);
  }
  ExitCode worst = ExitCode::Ok;
  std::size_t replayed = 0;
  for (const SpecResult& sr : run.specs) {
    if (sr.verdict == Verdict::Violation && sr.violations.empty()) {
      std::cerr << fmt::format(
          "cancelcheck: error: {}: spec '{}' has the verdict violation but lists no violation\n",
          shown, printable(sr.path));
      if (exit_rank(ExitCode::SpecError) > exit_rank(worst)) worst = ExitCode::SpecError;
      continue;
    }
    if (sr.violations.empty()) continue;
    replayed += sr.violations.size();
    ExitCode c = SpecReplay(o, defines, sr).run();
    if (exit_rank(c) > exit_rank(worst)) worst = c;
  }
  if (replayed == 0) std::cout << fmt::format("{}: no violation to replay\n", shown);
  return static_cast<int>(worst);
}

}  // namespace cc
