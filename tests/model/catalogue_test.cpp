#include <gtest/gtest.h>

#include <set>
#include <string>

#include "model/api.h"
#include "model/rules.h"

namespace cc {
namespace {

// Ids are dense and in order.
TEST(RuleCatalogue, IdsAreDenseAndUnique) {
  ASSERT_EQ(all_rules().size(), 17U);
  std::set<std::string_view> ids;
  for (std::size_t i = 0; i < all_rules().size(); ++i) {
    const RuleInfo& r = all_rules()[i];
    EXPECT_EQ(static_cast<std::size_t>(r.rule), i);
    const std::size_t n = i + 1;
    EXPECT_EQ(r.id, std::string("CR0") + (n < 10 ? "0" : "") + std::to_string(n));
    EXPECT_FALSE(r.name.empty());
    EXPECT_FALSE(r.brief.empty());
    EXPECT_FALSE(r.full.empty());
    EXPECT_TRUE(ids.insert(r.id).second);
  }
}

TEST(RuleCatalogue, LookupByIdNameAndAlias) {
  EXPECT_EQ(find_rule("CR001"), RuleId::DoubleCompletion);
  EXPECT_EQ(find_rule("cr006"), RuleId::CompleteWhileCancelable);
  EXPECT_EQ(find_rule("lost-cancel"), RuleId::LostCancel);
  EXPECT_EQ(find_rule("StopAckWithinEvtIoStop"), RuleId::ApiMisuse);
  EXPECT_EQ(find_rule(" DrvAckIoStop "), RuleId::StopNotAcknowledged);
  EXPECT_EQ(find_rule("NdisFilterTimedPauseComplete"), RuleId::PauseCompletion);
  EXPECT_EQ(find_rule("send-while-paused"), RuleId::SendWhilePaused);
  EXPECT_EQ(find_rule("CR016"), RuleId::SendWhilePaused);
  EXPECT_EQ(find_rule("CR014"), RuleId::Starvation);
  EXPECT_EQ(find_rule("starvation"), RuleId::Starvation);
  EXPECT_EQ(find_rule("CR017"), RuleId::WrongIrql);
  EXPECT_EQ(find_rule("ReqSendWhileSpinlock"), RuleId::WrongIrql);
  EXPECT_FALSE(find_rule("CR018").has_value());
  EXPECT_FALSE(find_rule("").has_value());
}

TEST(ApiTable, SignaturesMatchTheDesign) {
  auto send = find_api("WdfRequestSend");
  ASSERT_TRUE(send.has_value());
  const ApiInfo& s = api_info(*send);
  EXPECT_EQ(s.result, TypeKind::Bool);
  ASSERT_EQ(s.params.size(), 3U);  // the WDF_REQUEST_SEND_OPTIONS flags are optional
  EXPECT_EQ(s.min_args, 2);
  EXPECT_EQ(s.params[0], TypeKind::Request);
  EXPECT_EQ(s.params[1], TypeKind::Target);
  EXPECT_EQ(s.params[2], TypeKind::Int);
  const ApiInfo& reuse = api_info(ApiId::WdfRequestReuse);
  EXPECT_EQ(reuse.min_args, 1);
  EXPECT_EQ(reuse.params.size(), 3U);  // flags and ReuseParams->Status are optional
  EXPECT_EQ(reuse.params[2], TypeKind::Status);
  EXPECT_EQ(api_info(ApiId::NdisGeneratePartialCancelId).params.size(), 0U);
  EXPECT_EQ(api_info(ApiId::WinAPPCCancelAsyncRequest).domain, ApiDomain::Appc);
  EXPECT_FALSE(find_api("WdfRequestCompelte").has_value());
  for (const ApiInfo& a : all_apis()) EXPECT_LE(a.min_args, a.params.size()) << a.name;
}

// Callers (CC_API_CALLER in model/api.def): only NDIS calls belong to one driver role, and the
// NdisF / NdisM / protocol send and cancel calls each name theirs.
TEST(ApiTable, DriverRoleCallsNameTheirRole) {
  std::size_t with_role = 0;
  for (const ApiInfo& a : all_apis()) {
    if (api_caller(a.id) == ApiCaller::Any) continue;
    ++with_role;
    EXPECT_EQ(a.domain, ApiDomain::Ndis) << a.name;
  }
  EXPECT_EQ(with_role, 7U);
  EXPECT_EQ(api_caller(ApiId::NdisFSendNetBufferLists), ApiCaller::Filter);
  EXPECT_EQ(api_caller(ApiId::NdisFPauseComplete), ApiCaller::Filter);
  EXPECT_EQ(api_caller(ApiId::NdisCancelSendNetBufferLists), ApiCaller::Protocol);
  EXPECT_EQ(api_caller(ApiId::NdisMSendNetBufferListsComplete), ApiCaller::Miniport);
  EXPECT_EQ(api_caller(ApiId::NdisAllocateNetBufferList), ApiCaller::Any);
  EXPECT_EQ(api_caller(ApiId::WdfRequestComplete), ApiCaller::Any);
}

// Footprints (model/api.def): a call marked as touching only its own request takes that
// request first, is a KMDF call, and the calls that move a request between queues, create or
// delete one, or touch any other object are Shared (a wrong footprint hides interleavings).
TEST(ApiTable, FootprintsAreConservative) {
  std::size_t own = 0;
  for (const ApiInfo& a : all_apis()) {
    if (a.footprint == ApiFootprint::Shared) continue;
    ++own;
    SCOPED_TRACE(std::string(a.name));
    EXPECT_EQ(a.domain, ApiDomain::Kmdf);
    ASSERT_FALSE(a.params.empty());
    EXPECT_EQ(a.params[0], TypeKind::Request);
    for (std::size_t i = 1; i < a.params.size(); ++i) {
      const TypeKind p = a.params[i];
      // The one request-typed argument allowed is a completion routine's context: the call
      // only stores the handle in its own request (handle_escapes keeps both out of a
      // component while it names another request).
      const bool context =
          a.id == ApiId::WdfRequestSetCompletionRoutine && i == 2 && p == TypeKind::Request;
      EXPECT_TRUE(p == TypeKind::Status || p == TypeKind::Int || p == TypeKind::Bool ||
                  p == TypeKind::Target || p == TypeKind::Fn || context);
      // A callback argument is registered on the request: the footprint must say so.
      if (p == TypeKind::Fn) {
        EXPECT_EQ(a.footprint, ApiFootprint::OwnRequestCallback);
      }
    }
  }
  EXPECT_EQ(own, 15U);  // ... and WdfRequestGetFileObject, which reads its request only
  for (const char* shared :
       {"WdfRequestForwardToIoQueue", "WdfRequestRequeue", "WdfRequestReuse",
        "WdfRequestStopAcknowledge", "WdfIoQueueRetrieveNextRequest", "WdfRequestCreate",
        "WdfObjectDelete", "KeSetEvent", "WdfSpinLockAcquire", "WdfTimerStart", "push"}) {
    EXPECT_EQ(api_info(*find_api(shared)).footprint, ApiFootprint::Shared) << shared;
  }
}

TEST(ApiTable, Constants) {
  const ConstantInfo* c = find_constant("STATUS_CANCELLED");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->type, TypeKind::Status);
  EXPECT_EQ(static_cast<uint32_t>(c->value), 0xC0000120U);
  EXPECT_EQ(constant_name(TypeKind::Status, c->value), "STATUS_CANCELLED");
  EXPECT_EQ(find_constant("WAPPCALREADY")->value, 0xF000);
  EXPECT_EQ(find_constant("nonsense"), nullptr);
}

}  // namespace
}  // namespace cc
