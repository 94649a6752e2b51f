// Tests of the JSON transcoder: requests built from body, query and path
// for representative routes, responses and errors in grpc-gateway's shapes.
#include "services/gateway/transcoder.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cdc/v1/comments.pb.h"
#include "cdc/v1/community.pb.h"
#include "cdc/v1/consultations.pb.h"
#include "cdc/v1/members.pb.h"
#include "cdc/v1/notifications.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/common/status_matchers.h"
#include "services/gateway/route_table.h"

namespace cdc::gateway {
namespace {

using ::cdc::testing::IsOk;
using ::cdc::testing::StatusIs;
using ::google::protobuf::Message;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::StartsWith;

// Matches, parses the query and builds the request, as the HTTP layer does.
absl::StatusOr<std::unique_ptr<Message>> Build(absl::string_view verb,
                                               absl::string_view path,
                                               absl::string_view body,
                                               absl::string_view raw_query) {
  absl::StatusOr<RouteMatch> match = MatchRoute(verb, path);
  if (!match.ok()) return match.status();
  absl::StatusOr<QueryParams> query = ParseQuery(raw_query);
  if (!query.ok()) return query.status();
  return BuildRequest(*match, body, *query);
}

// A copy of the built request as its generated type (empty, failing the
// test, when it is not one).
template <typename T>
T As(const absl::StatusOr<std::unique_ptr<Message>>& request) {
  EXPECT_THAT(request, IsOk());
  if (!request.ok()) return T();
  const T* typed = dynamic_cast<const T*>(request->get());
  EXPECT_NE(typed, nullptr) << (*request)->GetTypeName();
  return typed != nullptr ? *typed : T();
}

MATCHER_P(InvalidArgument, message_matcher, "") {
  return ::testing::ExplainMatchResult(
      StatusIs(absl::StatusCode::kInvalidArgument, message_matcher), arg,
      result_listener);
}

// ---- Requests ----

TEST(BuildRequestTest, GetMemberFromThePath) {
  const auto& request =
      As<v1::GetMemberRequest>(Build("GET", "/v1/members/m1", "", ""));
  EXPECT_EQ(request.name(), "members/m1");
}

TEST(BuildRequestTest, ListMembersFromTheQuery) {
  const auto& request = As<v1::ListMembersRequest>(
      Build("GET", "/v1/members", "",
            "page_size=20&page_token=abc-_&state=ACTIVE&organisationType=2&"
            "country=KEN"));
  EXPECT_EQ(request.page_size(), 20);
  EXPECT_EQ(request.page_token(), "abc-_");
  EXPECT_EQ(request.state(), v1::Member::ACTIVE);
  EXPECT_EQ(request.organisation_type(), v1::ORGANISATION_TYPE_CIVIL_SOCIETY);
  EXPECT_EQ(request.country(), "KEN");
}

TEST(BuildRequestTest, UpdateConsultationPatch) {
  const auto& request = As<v1::UpdateConsultationRequest>(
      Build("PATCH", "/v1/consultations/cph",
            R"({"title": "New title", "etag": "e1",
                "audience": {"countries": ["KEN", "FRA"]}})",
            "update_mask=title,audience"));
  EXPECT_EQ(request.consultation().name(), "consultations/cph");
  EXPECT_EQ(request.consultation().title(), "New title");
  EXPECT_EQ(request.consultation().etag(), "e1");
  EXPECT_THAT(request.consultation().audience().countries(),
              ElementsAre("KEN", "FRA"));
  EXPECT_THAT(request.update_mask().paths(), ElementsAre("title", "audience"));

  // The same name in the body is fine.
  EXPECT_THAT(Build("PATCH", "/v1/consultations/cph",
                    R"({"name": "consultations/cph", "title": "t"})",
                    "update_mask=title"),
              IsOk());
}

TEST(BuildRequestTest, UpdateConsultationWithAnotherNameInTheBodyIsRefused) {
  EXPECT_THAT(Build("PATCH", "/v1/consultations/cph",
                    R"({"name": "consultations/other", "title": "t"})",
                    "update_mask=title"),
              InvalidArgument(AllOf(StartsWith("body: consultation.name"),
                                    HasSubstr("consultations/other"),
                                    HasSubstr("consultations/cph"))));
}

