// Sign-in throttling against a real Redis and a real cdc-members on
// loopback: the limits per account and address, per address and per
// account, their expiry, and which address a call is counted under.
#include "services/members/sign_in_throttle.h"

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/common/status.h"
#include "services/common/status_matchers.h"
#include "services/members/members_test_support.h"

namespace cdc::members {
namespace {

using ::cdc::testing::IsOk;
using ::cdc::testing::StatusIs;
using ::testing::HasSubstr;
using Code = absl::StatusCode;

constexpr char kPassword[] = "correct horse battery staple";
constexpr char kWrong[] = "not the password at all";

class MembersSignInThrottleTest : public testing::MembersServerTest {
 protected:
  void Configure(MembersServiceOptions& options) override {
    options.sign_in.window = window_;
    options.sign_in.per_account_address = 3;
    options.sign_in.per_address = 6;
    options.sign_in.per_account = 8;
  }

  void SetUp() override {
    MembersServerTest::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_TRUE(NewMember("amina@example.org"));
    ASSERT_TRUE(NewMember("bo@example.org"));
  }

  // Applies and is approved as a MEMBER with kPassword.
  bool NewMember(const std::string& email) {
    v1::ApplyForMembershipRequest request;
    v1::Member* m = request.mutable_member();
    m->set_email(email);
    m->set_display_name("Amina Njoroge");
    m->set_organisation("Statistics Kenya");
    m->set_organisation_type(v1::ORGANISATION_TYPE_NATIONAL_STATISTICAL_OFFICE);
    m->set_country("KEN");
    m->add_languages("en");
    request.set_password(kPassword);
    v1::Member member;
    grpc::ClientContext context;
    if (!stub_->ApplyForMembership(&context, request, &member).ok()) {
      return false;
    }
    v1::ApproveMemberRequest approve;
    approve.set_name(member.name());
    approve.set_role(v1::ROLE_MEMBER);
    return stub_->ApproveMember(As(secretariat_token_).get(), approve, &member)
        .ok();
  }

  // Signs in from `address` (passed as the gateway passes it; this test's
  // calls come from loopback, a trusted proxy by default). Keeps the
  // "retry-after" trailer of the last call.
  absl::Status SignIn(const std::string& email, const std::string& password,
                      const std::string& address = "198.51.100.7") {
    v1::SignInRequest request;
    request.set_email(email);
    request.set_password(password);
    v1::SignInResponse response;
    grpc::ClientContext context;
    if (!address.empty()) context.AddMetadata(kClientAddressKey, address);
    grpc::Status status = stub_->SignIn(&context, request, &response);
    const auto& trailers = context.GetServerTrailingMetadata();
    auto it = trailers.find("retry-after");
    retry_after_ = it == trailers.end()
                       ? ""
                       : std::string(it->second.data(), it->second.size());
    return FromGrpcStatus(status);
  }

