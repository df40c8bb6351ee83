#include "app/cli_docs.h"

#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "model/api.h"
#include "model/rules.h"

namespace cc {
namespace {

std::vector<const CLI::App*> subcommands(const CLI::App& app) {
  return app.get_subcommands([](const CLI::App*) { return true; });
}

std::vector<const CLI::Option*> options(const CLI::App& app) {
  return app.get_options([](const CLI::Option*) { return true; });
}

/// Every spelling of an option: "-D --define" (positionals have none).
std::vector<std::string> spellings(const CLI::Option& o) {
  std::vector<std::string> out;
  for (const std::string& s : o.get_snames()) out.push_back("-" + s);
  for (const std::string& l : o.get_lnames()) out.push_back("--" + l);
  return out;
}

std::string join(const std::vector<std::string>& words, std::string_view sep) {
  std::string out;
  for (const std::string& w : words) out += (out.empty() ? "" : std::string(sep)) + w;
  return out;
}

/// The fixed values of an option whose validator is CLI::IsMember ("{bfs,dfs}" in its type
/// name), or empty.
std::vector<std::string> member_values(const CLI::Option& o) {
  const std::string type = o.get_type_name();
  std::vector<std::string> out;
  const std::size_t open = type.find('{');
  const std::size_t close = type.find('}', open);
  if (open == std::string::npos || close == std::string::npos) return out;
  std::string inner = type.substr(open + 1, close - open - 1);
  std::size_t start = 0;
  while (start <= inner.size()) {
    std::size_t comma = inner.find(',', start);
    if (comma == std::string::npos) comma = inner.size();
    if (comma > start) out.push_back(inner.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

/// roff text: a leading '.' or '\'' would start a request, '\' starts an escape, '-' is a hyphen.
std::string roff(std::string_view text) {
  std::string out;
  bool line_start = true;
  for (char c : text) {
    if (line_start && (c == '.' || c == '\'')) out += "\\&";
    if (c == '\\') {
      out += "\\e";
    } else if (c == '-') {
      out += "\\-";
    } else {
      out += c;
    }
    line_start = c == '\n';
  }
  return out;
}

}  // namespace

std::string render_bash_completion(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::App* sub : subcommands(app)) names.push_back(sub->get_name());
  std::vector<std::string> rule_ids;
  for (const RuleInfo& r : all_rules()) rule_ids.push_back(std::string(r.id));
  std::vector<std::string> api_names;
  for (const ApiInfo& a : all_apis()) api_names.push_back(std::string(a.name));

  std::string out =
      "# bash completion for cancelcheck; generated from the command-line definition.\n"
      "_cancelcheck() {\n"
      "  local cur prev cmd\n"
      "  cur=\"${COMP_WORDS[COMP_CWORD]}\"\n"
      "  prev=\"${COMP_WORDS[COMP_CWORD-1]}\"\n"
      "  cmd=\"${COMP_WORDS[1]}\"\n"
      "  if [[ $COMP_CWORD -eq 1 ]]; then\n";
  out += fmt::format("    COMPREPLY=($(compgen -W \"{} --help --version\" -- \"$cur\"))\n",
                     join(names, " "));
  out += "    return\n  fi\n  case \"$cmd\" in\n";
  for (const CLI::App* sub : subcommands(app)) {
    std::vector<std::string> flags;
    std::string value_cases;
    for (const CLI::Option* o : options(*sub)) {
      const std::vector<std::string> names_of = spellings(*o);
      if (names_of.empty()) continue;
      for (const std::string& n : names_of) flags.push_back(n);
      const std::vector<std::string> values = member_values(*o);
      if (!values.empty()) {
        value_cases +=
            fmt::format("        {}) COMPREPLY=($(compgen -W \"{}\" -- \"$cur\")); return ;;\n",
                        join(names_of, "|"), join(values, " "));
      } else if (o->get_expected_max() != 0) {
        value_cases += fmt::format("        {}) COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n",
                                   join(names_of, "|"));
      }
    }
    std::string positional = "COMPREPLY=($(compgen -f -- \"$cur\"))";
    if (sub->get_name() == "rules") {
      positional = fmt::format("COMPREPLY=($(compgen -W \"{}\" -- \"$cur\"))", join(rule_ids, " "));
    } else if (sub->get_name() == "apis") {
      positional =
          fmt::format("COMPREPLY=($(compgen -W \"{}\" -- \"$cur\"))", join(api_names, " "));
    }
    out += fmt::format("    {})\n      case \"$prev\" in\n{}      esac\n", sub->get_name(),
                       value_cases);
    out += fmt::format(
        "      if [[ \"$cur\" == -* ]]; then\n"
        "        COMPREPLY=($(compgen -W \"{}\" -- \"$cur\"))\n"
        "      else\n        {}\n      fi\n      ;;\n",
        join(flags, " "), positional);
  }
  out += "  esac\n}\ncomplete -o filenames -F _cancelcheck cancelcheck\n";
  return out;
}

std::string render_man_page(const CLI::App& app, const std::string& version) {
  std::string out = fmt::format(
      ".TH CANCELCHECK 1 \"\" \"cancelcheck {}\" \"User Commands\"\n"
      ".SH NAME\ncancelcheck \\- model checker for request\\-cancellation races in Windows "
      "driver code\n"
      ".SH SYNOPSIS\n.B cancelcheck\n.I command\n[\\fIoptions\\fR] [\\fIarguments\\fR]\n"
      ".br\n.B cancelcheck\n.B \\-\\-version\n"
      ".SH DESCRIPTION\n",
      roff(version));
  out += roff(app.get_description()) + "\n";
  out += ".SH COMMANDS\n";
  for (const CLI::App* sub : subcommands(app)) {
    out += fmt::format(".SS {}\n{}\n", roff(sub->get_name()), roff(sub->get_description()));
    for (const CLI::Option* o : options(*sub)) {
      const std::vector<std::string> names = spellings(*o);
      if (o->get_lnames() == std::vector<std::string>{"help"}) continue;
      std::string head = names.empty() ? "\\fI" + roff(o->get_name()) + "\\fR"
                                       : "\\fB" + roff(join(names, ", ")) + "\\fR";
      if (!names.empty() && o->get_expected_max() != 0) {
        head += " \\fI" + roff(o->get_type_name()) + "\\fR";
      }
      out += fmt::format(".TP\n{}\n{}\n", head, roff(o->get_description()));
    }
  }
  out +=
      ".SH EXIT STATUS\n"
      ".TP\n.B 0\nno violation, and the search was complete\n"
      ".TP\n.B 1\na violation (one that gates: \\-\\-fail\\-on, \\-\\-baseline)\n"
      ".TP\n.B 2\na spec or usage error\n"
      ".TP\n.B 3\nan internal error\n"
      ".TP\n.B 4\nincomplete: a limit or a signal stopped the search\n"
      ".SH ENVIRONMENT\n"
      ".TP\n.B NO_COLOR\nwhen set and not empty, no colour unless \\-\\-color is given\n"
      ".SH SEE ALSO\n"
      "The README, docs/reports.md and docs/ci.md of the cancelcheck sources.\n";
  return out;
}

}  // namespace cc
