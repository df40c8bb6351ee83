// The mutation campaign: semantic mutants of the corpus through the whole check path (front
// end, explorer, reference-executor replay of every counterexample) in five search modes,
// with every mode's verdict compared to the others'. Any disagreement between modes, any
// internal error, crash or hang past the deadline is a failure (exit 1).
//
//   cc_mutation [--mutants N] [--seed S] [--jobs J] [--time-limit S] [--max-states N]
//               [--out DIR] SPEC_DIR...
//
// Each mutant runs in a child process (a crash or hang cannot take the campaign down). The
// mutants depend only on the seed and their index, so a failure is reproduced by
// `--seed S --first I --mutants 1`. docs/reliability.md, "Mutation campaign".
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "checker/check.h"
#include "model/frontend.h"
#include "tests/mutation/mutate.h"

namespace cc::mutation {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct Mode {
  const char* name;
  SearchOrder search;
  bool por;
  bool symmetry;
  unsigned threads;
  bool hash_compaction;
};

constexpr Mode kModes[] = {
    {"bfs", SearchOrder::Bfs, true, true, 1, false},
    {"bfs-no-reductions", SearchOrder::Bfs, false, false, 1, false},
    {"dfs", SearchOrder::Dfs, true, true, 1, false},
    {"bfs-2-threads", SearchOrder::Bfs, true, true, 2, false},
    {"hash-compaction", SearchOrder::Dfs, true, true, 1, true},
};
constexpr std::size_t kModeCount = std::size(kModes);

struct Settings {
  uint64_t mutants = 200;
  uint64_t first = 0;
  uint64_t seed = 1;
  unsigned jobs = 2;
  double time_limit_s = 10;
  uint64_t max_states = 200'000;
  std::string out_dir;
  std::vector<std::string> dirs;
};

struct Source {
  std::string path;
  std::string text;
};

/// What one mode said about one mutant: "pass", "violation", "incomplete" or "internal",
/// and the violations' keys (rule and location).
struct ModeResult {
  std::string verdict;
  std::set<std::string> keys;
  std::string detail;
  bool liveness = true;  ///< the liveness pass ran (hash compaction keeps no graph for it)
};

/// `r` as a mode without the liveness pass sees it: its lassos (keys "...@loop") left out.
ModeResult without_lassos(const ModeResult& r) {
  ModeResult out = r;
  std::erase_if(out.keys, [](const std::string& k) { return k.ends_with("@loop"); });
  if (out.verdict == "violation" && out.keys.empty()) out.verdict = "pass";
  return out;
}

/// Child side: check the mutant in every mode and write one line per mode.
std::string run_modes(const std::string& name, const std::string& text, const Settings& s) {
  SourceManager sm;
  Diagnostics diags;
  const FileId file = sm.add(name, text);
  std::unique_ptr<ast::Spec> spec = parse_spec(sm, file, diags);
  if (!spec || diags.has_errors() || !check_spec(*spec, sm, Defines{}, diags)) {
    return "rejected\n";
  }
  std::string out;
  for (std::size_t m = 0; m < kModeCount; ++m) {
    CheckOptions o;
    o.all = true;
    o.search = kModes[m].search;
    o.por = kModes[m].por;
    o.symmetry = kModes[m].symmetry;
    o.threads = kModes[m].threads;
    o.hash_compaction = kModes[m].hash_compaction;
    o.max_states = s.max_states;
    o.max_memory_mb = 2048;
    o.time_limit_s = s.time_limit_s;
    std::string line = fmt::format("{} ", m);
    try {
      const SpecResult r = check_spec(*spec, sm, o);
      line += search_incomplete(r) ? "incomplete" : std::string(verdict_name(r.verdict));
      // A transition's violation is compared with its location; an end state's only by rule:
      // which of several blocked activities names a deadlock depends on the slot order that
      // symmetry reduction canonicalises, not on what is reachable.
      // A lasso (docs/liveness.md) by rule: which object or activity it names may depend on
      // the order the SCCs are met in. A mode without the liveness pass says so.
      if (r.liveness == LivenessRun::NotChecked) line += " no-liveness";
      for (const Violation& v : r.violations) {
        line += v.loop_start ? fmt::format(" {}@loop", rule_info(v.rule).id)
                : v.violating_step
                    ? fmt::format(" {}@{}:{}", rule_info(v.rule).id, v.loc.line, v.loc.col)
                    : fmt::format(" {}@end", rule_info(v.rule).id);
      }
    } catch (const std::exception& e) {
      std::string what = e.what();
      std::replace(what.begin(), what.end(), '\n', ' ');
      line += "internal " + what;
    }
    out += line + "\n";
  }
  return out;
}

struct Outcome {
  std::string kind;  ///< rejected, agree, incomplete, disagree, internal, crash, hang
  std::string report;
};

Outcome judge(const std::string& output, int status, bool timed_out) {
  if (timed_out) return {"hang", "the child passed its deadline"};
  if (WIFSIGNALED(status)) return {"crash", fmt::format("signal {}", WTERMSIG(status))};
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return {"crash", fmt::format("exit status {}", WEXITSTATUS(status))};
  }
  if (output == "rejected\n") return {"rejected", ""};
  std::vector<ModeResult> modes(kModeCount);
  std::istringstream in(output);
  std::string line;
  std::size_t seen = 0;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::size_t m = 0;
    words >> m;
    if (m >= kModeCount) return {"crash", "malformed child output: " + line};
    words >> modes[m].verdict;
    std::string w;
    if (modes[m].verdict == "internal") {
      std::getline(words, modes[m].detail);
    } else {
      while (words >> w) {
        if (w == "no-liveness") {
          modes[m].liveness = false;
        } else {
          modes[m].keys.insert(w);
        }
      }
    }
    ++seen;
  }
  if (seen != kModeCount) return {"crash", "the child reported " + std::to_string(seen) + " modes"};
  std::string report;
  bool internal = false;
  std::set<std::string> said;  // one line per distinct message, at most 600 characters
  for (std::size_t m = 0; m < kModeCount; ++m) {
    if (modes[m].verdict != "internal") continue;
    internal = true;
    if (!said.insert(modes[m].detail).second) continue;
    report +=
        fmt::format("  {}: internal error:{}\n", kModes[m].name, modes[m].detail.substr(0, 600));
  }
  if (internal) return {"internal", report};
  // Compare the modes that finished their search.
  const ModeResult* ref = nullptr;
  const char* ref_name = "";
  bool disagree = false;
  bool any_incomplete = false;
  for (std::size_t m = 0; m < kModeCount; ++m) {
    if (modes[m].verdict == "incomplete") {
      any_incomplete = true;
      continue;
    }
    if (ref == nullptr) {
      ref = &modes[m];
      ref_name = kModes[m].name;
      continue;
    }
    // A mode without the liveness pass is compared with what the others found besides lassos.
    const bool strip = !modes[m].liveness || !ref->liveness;
    const ModeResult a = strip ? without_lassos(modes[m]) : modes[m];
    const ModeResult b = strip ? without_lassos(*ref) : *ref;
    if (a.verdict != b.verdict || a.keys != b.keys) disagree = true;
  }
  if (disagree) {
    for (std::size_t m = 0; m < kModeCount; ++m) {
      report += fmt::format("  {}: {}", kModes[m].name, modes[m].verdict);
      for (const std::string& k : modes[m].keys) report += " " + k;
      report += "\n";
    }
    (void)ref_name;
    return {"disagree", report};
  }
  return {
      any_incomplete ? "incomplete" : (ref && ref->verdict == "violation" ? "violation" : "agree"),
      ""};
}

