// The reference executor's APPC semantics (docs/semantics/appc.md): VCBs, verbs and their
// completion messages, the APPC calls (call_appc_api), the partner's answers (the "partner"
// environment event) and the APPC end-state checks.
#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "model/api.h"
#include "reference/ref_machine.h"

namespace cc {

void RefMachine::init_appc(const ast::Spec& spec) {
  conv_closed_.assign(spec.conversations.size(), false);
  for (const ast::ConstDecl& c : spec.consts) {
    if (c.name == reading::kSnaQuirkConst) sna_quirk_ = c.folded != 0;
  }
}

// ---- APPC environment (docs/semantics/appc.md) ----

void RefMachine::post_completion(int t, int32_t rc) {
  Task& tk = tasks_[static_cast<std::size_t>(t)];
  tk.state = TaskSt::Completed;
  tk.rc = rc;
  messages_.push_back(t);
  Vcb& v = vcbs_[static_cast<std::size_t>(tk.vcb)];
  if (v.state == VcbSt::Freed) {
    violation(RuleId::UseAfterFree,
              fmt::format("the completion of task#{} writes vcb#{} after it was freed", t + 1,
                          tk.vcb + 1));
  }
  v.rc = rc;
}

void RefMachine::env_partner(const std::string& tname) {
  for (std::size_t k = 0; k < tasks_.size(); ++k) {
    if (fmt::format("task#{}", k + 1) != tname) continue;
    Task& tk = tasks_[k];
    if (tk.state != TaskSt::Outstanding || tk.silent)
      throw BlockedSig{fmt::format("{} is not waiting for its partner", tname)};
    if (tk.conv >= 0 &&
        spec_->conversations[static_cast<std::size_t>(tk.conv)].partner_may_not_answer &&
        choose({"partner:answer", "partner:silent"}) == 1) {
      tk.silent = true;
      return;
    }
    post_completion(static_cast<int>(k), named("AP_OK"));
    return;
  }
  throw ReplayError{fmt::format("no verb named '{}'", tname)};
}

bool RefMachine::run_appc_env(const std::string& key) {
  if (auto p = key_rest(key, "partner ")) {
    env_partner(*p);
    return true;
  }
  return false;
}

void RefMachine::appc_candidate_events(std::set<std::string>& keys) const {
  for (std::size_t k = 0; k < tasks_.size(); ++k) {
    if (tasks_[k].state == TaskSt::Outstanding && !tasks_[k].silent)
      keys.insert(fmt::format("partner task#{}", k + 1));
  }
}

// ---- APPC calls (docs/semantics/appc.md) ----

Vcb& RefMachine::vcb_arg(const Val& v, ApiId api) {
  if (v.i <= 0 || static_cast<std::size_t>(v.i) > vcbs_.size())
    violation(RuleId::UseAfterFree, fmt::format("{} on a NULL VCB", api_name(api)));
  Vcb& b = vcbs_[static_cast<std::size_t>(v.i - 1)];
  if (b.state == VcbSt::Freed)
    violation(RuleId::UseAfterFree,
              fmt::format("{} on vcb#{} after it was freed", api_name(api), v.i));
  return b;
}

Val RefMachine::call_appc_api(ApiId id, std::vector<Val>& args) {
  if (id == ApiId::GetMessage) {
    gate_prepare();
    if (messages_.empty()) throw BlockedSig{"GetMessage: no completion message is queued"};
    gate_consume();
  } else {
    visible();
  }
  record(id);
  switch (id) {
    case ApiId::vcb_alloc:
      if (vcbs_.size() >= reading::kVcbPool) throw RefUnsupported("vcb_alloc beyond the VCB pool");
      vcbs_.emplace_back();
      return result(id, static_cast<int32_t>(vcbs_.size()));
    case ApiId::vcb_free:
      vcb_arg(args[0], id).state = VcbSt::Freed;
      return Val{};
    case ApiId::vcb_primary_rc: {
      Vcb& v = vcb_arg(args[0], id);
      if (v.task >= 0) {
        Task& tk = tasks_[static_cast<std::size_t>(v.task)];
        if (tk.state == TaskSt::Outstanding) {
          violation(RuleId::UseAfterReuse,
                    fmt::format("return code of vcb#{} read while task#{} is outstanding",
                                args[0].i, v.task + 1));
        }
      }
      return result(id, v.rc);
    }
    case ApiId::WinAsyncAPPC: {
      Vcb& v = vcb_arg(args[0], id);
      auto verb = static_cast<int32_t>(args[1].i);
      auto named_is = [&](int32_t x, std::initializer_list<const char*> names) {
        for (const char* n : names) {
          if (named(n) == x) return true;
        }
        return false;
      };
      // A verb of the transaction program (not of a conversation) may name none.
      const int conv = args.size() >= 3 ? static_cast<int>(args[2].i) : -1;
      if (conv < 0 && !named_is(verb, {"TP_STARTED", "TP_ENDED", "RECEIVE_ALLOCATE"}))
        violation(RuleId::ApiMisuse, "WinAsyncAPPC of a conversation verb names no conversation");
      int32_t fail = 0;  // reading::kVerbFailsThroughItsMessage
      if (conv >= 0 && conv_closed_[static_cast<std::size_t>(conv)])
        fail = named("AP_CONV_FAILURE_NO_RETRY");
      for (const Task& tk : tasks_) {
        if (conv < 0 || fail != 0 || tk.state != TaskSt::Outstanding || tk.conv != conv) continue;
        bool receive =
            named_is(tk.verb, {"RECEIVE_AND_WAIT", "RECEIVE_AND_POST", "MC_RECEIVE_AND_WAIT"});
        bool allowed = named_is(verb, {"DEALLOCATE", "GET_ATTRIBUTES", "GET_TYPE",
                                       "REQUEST_TO_SEND", "SEND_ERROR", "TEST_RTS", "TP_ENDED"});
        if (!(receive && allowed)) fail = named("AP_CONV_BUSY");
      }
      if (tasks_.size() >= reading::kTaskPool)
        throw RefUnsupported("WinAsyncAPPC beyond the verb pool");
      Task tk;
      tk.vcb = static_cast<int>(args[0].i) - 1;
      tk.conv = conv;
      tk.verb = verb;
      tasks_.push_back(tk);
      v.task = static_cast<int>(tasks_.size() - 1);
      if (fail != 0 && reading::kVerbFailsThroughItsMessage)
        post_completion(static_cast<int>(tasks_.size() - 1), fail);
      return result(id, static_cast<int32_t>(tasks_.size()));
    }
    case ApiId::WinAPPCCancelAsyncRequest: {
      auto t = static_cast<int32_t>(args[0].i);
      if (t <= 0 || static_cast<std::size_t>(t) > tasks_.size())
        return result(id, named("WAPPCINVALID"));
      Task& tk = tasks_[static_cast<std::size_t>(t - 1)];
      if (tk.state != TaskSt::Outstanding) {
        if (sna_quirk_ && choose({"cancel:already", "cancel:invalid"}) == 1)
          return result(id, named("WAPPCINVALID"));
        return result(id, named("WAPPCALREADY"));
      }
      // A conversation verb closes its conversation; a TP verb ends the TP: all of them.
      const int conv = tk.conv;
      for (std::size_t c = 0; c < conv_closed_.size(); ++c) {
        if (conv < 0 || static_cast<int>(c) == conv) conv_closed_[c] = true;
      }
      for (std::size_t k = 0; k < tasks_.size(); ++k) {
        if (tasks_[k].state == TaskSt::Outstanding && (conv < 0 || tasks_[k].conv == conv))
          post_completion(static_cast<int>(k), named("AP_CANCELED"));
      }
      return result(id, 0);
    }
    case ApiId::GetMessage: {
      int t = messages_.front();
      messages_.pop_front();
      Task& tk = tasks_[static_cast<std::size_t>(t)];
      tk.state = TaskSt::Reaped;
      if (vcbs_[static_cast<std::size_t>(tk.vcb)].state == VcbSt::Freed) {
        violation(
            RuleId::UseAfterFree,
            fmt::format("message of task#{} handled after vcb#{} was freed", t + 1, tk.vcb + 1));
      }
      return result(id, t + 1);
    }
    default:
      break;
  }
  not_executed(id);
}

// ---- APPC end states ----

RefEndFinding RefMachine::appc_message_wait_finding(const std::string& key) const {
  bool closed = std::find(conv_closed_.begin(), conv_closed_.end(), true) != conv_closed_.end();
  if (closed) {
    return RefEndFinding{RuleId::LostCancel,
                         fmt::format("{} waits forever: a cancel closed its conversation", key)};
  }
  return RefEndFinding{RuleId::NeverCompleted,
                       fmt::format("{} waits forever for a completion message", key)};
}

std::optional<RefEndFinding> RefMachine::appc_end_check() const {
  for (std::size_t k = 0; k < tasks_.size(); ++k) {
    if (tasks_[k].state == TaskSt::Outstanding)
      return RefEndFinding{RuleId::NeverCompleted, fmt::format("task#{} never completes", k + 1)};
  }
  return std::nullopt;
}

void RefMachine::describe_appc(std::ostringstream& o) const {
  static const char* tstates[] = {"outstanding", "completed", "reaped"};
  for (std::size_t k = 0; k < tasks_.size(); ++k) {
    const Task& t = tasks_[k];
    o << fmt::format("  task#{}: {} vcb#{} conv={} rc={}{}\n", k + 1,
                     tstates[static_cast<int>(t.state)], t.vcb + 1, t.conv, t.rc,
                     t.silent ? " silent" : "");
  }
  for (std::size_t k = 0; k < vcbs_.size(); ++k) {
    o << fmt::format("  vcb#{}: {} rc={}\n", k + 1,
                     vcbs_[k].state == VcbSt::Freed ? "freed" : "allocated", vcbs_[k].rc);
  }
}

}  // namespace cc