  absl::Duration window_ = absl::Minutes(10);
  std::string retry_after_;
};

TEST_F(MembersSignInThrottleTest,
       TheGuessAfterTheLimitIsRefusedWithTimeToWait) {
  for (int i = 0; i < 3; ++i) {
    EXPECT_THAT(SignIn("amina@example.org", kWrong),
                StatusIs(Code::kUnauthenticated));
  }
  const absl::Status refused = SignIn("amina@example.org", kWrong);
  EXPECT_THAT(refused,
              StatusIs(Code::kResourceExhausted,
                       HasSubstr("too many failed sign-ins for this account "
                                 "from this address; retry after")));
  int seconds = 0;
  ASSERT_TRUE(absl::SimpleAtoi(retry_after_, &seconds)) << retry_after_;
  EXPECT_GT(seconds, 0);
  EXPECT_LE(seconds, 600);
  // The right password is refused too while the lockout lasts: otherwise
  // guessing would go on and a right guess would show itself.
  EXPECT_THAT(SignIn("amina@example.org", kPassword),
              StatusIs(Code::kResourceExhausted));
  // The lockout is for this account from this address only.
  EXPECT_THAT(SignIn("amina@example.org", kPassword, "203.0.113.9"), IsOk());
  EXPECT_THAT(SignIn("bo@example.org", kPassword), IsOk());
}

TEST_F(MembersSignInThrottleTest, MixedCaseEmailsCountAsOneAccount) {
  EXPECT_THAT(SignIn("amina@example.org", kWrong),
              StatusIs(Code::kUnauthenticated));
  EXPECT_THAT(SignIn("AMINA@example.org", kWrong),
              StatusIs(Code::kUnauthenticated));
  EXPECT_THAT(SignIn("Amina@Example.Org", kWrong),
              StatusIs(Code::kUnauthenticated));
  EXPECT_THAT(SignIn("amina@EXAMPLE.org", kWrong),
              StatusIs(Code::kResourceExhausted));
}

TEST_F(MembersSignInThrottleTest,
       SuccessClearsTheAccountsCountFromThatAddress) {
  for (int i = 0; i < 2; ++i) {
    EXPECT_THAT(SignIn("amina@example.org", kWrong),
                StatusIs(Code::kUnauthenticated));
  }
  EXPECT_THAT(SignIn("amina@example.org", kPassword), IsOk());
  // Three more wrong guesses are allowed again before the lockout.
  for (int i = 0; i < 3; ++i) {
    EXPECT_THAT(SignIn("amina@example.org", kWrong),
                StatusIs(Code::kUnauthenticated));
  }
  EXPECT_THAT(SignIn("amina@example.org", kWrong),
              StatusIs(Code::kResourceExhausted));
}

TEST_F(MembersSignInThrottleTest, OneAddressSprayingManyAccountsIsStopped) {
  // 6 failures from one address over several accounts, known or not (an
  // unknown email is counted like a known one: the answer must not differ).
  for (int i = 0; i < 6; ++i) {
    EXPECT_THAT(SignIn(absl::StrCat("guess", i, "@example.org"), kWrong),
                StatusIs(Code::kUnauthenticated));
  }
  EXPECT_THAT(
      SignIn("amina@example.org", kPassword),
      StatusIs(Code::kResourceExhausted,
               HasSubstr("too many failed sign-ins from this address")));
  EXPECT_THAT(SignIn("nobody@example.org", kWrong),
              StatusIs(Code::kResourceExhausted));
  // Other addresses are counted separately.
  EXPECT_THAT(SignIn("amina@example.org", kPassword, "203.0.113.9"), IsOk());
}

TEST_F(MembersSignInThrottleTest,
       ManyAddressesCloseTheAccountButNotToKnownAddresses) {
  // The member signs in from home once: a known address from then on.
  ASSERT_THAT(SignIn("amina@example.org", kPassword, "192.0.2.1"), IsOk());
  // A distributed attack: 8 failures from 4 addresses, 2 each.
  for (int i = 0; i < 8; ++i) {
    EXPECT_THAT(SignIn("amina@example.org", kWrong,
                       absl::StrCat("198.51.100.", 10 + i / 2)),
                StatusIs(Code::kUnauthenticated));
  }
  // A fresh address is refused, whatever the password...
  EXPECT_THAT(SignIn("amina@example.org", kPassword, "198.51.100.99"),
              StatusIs(Code::kResourceExhausted,
                       HasSubstr("too many failed sign-ins for this account")));
  // ...but the member, at home, is not locked out.
  EXPECT_THAT(SignIn("amina@example.org", kPassword, "192.0.2.1"), IsOk());
  // Other accounts are not affected.
  EXPECT_THAT(SignIn("bo@example.org", kPassword, "198.51.100.99"), IsOk());
}

TEST_F(MembersSignInThrottleTest, ChangePasswordChecksAreThrottledToo) {
  v1::SignInRequest request;
  request.set_email("amina@example.org");
  request.set_password(kPassword);
  v1::SignInResponse session;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(stub_->SignIn(&context, request, &session).ok());
  }
  auto change = [&](const std::string& current) {
    v1::ChangePasswordRequest change;
    change.set_current_password(current);
    change.set_new_password("another long passphrase here");
    v1::SignInResponse response;
    return FromGrpcStatus(
        stub_->ChangePassword(As(session.token()).get(), change, &response));
  };
  for (int i = 0; i < 3; ++i) {
    EXPECT_THAT(change(kWrong), StatusIs(Code::kUnauthenticated));
  }
  EXPECT_THAT(change(kPassword), StatusIs(Code::kResourceExhausted));
}

TEST_F(MembersSignInThrottleTest,
       UntrustedCallersAreCountedUnderTheirOwnAddress) {
  // A second service that trusts no proxy: the forwarded address is ignored.
  MembersServiceOptions options;
  options.password.memory_kib = 64;
  options.password.iterations = 1;
  options.sign_in.per_account_address = 3;
  options.trusted_proxies = *TrustedProxies::Parse("trusted_proxies", {});
  MembersService service(store_.get(), clock_, options);
  ServiceHost host(ServerOptions{.listen_address = "127.0.0.1:0"}, &redis());
  host.AddService(&service, v1::MembersService::service_full_name());
  ASSERT_THAT(host.Start(), IsOk());
  auto stub = v1::MembersService::NewStub(
      grpc::CreateChannel(host.address(), grpc::InsecureChannelCredentials()));
  auto sign_in = [&](const std::string& forwarded) {
    v1::SignInRequest request;
    request.set_email("amina@example.org");
    request.set_password(kWrong);
    v1::SignInResponse response;
    grpc::ClientContext context;
    context.AddMetadata(kClientAddressKey, forwarded);
    return FromGrpcStatus(stub->SignIn(&context, request, &response));
  };
  // A new "address" per call does not help: all count as 127.0.0.1.
  for (int i = 0; i < 3; ++i) {
    EXPECT_THAT(sign_in(absl::StrCat("203.0.113.", i)),
                StatusIs(Code::kUnauthenticated));
  }
  EXPECT_THAT(sign_in("203.0.113.200"), StatusIs(Code::kResourceExhausted));
  host.Shutdown();
}

TEST_F(MembersSignInThrottleTest, AForwardedValueThatIsNoAddressIsIgnored) {
  // Counted under the peer (127.0.0.1), not under a key the caller chose.
  for (int i = 0; i < 3; ++i) {
    EXPECT_THAT(SignIn("amina@example.org", kWrong,
                       absl::StrCat("x:", i, std::string(1000, 'a'))),
                StatusIs(Code::kUnauthenticated));
  }
  EXPECT_THAT(SignIn("amina@example.org", kWrong, "not an address"),
              StatusIs(Code::kResourceExhausted));
  auto keys = redis().Command({"KEYS", "members:{signin}:a:*"});
  ASSERT_THAT(keys, IsOk());
  ASSERT_EQ(keys->elements.size(), 1u);
  EXPECT_EQ(keys->elements[0].str, "members:{signin}:a:127.0.0.1");
}

TEST_F(MembersSignInThrottleTest, NoEmailIsWrittenIntoTheCounters) {
  EXPECT_THAT(SignIn("amina@example.org", kWrong),
              StatusIs(Code::kUnauthenticated));
  auto keys = redis().Command({"KEYS", "members:{signin}:*"});
  ASSERT_THAT(keys, IsOk());
  EXPECT_EQ(keys->elements.size(), 3u);
  for (const RedisReply& key : keys->elements) {
    EXPECT_THAT(key.str, ::testing::Not(HasSubstr("amina")));
    auto ttl = redis().Command({"PTTL", key.str});
    ASSERT_THAT(ttl, IsOk());
    EXPECT_GT(ttl->integer, 0) << key.str;  // every counter expires
    EXPECT_LE(ttl->integer, absl::ToInt64Milliseconds(window_)) << key.str;
  }
}

class MembersSignInWindowTest : public MembersSignInThrottleTest {
 protected:
  void Configure(MembersServiceOptions& options) override {
    window_ = absl::Seconds(2);
    MembersSignInThrottleTest::Configure(options);
  }
};

TEST_F(MembersSignInWindowTest, ALockoutEndsWhenItsWindowPasses) {
  // Guess until refused (3 failures inside one 2 s window; a slow machine
  // may need a few more tries, never an unbounded number).
  bool refused = false;
  for (int i = 0; i < 30 && !refused; ++i) {
    refused = absl::IsResourceExhausted(SignIn("amina@example.org", kWrong));
  }
  ASSERT_TRUE(refused);
  // Refused attempts do not extend the lockout: it ends by itself.
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  absl::Status status;
  do {
    absl::SleepFor(absl::Milliseconds(100));
    status = SignIn("amina@example.org", kPassword);
  } while (absl::IsResourceExhausted(status) && absl::Now() < deadline);
  EXPECT_THAT(status, IsOk());
}

TEST(MembersTrustedProxiesTest, MatchesAddressesAndNetworks) {
  auto trusted = TrustedProxies::Parse(
      "trusted_proxies", {"10.0.0.0/8", "192.0.2.7", "fd00::/8", "::1"});
  ASSERT_THAT(trusted, IsOk());
  EXPECT_TRUE(trusted->Contains("10.1.2.3"));
  EXPECT_FALSE(trusted->Contains("11.0.0.1"));
  EXPECT_TRUE(trusted->Contains("192.0.2.7"));
  EXPECT_FALSE(trusted->Contains("192.0.2.8"));
  EXPECT_TRUE(trusted->Contains("fd12::1"));
  EXPECT_FALSE(trusted->Contains("fe80::1"));
  EXPECT_TRUE(trusted->Contains("::1"));
  EXPECT_TRUE(trusted->Contains("::ffff:10.9.9.9"));  // IPv4-mapped
  EXPECT_FALSE(trusted->Contains(""));
  EXPECT_FALSE(trusted->Contains("local"));
  auto odd = TrustedProxies::Parse("trusted_proxies", {"10.0.0.0/12"});
  ASSERT_THAT(odd, IsOk());
  EXPECT_TRUE(odd->Contains("10.15.255.255"));
  EXPECT_FALSE(odd->Contains("10.16.0.0"));
  EXPECT_THAT(TrustedProxies::Parse("trusted_proxies", {"gateway"}),
              StatusIs(Code::kInvalidArgument,
                       HasSubstr("trusted_proxies: gateway is not an IP")));
  EXPECT_THAT(TrustedProxies::Parse("trusted_proxies", {"10.0.0.0/33"}),
              StatusIs(Code::kInvalidArgument));
}

}  // namespace
}  // namespace cdc::members
