// cdc-gateway in front of cdc-community: real cdc-community, -comments,
// -consultations and -members on loopback over a real Redis, the real
// gateway and HTTP server called by a real HTTP client, and the real gRPC
// front called with the generated stubs, as the web UI, curl and partner
// systems call them.
#include <grpcpp/grpcpp.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/community/community_test_support.h"
#include "services/gateway/gateway_stack_test_support.h"
#include "services/gateway/rate_limiter.h"
#include "services/gateway/route_table.h"

namespace cdc::gateway {
namespace {

namespace http = boost::beast::http;
using ::cdc::testing::IsOk;
using ::testing::AllOf;
using ::testing::HasSubstr;
using testing::HttpReply;
using ::testing::Not;
using ::testing::SizeIs;

class GatewayCommunityTest : public community::testing::CommunityServerTest {
 protected:
  void SetUp() override {
    CommunityServerTest::SetUp();
    if (HasFatalFailure()) return;
    limiter_ = std::make_unique<RateLimiter>(
        &redis(), RateLimiter::Options{.per_token_per_minute = 0,
                                       .per_address_per_minute = 0});
    testing::GatewayStack::Options options;
    options.backends = {
        {"cdc.v1.MembersService", host_->address()},
        {"cdc.v1.ConsultationsService", host_c_->address()},
        {"cdc.v1.CommentsService", host_k_->address()},
        {"cdc.v1.CommunityService", host_cm_->address()},
    };
    options.limiter = limiter_.get();
    options.grpc_front = true;
    auto stack = testing::GatewayStack::Start(std::move(options));
    ASSERT_THAT(stack, IsOk());
    stack_ = std::move(*stack);
    front_stub_ = v1::CommunityService::NewStub(stack_->front_channel());
  }

  void TearDown() override {
    stack_.reset();
    CommunityServerTest::TearDown();
  }

  HttpReply Call(http::verb verb, const std::string& target,
                 const std::string& body = "", const std::string& token = "") {
    return stack_->Http(verb, target, body, token);
  }

  // Registers an initiative over HTTP as `token`; returns its name, or ""
  // after recording the failure.
  std::string Register(const std::string& token, const std::string& name,
                       const std::string& country) {
    HttpReply reply = Call(http::verb::post, "/v1/initiatives",
                           absl::StrCat(R"({"displayName": ")", name, R"(",
          "leadOrganisation": "Water Watch",
          "leadOrganisationType": "ORGANISATION_TYPE_CIVIL_SOCIETY",
          "countries": [")",
                                        country, R"("], "participationLevel":
          "PARTICIPATION_LEVEL_ENGAGING", "status": "ACTIVE",
          "sdgGoals": [6]})"),
                           token);
    EXPECT_EQ(reply.status, 200) << reply.body;
    const size_t at = reply.body.find("\"name\":\"initiatives/");
    if (at == std::string::npos) return "";
    const size_t start = at + 8, end = reply.body.find('"', start);
    return reply.body.substr(start, end - start);
  }

