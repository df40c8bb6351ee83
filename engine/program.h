// The compiled program: every callback, thread and timer function of a checked spec lowered
// to three-address instructions over per-activity registers, helpers inlined. Instructions
// that touch shared state (API calls, globals, context fields, global lists) are *visible*:
// each is one atomic step of the transition system; the rest is local and merged into the
// step before it (spec-language.md, "Granularity").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/api.h"
#include "model/ast.h"
#include "model/source.h"
#include "model/types.h"

namespace cc {

/// Index of a register in an activity's frame.
struct Reg {
  uint16_t value = 0;
  friend bool operator==(Reg, Reg) = default;
};

/// Instruction opcodes.
enum class Op : uint8_t {
  Const,          ///< r[a] = imm
  Move,           ///< r[a] = r[b]
  Unary,          ///< r[a] = sub(UnaryOp) r[b]
  Binary,         ///< r[a] = r[b] sub(BinaryOp) r[c]; imm = 1: == / != compare handle identity
  NtSuccess,      ///< r[a] = r[b] >= 0
  CreatedRef,     ///< r[a] = current handle of created request imm
  Jump,           ///< pc = target
  JumpIfZero,     ///< if r[a] == 0: pc = target
  JumpIfNonZero,  ///< if r[a] != 0: pc = target
  Nondet,         ///< nondeterministic: fall through or jump to target
  Assert,         ///< r[a] must be non-zero (CR013)
  Assume,         ///< prune the execution when r[a] == 0
  AtomicBegin,    ///< start of `atomic { }`
  AtomicEnd,      ///< end of `atomic { }`
  Load,           ///< r[a] = *loc (visible when loc is shared)
  Store,          ///< *loc = r[b] (visible when loc is shared)
  Api,            ///< r[a] = api(args...) (visible); loc is the out-parameter, if any
  Interlocked,    ///< r[a] = Interlocked<api>(&loc, args...) (visible when loc is shared)
  ListPush,       ///< push(loc, r[b])
  ListPop,        ///< r[a] = pop(loc)
  ListRemove,     ///< r[a] = remove(loc, r[b])
  ListEmpty,      ///< r[a] = empty(loc)
  ListGet,        ///< r[a] = loc[r[b]] or NULL, r[c] = (r[b] < count)
  Return,         ///< the activity finishes (sub 1: with the value in register a)
  Symbolic,       ///< r[a] = a fresh symbolic value of imm bits (`symbolic int<imm> x;`)
  Convert,  ///< sub 0: uintptr r[a] = int r[b] (sign-extended, masked); 1: int r[a] = low 32 of
            ///< r[b]
};

/// Where a Load/Store/list/Interlocked operand lives.
enum class LocKind : uint8_t {
  None,
  Reg,     ///< register index (a local; list locals occupy 1 + capacity registers)
  Global,  ///< Spec::globals index
  Field,   ///< context field index of the request whose handle is in register `base`
};

/// An lvalue.
struct Loc {
  LocKind kind = LocKind::None;
  uint32_t index = 0;  ///< register, global or field index
  Reg base;            ///< Field: register holding the request handle
  /// True when accessing it touches shared state (a step of its own).
  bool shared() const { return kind == LocKind::Global || kind == LocKind::Field; }
};

/// Convert's sub: which way a number changes width.
enum class Conversion : uint8_t { Widen, Narrow };

/// One instruction.
struct Instr {
  Op op = Op::Const;
  uint8_t sub = 0;  ///< UnaryOp / BinaryOp / ApiId
  /// Const/Move/Unary/Binary/Load/Store: the operands are `uintptr` register pairs (a
  /// comparison's result is still one word).
  bool wide = false;
  Reg a, b, c;
  int64_t imm = 0;          ///< Const value; CreatedRef request index
  uint32_t target = 0;      ///< jump target
  Loc loc;                  ///< Load/Store/Api out-parameter/Interlocked/list operand
  uint32_t args_begin = 0;  ///< Api/Interlocked: first argument in CodeUnit::args
  uint8_t nargs = 0;
  SourceRange src;  ///< the spec text this instruction comes from
  /// The API called (Api/Interlocked).
  ApiId api() const { return static_cast<ApiId>(sub); }
  /// True for the memory operations whose operand is `loc` (loads, stores, Interlocked, lists).
  bool accesses_loc() const {
    switch (op) {
      case Op::Load:
      case Op::Store:
      case Op::Interlocked:
      case Op::ListPush:
      case Op::ListPop:
      case Op::ListRemove:
      case Op::ListEmpty:
      case Op::ListGet:
        return true;
      default:
        return false;
    }
  }
};

/// A lowered function: a callback, a thread or a timer function.
struct CodeUnit {
  std::string name;              ///< the fn or thread name
  uint32_t fn = ast::kNone;      ///< Spec::fns index, or kNone for a thread
  uint32_t thread = ast::kNone;  ///< Spec::threads index
  std::vector<Instr> code;
  std::vector<Reg> args;               ///< argument registers of Api/Interlocked instructions
  std::vector<TypeKind> reg_types;     ///< static type of each register (Request for handles)
  std::vector<Reg> param_regs;         ///< the register of each parameter (a uintptr takes two)
  std::vector<std::string> reg_names;  ///< spec names ("" for temporaries)
  uint32_t param_count = 0;
  SourceRange range;
  /// Registers live on entry to each instruction: bit r of live[pc * live_words + r / 64].
  std::vector<uint64_t> live;
  uint32_t live_words = 0;
  /// True when the instruction at `pc` touches shared state.
  bool visible(uint32_t pc) const;
  /// True when register r may still be read on some path from `pc`.
  bool live_at(uint32_t pc, uint32_t r) const {
    return ((live[pc * live_words + r / 64] >> (r % 64)) & 1U) != 0;
  }
};

/// The whole lowered program.
struct Program {
  std::vector<CodeUnit> units;
  std::vector<uint32_t> unit_of_fn;      ///< Spec::fns index -> units index, or kNone
  std::vector<uint32_t> unit_of_thread;  ///< Spec::threads index -> units index
  uint32_t list_capacity = 0;            ///< elements a list can hold
  uint32_t max_regs = 0;                 ///< largest frame
};

/// Lowers every fn and thread (helpers called from them are inlined). `list_capacity` is the
/// most elements any list can hold. Returns an empty string, or why the spec uses something
/// the semantics cannot execute (the caller reports the spec as incomplete).
std::string compile_program(const ast::Spec& spec, uint32_t list_capacity, Program& out);

}  // namespace cc
