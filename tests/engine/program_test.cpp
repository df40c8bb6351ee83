// Lowering to three-address code: which instructions are visible steps, and liveness.
#include <gtest/gtest.h>

#include "engine/program.h"
#include "model/frontend.h"
#include "tests/app/run_tool.h"

namespace cc {
namespace {

std::unique_ptr<ast::Spec> load(SourceManager& sm, const std::string& text) {
  Diagnostics diags;
  auto spec = load_spec(sm, test::temp_file(text), {}, diags);
  EXPECT_TRUE(spec != nullptr);
  return spec;
}

const CodeUnit& unit(const Program& p, const std::string& name) {
  for (const CodeUnit& u : p.units) {
    if (u.name == name) return u;
  }
  throw std::runtime_error("no unit " + name);
}

TEST(Program, OnlySharedAccessesAndApiCallsAreVisible) {
  SourceManager sm;
  auto spec = load(sm,
                   "global int g = 0;\ncontext { int n; }\n"
                   "fn F(request r) { int x = 1; int y = x * 2 + 3; g = y; r->n = g; "
                   "WdfRequestComplete(r, STATUS_SUCCESS); }\nenvironment { }\n");
  ASSERT_TRUE(spec);
  Program p;
  ASSERT_EQ(compile_program(*spec, 1, p), "");
  const CodeUnit& f = unit(p, "F");
  std::vector<Op> visible;
  for (uint32_t pc = 0; pc < f.code.size(); ++pc) {
    if (f.visible(pc)) visible.push_back(f.code[pc].op);
  }
  // g = y (store), read g, r->n = ... (store), WdfRequestComplete.
  EXPECT_EQ(visible, (std::vector<Op>{Op::Store, Op::Load, Op::Store, Op::Api}));
  EXPECT_EQ(f.code.back().op, Op::Return);
}

TEST(Program, HelpersAreInlinedAndNestedCallsSplit) {
  SourceManager sm;
  auto spec = load(sm,
                   "fn Done(request r) { WdfRequestComplete(r, WdfRequestGetStatus(r)); }\n"
                   "fn F(request r) { Done(r); }\nenvironment { }\n");
  ASSERT_TRUE(spec);
  Program p;
  ASSERT_EQ(compile_program(*spec, 1, p), "");
  const CodeUnit& f = unit(p, "F");
  std::vector<ApiId> apis;
  for (const Instr& in : f.code) {
    if (in.op == Op::Api) apis.push_back(in.api());
  }
  EXPECT_EQ(apis, (std::vector<ApiId>{ApiId::WdfRequestGetStatus, ApiId::WdfRequestComplete}));
}

TEST(Program, TemporariesAreDeadAtTheNextStep) {
  SourceManager sm;
  auto spec = load(sm,
                   "global int g = 0;\n"
                   "fn F(request r) { int keep = 5; g = 1 + 2; g = keep; }\nenvironment { }\n");
  ASSERT_TRUE(spec);
  Program p;
  ASSERT_EQ(compile_program(*spec, 1, p), "");
  const CodeUnit& f = unit(p, "F");
  uint32_t second_store = 0;
  int stores = 0;
  for (uint32_t pc = 0; pc < f.code.size(); ++pc) {
    if (f.code[pc].op == Op::Store && ++stores == 2) second_store = pc;
  }
  ASSERT_EQ(stores, 2);
  // At the second store only `keep` (read there) is live; the sum's temporaries are dead.
  uint32_t live = 0;
  for (uint32_t r = 0; r < f.reg_types.size(); ++r) live += f.live_at(second_store, r) ? 1 : 0;
  EXPECT_EQ(live, 1U);
  EXPECT_FALSE(f.live_at(0, 0)) << "the request parameter is never read";
}

TEST(Program, SymbolicDeclarationLowersToOneInstruction) {
  SourceManager sm;
  auto spec = load(sm, "fn F() { symbolic int<8> x; }\nthread T { F(); }\nenvironment { }\n");
  ASSERT_TRUE(spec);
  Program p;
  ASSERT_EQ(compile_program(*spec, 1, p), "");
  int found = 0;
  for (const CodeUnit& u : p.units) {
    for (const Instr& in : u.code) {
      if (in.op != Op::Symbolic) continue;
      ++found;
      EXPECT_EQ(in.imm, 8);
      EXPECT_EQ(u.reg_names[in.a.value], "x");
    }
  }
  EXPECT_GE(found, 1);
}

}  // namespace
}  // namespace cc