TEST(BuildRequestTest, ErrorsQuoteOnlyTheStartOfLongValues) {
  const std::string long_name = "consultations/" + std::string(300, 'x');
  absl::StatusOr<std::unique_ptr<Message>> built =
      Build("PATCH", "/v1/consultations/cph",
            absl::StrCat(R"({"name": ")", long_name, R"("})"), "");
  EXPECT_THAT(built, InvalidArgument(HasSubstr("xxx...\" does not match")));
  EXPECT_LT(built.status().message().size(), 200u);
}

TEST(BuildRequestTest, UpdateMaskInLowerCamelCase) {
  const auto& request = As<v1::UpdateMemberRequest>(
      Build("PATCH", "/v1/members/m1", R"({"displayName": "Ana"})",
            "updateMask=displayName,organisation_type"));
  EXPECT_EQ(request.member().name(), "members/m1");
  EXPECT_EQ(request.member().display_name(), "Ana");
  EXPECT_THAT(request.update_mask().paths(),
              ElementsAre("display_name", "organisation_type"));

  EXPECT_THAT(Build("PATCH", "/v1/members/m1", "{}", "update_mask=a,,b"),
              InvalidArgument(HasSubstr("query parameter update_mask")));
  // Found by tests/fuzz (transcoder): text that is no field path, which
  // the JSON mapping of a FieldMask cannot carry either.
  for (absl::string_view mask :
       {"%22%3A+%22x", "a_1", "a__b", "a_", "a-b", "ae_sPATCH"}) {
    EXPECT_THAT(Build("PATCH", "/v1/members/m1", "{}",
                      absl::StrCat("update_mask=", mask)),
                InvalidArgument(HasSubstr("is not a field path")))
        << mask;
  }
}

TEST(BuildRequestTest, CreateCommentWithRequestIdInTheQuery) {
  const auto& request = As<v1::CreateCommentRequest>(
      Build("POST", "/v1/comments",
            R"({"target": "consultations/c/sections/s", "body": "Hello",
                "type": "TECHNICAL", "anchor": {"exact": "data"}})",
            "request_id=r-1"));
  EXPECT_EQ(request.request_id(), "r-1");
  EXPECT_EQ(request.comment().target(), "consultations/c/sections/s");
  EXPECT_EQ(request.comment().body(), "Hello");
  EXPECT_EQ(request.comment().type(), v1::Comment::TECHNICAL);
  EXPECT_EQ(request.comment().anchor().exact(), "data");
}

TEST(BuildRequestTest, QueryMayNotSetWhatTheBodyCarries) {
  EXPECT_THAT(Build("POST", "/v1/comments", "{}", "comment.body=x"),
              InvalidArgument("query parameter comment.body: set it in the "
                              "JSON body (\"comment\")"));
  EXPECT_THAT(Build("POST", "/v1/comments", "{}", "comment=x"),
              InvalidArgument(HasSubstr("JSON body")));
  // Body "*": the body carries every field.
  EXPECT_THAT(Build("POST", "/v1/members:signIn", "{}", "email=a@b.org"),
              InvalidArgument(StartsWith("query parameter email: not "
                                         "allowed")));
}

