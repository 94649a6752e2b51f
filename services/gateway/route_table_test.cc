// Tests of the route table: that it covers the contract exactly (checked
// against the generated descriptors, so a new RPC without a route fails
// here), and how paths match.
#include "services/gateway/route_table.h"

#include <google/protobuf/descriptor.h>

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/common/status_matchers.h"

namespace cdc::gateway {
namespace {

using ::cdc::testing::IsOk;
using ::cdc::testing::StatusIs;
using ::google::protobuf::DescriptorPool;
using ::google::protobuf::FieldDescriptor;
using ::google::protobuf::MethodDescriptor;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::SizeIs;

using Bindings = std::vector<std::pair<std::string, std::string>>;

constexpr absl::string_view kServices[] = {
    "cdc.v1.MembersService",   "cdc.v1.ConsultationsService",
    "cdc.v1.CommentsService",  "cdc.v1.NotificationsService",
    "cdc.v1.CommunityService",
};

// Resolves a field path ("consultation.name") in a message type; nullptr
// when a part is missing or a non-last part is not a singular message.
const FieldDescriptor* FindFieldPath(const google::protobuf::Descriptor* type,
                                     absl::string_view path) {
  const FieldDescriptor* field = nullptr;
  for (absl::string_view part : absl::StrSplit(path, '.')) {
    if (field != nullptr) {
      if (field->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE ||
          field->is_repeated()) {
        return nullptr;
      }
      type = field->message_type();
    }
    field = type->FindFieldByName(std::string(part));
    if (field == nullptr) return nullptr;
  }
  return field;
}

// A concrete path for a route: each `*` becomes "id<n>", plus its verb.
// Also returns the bindings that matching it should give.
std::pair<std::string, Bindings> SamplePath(const Route& route) {
  absl::StatusOr<PathTemplate> path_template = ParsePathTemplate(route.pattern);
  EXPECT_THAT(path_template, IsOk()) << route.pattern;
  if (!path_template.ok()) return {};
  std::vector<std::string> segments;
  for (size_t i = 0; i < path_template->segments.size(); ++i) {
    const PathTemplate::Segment& segment = path_template->segments[i];
    segments.push_back(segment.wildcard ? absl::StrCat("id", i)
                                        : segment.literal);
  }
  Bindings bindings;
  for (const PathTemplate::Variable& variable : path_template->variables) {
    std::string value;
    for (size_t i = variable.first; i < variable.first + variable.count; ++i) {
      absl::StrAppend(&value, i > variable.first ? "/" : "", segments[i]);
    }
    bindings.emplace_back(variable.field_path, value);
  }
  std::string path = absl::StrCat("/", absl::StrJoin(segments, "/"));
  if (!path_template->verb.empty()) {
    absl::StrAppend(&path, ":", path_template->verb);
  }
  return {path, bindings};
}

// ---- The table against the contract ----

TEST(RoutesTest, TableCompiles) {
  EXPECT_THAT(RouteTable::Create(Routes()), IsOk());
}

TEST(RoutesTest, EveryRouteFitsItsMethod) {
  const std::set<absl::string_view> verbs = {"GET", "POST", "PATCH", "DELETE"};
  for (const Route& route : Routes()) {
    SCOPED_TRACE(absl::StrCat(route.verb, " ", route.pattern));
    EXPECT_TRUE(verbs.count(route.verb));
    EXPECT_TRUE(absl::StartsWith(route.pattern, "/v1/"));
    const MethodDescriptor* method =
        DescriptorPool::generated_pool()->FindMethodByName(
            std::string(route.method));
    ASSERT_NE(method, nullptr) << route.method;
    EXPECT_FALSE(method->client_streaming());
    EXPECT_EQ(method->server_streaming(), route.server_streaming);
    if (route.server_streaming) {
      EXPECT_EQ(route.verb, "GET");
    }
    const google::protobuf::Descriptor* input = method->input_type();

    // Reads and deletes carry no body; writes do.
    if (route.verb == "GET" || route.verb == "DELETE") {
      EXPECT_EQ(route.body, "");
    } else {
      EXPECT_NE(route.body, "");
    }
    if (!route.body.empty() && route.body != "*") {
      const FieldDescriptor* body = FindFieldPath(input, route.body);
      ASSERT_NE(body, nullptr) << route.body;
      EXPECT_EQ(body->cpp_type(), FieldDescriptor::CPPTYPE_MESSAGE);
      EXPECT_FALSE(body->is_repeated());
    }

    absl::StatusOr<PathTemplate> path_template =
        ParsePathTemplate(route.pattern);
    ASSERT_THAT(path_template, IsOk());
    for (const PathTemplate::Variable& variable : path_template->variables) {
      const FieldDescriptor* field = FindFieldPath(input, variable.field_path);
      ASSERT_NE(field, nullptr) << variable.field_path;
      EXPECT_EQ(field->type(), FieldDescriptor::TYPE_STRING);
      EXPECT_FALSE(field->is_repeated());
    }

    // Updates: PATCH the resource, bound by its name, with an update mask.
    if (route.verb == "PATCH") {
      ASSERT_THAT(path_template->variables, SizeIs(1));
      EXPECT_EQ(path_template->variables[0].field_path,
                absl::StrCat(route.body, ".name"));
      EXPECT_NE(input->FindFieldByName("update_mask"), nullptr);
    }
  }
}

TEST(RoutesTest, EveryMethodOfEveryServiceHasExactlyOneRoute) {
  std::map<std::string, int> routes_per_method;
  for (const Route& route : Routes()) {
    ++routes_per_method[std::string(route.method)];
  }
  int methods = 0;
  for (absl::string_view name : kServices) {
    const google::protobuf::ServiceDescriptor* service =
        DescriptorPool::generated_pool()->FindServiceByName(std::string(name));
    ASSERT_NE(service, nullptr) << name;
    for (int i = 0; i < service->method_count(); ++i) {
      ++methods;
      EXPECT_EQ(routes_per_method[service->method(i)->full_name()], 1)
          << service->method(i)->full_name();
    }
  }
  EXPECT_EQ(static_cast<int>(Routes().size()), methods);
}

TEST(RoutesTest, NoServiceOfTheContractIsLeftOut) {
  // Every service in the contract's files (those of the services above and
  // what they import) is one of the services above.
  std::set<const google::protobuf::FileDescriptor*> seen;
  std::vector<const google::protobuf::FileDescriptor*> pending;
  for (absl::string_view name : kServices) {
    pending.push_back(DescriptorPool::generated_pool()
                          ->FindServiceByName(std::string(name))
                          ->file());
  }
  const std::set<absl::string_view> known(std::begin(kServices),
                                          std::end(kServices));
  while (!pending.empty()) {
    const google::protobuf::FileDescriptor* file = pending.back();
    pending.pop_back();
    if (!seen.insert(file).second) continue;
    if (file->package() != "cdc.v1") continue;
    for (int i = 0; i < file->service_count(); ++i) {
      EXPECT_TRUE(known.count(file->service(i)->full_name()))
          << file->service(i)->full_name() << " has no routes";
    }
    for (int i = 0; i < file->dependency_count(); ++i) {
      pending.push_back(file->dependency(i));
    }
  }
  EXPECT_GE(seen.size(), 7u);  // the seven cdc/v1 files, and imports
}

TEST(RoutesTest, EveryRouteIsReachableAndBindsItsFields) {
  for (const Route& route : Routes()) {
    const auto [path, bindings] = SamplePath(route);
    SCOPED_TRACE(absl::StrCat(route.verb, " ", path));
    absl::StatusOr<RouteMatch> match = MatchRoute(route.verb, path);
    ASSERT_THAT(match, IsOk());
    EXPECT_EQ(match->route, &route) << match->route->pattern;
    EXPECT_EQ(match->bindings, bindings);
  }
}

// ---- Matching the real table ----

TEST(MatchRouteTest, Variables) {
  absl::StatusOr<RouteMatch> match = MatchRoute("GET", "/v1/members/abc");
  ASSERT_THAT(match, IsOk());
  EXPECT_EQ(match->route->method, "cdc.v1.MembersService.GetMember");
  EXPECT_THAT(match->bindings, ElementsAre(Pair("name", "members/abc")));

  match = MatchRoute("GET", "/v1/consultations/cph/sections/intro");
  ASSERT_THAT(match, IsOk());
  EXPECT_EQ(match->route->method, "cdc.v1.ConsultationsService.GetSection");
  EXPECT_THAT(match->bindings,
              ElementsAre(Pair("name", "consultations/cph/sections/intro")));

  match = MatchRoute("PATCH", "/v1/consultations/cph");
  ASSERT_THAT(match, IsOk());
  EXPECT_EQ(match->route->method,
            "cdc.v1.ConsultationsService.UpdateConsultation");
  EXPECT_THAT(match->bindings,
              ElementsAre(Pair("consultation.name", "consultations/cph")));

  // Two variables; the second spans "members/m1".
  match = MatchRoute("DELETE", "/v1/spaces/s1/members/m1");
  ASSERT_THAT(match, IsOk());
  EXPECT_EQ(match->route->method, "cdc.v1.CommunityService.RemoveSpaceMember");
  EXPECT_THAT(match->bindings, ElementsAre(Pair("space", "spaces/s1"),
                                           Pair("member", "members/m1")));

  // A sub-pattern ending in a literal.
  match = MatchRoute("GET", "/v1/members/m1/notificationPreferences");
  ASSERT_THAT(match, IsOk());
  EXPECT_EQ(match->route->method, "cdc.v1.NotificationsService.GetPreferences");
  EXPECT_THAT(match->bindings,
              ElementsAre(Pair("name", "members/m1/notificationPreferences")));
}

TEST(MatchRouteTest, Literals) {
  absl::StatusOr<RouteMatch> match = MatchRoute("GET", "/v1/members");
  ASSERT_THAT(match, IsOk());
  EXPECT_EQ(match->route->method, "cdc.v1.MembersService.ListMembers");
  EXPECT_THAT(match->bindings, IsEmpty());

  match = MatchRoute("POST", "/v1/members");
  EXPECT_THAT(match, StatusIs(absl::StatusCode::kUnimplemented));
}

TEST(MatchRouteTest, CustomVerbs) {
  absl::StatusOr<RouteMatch> match = MatchRoute("POST", "/v1/members:apply");
  ASSERT_THAT(match, IsOk());
  EXPECT_EQ(match->route->method, "cdc.v1.MembersService.ApplyForMembership");

  match = MatchRoute("POST", "/v1/consultations/cph:open");
  ASSERT_THAT(match, IsOk());
  EXPECT_EQ(match->route->method, "cdc.v1.ConsultationsService.OpenRound");
  EXPECT_THAT(match->bindings, ElementsAre(Pair("name", "consultations/cph")));

  match = MatchRoute("POST", "/v1/comments/c1:endorse");
  ASSERT_THAT(match, IsOk());
  EXPECT_EQ(match->route->method, "cdc.v1.CommentsService.EndorseComment");

  match = MatchRoute("GET", "/v1/consultations/cph/sections/intro:diff");
  ASSERT_THAT(match, IsOk());
  EXPECT_EQ(match->route->method, "cdc.v1.ConsultationsService.GetSectionDiff");

  // A verb on a literal collection is not an id: "members:authenticate" is
  // not the member "authenticate".
  match = MatchRoute("GET", "/v1/members:authenticate");
  ASSERT_THAT(match, IsOk());
  EXPECT_EQ(match->route->method, "cdc.v1.MembersService.Authenticate");

  match = MatchRoute("GET", "/v1/members/m1/notifications:unreadCount");
  ASSERT_THAT(match, IsOk());
  EXPECT_EQ(match->route->method, "cdc.v1.NotificationsService.GetUnreadCount");
  EXPECT_THAT(match->bindings, ElementsAre(Pair("parent", "members/m1")));

  // An unknown verb matches nothing, rather than becoming part of an id.
  EXPECT_THAT(MatchRoute("POST", "/v1/comments/c1:bogus"),
              StatusIs(absl::StatusCode::kNotFound,
                       "no route for /v1/comments/c1:bogus"));
  EXPECT_THAT(MatchRoute("GET", "/v1/members/abc:"),
              StatusIs(absl::StatusCode::kNotFound));
  // A route with a verb needs it.
  EXPECT_THAT(MatchRoute("GET", "/v1/notifications"),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST(MatchRouteTest, StreamingRoutes) {
  absl::StatusOr<RouteMatch> match =
      MatchRoute("GET", "/v1/notifications:stream");
  ASSERT_THAT(match, IsOk());
  EXPECT_EQ(match->route->method, "cdc.v1.NotificationsService.Subscribe");
  EXPECT_TRUE(match->route->server_streaming);

  match = MatchRoute("GET", "/v1/events:watch");
  ASSERT_THAT(match, IsOk());
  EXPECT_EQ(match->route->method, "cdc.v1.NotificationsService.WatchEvents");
  EXPECT_TRUE(match->route->server_streaming);

  match = MatchRoute("GET", "/v1/members/m1/notifications");
  ASSERT_THAT(match, IsOk());
  EXPECT_FALSE(match->route->server_streaming);
}

TEST(MatchRouteTest, NotFound) {
  for (absl::string_view path :
       {"", "/", "v1/members", "/v2/members", "/v1/members/", "/v1//members",
        "/v1/members/a/b", "/v1/consultations/c/sections/",
        "/v1/members/m1/notifications/n1"}) {
    EXPECT_THAT(MatchRoute("GET", path),
                StatusIs(absl::StatusCode::kNotFound,
                         absl::StrCat("no route for ", path)))
        << path;
  }
}

TEST(MatchRouteTest, PercentDecodesBoundSegments) {
  absl::StatusOr<RouteMatch> match = MatchRoute("GET", "/v1/members/a%2Db");
  ASSERT_THAT(match, IsOk());
  EXPECT_THAT(match->bindings, ElementsAre(Pair("name", "members/a-b")));

  match = MatchRoute("GET", "/v1/members/caf%C3%A9");
  ASSERT_THAT(match, IsOk());
  EXPECT_THAT(match->bindings, ElementsAre(Pair("name", "members/café")));

  // An encoded ':' is part of the id, not the start of a verb.
  match = MatchRoute("GET", "/v1/comments/c%3Aendorse");
  ASSERT_THAT(match, IsOk());
  EXPECT_EQ(match->route->method, "cdc.v1.CommentsService.GetComment");
  EXPECT_THAT(match->bindings, ElementsAre(Pair("name", "comments/c:endorse")));

  // Literals match after decoding too.
  match = MatchRoute("GET", "/v1/%6Dembers");
  ASSERT_THAT(match, IsOk());
  EXPECT_EQ(match->route->method, "cdc.v1.MembersService.ListMembers");
}

TEST(MatchRouteTest, RejectsEncodedSlashAndMalformedEscapes) {
  // "%2F" would let one `*` span "a/b": refused.
  EXPECT_THAT(
      MatchRoute("GET", "/v1/members/a%2Fb"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("encoded '/'")));
  EXPECT_THAT(MatchRoute("GET", "/v1/members/a%2fb"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(MatchRoute("GET", "/v1/members/a%zz"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("malformed percent-escape")));
  EXPECT_THAT(MatchRoute("GET", "/v1/members/a%4"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(MatchRoute("GET", "/v1/members/a%"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(MatchRoute("GET", "/v1/members/%FF"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("UTF-8")));
  EXPECT_THAT(MatchRoute("GET", "/v1/members/%C0%AF"),  // overlong '/'
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(MatchRouteTest, WrongVerbIsUnimplementedWithTheAllowedVerbs) {
  EXPECT_THAT(MatchRoute("PUT", "/v1/members/x"),
              StatusIs(absl::StatusCode::kUnimplemented,
                       "method PUT not allowed for /v1/members/x; allowed: "
                       "GET, PATCH"));
  EXPECT_THAT(MatchRoute("DELETE", "/v1/members"),
              StatusIs(absl::StatusCode::kUnimplemented,
                       "method DELETE not allowed for /v1/members; allowed: "
                       "GET"));
  EXPECT_THAT(
      MatchRoute("GET", "/v1/comments/c1:endorse"),
      StatusIs(absl::StatusCode::kUnimplemented, HasSubstr("allowed: POST")));
  // HTTP methods are case-sensitive.
  EXPECT_THAT(MatchRoute("get", "/v1/members/x"),
              StatusIs(absl::StatusCode::kUnimplemented));
}

TEST(MatchRouteTest, AllowedVerbs) {
  EXPECT_THAT(AllowedVerbs("/v1/members/m1/follows"),
              ElementsAre("GET", "POST", "DELETE"));
  EXPECT_THAT(AllowedVerbs("/v1/resources/r1"),
              ElementsAre("GET", "PATCH", "DELETE"));
  EXPECT_THAT(AllowedVerbs("/v1/tokens"), ElementsAre("GET", "POST"));
  EXPECT_THAT(AllowedVerbs("/v1/nothing"), IsEmpty());
  EXPECT_THAT(AllowedVerbs("/v1/members/a%2Fb"), IsEmpty());
}

TEST(MatchRouteTest, SameVerbsOnOneCollection) {
  // Follow, ListFollows and Unfollow share one path, told apart by verb.
  absl::StatusOr<RouteMatch> match =
      MatchRoute("POST", "/v1/members/m/follows");
  ASSERT_THAT(match, IsOk());
  EXPECT_EQ(match->route->method, "cdc.v1.NotificationsService.Follow");
  match = MatchRoute("GET", "/v1/members/m/follows");
  ASSERT_THAT(match, IsOk());
  EXPECT_EQ(match->route->method, "cdc.v1.NotificationsService.ListFollows");
  match = MatchRoute("DELETE", "/v1/members/m/follows");
  ASSERT_THAT(match, IsOk());
  EXPECT_EQ(match->route->method, "cdc.v1.NotificationsService.Unfollow");
}

// ---- Precedence, on tables of our own ----

constexpr Route kOverlapping[] = {
    {"GET", "/v1/{name=members/*}", "test.GetMember", ""},
    {"GET", "/v1/members/me", "test.GetMe", ""},
    {"GET", "/v1/{collection}/me", "test.GetAnyMe", ""},
    {"POST", "/v1/{collection}/me", "test.PostAnyMe", "*"},
};

TEST(RouteTableTest, LiteralBeatsVariableWhateverTheOrder) {
  const std::vector<Route> forward(std::begin(kOverlapping),
                                   std::end(kOverlapping));
  const std::vector<Route> backward(forward.rbegin(), forward.rend());
  for (const std::vector<Route>* routes : {&forward, &backward}) {
    absl::StatusOr<RouteTable> table = RouteTable::Create(*routes);
    ASSERT_THAT(table, IsOk());
    // All three GET routes match; the all-literal one wins.
    absl::StatusOr<RouteMatch> match = table->Match("GET", "/v1/members/me");
    ASSERT_THAT(match, IsOk());
    EXPECT_EQ(match->route->method, "test.GetMe");
    EXPECT_THAT(match->bindings, IsEmpty());
    // Without it, the first differing segment decides: "members" beats `*`.
    match = table->Match("GET", "/v1/members/you");
    ASSERT_THAT(match, IsOk());
    EXPECT_EQ(match->route->method, "test.GetMember");
    match = table->Match("GET", "/v1/spaces/me");
    ASSERT_THAT(match, IsOk());
    EXPECT_EQ(match->route->method, "test.GetAnyMe");
    EXPECT_THAT(match->bindings, ElementsAre(Pair("collection", "spaces")));
    // The best route for the verb, even if a more specific one has another.
    match = table->Match("POST", "/v1/members/me");
    ASSERT_THAT(match, IsOk());
    EXPECT_EQ(match->route->method, "test.PostAnyMe");
    EXPECT_THAT(table->AllowedVerbs("/v1/members/me"),
                ElementsAre("GET", "POST"));
  }
}

TEST(RouteTableTest, RefusesTwoRoutesOfOneVerbWithTheSameShape) {
  const Route same_shape[] = {
      {"GET", "/v1/{name=members/*}", "test.A", ""},
      {"GET", "/v1/members/{id}", "test.B", ""},
  };
  EXPECT_THAT(
      RouteTable::Create(same_shape),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("same shape")));
  // Another verb, or another custom verb, is another route.
  const Route distinct[] = {
      {"GET", "/v1/{name=members/*}", "test.A", ""},
      {"DELETE", "/v1/members/{id}", "test.B", ""},
      {"GET", "/v1/{name=members/*}:x", "test.C", ""},
  };
  EXPECT_THAT(RouteTable::Create(distinct), IsOk());
}

TEST(RouteTableTest, RefusesBadPatterns) {
  const Route bad[] = {{"GET", "/v1/{name=**}", "test.A", ""}};
  EXPECT_THAT(RouteTable::Create(bad),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("**")));
}

// ---- Patterns ----

TEST(ParsePathTemplateTest, ParsesVariablesLiteralsAndVerb) {
  absl::StatusOr<PathTemplate> parsed =
      ParsePathTemplate("/v1/{name=consultations/*/sections/*}:diff");
  ASSERT_THAT(parsed, IsOk());
  ASSERT_THAT(parsed->segments, SizeIs(5));
  EXPECT_EQ(parsed->segments[0].literal, "v1");
  EXPECT_EQ(parsed->segments[1].literal, "consultations");
  EXPECT_TRUE(parsed->segments[2].wildcard);
  EXPECT_EQ(parsed->segments[3].literal, "sections");
  EXPECT_TRUE(parsed->segments[4].wildcard);
  ASSERT_THAT(parsed->variables, SizeIs(1));
  EXPECT_EQ(parsed->variables[0].field_path, "name");
  EXPECT_EQ(parsed->variables[0].first, 1u);
  EXPECT_EQ(parsed->variables[0].count, 4u);
  EXPECT_EQ(parsed->verb, "diff");

  parsed = ParsePathTemplate("/v1/things/{thing.id}/parts");
  ASSERT_THAT(parsed, IsOk());
  ASSERT_THAT(parsed->segments, SizeIs(4));
  EXPECT_TRUE(parsed->segments[2].wildcard);
  ASSERT_THAT(parsed->variables, SizeIs(1));
  EXPECT_EQ(parsed->variables[0].field_path, "thing.id");
  EXPECT_EQ(parsed->variables[0].first, 2u);
  EXPECT_EQ(parsed->variables[0].count, 1u);
  EXPECT_EQ(parsed->verb, "");
}

TEST(ParsePathTemplateTest, RefusesMalformedPatterns) {
  for (absl::string_view pattern :
       {"", "v1/x", "/", "/v1//x", "/v1/x/", "/v1/{name=**}", "/v1/{name",
        "/v1/{a}/{a}", "/v1/{a{b}}", "/v1/x:", "/v1/x:y/z", "/v1/{1a}",
        "/v1/a b", "/v1/{name=a//b}", "/v1/{}", "/v1/{a}x", "/v1/{a.}"}) {
    EXPECT_THAT(ParsePathTemplate(pattern),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << pattern;
  }
}

TEST(PercentDecodeTest, Decodes) {
  EXPECT_THAT(PercentDecode("a%20b+c", false), IsOk());
  EXPECT_EQ(*PercentDecode("a%20b+c", false), "a b+c");
  EXPECT_EQ(*PercentDecode("a%20b+c", true), "a b c");
  EXPECT_EQ(*PercentDecode("%e2%82%AC", false), "€");
  EXPECT_THAT(PercentDecode("%G0", false),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(PercentDecode("%ED%A0%80", false),  // a surrogate
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace cdc::gateway
