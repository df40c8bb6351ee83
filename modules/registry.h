// The one place the framework modules are registered: builds the transition system of a
// checked spec, the engine with every module (docs/adding-a-framework.md).
#pragma once

#include <memory>
#include <string>

#include "engine/semantics.h"
#include "engine/transition.h"
#include "model/ast.h"
#include "model/source.h"

namespace cc {

/// Builds the transition system of a checked spec. Returns nullptr and sets `unsupported`
/// when the spec uses a domain or construct the semantics do not execute yet.
std::unique_ptr<TransitionSystem> make_transition_system(const ast::Spec& spec,
                                                         const SourceManager& sm,
                                                         std::string& unsupported);

}  // namespace cc
