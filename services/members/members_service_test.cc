// cdc-members against a real Redis and a real gRPC server on loopback.
#include "services/members/members_service.h"

#include <grpcpp/grpcpp.h>

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "services/common/keys.h"
#include "services/common/redis_test_server.h"
#include "services/common/server.h"
#include "services/common/status_matchers.h"
#include "services/members/members_test_support.h"

namespace cdc::members {
namespace {

using ::cdc::testing::IsOk;
using ::cdc::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;
using Code = absl::StatusCode;

constexpr char kGoodPassword[] = "correct horse battery staple";

class MembersServiceTest : public testing::MembersServerTest {
 protected:
  static v1::ApplyForMembershipRequest Application(const std::string& email,
                                                   const std::string& name) {
    v1::ApplyForMembershipRequest request;
    v1::Member* m = request.mutable_member();
    m->set_email(email);
    m->set_display_name(name);
    m->set_organisation("Statistics Kenya");
    m->set_organisation_type(v1::ORGANISATION_TYPE_NATIONAL_STATISTICAL_OFFICE);
    m->set_country("KEN");
    m->add_languages("en");
    m->add_languages("sw");
    request.set_password(kGoodPassword);
    return request;
  }

  absl::StatusOr<v1::Member> Apply(const v1::ApplyForMembershipRequest& req) {
    v1::Member member;
    grpc::ClientContext context;
    grpc::Status status = stub_->ApplyForMembership(&context, req, &member);
    if (!status.ok()) return FromGrpcStatus(status);
    return member;
  }

  absl::StatusOr<v1::Member> Approve(const std::string& name,
                                     v1::Role role = v1::ROLE_MEMBER,
                                     const std::string& token = "") {
    v1::ApproveMemberRequest request;
    request.set_name(name);
    request.set_role(role);
    v1::Member member;
    grpc::Status status = stub_->ApproveMember(
        As(token.empty() ? secretariat_token_ : token).get(), request, &member);
    if (!status.ok()) return FromGrpcStatus(status);
    return member;
  }

  absl::StatusOr<v1::SignInResponse> SignIn(
      const std::string& email, const std::string& password = kGoodPassword) {
    v1::SignInRequest request;
    request.set_email(email);
    request.set_password(password);
    v1::SignInResponse response;
    grpc::ClientContext context;
    grpc::Status status = stub_->SignIn(&context, request, &response);
    if (!status.ok()) return FromGrpcStatus(status);
    return response;
  }

  // Applies, is approved with `role` and signs in; returns the session.
  v1::SignInResponse NewMember(const std::string& email,
                               const std::string& name = "Amina Njoroge",
                               v1::Role role = v1::ROLE_MEMBER) {
    auto member = Apply(Application(email, name));
    EXPECT_THAT(member, IsOk());
    EXPECT_THAT(Approve(member->name(), role), IsOk());
    auto session = SignIn(email);
    EXPECT_THAT(session, IsOk());
    return *session;
  }

  absl::StatusOr<v1::Principal> WhoAmI(const std::string& token) {
    v1::Principal principal;
    grpc::Status status = stub_->Authenticate(
        As(token).get(), v1::AuthenticateRequest(), &principal);
    if (!status.ok()) return FromGrpcStatus(status);
    return principal;
  }

  absl::StatusOr<v1::ListMembersResponse> List(
      const v1::ListMembersRequest& request, const std::string& token) {
    v1::ListMembersResponse response;
    grpc::Status status =
        stub_->ListMembers(As(token).get(), request, &response);
    if (!status.ok()) return FromGrpcStatus(status);
    return response;
  }

