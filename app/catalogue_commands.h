// `cancelcheck rules` and `cancelcheck apis`: the rule catalogue (model/rules.def) and the API
// table (model/api.def with model/api_docs.def) on the terminal, and docs/rules.md.
#pragma once

#include <ostream>
#include <string>

namespace cc {

/// Prints every rule, or the one named by `key` (id, name or alias). Exit code: 0, or 2 for an
/// unknown key.
int print_rules(std::ostream& out, const std::string& key, bool color);

/// The whole catalogue as Markdown, one section per rule with an anchor per id ("cr001"): the
/// text of docs/rules.md, which SARIF's helpUri points at.
std::string rules_markdown();

/// Prints every supported call (domain, signature, what the model does), or the one named
/// `name` (exact, else case-insensitive; a near miss is suggested). Exit code: 0, or 2.
int print_apis(std::ostream& out, const std::string& name, bool color);

}  // namespace cc
