// What a framework module's code reaches of the engine, under the names the module code
// uses: the spec, the program, the current state, the recorder, choices and findings.
#pragma once

#include <string>

#include "engine/core.h"
#include "engine/module.h"

namespace cc {

/// A module bound to one engine (modules are not copied: clone() builds afresh).
class ModuleBase : public Module {
 public:
  explicit ModuleBase(Core& core)
      : c_(core),
        spec_(core.spec_),
        prog_(core.prog_),
        s_(core.s_),
        rec_(core.rec_),
        pool_(core.pool_) {}
  ModuleBase(const ModuleBase&) = delete;
  ModuleBase& operator=(const ModuleBase&) = delete;

 protected:
  Core& c_;
  const ast::Spec& spec_;
  const Program& prog_;
  uint8_t*& s_;    ///< the state being changed (during one transition)
  Record*& rec_;   ///< non-null while a step is recorded
  SymPool& pool_;  ///< symbolic terms (symbolic specs)

  bool recording() const { return rec_ != nullptr; }
  void note(std::string text) { c_.note(std::move(text)); }
  void event(EventKind kind, const std::string& object) { c_.event(kind, object); }
  template <typename F>
  uint16_t choose(uint16_t n, F token) {
    return c_.choose(n, token);
  }
  void violation(RuleId rule, SourceRange src, std::string msg, std::string object = {}) {
    c_.violation(rule, src, std::move(msg), std::move(object));
  }
  uint8_t* act(uint32_t a) const { return c_.act(a); }
  int32_t reg(uint32_t a, Reg r) const { return c_.reg(a, r); }
  void set_reg(uint32_t a, Reg r, int32_t v) { c_.set_reg(a, r, v); }
  uint8_t* global(uint32_t g) const { return c_.global(g); }
  std::string slot_text(const uint8_t* p, TypeKind t) const { return c_.slot_text(p, t); }
  uint8_t* reg_ptr(uint32_t a, Reg r) const { return c_.reg_ptr(a, r); }
  std::string lane_of(uint32_t a) const { return c_.lane_of(a); }
  std::string render(int32_t v, TypeKind t) const { return c_.render(v, t); }
  std::string fn_name(uint32_t fn) const { return c_.fn_name(fn); }
  /// Results: sets `call.ret` and the trace's text of it.
  void result(ApiCall& call, int32_t v) { c_.api_result(call, v); }
  bool sym() const { return c_.sym_; }
  bool tagged(const uint8_t* p) const { return c_.tagged(p); }
  void set_tag(const uint8_t* p, bool on) { c_.set_tag(p, on); }
  SymTermId term_at(const uint8_t* p) { return c_.term_at(p); }
  void put_term(uint8_t* p, SymTermId t) { c_.put_term(p, t); }
  SymTermId cond_of(SymTermId t) { return c_.cond_of(t); }
  SymTermId sym_var(const std::string& name, unsigned width) { return c_.sym_var(name, width); }
  std::optional<bool> sym_split(SymTermId on_one, SymTermId on_zero) {
    return c_.sym_split(on_one, on_zero);
  }
  const PathCondition& path_condition() const { return c_.path_condition(); }
  void set_path_condition(const PathCondition& pc) { c_.set_path_condition(pc); }
  bool feasible(const PathCondition& pc) { return c_.feasible(pc); }
};

}  // namespace cc
