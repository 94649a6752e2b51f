#include "services/members/password.h"

#include <argon2.h>

#include <algorithm>
#include <array>
#include <set>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/common/crypto.h"
#include "services/common/validation.h"

namespace cdc::members {
namespace {

constexpr size_t kSaltBytes = 16;
constexpr size_t kHashBytes = 32;

// Passwords long enough to pass the length rule that still top the breach
// lists. Lower case; compared case-insensitively.
constexpr std::array<absl::string_view, 16> kCommonPasswords = {
    "123456789012",  "password1234", "passwordpassword", "qwertyuiopas",
    "111111111111",  "000000000000", "iloveyou1234",     "123123123123",
    "abcdefghijkl",  "qwerty123456", "password123!",     "welcome12345",
    "administrator", "letmein12345", "1q2w3e4r5t6y",     "changeme1234",
};

}  // namespace

template <typename Work>
auto PasswordHasher::Limited(Work work) const {
  {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](const PasswordHasher* self) {
          self->mu_.AssertHeld();
          return self->running_ < self->max_concurrent_;
        },
        this));
    ++running_;
  }
  auto result = work();
  absl::MutexLock lock(&mu_);
  --running_;
  return result;
}

PasswordHasher::PasswordHasher(PasswordHashOptions options)
    : options_(options),
      max_concurrent_(
          options.max_concurrent > 0
              ? options.max_concurrent
              : std::max(
                    2, static_cast<int>(std::thread::hardware_concurrency()))) {
  absl::StatusOr<std::string> dummy = Hash(HexEncode(RandomBytes(16)));
  if (dummy.ok()) dummy_hash_ = *std::move(dummy);
}

absl::StatusOr<std::string> PasswordHasher::Hash(
    absl::string_view password) const {
  const std::string salt = RandomBytes(kSaltBytes);
  const size_t length = argon2_encodedlen(
      options_.iterations, options_.memory_kib, options_.parallelism,
      kSaltBytes, kHashBytes, Argon2_id);
  std::string encoded(length, '\0');
  const int rc = Limited([&] {
    return argon2id_hash_encoded(options_.iterations, options_.memory_kib,
                                 options_.parallelism, password.data(),
                                 password.size(), salt.data(), salt.size(),
                                 kHashBytes, encoded.data(), encoded.size());
  });
  if (rc != ARGON2_OK) {
    return absl::InternalError(
        absl::StrCat("argon2id: ", argon2_error_message(rc)));
  }
  encoded.resize(encoded.find('\0'));
  return encoded;
}

bool PasswordHasher::Verify(absl::string_view encoded,
                            absl::string_view password) const {
  if (encoded.empty()) {
    // No password set: answer as slowly as a wrong one would.
    if (!dummy_hash_.empty()) (void)Verify(dummy_hash_, password);
    return false;
  }
  const std::string terminated(encoded);  // argon2 wants a C string
  return Limited([&] {
           return argon2id_verify(terminated.c_str(), password.data(),
                                  password.size());
         }) == ARGON2_OK;
}

void PasswordHasher::VerifyNothing(absl::string_view password) const {
  (void)Verify(dummy_hash_, password);
}

absl::Status CheckPasswordStrength(absl::string_view field,
                                   absl::string_view password,
                                   absl::string_view email) {
  absl::StatusOr<size_t> length = CodePointCount(password);
  if (!length.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": must be valid UTF-8"));
  }
  if (*length < kMinPasswordLength || *length > kMaxPasswordLength) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": must be ", kMinPasswordLength, " to ",
                     kMaxPasswordLength, " characters long"));
  }
  const std::string lower = absl::AsciiStrToLower(password);
  if (std::find(kCommonPasswords.begin(), kCommonPasswords.end(), lower) !=
      kCommonPasswords.end()) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": is one of the most common passwords"));
  }
  if (std::set<char>(password.begin(), password.end()).size() < 5) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": must use at least 5 different characters"));
  }
  const absl::string_view local = email.substr(0, email.find('@'));
  if (local.size() >= 4 &&
      absl::StrContains(lower, absl::AsciiStrToLower(local))) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": must not contain your email address"));
  }
  return absl::OkStatus();
}

}  // namespace cdc::members
