#include "app/catalogue_commands.h"

#include <algorithm>
#include <cctype>
#include <iostream>

#include <fmt/format.h>

#include "model/api_docs.h"
#include "model/did_you_mean.h"
#include "model/rules.h"
#include "model/term_style.h"

namespace cc {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

const ApiInfo* find_api_loosely(const std::string& name) {
  if (auto id = find_api(name)) return &api_info(*id);
  for (const ApiInfo& a : all_apis()) {
    if (lower(a.name) == lower(name)) return &a;
  }
  return nullptr;
}

void print_one_api(std::ostream& out, const ApiInfo& a, bool color) {
  out << fmt::format("{}\n  domain: {}\n  {}\n  semantics: {}\n",
                     term::bold(color, api_signature(a)), api_domain_name(a.domain),
                     api_summary(a.id), api_semantics_page(a.domain));
}

}  // namespace

int print_rules(std::ostream& out, const std::string& key, bool color) {
  if (!key.empty()) {
    auto rule = find_rule(key);
    if (!rule) {
      std::cerr << fmt::format("cancelcheck: unknown rule '{}' (see 'cancelcheck rules')\n", key);
      return 2;
    }
    const RuleInfo& r = rule_info(*rule);
    out << fmt::format("{} {}\n  {}\n\n  {}\n", term::bold(color, r.id), r.name, r.brief, r.full);
    if (!r.aliases.empty()) out << fmt::format("\n  SDV-style aliases: {}\n", r.aliases);
    return 0;
  }
  for (const RuleInfo& r : all_rules()) {
    out << fmt::format("{}  {:<32} {}\n", term::bold(color, r.id), r.name, r.brief);
    if (!r.aliases.empty()) out << fmt::format("       {:<32} aliases: {}\n", "", r.aliases);
  }
  return 0;
}

std::string rules_markdown() {
  std::string out =
      "# The rule catalogue\n\n"
      "Written by `cancelcheck rules --markdown` from `model/rules.def`; SARIF results link "
      "here (`helpUri`).\n";
  for (const RuleInfo& r : all_rules()) {
    out += fmt::format("\n<a id=\"{}\"></a>\n## {} {}\n\n{}\n\n{}\n", lower(r.id), r.id, r.name,
                       r.brief, r.full);
    if (!r.aliases.empty()) out += fmt::format("\nSDV-style aliases: {}.\n", r.aliases);
  }
  return out;
}

int print_apis(std::ostream& out, const std::string& name, bool color) {
  if (!name.empty()) {
    const ApiInfo* api = find_api_loosely(name);
    if (api == nullptr) {
      Suggester s;
      for (const ApiInfo& a : all_apis()) s.add(a.name);
      std::string hint = s.hint(name);
      std::cerr << fmt::format("cancelcheck: unknown API '{}'{} (see 'cancelcheck apis')\n", name,
                               hint.empty() ? "" : "; " + hint);
      return 2;
    }
    print_one_api(out, *api, color);
    return 0;
  }
  ApiDomain domain = ApiDomain::Builtin;
  bool first = true;
  for (const ApiInfo& a : all_apis()) {
    if (first || a.domain != domain) {
      out << fmt::format("{}{}\n", first ? "" : "\n", term::bold(color, api_domain_name(a.domain)));
      domain = a.domain;
      first = false;
    }
    out << fmt::format("  {}\n      {}\n", api_signature(a), api_summary(a.id));
  }
  out << fmt::format("\n{} calls; 'cancelcheck apis NAME' shows one with its semantics page.\n",
                     all_apis().size());
  return 0;
}

}  // namespace cc
