// Password hashing (argon2id) and the strength rules for new passwords.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace cdc::members {

struct PasswordHashOptions {
  // OWASP's argon2id minimum: 19 MiB, 2 passes, 1 lane (~30-60 ms here).
  uint32_t memory_kib = 19 * 1024;
  uint32_t iterations = 2;
  uint32_t parallelism = 1;
  // argon2id computations running at once; each holds memory_kib of memory,
  // so this bounds the memory that sign-ins and applications can take. 0:
  // the number of cores (at least 2).
  int max_concurrent = 0;
};

class PasswordHasher final {
 public:
  explicit PasswordHasher(PasswordHashOptions options);

  // The PHC-format encoding ("$argon2id$v=19$m=...,t=...,p=...$salt$hash")
  // with a fresh 16-byte salt. The parameters travel with the hash, so
  // changing the options never invalidates stored passwords.
  absl::StatusOr<std::string> Hash(absl::string_view password) const;

  // True when `password` matches `encoded`. An empty `encoded` (an account
  // without a password) takes as long as a wrong password, and is false.
  bool Verify(absl::string_view encoded, absl::string_view password) const;

  // Spends the same time as a Verify that fails, for unknown accounts, so
  // that the answer's timing does not reveal whether an email is registered.
  void VerifyNothing(absl::string_view password) const;

 private:
  // Runs `work` once fewer than max_concurrent computations are running.
  template <typename Work>
  auto Limited(Work work) const;

  const PasswordHashOptions options_;
  std::string dummy_hash_;  // a hash of a random password, same parameters
  const int max_concurrent_;
  mutable absl::Mutex mu_;
  mutable int running_ ABSL_GUARDED_BY(mu_) = 0;
};

inline constexpr size_t kMinPasswordLength = 12;
inline constexpr size_t kMaxPasswordLength = 128;

// INVALID_ARGUMENT naming `field` when the password is too short or long,
// not UTF-8, one of the most common passwords, has fewer than 5 distinct
// characters, or contains the email's local part.
absl::Status CheckPasswordStrength(absl::string_view field,
                                   absl::string_view password,
                                   absl::string_view email);

}  // namespace cdc::members
