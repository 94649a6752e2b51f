#include "services/members/password.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/common/status_matchers.h"

namespace cdc::members {
namespace {

using ::cdc::testing::IsOk;
using ::cdc::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::StartsWith;

TEST(PasswordHasherTest, HashesWithArgon2idAndVerifies) {
  PasswordHasher hasher({.memory_kib = 64, .iterations = 1, .parallelism = 1});
  auto hash = hasher.Hash("correct horse battery staple");
  ASSERT_THAT(hash, IsOk());
  EXPECT_THAT(*hash, StartsWith("$argon2id$v=19$m=64,t=1,p=1$"));
  EXPECT_TRUE(hasher.Verify(*hash, "correct horse battery staple"));
  EXPECT_FALSE(hasher.Verify(*hash, "correct horse battery stapler"));
  EXPECT_FALSE(hasher.Verify("", "anything"));
  EXPECT_FALSE(hasher.Verify("not a hash", "anything"));
}

TEST(PasswordHasherTest, SaltsEveryHash) {
  PasswordHasher hasher({.memory_kib = 64, .iterations = 1, .parallelism = 1});
  EXPECT_NE(*hasher.Hash("same password here"),
            *hasher.Hash("same password here"));
}

TEST(PasswordHasherTest, VerifiesHashesMadeWithOtherParameters) {
  PasswordHasher cheap({.memory_kib = 64, .iterations = 1, .parallelism = 1});
  PasswordHasher dearer({.memory_kib = 128, .iterations = 2, .parallelism = 1});
  auto hash = cheap.Hash("migrating passphrase");
  ASSERT_THAT(hash, IsOk());
  EXPECT_TRUE(dearer.Verify(*hash, "migrating passphrase"));
}

TEST(PasswordStrengthTest, AcceptsALongPassphrase) {
  EXPECT_THAT(CheckPasswordStrength("password", "tea at the rift valley 9",
                                    "amina@example.org"),
              IsOk());
}

TEST(PasswordStrengthTest, RefusesWeakPasswordsNamingTheField) {
  for (const char* weak :
       {"short", "password1234", "PASSWORD1234", "aaaaaaaaaaaaaaaa",
        "abcdabcdabcdabcd", "my-amina-password"}) {
    EXPECT_THAT(
        CheckPasswordStrength("new_password", weak, "amina@example.org"),
        StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("new_password")))
        << weak;
  }
  EXPECT_THAT(CheckPasswordStrength("password", std::string(129, 'x'), "a@b.c"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(CheckPasswordStrength("password", "bad\xff utf8 string", "a@b.c"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("UTF-8")));
}

}  // namespace
}  // namespace cdc::members
