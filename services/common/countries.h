// Country codes accepted by cdc: ISO 3166-1 alpha-3, upper case.
#pragma once

#include "absl/strings/string_view.h"

namespace cdc {

// True for an assigned ISO 3166-1 alpha-3 code such as "KEN" or "FRA".
bool IsCountryCode(absl::string_view code);

}  // namespace cdc
