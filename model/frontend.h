// Front-end entry points: source text -> checked AST, or diagnostics.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "model/ast.h"
#include "model/diagnostics.h"
#include "model/source.h"

namespace cc {

/// -D NAME=VALUE overrides for `const` declarations.
using Defines = std::map<std::string, int64_t, std::less<>>;

/// Parses one file into an AST. Reports syntax errors; returns the (partial) AST even on
/// error so that later phases can report more, or nullptr if nothing could be built.
std::unique_ptr<ast::Spec> parse_spec(const SourceManager& sm, FileId file, Diagnostics& diags);

/// Name and type checking: resolves every name, folds constants (applying -D overrides),
/// annotates types, checks API argument counts and types. Returns false on errors.
bool check_spec(ast::Spec& spec, const SourceManager& sm, const Defines& defines,
                Diagnostics& diags);

/// Loads, parses and checks a spec file. nullptr if it has errors (reported in diags).
std::unique_ptr<ast::Spec> load_spec(SourceManager& sm, const std::string& path,
                                     const Defines& defines, Diagnostics& diags);

}  // namespace cc
