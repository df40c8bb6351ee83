// The only translation unit that includes z3++.h.
#include "checker/z3_adapter.h"

#include <z3++.h>

#include <algorithm>
#include <chrono>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "engine/sym_cancel_id.h"

namespace cc {

std::string z3_version() {
  unsigned major = 0, minor = 0, build = 0, revision = 0;
  Z3_get_version(&major, &minor, &build, &revision);
  return fmt::format("{}.{}.{}", major, minor, build);
}

class SymSolver::Impl {
 public:
  /// Runs one query on a fresh Z3 solver; updates the call counters in `stats`.
  SatAnswer run(const SymPool& pool, const PathCondition& pc, bool want_model,
                const SolverOptions& opts, SolverStats& stats);

 private:
  using Memo = std::unordered_map<uint32_t, z3::expr>;
  z3::expr translate(const SymPool& pool, SymTermId root, Memo& memo);
  z3::check_result timed_check(z3::solver& s, z3::expr_vector* assumptions, SolverStats& stats);

  z3::context ctx_;
};

z3::check_result SymSolver::Impl::timed_check(z3::solver& s, z3::expr_vector* assumptions,
                                              SolverStats& stats) {
  const auto t0 = std::chrono::steady_clock::now();
  ++stats.solver_calls;
  struct AddTime {
    std::chrono::steady_clock::time_point t0;
    SolverStats& stats;
    ~AddTime() {
      stats.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    }
  } add_time{t0, stats};
  return assumptions ? s.check(*assumptions) : s.check();
}

z3::expr SymSolver::Impl::translate(const SymPool& pool, SymTermId root, Memo& memo) {
  struct Frame {
    SymTermId id;
    bool expanded;
  };
  std::vector<Frame> stack{{root, false}};
  while (!stack.empty()) {
    const Frame f = stack.back();
    stack.pop_back();
    if (memo.contains(f.id.value)) continue;
    const SymNode& n = pool.node(f.id);
    if (!f.expanded && n.arity > 0) {
      stack.push_back({f.id, true});
      for (unsigned i = n.arity; i-- > 0;) stack.push_back({n.kids[i], false});
      continue;
    }
    auto kid = [&](unsigned i) -> const z3::expr& { return memo.at(n.kids[i].value); };
    auto kid_width = [&](unsigned i) { return unsigned{pool.node(n.kids[i]).width}; };
    std::optional<z3::expr> e;
    switch (n.op) {
      case SymOp::BoolConst:
        e = ctx_.bool_val(n.value != 0);
        break;
      case SymOp::Const:
        e = ctx_.bv_val(static_cast<uint64_t>(n.value), n.width);
        break;
      case SymOp::Var: {
        const SymVarInfo* info = pool.var_info(SymVarId{static_cast<uint32_t>(n.value)});
        const std::string name = fmt::format("{}#{}", info ? info->name : "v", n.value);
        e = ctx_.bv_const(name.c_str(), n.width);
        break;
      }
      case SymOp::Not:
        e = !kid(0);
        break;
      case SymOp::And:
        e = kid(0) && kid(1);
        break;
      case SymOp::Or:
        e = kid(0) || kid(1);
        break;
      case SymOp::BvNot:
        e = ~kid(0);
        break;
      case SymOp::BvNeg:
        e = -kid(0);
        break;
      case SymOp::BvAdd:
        e = kid(0) + kid(1);
        break;
      case SymOp::BvSub:
        e = kid(0) - kid(1);
        break;
      case SymOp::BvMul:
        e = kid(0) * kid(1);
        break;
      case SymOp::BvAnd:
        e = kid(0) & kid(1);
        break;
      case SymOp::BvOr:
        e = kid(0) | kid(1);
        break;
      case SymOp::BvXor:
        e = kid(0) ^ kid(1);
        break;
      case SymOp::BvShl:
        e = z3::shl(kid(0), kid(1));
        break;
      case SymOp::BvLshr:
        e = z3::lshr(kid(0), kid(1));
        break;
      case SymOp::BvAshr:
        e = z3::ashr(kid(0), kid(1));
        break;
      case SymOp::Eq:
        e = kid(0) == kid(1);
        break;
      case SymOp::Ult:
        e = z3::ult(kid(0), kid(1));
        break;
      case SymOp::Ule:
        e = z3::ule(kid(0), kid(1));
        break;
      case SymOp::Slt:
        e = z3::slt(kid(0), kid(1));
        break;
      case SymOp::Sle:
        e = z3::sle(kid(0), kid(1));
        break;
      case SymOp::Ite:
        e = z3::ite(kid(0), kid(1), kid(2));
        break;
      case SymOp::ZeroExt:
        e = z3::zext(kid(0), n.width - kid_width(0));
        break;
      case SymOp::SignExt:
        e = z3::sext(kid(0), n.width - kid_width(0));
        break;
      case SymOp::Extract:
        e = kid(0).extract(static_cast<unsigned>(n.value) + n.width - 1,
                           static_cast<unsigned>(n.value));
        break;
    }
    memo.emplace(f.id.value, *e);
  }
  return memo.at(root.value);
}

SatAnswer SymSolver::Impl::run(const SymPool& pool, const PathCondition& pc, bool want_model,
                               const SolverOptions& opts, SolverStats& stats) {
  SatAnswer out;
  try {
    z3::solver s(ctx_);
    z3::params p(ctx_);
    if (opts.timeout_ms != 0) p.set("timeout", opts.timeout_ms);
    if (opts.rlimit != 0) p.set("rlimit", opts.rlimit);
    s.set(p);
    Memo memo;
    for (const SymTermId c : pc.conjuncts()) s.add(translate(pool, c, memo));
    const z3::check_result r = timed_check(s, nullptr, stats);
    if (r == z3::unsat) {
      out.kind = SatKind::Unsat;
      return out;
    }
    if (r == z3::unknown) {
      out.kind = SatKind::Unknown;
      out.reason = fmt::format("Z3 gave up: {}", s.reason_unknown());
      return out;
    }
    out.kind = SatKind::Sat;
    if (!want_model) return out;

    std::vector<SymVarId> vars;
    for (const SymTermId c : pc.conjuncts()) {
      const std::vector<SymVarId> vs = pool.vars_of(c);
      vars.insert(vars.end(), vs.begin(), vs.end());
    }
    std::sort(vars.begin(), vars.end());
    vars.erase(std::unique(vars.begin(), vars.end()), vars.end());

    z3::model m = s.get_model();
    auto value_of = [&](const z3::expr& v) { return m.eval(v, true).get_numeral_uint64(); };
    bool canonical = opts.canonical_models;
    // Lexicographic minimum: variables in id order, each from its most significant bit down.
    // A bit the current model already has at 0 is fixed without a query.
    for (std::size_t vi = 0; canonical && vi < vars.size(); ++vi) {
      const SymVarInfo* info = pool.var_info(vars[vi]);
      const z3::expr& v = memo.at(info->term.value);
      for (unsigned k = info->width; k-- > 0;) {
        const z3::expr bit = v.extract(k, k);
        const z3::expr zero = bit == ctx_.bv_val(0, 1);
        if (((value_of(v) >> k) & 1U) == 0) {
          s.add(zero);
          continue;
        }
        z3::expr_vector assumptions(ctx_);
        assumptions.push_back(zero);
        const z3::check_result rb = timed_check(s, &assumptions, stats);
        if (rb == z3::sat) {
          m = s.get_model();  // before add(): adding a constraint drops the solver's model
          s.add(zero);
        } else if (rb == z3::unsat) {
          s.add(bit == ctx_.bv_val(1, 1));
        } else {
          canonical = false;  // keep the last model found: it satisfies pc
          break;
        }
      }
    }
    Assignment a;
    for (const SymVarId id : vars) {
      a.set(id, value_of(memo.at(pool.var_info(id)->term.value)));
    }
    out.model = std::move(a);
    out.model_canonical = canonical;
    return out;
  } catch (const z3::exception& e) {
    SatAnswer err;
    err.kind = SatKind::Unknown;
    err.reason = fmt::format("Z3 error: {}", e.msg());
    return err;
  }
}

SymSolver::SymSolver(SolverOptions opts, std::shared_ptr<SymCache> cache)
    : opts_(opts),
      cache_(cache ? std::move(cache) : std::make_shared<SymCache>()),
      impl_(std::make_unique<Impl>()) {}

SymSolver::~SymSolver() = default;

SatAnswer SymSolver::query(const SymPool& pool, const PathCondition& pc, bool want_model) {
  SatAnswer out;
  if (pc.is_false()) {
    ++stats_.trivial;
    out.kind = SatKind::Unsat;
    return out;
  }
  if (pc.is_true()) {
    ++stats_.trivial;
    out.kind = SatKind::Sat;
    if (want_model) {
      out.model = Assignment{};
      out.model_canonical = true;
    }
    return out;
  }
  std::string key = pc.canonical_bytes(pool);
  if (std::optional<SatAnswer> hit = cache_->find(pc.hash(), key)) {
    if (!want_model || hit->kind != SatKind::Sat || hit->model) {
      ++stats_.cached;
      if (!want_model) {
        hit->model.reset();
        hit->model_canonical = false;
      }
      return *hit;
    }
  }
  ++stats_.queries;
  out = impl_->run(pool, pc, want_model, opts_, stats_);
  cache_->store(pc.hash(), std::move(key), out);
  return out;
}

SatAnswer SymSolver::check(const SymPool& pool, const PathCondition& pc) {
  return query(pool, pc, false);
}

SatAnswer SymSolver::solve(const SymPool& pool, const PathCondition& pc) {
  return query(pool, pc, true);
}

BranchAnswer SymSolver::branch(SymPool& pool, const PathCondition& pc, SymTermId c) {
  if (!pool.is_bool(c)) throw SymError("branch condition is not a Bool");
  BranchAnswer out{pc, pc, {}, {}};
  out.then_pc.add(pool, c);
  out.else_pc.add(pool, pool.mk_not(c));
  out.then_answer = check(pool, out.then_pc);
  out.else_answer = check(pool, out.else_pc);
  return out;
}

SatAnswer SymSolver::find_violation(SymPool& pool, const PathCondition& pc, SymTermId e) {
  if (!pool.is_bool(e)) throw SymError("assertion is not a Bool");
  PathCondition q = pc;
  q.add(pool, pool.mk_not(e));
  return solve(pool, q);
}

ValidityAnswer SymSolver::check_valid(SymPool& pool, const PathCondition& pc, SymTermId e) {
  SatAnswer v = find_violation(pool, pc, e);
  ValidityAnswer out;
  switch (v.kind) {
    case SatKind::Unsat:
      out.kind = Validity::Valid;
      break;
    case SatKind::Sat:
      out.kind = Validity::Invalid;
      out.counterexample = std::move(v.model);
      out.counterexample_canonical = v.model_canonical;
      break;
    case SatKind::Unknown:
      out.kind = Validity::Unknown;
      out.reason = std::move(v.reason);
      break;
  }
  return out;
}

CollisionAnswer SymSolver::check_cancel_id_collision(SymPool& pool, const PathCondition& pc,
                                                     SymTermId cancel_id, unsigned width,
                                                     std::span<const SymTermId> own,
                                                     std::span<const SymTermId> others) {
  const CancelIdCollisionTerms terms =
      cancel_id_collision_terms(pool, cancel_id, width, own, others);
  PathCondition q = pc;
  q.add(pool, terms.distinct);
  q.add(pool, terms.collision);
  SatAnswer a = solve(pool, q);
  CollisionAnswer out;
  out.kind = a.kind;
  out.reason = std::move(a.reason);
  if (a.kind == SatKind::Sat && a.model) {
    for (std::size_t i = 0; i < terms.per_driver.size(); ++i) {
      if (sym_evaluate(pool, terms.per_driver[i], *a.model) != 0) {
        out.other = i;
        break;
      }
    }
    out.model = std::move(a.model);
  }
  return out;
}

void SymSolver::add_to(Stats& s) const {
  s.z3_queries += stats_.queries;
  s.z3_cached += stats_.cached;
  s.z3_seconds += stats_.seconds;
}

namespace {

SymDecision decision(SatAnswer a) {
  SymDecision d;
  d.kind = a.kind == SatKind::Sat     ? SymSat::Sat
           : a.kind == SatKind::Unsat ? SymSat::Unsat
                                      : SymSat::Unknown;
  d.reason = std::move(a.reason);
  d.model = std::move(a.model);
  return d;
}

}  // namespace

SymDecision SolverDecider::check(const SymPool& pool, const PathCondition& pc) {
  return decision(solver_.check(pool, pc));
}

SymDecision SolverDecider::solve(const SymPool& pool, const PathCondition& pc) {
  return decision(solver_.solve(pool, pc));
}

}  // namespace cc