  std::unique_ptr<RateLimiter> limiter_;
  std::unique_ptr<testing::GatewayStack> stack_;
  std::unique_ptr<v1::CommunityService::Stub> front_stub_;
};

TEST_F(GatewayCommunityTest, SpacesAndTopicsWorkOverHttpJson) {
  HttpReply space = Call(http::verb::post, "/v1/spaces?space_id=gaps",
                         R"({"title": "Methodological gaps",
                             "visibility": "OPEN"})",
                         secretariat_token_);
  ASSERT_EQ(space.status, 200) << space.body;
  EXPECT_THAT(space.body, HasSubstr("\"name\":\"spaces/gaps\""));
  // A member may not create spaces: the service's answer, mapped.
  EXPECT_EQ(
      Call(http::verb::post, "/v1/spaces", R"({"title": "Mine"})", member_)
          .status,
      403);

  HttpReply joined =
      Call(http::verb::post, "/v1/spaces/gaps:join", "{}", member_);
  ASSERT_EQ(joined.status, 200) << joined.body;
  EXPECT_THAT(joined.body, HasSubstr("\"callerIsMember\":true"));
  HttpReply topic =
      Call(http::verb::post, "/v1/spaces/gaps/topics?request_id=t-1",
           R"({"title": "Quality of citizen data",
                             "body": "Which dimensions apply?",
                             "tags": ["quality"]})",
           member_);
  ASSERT_EQ(topic.status, 200) << topic.body;
  EXPECT_THAT(topic.body, AllOf(HasSubstr("\"name\":\"spaces/gaps/topics/"),
                                HasSubstr("\"state\":\"OPEN\"")));
  HttpReply topics =
      Call(http::verb::get, "/v1/spaces/gaps/topics?tag=quality", "", other_);
  ASSERT_EQ(topics.status, 200) << topics.body;
  EXPECT_THAT(topics.body, HasSubstr("Quality of citizen data"));
  HttpReply closed = Call(http::verb::post, "/v1/spaces/gaps/topics/nope:close",
                          "{}", secretariat_token_);
  EXPECT_EQ(closed.status, 404) << closed.body;
}

TEST_F(GatewayCommunityTest, ResourcesAreFilteredByTheQuery) {
  const struct {
    const char* title;
    const char* type;
    const char* countries;
    const char* goals;
  } kResources[] = {
      {"Quality manual", "GUIDELINE", R"(["KEN"])", "[17]"},
      {"Consent toolkit", "TOOLKIT", R"(["KEN", "UGA"])", "[5, 16]"},
      {"Survey data", "DATASET", R"(["BRA"])", "[5]"},
  };
  for (const auto& r : kResources) {
    HttpReply created =
        Call(http::verb::post, "/v1/resources",
             absl::StrCat(R"({"title": ")", r.title,
                          R"(", "link": "https://example.org/r", "type": ")",
                          r.type, R"(", "countries": )", r.countries,
                          R"(, "sdgGoals": )", r.goals, "}"),
             member_);
    ASSERT_EQ(created.status, 200) << created.body;
  }
  HttpReply kenya =
      Call(http::verb::get, "/v1/resources?country=KEN", "", other_);
  ASSERT_EQ(kenya.status, 200) << kenya.body;
  EXPECT_THAT(kenya.body,
              AllOf(HasSubstr("Quality manual"), HasSubstr("Consent toolkit"),
                    Not(HasSubstr("Survey data"))));
  HttpReply goal_five = Call(
      http::verb::get, "/v1/resources?sdg_goal=5&type=TOOLKIT", "", other_);
  ASSERT_EQ(goal_five.status, 200) << goal_five.body;
  EXPECT_THAT(goal_five.body,
              AllOf(HasSubstr("Consent toolkit"), Not(HasSubstr("Survey data")),
                    Not(HasSubstr("Quality manual"))));
  // A bad filter is the service's INVALID_ARGUMENT, as 400.
  HttpReply bad =
      Call(http::verb::get, "/v1/resources?country=XXX", "", other_);
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_THAT(bad.body, HasSubstr("country"));
}