struct Running {
  pid_t pid = -1;
  int fd = -1;
  uint64_t index = 0;
  Clock::time_point start;
  std::string output;
};

std::vector<Source> load_sources(const std::vector<std::string>& dirs) {
  std::vector<Source> out;
  for (const std::string& d : dirs) {
    std::vector<std::string> paths;
    for (const auto& e : fs::recursive_directory_iterator(d)) {
      if (e.is_regular_file() && e.path().extension() == ".spec") paths.push_back(e.path());
    }
    std::sort(paths.begin(), paths.end());
    for (const std::string& p : paths) {
      std::ifstream f(p, std::ios::binary);
      std::ostringstream text;
      text << f.rdbuf();
      out.push_back({p, text.str()});
    }
  }
  return out;
}

/// The mutant with this index (independent of every other index).
Mutant make_mutant(const std::vector<Source>& sources, uint64_t seed, uint64_t index,
                   std::string& from) {
  Rng rng(seed * 0x100000001B3ULL + index);
  Mutant m;
  for (int tries = 0; tries < 100; ++tries) {
    const Source& s = sources[rng.below(static_cast<uint32_t>(sources.size()))];
    if (mutate(fs::path(s.path).filename().string(), s.text, rng, m)) {
      from = s.path;
      return m;
    }
  }
  from = sources.front().path;
  return {sources.front().text, "none: no operator applied"};
}