  // Number of events in all shard streams.
  int64_t EventCount() {
    int64_t total = 0;
    for (int shard = 0; shard < kShardCount; ++shard) {
      auto length = redis().Command({"XLEN", EventStreamKey(shard)});
      EXPECT_THAT(length, IsOk());
      total += length->integer;
    }
    return total;
  }
};

TEST_F(MembersServiceTest, ApplyCreatesAPendingMemberWithoutARole) {
  auto member = Apply(Application("Amina@Example.ORG", "Amina Njoroge"));
  ASSERT_THAT(member, IsOk());
  EXPECT_THAT(member->name(), ::testing::StartsWith("members/"));
  EXPECT_EQ(member->email(), "amina@example.org");
  EXPECT_EQ(member->state(), v1::Member::PENDING);
  EXPECT_EQ(member->role(), v1::ROLE_UNSPECIFIED);
  EXPECT_EQ(member->country(), "KEN");
  EXPECT_THAT(member->languages(), ::testing::ElementsAre("en", "sw"));
  EXPECT_FALSE(member->etag().empty());
}

TEST_F(MembersServiceTest, ApplyRefusesEachInvalidFieldByNameAndWritesNothing) {
  struct Case {
    std::string what;
    std::function<void(v1::ApplyForMembershipRequest&)> spoil;
    std::string field;
  };
  const std::vector<Case> cases = {
      {"no email", [](auto& r) { r.mutable_member()->clear_email(); },
       "member.email"},
      {"email without domain dot",
       [](auto& r) { r.mutable_member()->set_email("a@localhost"); },
       "member.email"},
      {"email with two @",
       [](auto& r) { r.mutable_member()->set_email("a@b@example.org"); },
       "member.email"},
      {"empty name", [](auto& r) { r.mutable_member()->set_display_name(""); },
       "member.display_name"},
      {"blank name",
       [](auto& r) { r.mutable_member()->set_display_name("   "); },
       "member.display_name"},
      {"oversize name",
       [](auto& r) {
         r.mutable_member()->set_display_name(std::string(101, 'a'));
       },
       "member.display_name"},
      {"control character in name",
       [](auto& r) { r.mutable_member()->set_display_name("Amina\x01"); },
       "member.display_name"},
      {"no organisation",
       [](auto& r) { r.mutable_member()->clear_organisation(); },
       "member.organisation"},
      {"no organisation type",
       [](auto& r) {
         r.mutable_member()->set_organisation_type(
             v1::ORGANISATION_TYPE_UNSPECIFIED);
       },
       "member.organisation_type"},
      {"unknown organisation type",
       [](auto& r) {
         r.mutable_member()->set_organisation_type(
             static_cast<v1::OrganisationType>(99));
       },
       "member.organisation_type"},
      {"unknown country",
       [](auto& r) { r.mutable_member()->set_country("XXX"); },
       "member.country"},
      {"lower-case country",
       [](auto& r) { r.mutable_member()->set_country("ken"); },
       "member.country"},
      {"alpha-2 country",
       [](auto& r) { r.mutable_member()->set_country("KE"); },
       "member.country"},
      {"no languages", [](auto& r) { r.mutable_member()->clear_languages(); },
       "member.languages"},
      {"malformed language",
       [](auto& r) { r.mutable_member()->add_languages("english!"); },
       "member.languages[2]"},
      {"duplicate language",
       [](auto& r) { r.mutable_member()->add_languages("en"); },
       "member.languages[2]"},
      {"oversize biography",
       [](auto& r) {
         r.mutable_member()->set_biography(std::string(2001, 'b'));
       },
       "member.biography"},
      {"short password", [](auto& r) { r.set_password("short"); }, "password"},
      {"common password", [](auto& r) { r.set_password("password1234"); },
       "password"},
      {"repetitive password",
       [](auto& r) { r.set_password("abababababababab"); }, "password"},
      {"password containing the email",
       [](auto& r) { r.set_password("xx-amina-2026-xx"); }, "password"},
      {"oversize request id",
       [](auto& r) { r.set_request_id(std::string(65, 'r')); }, "request_id"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    v1::ApplyForMembershipRequest request =
        Application("amina@example.org", "Amina Njoroge");
    c.spoil(request);
    EXPECT_THAT(Apply(request),
                StatusIs(Code::kInvalidArgument, HasSubstr(c.field)));
  }
  // Only the bootstrap secretariat exists.
  v1::ListMembersRequest all;
  auto listed = List(all, secretariat_token_);
  ASSERT_THAT(listed, IsOk());
  EXPECT_EQ(listed->members_size(), 1);
}

// Protobuf itself refuses invalid UTF-8 in a string field on the wire, so
// the service's own check is reached only by callers in the same process
// (and, later, by the gateway's JSON transcoding): call the handler directly.
TEST_F(MembersServiceTest, ApplyRefusesInvalidUtf8ByFieldName) {
  v1::ApplyForMembershipRequest request =
      Application("amina@example.org", "Am\xC3\x28na");
  grpc::ServerContext context;
  v1::Member member;
  grpc::Status status =
      service_->ApplyForMembership(&context, &request, &member);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(),
              HasSubstr("member.display_name: must be valid UTF-8"));
}

TEST_F(MembersServiceTest, ApplyWithATakenEmailIsAlreadyExistsWhateverItsCase) {
  ASSERT_THAT(Apply(Application("amina@example.org", "Amina")), IsOk());
  EXPECT_THAT(Apply(Application("AMINA@example.org", "Amina Two")),
              StatusIs(Code::kAlreadyExists, HasSubstr("member.email")));
}

TEST_F(MembersServiceTest, ApplyRetriedWithTheSameRequestIdReturnsTheFirst) {
  auto request = Application("amina@example.org", "Amina");
  request.set_request_id("apply-7f3a");
  auto first = Apply(request);
  ASSERT_THAT(first, IsOk());
  const int64_t events = EventCount();
  auto again = Apply(request);
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->name(), first->name());
  EXPECT_EQ(EventCount(), events);  // no second write, no second event
}

TEST_F(MembersServiceTest, ApplyAppendsOneMemberAppliedEventInTheSameStep) {
  const int64_t before = EventCount();
  auto member = Apply(Application("amina@example.org", "Amina"));
  ASSERT_THAT(member, IsOk());
  EXPECT_EQ(EventCount(), before + 1);
  const int shard = ShardOfId(member->name().substr(8));
  auto entries = redis().Command({"XRANGE", EventStreamKey(shard), "-", "+"});
  ASSERT_THAT(entries, IsOk());
  v1::Event event;
  ASSERT_TRUE(event.ParseFromString(
      entries->elements.back().elements[1].elements[1].str));
  EXPECT_EQ(event.member_applied().member(), member->name());
}

TEST_F(MembersServiceTest, PendingMemberCannotSignInButApprovedMemberCan) {
  auto member = Apply(Application("amina@example.org", "Amina"));
  ASSERT_THAT(member, IsOk());
  EXPECT_THAT(SignIn("amina@example.org"),
              StatusIs(Code::kFailedPrecondition, HasSubstr("approval")));
  ASSERT_THAT(Approve(member->name()), IsOk());
  auto session = SignIn("Amina@Example.org");
  ASSERT_THAT(session, IsOk());
  auto principal = WhoAmI(session->token());
  ASSERT_THAT(principal, IsOk());
  EXPECT_EQ(principal->member(), member->name());
  EXPECT_EQ(principal->role(), v1::ROLE_MEMBER);
  EXPECT_EQ(principal->country(), "KEN");
}

TEST_F(MembersServiceTest, WrongPasswordAndUnknownEmailAnswerAlike) {
  NewMember("amina@example.org");
  auto wrong_password = SignIn("amina@example.org", "not the password at all");
  auto unknown_email = SignIn("nobody@example.org");
  ASSERT_THAT(wrong_password, StatusIs(Code::kUnauthenticated));
  ASSERT_THAT(unknown_email, StatusIs(Code::kUnauthenticated));
  EXPECT_EQ(wrong_password.status().message(),
            unknown_email.status().message());
}

TEST_F(MembersServiceTest, TokensAreStoredOnlyAsHashes) {
  const std::string token = NewMember("amina@example.org").token();
  const std::string secret = token.substr(token.rfind('_') + 1);
  auto keys = redis().Command({"KEYS", "*"});
  ASSERT_THAT(keys, IsOk());
  for (const RedisReply& key : keys->elements) {
    auto type = redis().Command({"TYPE", key.str});
    if (type->str != "hash") continue;
    auto fields = redis().Command({"HGETALL", key.str});
    for (const RedisReply& value : fields->elements) {
      EXPECT_THAT(value.str, Not(HasSubstr(secret))) << key.str;
    }
  }
}

TEST_F(MembersServiceTest, MissingMalformedAndUnknownTokensAreUnauthenticated) {
  EXPECT_THAT(WhoAmI(""), StatusIs(Code::kUnauthenticated));
  EXPECT_THAT(WhoAmI("not-a-token"),
              StatusIs(Code::kUnauthenticated, HasSubstr("malformed")));
  // Right shape, real token id, wrong secret.
  std::string forged = secretariat_token_;
  forged.back() = forged.back() == 'A' ? 'B' : 'A';
  EXPECT_THAT(WhoAmI(forged),
              StatusIs(Code::kUnauthenticated, HasSubstr("not valid")));
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Basic " + secretariat_token_);
  v1::Principal principal;
  EXPECT_EQ(stub_->Authenticate(&context, {}, &principal).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(MembersServiceTest, SessionTokenExpiresAfterItsLifetime) {
  const std::string token = NewMember("amina@example.org").token();
  clock_.Advance(absl::Hours(24 * 7) - absl::Seconds(1));
  EXPECT_THAT(WhoAmI(token), IsOk());
  clock_.Advance(absl::Seconds(1));
  EXPECT_THAT(WhoAmI(token),
              StatusIs(Code::kUnauthenticated, HasSubstr("expired")));
}

TEST_F(MembersServiceTest, SignOutEndsTheSessionOnly) {
  NewMember("amina@example.org");
  const std::string first = SignIn("amina@example.org")->token();
  const std::string second = SignIn("amina@example.org")->token();
  google::protobuf::Empty empty;
  ASSERT_TRUE(stub_->SignOut(As(first).get(), {}, &empty).ok());
  EXPECT_THAT(WhoAmI(first), StatusIs(Code::kUnauthenticated));
  EXPECT_THAT(WhoAmI(second), IsOk());
}

// Every secretariat method, called by each other role: PERMISSION_DENIED;
// called without a valid token: UNAUTHENTICATED. Nothing changes.
TEST_F(MembersServiceTest, OnlyTheSecretariatCallsSecretariatMethods) {
  const v1::SignInResponse member = NewMember("amina@example.org");
  const std::string observer =
      NewMember("obs@example.org", "Obs", v1::ROLE_OBSERVER).token();
  v1::CreateApiTokenRequest create;
  create.set_member(member.member().name());
  create.set_display_name("portal");
  v1::CreateApiTokenResponse partner;
  ASSERT_TRUE(
      stub_->CreateApiToken(As(secretariat_token_).get(), create, &partner)
          .ok());
  auto applicant = Apply(Application("bo@example.org", "Bo"));
  ASSERT_THAT(applicant, IsOk());
  const int64_t events = EventCount();

  using Call = std::function<grpc::Status(grpc::ClientContext*)>;
  const std::vector<std::pair<std::string, Call>> calls = {
      {"ApproveMember",
       [&](grpc::ClientContext* c) {
         v1::ApproveMemberRequest r;
         r.set_name(applicant->name());
         v1::Member out;
         return stub_->ApproveMember(c, r, &out);
       }},
      {"RejectMember",
       [&](grpc::ClientContext* c) {
         v1::RejectMemberRequest r;
         r.set_name(applicant->name());
         r.set_reason("no");
         v1::Member out;
         return stub_->RejectMember(c, r, &out);
       }},
      {"SuspendMember",
       [&](grpc::ClientContext* c) {
         v1::SuspendMemberRequest r;
         r.set_name(secretariat_);
         r.set_reason("coup");
         v1::Member out;
         return stub_->SuspendMember(c, r, &out);
       }},
      {"ReinstateMember",
       [&](grpc::ClientContext* c) {
         v1::ReinstateMemberRequest r;
         r.set_name(applicant->name());
         v1::Member out;
         return stub_->ReinstateMember(c, r, &out);
       }},
      {"SetMemberRole",
       [&](grpc::ClientContext* c) {
         v1::SetMemberRoleRequest r;
         r.set_name(member.member().name());
         r.set_role(v1::ROLE_SECRETARIAT);
         v1::Member out;
         return stub_->SetMemberRole(c, r, &out);
       }},
      {"CreateApiToken",
       [&](grpc::ClientContext* c) {
         v1::CreateApiTokenResponse out;
         return stub_->CreateApiToken(c, create, &out);
       }},
      {"ListApiTokens",
       [&](grpc::ClientContext* c) {
         v1::ListApiTokensResponse out;
         return stub_->ListApiTokens(c, {}, &out);
       }},
      {"RevokeApiToken",
       [&](grpc::ClientContext* c) {
         v1::RevokeApiTokenRequest r;
         r.set_name(partner.api_token().name());
         v1::ApiToken out;
         return stub_->RevokeApiToken(c, r, &out);
       }},
  };
  const std::vector<std::pair<std::string, std::string>> callers = {
      {"member", member.token()},
      {"observer", observer},
      {"partner", partner.secret()},
  };
  for (const auto& [method, call] : calls) {
    for (const auto& [who, token] : callers) {
      grpc::Status status = call(As(token).get());
      EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
          << method << " by " << who << ": " << status.error_message();
      EXPECT_THAT(status.error_message(), HasSubstr("SECRETARIAT"));
    }
    EXPECT_EQ(call(As("").get()).error_code(),
              grpc::StatusCode::UNAUTHENTICATED)
        << method;
    EXPECT_EQ(call(As("cdc_garbage").get()).error_code(),
              grpc::StatusCode::UNAUTHENTICATED)
        << method;
  }
  EXPECT_EQ(EventCount(), events);
  EXPECT_THAT(WhoAmI(partner.secret()), IsOk());  // nothing was revoked
}

TEST_F(MembersServiceTest, StateTransitionsFollowTheLifecycle) {
  auto member = Apply(Application("amina@example.org", "Amina"));
  ASSERT_THAT(member, IsOk());
  ASSERT_THAT(Approve(member->name()), IsOk());
  EXPECT_THAT(Approve(member->name()),
              StatusIs(Code::kFailedPrecondition,
                       HasSubstr("is ACTIVE; this needs a member who is "
                                 "PENDING")));
  v1::Member out;
  v1::RejectMemberRequest reject;
  reject.set_name(member->name());
  reject.set_reason("late");
  EXPECT_EQ(stub_->RejectMember(As(secretariat_token_).get(), reject, &out)
                .error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  v1::ReinstateMemberRequest reinstate;
  reinstate.set_name(member->name());
  EXPECT_EQ(
      stub_->ReinstateMember(As(secretariat_token_).get(), reinstate, &out)
          .error_code(),
      grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(Approve("members/0000000000000000"),
              StatusIs(Code::kNotFound, HasSubstr("members/0000000000000000")));
  EXPECT_THAT(Approve("people/1"),
              StatusIs(Code::kInvalidArgument, HasSubstr("name")));
  EXPECT_THAT(Approve(member->name(), v1::ROLE_PARTNER),
              StatusIs(Code::kInvalidArgument, HasSubstr("role")));
}

TEST_F(MembersServiceTest, RejectedApplicantIsToldWhyAndCannotSignIn) {
  auto member = Apply(Application("amina@example.org", "Amina"));
  ASSERT_THAT(member, IsOk());
  v1::RejectMemberRequest reject;
  reject.set_name(member->name());
  v1::Member out;
  EXPECT_EQ(stub_->RejectMember(As(secretariat_token_).get(), reject, &out)
                .error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);  // reason required
  reject.set_reason("Please apply through your national focal point.");
  ASSERT_TRUE(
      stub_->RejectMember(As(secretariat_token_).get(), reject, &out).ok());
  EXPECT_EQ(out.state(), v1::Member::REJECTED);
  EXPECT_EQ(out.state_reason(), reject.reason());
  EXPECT_THAT(SignIn("amina@example.org"),
              StatusIs(Code::kFailedPrecondition, HasSubstr("REJECTED")));
}

TEST_F(MembersServiceTest, SuspensionRevokesEveryTokenAndReinstatementNone) {
  const v1::SignInResponse session = NewMember("amina@example.org");
  v1::CreateApiTokenRequest create;
  create.set_member(session.member().name());
  create.set_display_name("Kenya citizen data portal");
  v1::CreateApiTokenResponse api;
  ASSERT_TRUE(
      stub_->CreateApiToken(As(secretariat_token_).get(), create, &api).ok());
  ASSERT_THAT(WhoAmI(api.secret()), IsOk());

  v1::SuspendMemberRequest suspend;
  suspend.set_name(session.member().name());
  suspend.set_reason("Posting spam");
  v1::Member out;
  ASSERT_TRUE(
      stub_->SuspendMember(As(secretariat_token_).get(), suspend, &out).ok());
  EXPECT_EQ(out.state(), v1::Member::SUSPENDED);
  EXPECT_THAT(WhoAmI(session.token()), StatusIs(Code::kUnauthenticated));
  EXPECT_THAT(WhoAmI(api.secret()), StatusIs(Code::kUnauthenticated));
  EXPECT_THAT(SignIn("amina@example.org"),
              StatusIs(Code::kFailedPrecondition, HasSubstr("SUSPENDED")));

  v1::ReinstateMemberRequest reinstate;
  reinstate.set_name(session.member().name());
  ASSERT_TRUE(
      stub_->ReinstateMember(As(secretariat_token_).get(), reinstate, &out)
          .ok());
  EXPECT_EQ(out.state(), v1::Member::ACTIVE);
  // Old tokens stay void; a new sign-in works.
  EXPECT_THAT(WhoAmI(session.token()), StatusIs(Code::kUnauthenticated));
  EXPECT_THAT(WhoAmI(api.secret()), StatusIs(Code::kUnauthenticated));
  EXPECT_THAT(SignIn("amina@example.org"), IsOk());
  // The listing tells the same: the voided API token reads as revoked.
  v1::ListApiTokensRequest list;
  v1::ListApiTokensResponse listed;
  ASSERT_TRUE(
      stub_->ListApiTokens(As(secretariat_token_).get(), list, &listed).ok());
  EXPECT_EQ(listed.api_tokens_size(), 0);
  list.set_show_revoked(true);
  ASSERT_TRUE(
      stub_->ListApiTokens(As(secretariat_token_).get(), list, &listed).ok());
  ASSERT_EQ(listed.api_tokens_size(), 1);
  EXPECT_TRUE(listed.api_tokens(0).revoked());
}

TEST_F(MembersServiceTest, SecretariatCannotSuspendOrDemoteItself) {
  v1::Member out;
  v1::SuspendMemberRequest suspend;
  suspend.set_name(secretariat_);
  suspend.set_reason("oops");
  EXPECT_EQ(stub_->SuspendMember(As(secretariat_token_).get(), suspend, &out)
                .error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  v1::SetMemberRoleRequest demote;
  demote.set_name(secretariat_);
  demote.set_role(v1::ROLE_MEMBER);
  EXPECT_EQ(stub_->SetMemberRole(As(secretariat_token_).get(), demote, &out)
                .error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(MembersServiceTest, RoleChangeTakesEffectOnExistingSessions) {
  const v1::SignInResponse session = NewMember("amina@example.org");
  auto applicant = Apply(Application("bo@example.org", "Bo"));
  EXPECT_THAT(Approve(applicant->name(), v1::ROLE_MEMBER, session.token()),
              StatusIs(Code::kPermissionDenied));
  v1::SetMemberRoleRequest promote;
  promote.set_name(session.member().name());
  promote.set_role(v1::ROLE_SECRETARIAT);
  v1::Member out;
  ASSERT_TRUE(
      stub_->SetMemberRole(As(secretariat_token_).get(), promote, &out).ok());
  EXPECT_EQ(out.role(), v1::ROLE_SECRETARIAT);
  EXPECT_THAT(Approve(applicant->name(), v1::ROLE_MEMBER, session.token()),
              IsOk());
}

TEST_F(MembersServiceTest, EmailIsShownOnlyToTheMemberAndTheSecretariat) {
  const v1::SignInResponse amina = NewMember("amina@example.org", "Amina");
  const v1::SignInResponse bo = NewMember("bo@example.org", "Bo");
  v1::GetMemberRequest get;
  get.set_name(amina.member().name());
  v1::Member seen;
  ASSERT_TRUE(stub_->GetMember(As(bo.token()).get(), get, &seen).ok());
  EXPECT_EQ(seen.display_name(), "Amina");
  EXPECT_EQ(seen.email(), "");
  ASSERT_TRUE(stub_->GetMember(As(amina.token()).get(), get, &seen).ok());
  EXPECT_EQ(seen.email(), "amina@example.org");
  ASSERT_TRUE(stub_->GetMember(As(secretariat_token_).get(), get, &seen).ok());
  EXPECT_EQ(seen.email(), "amina@example.org");
}

TEST_F(MembersServiceTest, PendingApplicantsAreHiddenFromMembers) {
  const std::string member = NewMember("amina@example.org").token();
  auto applicant = Apply(Application("bo@example.org", "Bo"));
  v1::GetMemberRequest get;
  get.set_name(applicant->name());
  v1::Member seen;
  EXPECT_EQ(stub_->GetMember(As(member).get(), get, &seen).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_TRUE(stub_->GetMember(As(secretariat_token_).get(), get, &seen).ok());
  v1::ListMembersRequest pending;
  pending.set_state(v1::Member::PENDING);
  EXPECT_THAT(List(pending, member), StatusIs(Code::kPermissionDenied));
  auto queue = List(pending, secretariat_token_);
  ASSERT_THAT(queue, IsOk());
  ASSERT_EQ(queue->members_size(), 1);
  EXPECT_EQ(queue->members(0).name(), applicant->name());
}

TEST_F(MembersServiceTest, DirectoryPagesThroughEveryShardInNameOrder) {
  const std::string viewer = NewMember("viewer@example.org", "Viewer").token();
  std::set<std::string> expected = {"Secretariat", "Viewer"};
  for (int i = 0; i < 40; ++i) {
    const std::string name = absl::StrCat("Member ", 100 + i);
    auto member =
        Apply(Application(absl::StrCat("m", i, "@example.org"), name));
    ASSERT_THAT(member, IsOk());
    if (i % 4 != 0) {  // a quarter stay pending and must not be listed
      ASSERT_THAT(Approve(member->name()), IsOk());
      expected.insert(name);
    }
  }
  std::vector<std::string> seen;
  v1::ListMembersRequest request;
  request.set_page_size(7);
  int pages = 0;
  do {
    auto page = List(request, viewer);
    ASSERT_THAT(page, IsOk());
    EXPECT_LE(page->members_size(), 7);
    for (const v1::Member& m : page->members())
      seen.push_back(m.display_name());
    request.set_page_token(page->next_page_token());
    ASSERT_LT(++pages, 20);
  } while (!request.page_token().empty());
  EXPECT_TRUE(std::is_sorted(
      seen.begin(), seen.end(), [](const std::string& a, const std::string& b) {
        return absl::AsciiStrToLower(a) < absl::AsciiStrToLower(b);
      }));
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()), expected);
  EXPECT_EQ(seen.size(), expected.size());  // no repeats
}

TEST_F(MembersServiceTest, DirectoryFiltersByCountryAndOrganisationType) {
  const std::string viewer = NewMember("viewer@example.org", "Viewer").token();
  auto fr = Application("fr@example.org", "Claire");
  fr.mutable_member()->set_country("FRA");
  fr.mutable_member()->set_organisation_type(v1::ORGANISATION_TYPE_ACADEMIA);
  auto applied = Apply(fr);
  ASSERT_THAT(applied, IsOk());
  ASSERT_THAT(Approve(applied->name()), IsOk());

  v1::ListMembersRequest by_country;
  by_country.set_country("FRA");
  auto french = List(by_country, viewer);
  ASSERT_THAT(french, IsOk());
  ASSERT_EQ(french->members_size(), 1);
  EXPECT_EQ(french->members(0).display_name(), "Claire");

  v1::ListMembersRequest by_type;
  by_type.set_organisation_type(
      v1::ORGANISATION_TYPE_NATIONAL_STATISTICAL_OFFICE);
  auto offices = List(by_type, viewer);
  ASSERT_THAT(offices, IsOk());
  ASSERT_EQ(offices->members_size(), 1);
  EXPECT_EQ(offices->members(0).display_name(), "Viewer");

  v1::ListMembersRequest bad;
  bad.set_country("France");
  EXPECT_THAT(List(bad, viewer),
              StatusIs(Code::kInvalidArgument, HasSubstr("country")));
  bad.Clear();
  bad.set_page_size(-1);
  EXPECT_THAT(List(bad, viewer),
              StatusIs(Code::kInvalidArgument, HasSubstr("page_size")));
}

TEST_F(MembersServiceTest, PageTokenIsRefusedWithOtherFiltersOrWhenForged) {
  const std::string viewer = NewMember("viewer@example.org", "Viewer").token();
  NewMember("other@example.org", "Other");
  v1::ListMembersRequest request;
  request.set_page_size(1);
  auto first = List(request, viewer);
  ASSERT_THAT(first, IsOk());
  ASSERT_FALSE(first->next_page_token().empty());
  request.set_page_token(first->next_page_token());
  request.set_country("KEN");
  EXPECT_THAT(List(request, viewer),
              StatusIs(Code::kInvalidArgument, HasSubstr("page_token")));
  request.set_page_token("garbage!");
  EXPECT_THAT(List(request, viewer),
              StatusIs(Code::kInvalidArgument, HasSubstr("page_token")));
}

TEST_F(MembersServiceTest, ObserversAndAnonymousCallersCannotReadTheDirectory) {
  const std::string observer =
      NewMember("observer@example.org", "Obs", v1::ROLE_OBSERVER).token();
  EXPECT_THAT(List({}, observer), StatusIs(Code::kPermissionDenied));
  EXPECT_THAT(List({}, ""), StatusIs(Code::kUnauthenticated));
}

TEST_F(MembersServiceTest, MemberUpdatesOwnProfileWithEtagAgainstLostUpdates) {
  const v1::SignInResponse amina = NewMember("amina@example.org", "Amina");
  v1::UpdateMemberRequest update;
  update.mutable_member()->set_name(amina.member().name());
  update.mutable_member()->set_display_name("Amina N.");
  update.mutable_member()->set_etag(amina.member().etag());
  update.mutable_update_mask()->add_paths("display_name");
  v1::Member updated;
  ASSERT_TRUE(
      stub_->UpdateMember(As(amina.token()).get(), update, &updated).ok());
  EXPECT_EQ(updated.display_name(), "Amina N.");
  EXPECT_EQ(updated.organisation(), "Statistics Kenya");  // untouched
  EXPECT_NE(updated.etag(), amina.member().etag());

  // The same stale etag again: refused, nothing changed.
  update.mutable_member()->set_display_name("Someone else");
  grpc::Status stale =
      stub_->UpdateMember(As(amina.token()).get(), update, &updated);
  EXPECT_EQ(stale.error_code(), grpc::StatusCode::ABORTED);
  EXPECT_THAT(stale.error_message(), HasSubstr("etag"));

  // Without an etag the last writer wins.
  update.mutable_member()->clear_etag();
  update.mutable_member()->set_display_name("Amina Njoroge");
  ASSERT_TRUE(
      stub_->UpdateMember(As(amina.token()).get(), update, &updated).ok());

  // The directory follows the new name.
  v1::ListMembersRequest list;
  auto page = List(list, amina.token());
  ASSERT_THAT(page, IsOk());
  std::vector<std::string> names;
  for (const auto& m : page->members()) names.push_back(m.display_name());
  EXPECT_THAT(names, ::testing::ElementsAre("Amina Njoroge", "Secretariat"));
}

TEST_F(MembersServiceTest, UpdateRefusesOthersProfilesAndUnknownPaths) {
  const v1::SignInResponse amina = NewMember("amina@example.org", "Amina");
  const v1::SignInResponse bo = NewMember("bo@example.org", "Bo");
  v1::UpdateMemberRequest update;
  update.mutable_member()->set_name(amina.member().name());
  update.mutable_member()->set_display_name("Hacked");
  update.mutable_update_mask()->add_paths("display_name");
  v1::Member out;
  EXPECT_EQ(
      stub_->UpdateMember(As(bo.token()).get(), update, &out).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);

  update.mutable_update_mask()->clear_paths();
  EXPECT_EQ(
      stub_->UpdateMember(As(amina.token()).get(), update, &out).error_code(),
      grpc::StatusCode::INVALID_ARGUMENT);
  for (const char* path : {"email", "role", "state", "nonsense"}) {
    update.mutable_update_mask()->clear_paths();
    update.mutable_update_mask()->add_paths(path);
    grpc::Status status =
        stub_->UpdateMember(As(amina.token()).get(), update, &out);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << path;
    EXPECT_THAT(status.error_message(), HasSubstr("update_mask")) << path;
  }
  update.mutable_update_mask()->clear_paths();
  update.mutable_update_mask()->add_paths("country");
  update.mutable_member()->set_country("ZZZ");
  grpc::Status bad_country =
      stub_->UpdateMember(As(amina.token()).get(), update, &out);
  EXPECT_EQ(bad_country.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(bad_country.error_message(), HasSubstr("member.country"));

  // The secretariat may correct anyone's profile.
  update.mutable_member()->set_country("UGA");
  ASSERT_TRUE(
      stub_->UpdateMember(As(secretariat_token_).get(), update, &out).ok());
  EXPECT_EQ(out.country(), "UGA");
}

TEST_F(MembersServiceTest, ChangePasswordRevokesOldSessionsAndIssuesANewOne) {
  const v1::SignInResponse amina = NewMember("amina@example.org");
  const std::string other_session = SignIn("amina@example.org")->token();
  v1::ChangePasswordRequest change;
  change.set_current_password("wrong wrong wrong");
  change.set_new_password("a brand new passphrase");
  v1::SignInResponse fresh;
  EXPECT_EQ(stub_->ChangePassword(As(amina.token()).get(), change, &fresh)
                .error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  change.set_current_password(kGoodPassword);
  change.set_new_password("short");
  EXPECT_EQ(stub_->ChangePassword(As(amina.token()).get(), change, &fresh)
                .error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  change.set_new_password("a brand new passphrase");
  ASSERT_TRUE(
      stub_->ChangePassword(As(amina.token()).get(), change, &fresh).ok());
  EXPECT_THAT(WhoAmI(amina.token()), StatusIs(Code::kUnauthenticated));
  EXPECT_THAT(WhoAmI(other_session), StatusIs(Code::kUnauthenticated));
  EXPECT_THAT(WhoAmI(fresh.token()), IsOk());
  EXPECT_THAT(SignIn("amina@example.org"), StatusIs(Code::kUnauthenticated));
  EXPECT_THAT(SignIn("amina@example.org", "a brand new passphrase"), IsOk());
}

TEST_F(MembersServiceTest, ApiTokenActsAsPartnerUntilRevoked) {
  const v1::SignInResponse org = NewMember("data@unicef.example.org", "UNICEF");
  v1::CreateApiTokenRequest create;
  create.set_member(org.member().name());
  create.set_display_name("UNICEF data portal");
  v1::CreateApiTokenResponse created;
  ASSERT_TRUE(
      stub_->CreateApiToken(As(secretariat_token_).get(), create, &created)
          .ok());
  EXPECT_EQ(created.api_token().role(), v1::ROLE_PARTNER);
  EXPECT_EQ(created.api_token().created_by(), secretariat_);
  auto principal = WhoAmI(created.secret());
  ASSERT_THAT(principal, IsOk());
  EXPECT_EQ(principal->role(), v1::ROLE_PARTNER);
  EXPECT_EQ(principal->member(), org.member().name());
  // Partners are not members: no directory.
  EXPECT_THAT(List({}, created.secret()), StatusIs(Code::kPermissionDenied));

  v1::ListApiTokensRequest list;
  v1::ListApiTokensResponse listed;
  ASSERT_TRUE(
      stub_->ListApiTokens(As(secretariat_token_).get(), list, &listed).ok());
  ASSERT_EQ(listed.api_tokens_size(), 1);
  EXPECT_EQ(listed.api_tokens(0).name(), created.api_token().name());
  EXPECT_EQ(listed.api_tokens(0).display_name(), "UNICEF data portal");

  v1::RevokeApiTokenRequest revoke;
  revoke.set_name(created.api_token().name());
  v1::ApiToken revoked;
  ASSERT_TRUE(
      stub_->RevokeApiToken(As(secretariat_token_).get(), revoke, &revoked)
          .ok());
  EXPECT_TRUE(revoked.revoked());
  EXPECT_THAT(WhoAmI(created.secret()),
              StatusIs(Code::kUnauthenticated, HasSubstr("revoked")));
  listed.Clear();
  ASSERT_TRUE(
      stub_->ListApiTokens(As(secretariat_token_).get(), list, &listed).ok());
  EXPECT_EQ(listed.api_tokens_size(), 0);
  list.set_show_revoked(true);
  ASSERT_TRUE(
      stub_->ListApiTokens(As(secretariat_token_).get(), list, &listed).ok());
  EXPECT_EQ(listed.api_tokens_size(), 1);
}

TEST_F(MembersServiceTest, ApiTokensExpireAndRespectTheirLimits) {
  const v1::SignInResponse org = NewMember("data@unicef.example.org", "UNICEF");
  v1::CreateApiTokenRequest create;
  create.set_member(org.member().name());
  create.set_display_name("portal");
  create.mutable_ttl()->set_seconds(60);
  v1::CreateApiTokenResponse created;
  grpc::Status too_short =
      stub_->CreateApiToken(As(secretariat_token_).get(), create, &created);
  EXPECT_EQ(too_short.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(too_short.error_message(), HasSubstr("ttl"));
  create.mutable_ttl()->set_seconds(400LL * 24 * 3600);
  EXPECT_EQ(
      stub_->CreateApiToken(As(secretariat_token_).get(), create, &created)
          .error_code(),
      grpc::StatusCode::INVALID_ARGUMENT);
  create.mutable_ttl()->set_seconds(2 * 3600);
  ASSERT_TRUE(
      stub_->CreateApiToken(As(secretariat_token_).get(), create, &created)
          .ok());
  EXPECT_THAT(WhoAmI(created.secret()), IsOk());
  clock_.Advance(absl::Hours(2));
  EXPECT_THAT(WhoAmI(created.secret()),
              StatusIs(Code::kUnauthenticated, HasSubstr("expired")));

  // Only for active members.
  auto pending = Apply(Application("pending@example.org", "Pending"));
  create.set_member(pending->name());
  EXPECT_EQ(
      stub_->CreateApiToken(As(secretariat_token_).get(), create, &created)
          .error_code(),
      grpc::StatusCode::FAILED_PRECONDITION);
  create.set_member("members/0000000000000000");
  EXPECT_EQ(
      stub_->CreateApiToken(As(secretariat_token_).get(), create, &created)
          .error_code(),
      grpc::StatusCode::NOT_FOUND);
}

TEST_F(MembersServiceTest, ApiTokenListPagesFiltersAndRefusesUnknownNames) {
  const v1::SignInResponse a = NewMember("a@example.org", "Org A");
  const v1::SignInResponse b = NewMember("b@example.org", "Org B");
  std::set<std::string> issued_for_a;
  for (int i = 0; i < 5; ++i) {
    for (const auto* org : {&a, &b}) {
      v1::CreateApiTokenRequest create;
      create.set_member(org->member().name());
      create.set_display_name(absl::StrCat("system ", i));
      v1::CreateApiTokenResponse created;
      ASSERT_TRUE(
          stub_->CreateApiToken(As(secretariat_token_).get(), create, &created)
              .ok());
      if (org == &a) issued_for_a.insert(created.api_token().name());
      clock_.Advance(absl::Seconds(1));  // distinct creation times
    }
  }
  v1::ListApiTokensRequest list;
  list.set_member(a.member().name());
  list.set_page_size(2);
  std::vector<std::string> seen;
  std::vector<int64_t> created_at;
  do {
    v1::ListApiTokensResponse page;
    ASSERT_TRUE(
        stub_->ListApiTokens(As(secretariat_token_).get(), list, &page).ok());
    for (const v1::ApiToken& token : page.api_tokens()) {
      EXPECT_EQ(token.member(), a.member().name());
      seen.push_back(token.name());
      created_at.push_back(token.create_time().seconds());
    }
    list.set_page_token(page.next_page_token());
  } while (!list.page_token().empty());
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()), issued_for_a);
  EXPECT_EQ(seen.size(), issued_for_a.size());
  EXPECT_TRUE(std::is_sorted(created_at.rbegin(), created_at.rend()))
      << "newest first";

  v1::RevokeApiTokenRequest revoke;
  v1::ApiToken out;
  revoke.set_name("tokens/0123456789abcdef01234567");
  EXPECT_EQ(stub_->RevokeApiToken(As(secretariat_token_).get(), revoke, &out)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);
  revoke.set_name("tokens/short");
  EXPECT_EQ(stub_->RevokeApiToken(As(secretariat_token_).get(), revoke, &out)
                .error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  // A session token is not an API token, and its existence is not told.
  const std::string session_id = a.token().substr(4, 24);
  revoke.set_name(absl::StrCat("tokens/", session_id));
  EXPECT_EQ(stub_->RevokeApiToken(As(secretariat_token_).get(), revoke, &out)
                .error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(WhoAmI(a.token()), IsOk());
}

TEST_F(MembersServiceTest, ApiTokensActOnlyForMemberAccounts) {
  const v1::SignInResponse org = NewMember("data@unicef.example.org", "UNICEF");
  const v1::SignInResponse observer =
      NewMember("obs@example.org", "Observer", v1::ROLE_OBSERVER);
  v1::CreateApiTokenRequest create;
  create.set_member(observer.member().name());
  create.set_display_name("portal");
  v1::CreateApiTokenResponse created;
  grpc::Status refused =
      stub_->CreateApiToken(As(secretariat_token_).get(), create, &created);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(refused.error_message(), HasSubstr("MEMBER"));

  create.set_member(org.member().name());
  ASSERT_TRUE(
      stub_->CreateApiToken(As(secretariat_token_).get(), create, &created)
          .ok());
  ASSERT_THAT(WhoAmI(created.secret()), IsOk());
  // Demoting the account stops its partner token at once.
  v1::SetMemberRoleRequest demote;
  demote.set_name(org.member().name());
  demote.set_role(v1::ROLE_OBSERVER);
  v1::Member out;
  ASSERT_TRUE(
      stub_->SetMemberRole(As(secretariat_token_).get(), demote, &out).ok());
  EXPECT_THAT(WhoAmI(created.secret()),
              StatusIs(Code::kUnauthenticated, HasSubstr("partner")));
}

TEST_F(MembersServiceTest, MembersCannotMoveThemselvesIntoAnAudience) {
  const v1::SignInResponse amina = NewMember("amina@example.org", "Amina");
  for (const char* path : {"country", "organisation_type"}) {
    v1::UpdateMemberRequest update;
    update.mutable_member()->set_name(amina.member().name());
    update.mutable_member()->set_country("FRA");
    update.mutable_member()->set_organisation_type(
        v1::ORGANISATION_TYPE_ACADEMIA);
    update.mutable_update_mask()->add_paths(path);
    v1::Member out;
    grpc::Status status =
        stub_->UpdateMember(As(amina.token()).get(), update, &out);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << path;
    EXPECT_THAT(status.error_message(), HasSubstr("secretariat")) << path;
  }
}

TEST_F(MembersServiceTest, UpdateMaskRepeatsAreBounded) {
  const v1::SignInResponse amina = NewMember("amina@example.org", "Amina");
  v1::UpdateMemberRequest update;
  update.mutable_member()->set_name(amina.member().name());
  update.mutable_member()->set_display_name("Amina N.");
  for (int i = 0; i < 17; ++i) {
    update.mutable_update_mask()->add_paths("display_name");
  }
  v1::Member out;
  grpc::Status status =
      stub_->UpdateMember(As(amina.token()).get(), update, &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("update_mask"));
  update.mutable_update_mask()->clear_paths();
  update.mutable_update_mask()->add_paths("display_name");
  update.mutable_update_mask()->add_paths("display_name");
  ASSERT_TRUE(stub_->UpdateMember(As(amina.token()).get(), update, &out).ok());
  EXPECT_EQ(out.display_name(), "Amina N.");
}

TEST_F(MembersServiceTest, BootstrapReissuesForTheSameAccountOnly) {
  BootstrapRequest again;
  again.email = "secretariat@unstats.example.org";
  auto second = service_->BootstrapSecretariat(again);
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ(second->member().name(), secretariat_);
  EXPECT_NE(second->token(), secretariat_token_);
  EXPECT_THAT(WhoAmI(secretariat_token_), IsOk());  // both sessions live

  BootstrapRequest other;
  other.email = "intruder@example.org";
  EXPECT_THAT(service_->BootstrapSecretariat(other),
              StatusIs(Code::kFailedPrecondition));
  NewMember("member@example.org");
  BootstrapRequest member;
  member.email = "member@example.org";
  EXPECT_THAT(service_->BootstrapSecretariat(member),
              StatusIs(Code::kFailedPrecondition));
}

TEST_F(MembersServiceTest, HealthAndCallsFollowRedisDownAndBackUp) {
  auto health = grpc::health::v1::Health::NewStub(grpc::CreateChannel(
      host_->address(), grpc::InsecureChannelCredentials()));
  // Polls health until it reports `want`, for at most 10 s.
  auto await = [&](grpc::health::v1::HealthCheckResponse::ServingStatus want) {
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    grpc::health::v1::HealthCheckResponse::ServingStatus seen =
        grpc::health::v1::HealthCheckResponse::UNKNOWN;
    while (absl::Now() < deadline) {
      grpc::ClientContext context;
      grpc::health::v1::HealthCheckRequest request;
      request.set_service("cdc.v1.MembersService");
      grpc::health::v1::HealthCheckResponse response;
      if (health->Check(&context, request, &response).ok()) {
        seen = response.status();
        if (seen == want) return true;
      }
      absl::SleepFor(absl::Milliseconds(20));
    }
    ADD_FAILURE() << "health stayed " << seen << ", wanted " << want;
    return false;
  };
  ASSERT_TRUE(await(grpc::health::v1::HealthCheckResponse::SERVING));

  server().Stop();
  ASSERT_TRUE(await(grpc::health::v1::HealthCheckResponse::NOT_SERVING));
  EXPECT_THAT(Apply(Application("amina@example.org", "Amina")),
              StatusIs(Code::kUnavailable));
  EXPECT_THAT(WhoAmI(secretariat_token_), StatusIs(Code::kUnavailable));

  ASSERT_THAT(server().Restart(), IsOk());
  ASSERT_TRUE(await(grpc::health::v1::HealthCheckResponse::SERVING));
  // The test Redis keeps nothing across a restart; the service needs no
  // restart of its own to work again.
  EXPECT_THAT(Apply(Application("amina@example.org", "Amina")), IsOk());
}

}  // namespace
}  // namespace cdc::members
