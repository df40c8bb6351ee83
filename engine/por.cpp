// Partial-order reduction's static part (docs/decisions.md, "Reductions"): which code
// touches only the object its activity holds, from the API table's declared footprints. The
// modules say which components are closed in a state (Module::closed_component).
#include "engine/core.h"

namespace cc {
namespace {

/// True when `in` touches nothing shared but the object whose handle the activity holds
/// (registers, that object's record, context and lower-driver I/O), as the API table's
/// footprints declare it; `callbacks_local` says whether every function a call may start is
/// itself local.
bool request_local(const Instr& in, bool callbacks_local) {
  if (in.accesses_loc()) return in.loc.kind != LocKind::Global;
  switch (in.op) {
    case Op::CreatedRef:  // a created request is everybody's
    case Op::Symbolic:
      return false;
    case Op::Api:
      if (in.loc.kind == LocKind::Global) return false;
      switch (api_info(in.api()).footprint) {  // declared in model/api.def
        case ApiFootprint::OwnRequest:
          return true;
        case ApiFootprint::OwnRequestCallback:
          return callbacks_local;
        case ApiFootprint::Shared:
          return false;
      }
      return false;
    default:  // register computation, control flow, assert/assume, atomic, return
      return true;
  }
}

}  // namespace

void Core::build_por() {
  por_possible_ = !sym_;
  for (const std::unique_ptr<Module>& m : modules_)
    por_possible_ = por_possible_ && m->por_possible();
  const std::size_t nunits = prog_.units.size();
  // Functions a request API may start: every function name used as a value.
  std::vector<bool> callback_unit(nunits, false);
  for (const CodeUnit& u : prog_.units) {
    for (const Instr& in : u.code) {
      if (in.op == Op::Const && in.a.value < u.reg_types.size() &&
          u.reg_types[in.a.value] == TypeKind::Fn && in.imm >= 0 &&
          static_cast<std::size_t>(in.imm) < prog_.unit_of_fn.size() &&
          prog_.unit_of_fn[static_cast<std::size_t>(in.imm)] != ast::kNone) {
        callback_unit[prog_.unit_of_fn[static_cast<std::size_t>(in.imm)]] = true;
      }
    }
  }
  // Two passes: first assume the callbacks are local, then require it.
  bool callbacks_local = true;
  for (int pass = 0; pass < 2; ++pass) {
    local_from_.assign(nunits, {});
    for (std::size_t ui = 0; ui < nunits; ++ui) {
      const CodeUnit& u = prog_.units[ui];
      std::vector<bool>& lf = local_from_[ui];
      lf.assign(u.code.size(), true);
      // local_from[pc] = local(pc) && local_from[every successor of pc]: iterate to the
      // greatest fixpoint (bodies are small; loops converge in a few sweeps).
      for (std::size_t pc = 0; pc < u.code.size(); ++pc) {
        lf[pc] = request_local(u.code[pc], callbacks_local);
      }
      for (bool changed = true; changed;) {
        changed = false;
        for (std::size_t pc = u.code.size(); pc-- > 0;) {
          if (!lf[pc]) continue;
          const Instr& in = u.code[pc];
          bool ok = true;
          const bool falls = in.op != Op::Jump && in.op != Op::Return;
          const bool jumps = in.op == Op::Jump || in.op == Op::JumpIfZero ||
                             in.op == Op::JumpIfNonZero || in.op == Op::Nondet;
          if (falls && pc + 1 < u.code.size()) ok = ok && lf[pc + 1];
          if (jumps && in.target < u.code.size()) ok = ok && lf[in.target];
          if (!ok) {
            lf[pc] = false;
            changed = true;
          }
        }
      }
    }
    bool all = true;
    for (std::size_t ui = 0; ui < nunits; ++ui) {
      if (callback_unit[ui] && (local_from_[ui].empty() || !local_from_[ui][0])) all = false;
    }
    if (pass == 0 && all) break;  // consistent: the assumption holds
    callbacks_local = false;
  }
  fn_local_.assign(spec_.fns.size(), false);
  for (std::size_t f = 0; f < spec_.fns.size(); ++f) {
    const uint32_t ui = f < prog_.unit_of_fn.size() ? prog_.unit_of_fn[f] : ast::kNone;
    fn_local_[f] = ui != ast::kNone && !local_from_[ui].empty() && local_from_[ui][0];
  }
}

}  // namespace cc
