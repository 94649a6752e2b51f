// `cdc-load seed`: what the scenarios need in a fresh cdc, made through the
// public API with a secretariat token: members who applied, were approved
// and signed in (their tokens go to the accounts file), and a consultation
// of its own with a draft of numbered sections and an open round.
#pragma once

#include <string>

#include "absl/status/status.h"

namespace cdc::bench {

struct SeedOptions {
  std::string members_address;        // cdc-members
  std::string consultations_address;  // cdc-consultations
  std::string token;                  // a secretariat token
  int members = 0;                    // accounts to make
  std::string accounts_path;          // where their tokens go
  // Made with sections "s1".."s<sections>" and a round open for 30 days
  // unless it exists; "" for none.
  std::string consultation_id = "bench";
  int sections = 12;
  int threads = 4;  // calls at once (argon2id makes applying slow)
};

// Idempotent for the consultation; members that exist already are signed
// in again. INVALID_ARGUMENT / UNAVAILABLE / what the services answer.
absl::Status Seed(const SeedOptions& options);

}  // namespace cdc::bench
