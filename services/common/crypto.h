// Randomness and hashing for identifiers and secrets (OpenSSL underneath).
#pragma once

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"

namespace cdc {

// `n` bytes from the operating system's CSPRNG. Aborts if it fails: no
// secret may ever come from a weaker source.
std::string RandomBytes(size_t n);

// `n` random lower-case hex digits.
std::string RandomHex(size_t n);

// SHA-256 of `data`, 32 raw bytes.
std::string Sha256(absl::string_view data);

// Lower-case hex of raw bytes.
std::string HexEncode(absl::string_view bytes);

// Compares in time that depends only on the lengths, never on where the
// inputs first differ.
bool ConstantTimeEquals(absl::string_view a, absl::string_view b);

}  // namespace cdc