TEST_F(GatewayCommunityTest, InitiativesExportAsJsonLines) {
  const std::string water = Register(member_, "Water points", "KEN");
  const std::string air = Register(member_, "Air quality", "UGA");
  const std::string pending = Register(other_, "Not yet reviewed", "BRA");
  ASSERT_FALSE(water.empty());
  ASSERT_FALSE(air.empty());
  for (const std::string& name : {water, air}) {
    HttpReply approved =
        Call(http::verb::post, absl::StrCat("/v1/", name, ":approve"),
             R"({"note": "Thank you."})", secretariat_token_);
    ASSERT_EQ(approved.status, 200) << approved.body;
    EXPECT_THAT(approved.body, HasSubstr("\"reviewState\":\"APPROVED\""));
  }

  HttpReply all = Call(http::verb::get, "/v1/initiatives:export", "", other_);
  ASSERT_EQ(all.status, 200) << all.body;
  EXPECT_EQ(all.headers["content-type"], "application/x-ndjson");
  std::vector<std::string> lines =
      absl::StrSplit(all.body, '\n', absl::SkipEmpty());
  ASSERT_THAT(lines, SizeIs(2)) << all.body;
  // By display name; only the approved ones.
  EXPECT_THAT(lines[0], AllOf(::testing::StartsWith("{\"result\":{"),
                              HasSubstr("Air quality")));
  EXPECT_THAT(lines[1], HasSubstr("Water points"));
  EXPECT_THAT(all.body, Not(HasSubstr("Not yet reviewed")));

  HttpReply kenya = Call(
      http::verb::get, "/v1/initiatives:export?filter.country=KEN", "", other_);
  ASSERT_EQ(kenya.status, 200) << kenya.body;
  lines = absl::StrSplit(kenya.body, '\n', absl::SkipEmpty());
  ASSERT_THAT(lines, SizeIs(1)) << kenya.body;
  EXPECT_THAT(lines[0], HasSubstr("Water points"));

  HttpReply counts =
      Call(http::verb::get, "/v1/initiatives:countByCountry", "", other_);
  ASSERT_EQ(counts.status, 200) << counts.body;
  EXPECT_THAT(counts.body, HasSubstr("\"initiativeCount\":2"));
}

TEST_F(GatewayCommunityTest, EveryCommunityRouteReachesTheService) {
  int reached = 0;
  for (const Route& route : Routes()) {
    if (!absl::StartsWith(route.method, "cdc.v1.CommunityService")) continue;
    const std::string path = testing::SamplePath(route);
    const std::string verb(route.verb);
    HttpReply reply =
        Call(http::string_to_verb(verb), path,
             verb == "GET" || verb == "DELETE" ? "" : "{}", member_);
    EXPECT_NE(reply.status, 0) << verb << " " << path;
    EXPECT_NE(reply.status, 405) << verb << " " << path << ": " << reply.body;
    EXPECT_NE(reply.status, 501) << verb << " " << path << ": " << reply.body;
    EXPECT_NE(reply.status, 401) << verb << " " << path << ": " << reply.body;
    EXPECT_THAT(reply.body, Not(HasSubstr("no route"))) << verb << " " << path;
    ++reached;
  }
  // One route per RPC of the service.
  EXPECT_EQ(reached, v1::Space::descriptor()
                         ->file()
                         ->FindServiceByName("CommunityService")
                         ->method_count());
}

TEST_F(GatewayCommunityTest, TheGrpcFrontServesTheCommunity) {
  v1::CreateSpaceRequest create;
  create.set_space_id("country-cases");
  create.mutable_space()->set_title("Country case studies");
  v1::Space space;
  ASSERT_TRUE(
      front_stub_->CreateSpace(As(secretariat_token_).get(), create, &space)
          .ok());
  EXPECT_EQ(space.name(), "spaces/country-cases");

  // The caller's token goes through: a member is refused by the service.
  create.set_space_id("mine");
  grpc::Status denied =
      front_stub_->CreateSpace(As(member_).get(), create, &space);
  EXPECT_EQ(denied.error_code(), grpc::StatusCode::PERMISSION_DENIED);

  // A server stream through the front.
  ASSERT_FALSE(Register(member_, "Water points", "KEN").empty());
  v1::ExportInitiativesRequest request;
  request.mutable_filter()->set_review_state(v1::Initiative::SUBMITTED);
  auto context = As(secretariat_token_);
  auto reader = front_stub_->ExportInitiatives(context.get(), request);
  std::vector<std::string> names;
  v1::Initiative initiative;
  while (reader->Read(&initiative)) names.push_back(initiative.display_name());
  ASSERT_TRUE(reader->Finish().ok());
  EXPECT_THAT(names, ::testing::ElementsAre("Water points"));
}

}  // namespace
}  // namespace cdc::gateway
