#include "services/common/auth.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "cdc/v1/members.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/common/status.h"
#include "services/common/status_matchers.h"

namespace cdc {
namespace {

using ::cdc::testing::IsOk;
using ::cdc::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr absl::StatusCode kUnauthenticated =
    absl::StatusCode::kUnauthenticated;
constexpr char kMemberId[] = "0a1b2c3d4e5f6071";

bool IsLowerHex(absl::string_view s) {
  return s.find_first_not_of("0123456789abcdef") == absl::string_view::npos;
}

TEST(TokenTest, NewTokenStartsItsIdWithTheMemberId) {
  const TokenParts parts = NewToken(kMemberId);
  EXPECT_THAT(parts.token_id, StartsWith(kMemberId));
  EXPECT_EQ(parts.token_id.size(), kTokenIdLength);
  EXPECT_TRUE(IsLowerHex(parts.token_id)) << parts.token_id;
  EXPECT_EQ(parts.secret.size(), 43u);
}

TEST(TokenTest, NewTokensDifferInIdAndSecret) {
  const TokenParts a = NewToken(kMemberId);
  const TokenParts b = NewToken(kMemberId);
  EXPECT_NE(a.token_id, b.token_id);
  EXPECT_NE(a.secret, b.secret);
}

TEST(TokenTest, FormattedTokenParsesBackToItsParts) {
  for (int i = 0; i < 100; ++i) {  // secrets cover the whole alphabet
    const TokenParts parts = NewToken(kMemberId);
    const std::string token = FormatToken(parts);
    EXPECT_EQ(token, absl::StrCat("cdc_", parts.token_id, "_", parts.secret));
    absl::StatusOr<TokenParts> parsed = ParseToken(token);
    ASSERT_THAT(parsed, IsOk()) << token;
    EXPECT_EQ(parsed->token_id, parts.token_id);
    EXPECT_EQ(parsed->secret, parts.secret);
  }
}

TEST(TokenTest, ParseRefusesMalformedTokensAsUnauthenticated) {
  const std::string good = FormatToken(NewToken(kMemberId));
  ASSERT_THAT(ParseToken(good), IsOk());
  const std::string id = good.substr(4, kTokenIdLength);
  const std::string secret = good.substr(4 + kTokenIdLength + 1);
  std::string upper_id = good;
  upper_id[4] = 'A';
  std::string bad_secret = good;
  bad_secret.back() = '+';
  std::string padded_secret = good;
  padded_secret.back() = '=';
  std::string no_separator = good;
  no_separator[4 + kTokenIdLength] = '-';
  for (const std::string& token :
       {std::string(""), std::string("cdc_"), good.substr(1), good + "x",
        good.substr(0, good.size() - 1), absl::StrCat("xyz_", id, "_", secret),
        absl::StrCat("CDC_", id, "_", secret),
        absl::StrCat("cdc_", "g", id.substr(1), "_", secret), upper_id,
        bad_secret, padded_secret, no_separator,
        absl::StrCat("Bearer ", good)}) {
    EXPECT_THAT(ParseToken(token),
                StatusIs(kUnauthenticated, HasSubstr("malformed token")))
        << "token " << token;
  }
}

v1::Principal PrincipalWithRole(v1::Role role) {
  v1::Principal principal;
  principal.set_member(absl::StrCat("members/", kMemberId));
  principal.set_role(role);
  return principal;
}

TEST(RequireRoleTest, AllowsAnyOfTheListedRoles) {
  EXPECT_THAT(RequireRole(PrincipalWithRole(v1::ROLE_SECRETARIAT),
                          {v1::ROLE_SECRETARIAT}),
              IsOk());
  EXPECT_THAT(RequireRole(PrincipalWithRole(v1::ROLE_MEMBER),
                          {v1::ROLE_SECRETARIAT, v1::ROLE_MEMBER}),
              IsOk());
}

TEST(RequireRoleTest, DeniesOtherRolesNamingWhatIsNeededAndWhatTheCallerIs) {
  EXPECT_THAT(
      RequireRole(PrincipalWithRole(v1::ROLE_PARTNER),
                  {v1::ROLE_SECRETARIAT, v1::ROLE_MEMBER}),
      StatusIs(absl::StatusCode::kPermissionDenied,
               HasSubstr("needs the role SECRETARIAT or MEMBER; the caller is "
                         "PARTNER")));
  EXPECT_THAT(
      RequireRole(v1::Principal(), {v1::ROLE_OBSERVER}),
      StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("UNSPECIFIED")));
  EXPECT_THAT(RequireRole(PrincipalWithRole(v1::ROLE_MEMBER), {}),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST(RoleNameTest, DropsTheEnumPrefix) {
  EXPECT_EQ(RoleName(v1::ROLE_SECRETARIAT), "SECRETARIAT");
  EXPECT_EQ(RoleName(v1::ROLE_OBSERVER), "OBSERVER");
  EXPECT_EQ(MemberName(PrincipalWithRole(v1::ROLE_MEMBER)),
            absl::StrCat("members/", kMemberId));
}

// The input of AuthenticateCall, not the unit under test: knows one token,
// and remembers what it was asked.
class OneTokenAuthenticator final : public Authenticator {
 public:
  explicit OneTokenAuthenticator(std::string token)
      : token_(std::move(token)) {}

  absl::StatusOr<v1::Principal> Authenticate(absl::string_view token) override {
    absl::MutexLock lock(&mu_);
    ++calls_;
    last_token_ = std::string(token);
    if (token != token_) return absl::UnauthenticatedError("unknown token");
    return PrincipalWithRole(v1::ROLE_MEMBER);
  }

  int calls() const {
    absl::MutexLock lock(&mu_);
    return calls_;
  }
  std::string last_token() const {
    absl::MutexLock lock(&mu_);
    return last_token_;
  }

 private:
  const std::string token_;
  mutable absl::Mutex mu_;
  int calls_ ABSL_GUARDED_BY(mu_) = 0;
  std::string last_token_ ABSL_GUARDED_BY(mu_);
};

// Authenticate answers with whatever AuthenticateCall decides.
class AuthenticatingService final : public v1::MembersService::Service {
 public:
  explicit AuthenticatingService(Authenticator* authenticator)
      : authenticator_(authenticator) {}

  grpc::Status Authenticate(grpc::ServerContext* context,
                            const v1::AuthenticateRequest*,
                            v1::Principal* response) override {
    absl::StatusOr<v1::Principal> principal =
        AuthenticateCall(*context, *authenticator_);
    if (!principal.ok()) return ToGrpcStatus(principal.status());
    *response = *std::move(principal);
    return grpc::Status::OK;
  }

 private:
  Authenticator* const authenticator_;
};

class AuthenticateCallTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(),
                             &port);
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_NE(port, 0);
    stub_ = v1::MembersService::NewStub(grpc::CreateChannel(
        absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
  }

  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown();
  }