TEST(BuildRequestTest, CustomMethodsTakeTheWholeBody) {
  const auto& approve = As<v1::ApproveMemberRequest>(Build(
      "POST", "/v1/members/m1:approve", R"({"role": "ROLE_MEMBER"})", ""));
  EXPECT_EQ(approve.name(), "members/m1");
  EXPECT_EQ(approve.role(), v1::ROLE_MEMBER);

  const auto& import = As<v1::ImportDraftRequest>(
      Build("POST", "/v1/consultations/cph/versions:import",
            R"({"markdown": "# Title\n", "validateOnly": true})", ""));
  EXPECT_EQ(import.parent(), "consultations/cph");
  EXPECT_EQ(import.markdown(), "# Title\n");
  EXPECT_TRUE(import.validate_only());

  // No body, or only white space, is "{}".
  for (absl::string_view body : {"", " \r\n\t"}) {
    const auto& endorse = As<v1::EndorseCommentRequest>(
        Build("POST", "/v1/comments/c1:endorse", body, ""));
    EXPECT_EQ(endorse.name(), "comments/c1");
  }

  EXPECT_THAT(
      Build("POST", "/v1/members/m1:approve", R"({"name": "members/m2"})", ""),
      InvalidArgument(HasSubstr("body: name")));
}

TEST(BuildRequestTest, RoutesWithoutABodyRefuseOne) {
  EXPECT_THAT(Build("GET", "/v1/members/m1", R"({"name": "x"})", ""),
              InvalidArgument("body: GET /v1/{name=members/*} takes no "
                              "request body"));
  EXPECT_THAT(Build("DELETE", "/v1/resources/r1", "{}", ""),
              InvalidArgument(HasSubstr("takes no request body")));
}

TEST(BuildRequestTest, DeleteWithQuery) {
  const auto& request = As<v1::DeleteResourceRequest>(
      Build("DELETE", "/v1/resources/r1", "", "etag=e7"));
  EXPECT_EQ(request.name(), "resources/r1");
  EXPECT_EQ(request.etag(), "e7");

  const auto& unfollow = As<v1::UnfollowRequest>(
      Build("DELETE", "/v1/members/m1/follows", "", "target=comments%2Fc1"));
  EXPECT_EQ(unfollow.parent(), "members/m1");
  EXPECT_EQ(unfollow.target(), "comments/c1");
}

TEST(BuildRequestTest, EnumAndRepeatedQueryParameters) {
  const auto& search = As<v1::SearchRequest>(
      Build("GET", "/v1/search", "",
            "query=open+data&kinds=TOPIC&kinds=3&page_size=5"));
  EXPECT_EQ(search.query(), "open data");
  EXPECT_THAT(search.kinds(),
              ElementsAre(v1::SearchHit::TOPIC, v1::SearchHit::RESOURCE));
  EXPECT_EQ(search.page_size(), 5);

  const auto& watch = As<v1::WatchEventsRequest>(
      Build("GET", "/v1/events:watch", "",
            "start=EARLIEST&consultations=consultations/a&"
            "consultations=consultations/b&eventTypes=1"));
  EXPECT_EQ(watch.start(), v1::WatchEventsRequest::EARLIEST);
  EXPECT_THAT(watch.consultations(),
              ElementsAre("consultations/a", "consultations/b"));
  EXPECT_EQ(watch.event_types_size(), 1);

  EXPECT_THAT(Build("GET", "/v1/search", "", "kinds=NOPE"),
              InvalidArgument(AllOf(StartsWith("query parameter kinds: "),
                                    HasSubstr("cdc.v1.SearchHit.Kind"))));
  EXPECT_THAT(Build("GET", "/v1/search", "", "kinds=99"),
              InvalidArgument(HasSubstr("query parameter kinds")));
}

TEST(BuildRequestTest, NestedQueryParameters) {
  const auto& request = As<v1::ListInitiativesRequest>(Build(
      "GET", "/v1/initiatives", "",
      "filter.country=KEN&filter.reviewState=APPROVED&filter.sdg_goal=5"));
  EXPECT_EQ(request.filter().country(), "KEN");
  EXPECT_EQ(request.filter().review_state(), v1::Initiative::APPROVED);
  EXPECT_EQ(request.filter().sdg_goal(), 5);

  EXPECT_THAT(Build("GET", "/v1/initiatives", "", "filter=KEN"),
              InvalidArgument(HasSubstr("set its fields")));
  EXPECT_THAT(Build("GET", "/v1/initiatives", "", "filter.nope=1"),
              InvalidArgument(HasSubstr("no field \"nope\"")));
  EXPECT_THAT(Build("GET", "/v1/initiatives", "", "page_size.x=1"),
              InvalidArgument(HasSubstr("not a message field")));
}

TEST(BuildRequestTest, BoolsAndNumbers) {
  const auto& request = As<v1::ListSectionsRequest>(
      Build("GET", "/v1/consultations/cph/sections", "",
            "include_removed=true&headings_only=false&version=2"));
  EXPECT_EQ(request.parent(), "consultations/cph");
  EXPECT_TRUE(request.include_removed());
  EXPECT_FALSE(request.headings_only());
  EXPECT_EQ(request.version(), 2);

  EXPECT_THAT(
      Build("GET", "/v1/consultations/cph/sections", "", "include_removed=yes"),
      InvalidArgument("query parameter include_removed: \"yes\" is not true "
                      "or false"));
  EXPECT_THAT(Build("GET", "/v1/members", "", "page_size=abc"),
              InvalidArgument("query parameter page_size: \"abc\" is not an "
                              "int32"));
  EXPECT_THAT(Build("GET", "/v1/members", "", "page_size=99999999999"),
              InvalidArgument(StartsWith("query parameter page_size: ")));
}

TEST(BuildRequestTest, UnknownAndRepeatedSingularQueryParameters) {
  EXPECT_THAT(Build("GET", "/v1/members", "", "bogus=1"),
              InvalidArgument("query parameter bogus: no field \"bogus\" in "
                              "cdc.v1.ListMembersRequest"));
  EXPECT_THAT(Build("GET", "/v1/members", "", "page_size=1&pageSize=2"),
              InvalidArgument(AllOf(StartsWith("query parameter pageSize: "),
                                    HasSubstr("more than once"))));
}

TEST(BuildRequestTest, QueryMayNotContradictThePath) {
  EXPECT_THAT(Build("GET", "/v1/members/m1", "", "name=members/m2"),
              InvalidArgument(AllOf(StartsWith("query parameter name: "),
                                    HasSubstr("URL path"))));
  const auto& request = As<v1::GetMemberRequest>(
      Build("GET", "/v1/members/m1", "", "name=members/m1"));
  EXPECT_EQ(request.name(), "members/m1");
}

// Timestamps and durations appear only in body-carrying routes of the
// contract; routes of our own reach them from the query.
TEST(BuildRequestTest, TimestampsAndDurationsFromTheQuery) {
  const Route mark_read{"GET", "/v1/{name=spaces/*/topics/*}",
                        "cdc.v1.CommunityService.MarkTopicRead", ""};
  RouteMatch match{&mark_read, {{"name", "spaces/s/topics/t"}}};
  absl::StatusOr<std::unique_ptr<Message>> built =
      BuildRequest(match, "", {{"read_time", "2026-11-25T14:00:00.5+01:00"}});
  const auto& request = As<v1::MarkTopicReadRequest>(built);
  EXPECT_EQ(request.name(), "spaces/s/topics/t");
  EXPECT_EQ(request.read_time().seconds(), 1795615200 - 3600);
  EXPECT_EQ(request.read_time().nanos(), 500000000);
  EXPECT_THAT(BuildRequest(match, "", {{"readTime", "yesterday"}}),
              InvalidArgument(AllOf(StartsWith("query parameter readTime: "),
                                    HasSubstr("RFC 3339"))));

  const Route token{"GET", "/v1/tokens", "cdc.v1.MembersService.CreateApiToken",
                    ""};
  built = BuildRequest({&token, {}}, "", {{"ttl", "3600.5s"}});
  const auto& create = As<v1::CreateApiTokenRequest>(built);
  EXPECT_EQ(create.ttl().seconds(), 3600);
  EXPECT_EQ(create.ttl().nanos(), 500000000);
  EXPECT_THAT(BuildRequest({&token, {}}, "", {{"ttl", "1h"}}),
              InvalidArgument(HasSubstr("query parameter ttl")));
}

TEST(BuildRequestTest, UnknownJsonFieldIsRefused) {
  EXPECT_THAT(Build("POST", "/v1/consultations", R"({"ttle": "x"})", ""),
              InvalidArgument(AllOf(StartsWith("body: "), HasSubstr("ttle"))));
}

TEST(BuildRequestTest, WrongJsonTypeIsRefused) {
  EXPECT_THAT(Build("POST", "/v1/consultations", R"({"title": 5})", ""),
              InvalidArgument(AllOf(StartsWith("body: "), HasSubstr("title"))));
  EXPECT_THAT(Build("POST", "/v1/members:apply", R"({"member": "x"})", ""),
              InvalidArgument(StartsWith("body: ")));
  EXPECT_THAT(
      Build("POST", "/v1/members/m1:approve", R"({"role": "KING"})", ""),
      InvalidArgument(AllOf(StartsWith("body: "), HasSubstr("role"))));
}

// (Protobuf 3.21's parser also takes a few non-JSON forms, such as
// unquoted keys; that leniency is its own, not relied on.)
TEST(BuildRequestTest, MalformedJsonIsRefused) {
  for (absl::string_view body :
       {R"({"title": )", R"({"title": "x")", "[]", "5", R"({"title": "x"} x)",
        "{\"title\": \"\xff\"}"}) {
    absl::StatusOr<std::unique_ptr<Message>> built =
        Build("POST", "/v1/consultations", body, "");
    EXPECT_THAT(built, InvalidArgument(StartsWith("body: "))) << body;
    // One line: the parser's quote of the input is left out.
    if (!built.ok()) {
      EXPECT_EQ(built.status().message().find('\n'), absl::string_view::npos);
    }
  }
}

TEST(BuildRequestTest, EveryRouteBuildsFromItsPathAlone) {
  for (const Route& route : Routes()) {
    SCOPED_TRACE(route.pattern);
    absl::StatusOr<PathTemplate> path_template =
        ParsePathTemplate(route.pattern);
    ASSERT_THAT(path_template, IsOk());
    RouteMatch match{&route, {}};
    for (const PathTemplate::Variable& variable : path_template->variables) {
      match.bindings.emplace_back(variable.field_path, "x/y");
    }
    absl::StatusOr<std::unique_ptr<Message>> request =
        BuildRequest(match, "", {});
    ASSERT_THAT(request, IsOk());
    absl::StatusOr<std::unique_ptr<Message>> response = NewResponse(route);
    ASSERT_THAT(response, IsOk());
    EXPECT_EQ((*request)->GetDescriptor(), (*FindMethod(route))->input_type());
    EXPECT_EQ((*response)->GetDescriptor(),
              (*FindMethod(route))->output_type());
  }
}

TEST(BuildRequestTest, RouteErrorsAreInternal) {
  EXPECT_THAT(BuildRequest(RouteMatch{}, "", {}),
              StatusIs(absl::StatusCode::kInternal));
  const Route unknown{"GET", "/v1/x", "cdc.v1.MembersService.Nope", ""};
  EXPECT_THAT(BuildRequest({&unknown, {}}, "", {}),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("Nope")));
  const Route bad_body{"POST", "/v1/x", "cdc.v1.MembersService.GetMember",
                       "name"};
  EXPECT_THAT(BuildRequest({&bad_body, {}}, "{}", {}),
              StatusIs(absl::StatusCode::kInternal));
  const Route bad_binding{"GET", "/v1/{nope}",
                          "cdc.v1.MembersService.GetMember", ""};
  EXPECT_THAT(BuildRequest({&bad_binding, {{"nope", "x"}}}, "", {}),
              StatusIs(absl::StatusCode::kInternal));
}

// ---- Query strings ----

TEST(ParseQueryTest, DecodesAndKeepsOrderAndRepeats) {
  absl::StatusOr<QueryParams> query =
      ParseQuery("a=1&b=x%20y&b=z+w&&c&d=e=f&%6B+2=%E2%82%AC");
  ASSERT_THAT(query, IsOk());
  EXPECT_THAT(*query,
              ElementsAre(Pair("a", "1"), Pair("b", "x y"), Pair("b", "z w"),
                          Pair("c", ""), Pair("d", "e=f"), Pair("k 2", "€")));
  query = ParseQuery("");
  ASSERT_THAT(query, IsOk());
  EXPECT_TRUE(query->empty());
}

TEST(ParseQueryTest, RefusesMalformedParameters) {
  EXPECT_THAT(ParseQuery("a=%zz"),
              InvalidArgument(StartsWith("query parameter a: malformed")));
  EXPECT_THAT(ParseQuery("a%=1"), InvalidArgument(HasSubstr("malformed")));
  EXPECT_THAT(ParseQuery("a=%FF"), InvalidArgument(HasSubstr("UTF-8")));
  EXPECT_THAT(ParseQuery("=x"), InvalidArgument(HasSubstr("no name")));
}

// ---- Responses and errors ----

TEST(ResponseToJsonTest, ProtobufsDefaultMapping) {
  v1::Member member;
  member.set_name("members/m1");
  member.set_display_name("Ana \"A\" <b>");
  member.add_languages("en");
  member.add_languages("fr");
  member.set_state(v1::Member::ACTIVE);
  member.mutable_create_time()->set_seconds(1);
  member.set_country("");  // default: left out
  absl::StatusOr<std::string> json = ResponseToJson(member);
  ASSERT_THAT(json, IsOk());
  EXPECT_EQ(*json,
            R"({"name":"members/m1","displayName":"Ana \"A\" \u003cb\u003e",)"
            R"("languages":["en","fr"],"state":"ACTIVE",)"
            R"("createTime":"1970-01-01T00:00:01Z"})");

  v1::CommentStatistics statistics;
  statistics.set_total_count(3);  // int64: a string in proto3 JSON
  json = ResponseToJson(statistics);
  ASSERT_THAT(json, IsOk());
  EXPECT_EQ(*json, R"({"totalCount":"3"})");

  json = ResponseToJson(v1::GetUnreadCountResponse());
  ASSERT_THAT(json, IsOk());
  EXPECT_EQ(*json, "{}");
}

