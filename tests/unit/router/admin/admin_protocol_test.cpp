// The admin operations table and its dispatcher, without a socket.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "router/admin/admin_protocol.hpp"

namespace acc::router {
namespace {

using nlohmann::json;

TEST(AdminOps, TableIsInEnumOrderWithUniqueNamesAndHelp) {
  std::set<std::string_view> names;
  for (std::size_t i = 0; i < kAdminOps.size(); ++i) {
    const AdminOpSpec& s = kAdminOps[i];
    EXPECT_EQ(static_cast<std::size_t>(s.op), i) << s.name;
    EXPECT_TRUE(names.insert(s.name).second) << s.name;
    EXPECT_FALSE(s.help.empty()) << s.name;
    EXPECT_EQ(parse_admin_op(s.name), s.op);
    EXPECT_EQ(to_string(s.op), s.name);
  }
  EXPECT_FALSE(parse_admin_op("Purge"));
}

TEST(AdminOps, WhatChangesStateIsMarkedMutating) {
  for (const AdminOp op : {AdminOp::retry, AdminOp::purge, AdminOp::hold_assign,
                           AdminOp::hold_release, AdminOp::reload}) {
    EXPECT_TRUE(spec(op).mutating) << to_string(op);
  }
  for (const AdminOp op : {AdminOp::jobs, AdminOp::stats, AdminOp::decisions, AdminOp::hold_list,
                           AdminOp::worklist, AdminOp::status}) {
    EXPECT_FALSE(spec(op).mutating) << to_string(op);
  }
}

TEST(AdminOperations, DispatchesByOpAndAnswersEveryOtherRequest) {
  AdminOperations ops;
  ops.on(AdminOp::stats, [](const json&) { return json{{"ok", true}, {"stats", 1}}; });
  ops.on(AdminOp::hold_assign, [](const json& rq) {
    return json{{"ok", true}, {"study", rq.value("study", std::string())}};
  });
  EXPECT_EQ(ops.handle({{"op", "stats"}})["stats"], 1);
  EXPECT_EQ(ops.handle({{"op", "hold_assign"}, {"study", "1.2"}})["study"], "1.2");

  const auto error_of = [&ops](const json& rq) {
    const json reply = ops.handle(rq);
    EXPECT_FALSE(reply.value("ok", true)) << rq.dump();
    return reply.value("error", std::string());
  };
  EXPECT_EQ(error_of({{"op", "nonsense"}}), "unknown op 'nonsense'");
  EXPECT_EQ(error_of({{"op", "purge"}}), "op 'purge' is not available here");
  EXPECT_NE(error_of(json::array()).find("JSON object"), std::string::npos);
  EXPECT_NE(error_of({{"op", 5}}).find("string \"op\""), std::string::npos);
  // A field of the wrong type makes json::value() throw inside the handler: answered, not thrown.
  EXPECT_NE(error_of({{"op", "hold_assign"}, {"study", 5}}).find("malformed request"),
            std::string::npos);
}

}  // namespace
}  // namespace acc::router
