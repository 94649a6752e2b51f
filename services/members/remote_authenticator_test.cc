// RemoteAuthenticator, the way other services check tokens, against a real
// cdc-members on loopback with a real Redis.
#include "services/common/remote_authenticator.h"

#include <grpcpp/grpcpp.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/common/status_matchers.h"
#include "services/members/members_test_support.h"

namespace cdc::members {
namespace {

using ::cdc::testing::IsOk;
using ::cdc::testing::StatusIs;
using ::testing::HasSubstr;

class RemoteAuthenticatorTest : public testing::MembersServerTest {
 protected:
  void SignOut(const std::string& token) {
    auto stub = v1::MembersService::NewStub(channel_);
    grpc::ClientContext context;
    context.AddMetadata("authorization", "Bearer " + token);
    google::protobuf::Empty empty;
    ASSERT_TRUE(stub->SignOut(&context, {}, &empty).ok());
  }

  const std::string& token_ = secretariat_token_;
};

TEST_F(RemoteAuthenticatorTest, ReturnsThePrincipalMembersKnows) {
  RemoteAuthenticator authenticator(channel_, clock_, {});
  auto principal = authenticator.Authenticate(token_);
  ASSERT_THAT(principal, IsOk());
  EXPECT_EQ(principal->role(), v1::ROLE_SECRETARIAT);
  EXPECT_THAT(principal->member(), ::testing::StartsWith("members/"));
}

TEST_F(RemoteAuthenticatorTest, RevocationTakesEffectWhenTheCacheEntryEnds) {
  RemoteAuthenticator authenticator(channel_, clock_,
                                    {.cache_ttl = absl::Seconds(5)});
  ASSERT_THAT(authenticator.Authenticate(token_), IsOk());
  SignOut(token_);
  EXPECT_THAT(authenticator.Authenticate(token_), IsOk());  // cached
  clock_.Advance(absl::Seconds(5));
  EXPECT_THAT(authenticator.Authenticate(token_),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(RemoteAuthenticatorTest, WithoutCacheRevocationIsImmediate) {
  RemoteAuthenticator authenticator(channel_, clock_,
                                    {.cache_ttl = absl::ZeroDuration()});
  ASSERT_THAT(authenticator.Authenticate(token_), IsOk());
  SignOut(token_);
  EXPECT_THAT(authenticator.Authenticate(token_),
              StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(RemoteAuthenticatorTest, RefusesMalformedAndUnknownTokens) {
  RemoteAuthenticator authenticator(channel_, clock_, {});
  EXPECT_THAT(
      authenticator.Authenticate("nonsense"),
      StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("malformed")));
  std::string forged = token_;
  forged.back() = forged.back() == 'A' ? 'B' : 'A';
  EXPECT_THAT(
      authenticator.Authenticate(forged),
      StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("not valid")));
}

TEST_F(RemoteAuthenticatorTest, IsUnavailableWhenMembersCannotBeReached) {
  RemoteAuthenticator authenticator(channel_, clock_,
                                    {.deadline = absl::Milliseconds(500)});
  host_->Shutdown();
  EXPECT_THAT(
      authenticator.Authenticate(token_),
      StatusIs(absl::StatusCode::kUnavailable, HasSubstr("cdc-members")));
}

}  // namespace
}  // namespace cdc::members