TEST(ErrorJsonTest, GrpcGatewayShape) {
  EXPECT_EQ(ErrorJson(absl::NotFoundError("no route for /v1/x")),
            R"({"code":5,"message":"no route for /v1/x","details":[]})");
  EXPECT_EQ(ErrorJson(absl::UnauthenticatedError("")),
            R"({"code":16,"message":"","details":[]})");
}

TEST(ErrorJsonTest, EscapesTheMessage) {
  const std::string message = "a \"q\" \\ \n\t\x01 caf\xC3\xA9 \xFF</x>";
  const std::string json = ErrorJson(absl::InvalidArgumentError(message));
  EXPECT_EQ(json,
            "{\"code\":3,\"message\":\"a \\\"q\\\" \\\\ \\n\\t\\u0001 "
            "caf\xC3\xA9 \xEF\xBF\xBD</x>\",\"details\":[]}");
  // And it is JSON that a strict parser reads back.
  google::protobuf::Struct parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(json, &parsed).ok());
  EXPECT_EQ(parsed.fields().at("code").number_value(), 3);
  EXPECT_EQ(parsed.fields().at("message").string_value(),
            "a \"q\" \\ \n\t\x01 caf\xC3\xA9 \xEF\xBF\xBD</x>");
  EXPECT_EQ(parsed.fields().at("details").list_value().values_size(), 0);
}

TEST(HttpStatusForTest, EveryCode) {
  using Code = absl::StatusCode;
  const std::vector<std::pair<Code, int>> expected = {
      {Code::kOk, 200},
      {Code::kCancelled, 499},
      {Code::kUnknown, 500},
      {Code::kInvalidArgument, 400},
      {Code::kDeadlineExceeded, 504},
      {Code::kNotFound, 404},
      {Code::kAlreadyExists, 409},
      {Code::kPermissionDenied, 403},
      {Code::kResourceExhausted, 429},
      {Code::kFailedPrecondition, 400},
      {Code::kAborted, 409},
      {Code::kOutOfRange, 400},
      {Code::kUnimplemented, 501},
      {Code::kInternal, 500},
      {Code::kUnavailable, 503},
      {Code::kDataLoss, 500},
      {Code::kUnauthenticated, 401},
  };
  for (const auto& [code, status] : expected) {
    EXPECT_EQ(HttpStatusFor(code), status) << absl::StatusCodeToString(code);
  }
  EXPECT_EQ(HttpStatusFor(static_cast<Code>(99)), 500);
}

}  // namespace
}  // namespace cdc::gateway