  // Calls Authenticate with `authorization` as the header, none if nullptr.
  absl::StatusOr<v1::Principal> Call(const char* authorization) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(10));
    if (authorization != nullptr) {
      context.AddMetadata("authorization", authorization);
    }
    v1::Principal principal;
    const grpc::Status status =
        stub_->Authenticate(&context, v1::AuthenticateRequest(), &principal);
    if (!status.ok()) return FromGrpcStatus(status);
    return principal;
  }

  const std::string token_ = FormatToken(NewToken(kMemberId));
  OneTokenAuthenticator authenticator_{token_};
  AuthenticatingService service_{&authenticator_};
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::MembersService::Stub> stub_;
};

TEST_F(AuthenticateCallTest, BearerTokenReachesTheAuthenticator) {
  absl::StatusOr<v1::Principal> principal =
      Call(absl::StrCat("Bearer ", token_).c_str());
  ASSERT_THAT(principal, IsOk());
  EXPECT_EQ(principal->member(), absl::StrCat("members/", kMemberId));
  EXPECT_EQ(principal->role(), v1::ROLE_MEMBER);
  EXPECT_EQ(authenticator_.last_token(), token_);
}

TEST_F(AuthenticateCallTest, SchemeIsCaseInsensitive) {
  EXPECT_THAT(Call(absl::StrCat("bearer ", token_).c_str()), IsOk());
  EXPECT_THAT(Call(absl::StrCat("BEARER ", token_).c_str()), IsOk());
  EXPECT_EQ(authenticator_.last_token(), token_);
}

TEST_F(AuthenticateCallTest, SpacesAroundTheTokenAreIgnored) {
  EXPECT_THAT(Call(absl::StrCat("Bearer    ", token_).c_str()), IsOk());
  EXPECT_EQ(authenticator_.last_token(), token_);
}

TEST_F(AuthenticateCallTest, MissingHeaderIsUnauthenticatedWithoutAsking) {
  EXPECT_THAT(Call(nullptr),
              StatusIs(kUnauthenticated, HasSubstr("needs a token")));
  EXPECT_EQ(authenticator_.calls(), 0);
}

TEST_F(AuthenticateCallTest, OtherSchemesAreUnauthenticatedWithoutAsking) {
  for (const char* header :
       {"Basic xyz", "Basic YWxhZGRpbjpvcGVuc2VzYW1l", "Bearer", "Bearer ",
        "Token abc", "Bearerabc", "xyz"}) {
    EXPECT_THAT(Call(header),
                StatusIs(kUnauthenticated, HasSubstr("Bearer <token>")))
        << header;
  }
  EXPECT_EQ(authenticator_.calls(), 0);
}

TEST_F(AuthenticateCallTest, BlankBearerTokenIsUnauthenticatedWithoutAsking) {
  EXPECT_THAT(Call("Bearer    "),
              StatusIs(kUnauthenticated, HasSubstr("Bearer <token>")));
  EXPECT_EQ(authenticator_.calls(), 0);
}

TEST_F(AuthenticateCallTest, AuthenticatorsRefusalComesBackUnchanged) {
  EXPECT_THAT(Call("Bearer cdc_not_a_known_token"),
              StatusIs(kUnauthenticated, "unknown token"));
  EXPECT_EQ(authenticator_.calls(), 1);
  EXPECT_EQ(authenticator_.last_token(), "cdc_not_a_known_token");
}

}  // namespace
}  // namespace cdc