int run(const Settings& s) {
  const std::vector<Source> sources = load_sources(s.dirs);
  if (sources.empty()) {
    std::cerr << "cc_mutation: no .spec files found\n";
    return 2;
  }
  const double deadline_s = static_cast<double>(kModeCount) * (s.time_limit_s + 15.0);
  std::map<std::string, uint64_t> counts;
  std::vector<std::string> failures;
  std::vector<Running> running;
  uint64_t next = s.first;
  const uint64_t end = s.first + s.mutants;
  const Clock::time_point t0 = Clock::now();
  std::map<uint64_t, std::pair<Mutant, std::string>> live;
  while (next < end || !running.empty()) {
    while (next < end && running.size() < s.jobs) {
      std::string from;
      Mutant m = make_mutant(sources, s.seed, next, from);
      int fds[2];
      if (pipe(fds) != 0) {
        perror("pipe");
        return 3;
      }
      const pid_t pid = fork();
      if (pid == 0) {
        close(fds[0]);
        const std::string out = run_modes(fs::path(from).filename().string(), m.text, s);
        std::size_t off = 0;
        while (off < out.size()) {
          const ssize_t w = write(fds[1], out.data() + off, out.size() - off);
          if (w <= 0) _exit(4);
          off += static_cast<std::size_t>(w);
        }
        _exit(0);
      }
      close(fds[1]);
      running.push_back({pid, fds[0], next, Clock::now(), {}});
      live[next] = {std::move(m), from};
      ++next;
    }
    std::vector<pollfd> pfds;
    for (const Running& r : running) pfds.push_back({r.fd, POLLIN, 0});
    poll(pfds.data(), pfds.size(), 100);
    for (std::size_t i = 0; i < running.size();) {
      Running& r = running[i];
      char buf[4096];
      bool eof = false;
      if ((pfds[i].revents & (POLLIN | POLLHUP)) != 0) {
        const ssize_t n = read(r.fd, buf, sizeof buf);
        if (n > 0) r.output.append(buf, static_cast<std::size_t>(n));
        eof = n <= 0;
      }
      const bool late = std::chrono::duration<double>(Clock::now() - r.start).count() > deadline_s;
      if (!eof && !late) {
        ++i;
        continue;
      }
      if (late) kill(r.pid, SIGKILL);
      int status = 0;
      waitpid(r.pid, &status, 0);
      close(r.fd);
      const Outcome o = judge(r.output, status, late && !eof);
      ++counts[o.kind];
      if (o.kind == "disagree" || o.kind == "internal" || o.kind == "crash" || o.kind == "hang") {
        const auto& [mutant, from] = live[r.index];
        std::string text = fmt::format("mutant {} (seed {}) of {}: {}\n{}", r.index, s.seed, from,
                                       mutant.what, o.report);
        std::cout << "FAIL " << o.kind << ": " << text << std::flush;
        failures.push_back(text);
        if (!s.out_dir.empty()) {
          fs::create_directories(s.out_dir);
          std::ofstream(fs::path(s.out_dir) / fmt::format("mutant-{}-{}.spec", s.seed, r.index))
              << "// " << mutant.what << "\n"
              << mutant.text;
        }
      }
      live.erase(r.index);
      pfds.erase(pfds.begin() + static_cast<std::ptrdiff_t>(i));
      running.erase(running.begin() + static_cast<std::ptrdiff_t>(i));
    }
  }
  const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
  std::cout << fmt::format(
      "mutation campaign: {} mutants x {} modes (seed {}, first {}) in {:.1f} s: {} rejected by "
      "the front end, {} agree (pass), {} agree (violation), {} incomplete in some mode; {} "
      "disagreements, {} internal errors, {} crashes, {} hangs\n",
      s.mutants, kModeCount, s.seed, s.first, secs, counts["rejected"], counts["agree"],
      counts["violation"], counts["incomplete"], counts["disagree"], counts["internal"],
      counts["crash"], counts["hang"]);
  const uint64_t bad = failures.size();
  std::cout << fmt::format("{} passed, {} failed\n", s.mutants - bad, bad);
  return bad == 0 ? 0 : 1;
}

}  // namespace
}  // namespace cc::mutation

int main(int argc, char** argv) {
  cc::mutation::Settings s;
  CLI::App app{"Mutation campaign: mutants of the corpus checked in five search modes"};
  app.add_option("--mutants", s.mutants, "How many mutants");
  app.add_option("--first", s.first, "Index of the first mutant");
  app.add_option("--seed", s.seed, "Campaign seed");
  app.add_option("--jobs", s.jobs, "Mutants checked at once")->check(CLI::Range(1U, 64U));
  app.add_option("--time-limit", s.time_limit_s, "Per mode, seconds");
  app.add_option("--max-states", s.max_states, "Per mode");
  app.add_option("--out", s.out_dir, "Directory for the failing mutants");
  app.add_option("dirs", s.dirs, "Spec directories")->required();
  CLI11_PARSE(app, argc, argv);
  signal(SIGPIPE, SIG_IGN);
  return cc::mutation::run(s);
}
