// GoogleTest matchers for absl::Status and absl::StatusOr (Debian's Abseil
// ships none), and for grpc::Status via its absl form.
//
//   EXPECT_THAT(store.Get("x"), IsOk());
//   EXPECT_THAT(status, StatusIs(absl::StatusCode::kNotFound,
//                                HasSubstr("members/x")));
#pragma once

#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "services/common/status.h"

namespace cdc::testing {

inline const absl::Status& GetStatus(const absl::Status& status) {
  return status;
}
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}
inline absl::Status GetStatus(const grpc::Status& status) {
  return FromGrpcStatus(status);
}

MATCHER(IsOk, "is OK") {
  const absl::Status status = GetStatus(arg);
  if (!status.ok()) *result_listener << "status is " << status;
  return status.ok();
}

MATCHER_P2(StatusIs, code, message_matcher,
           std::string("has code ") + CodeName(code)) {
  const absl::Status status = GetStatus(arg);
  *result_listener << "status is " << status;
  if (status.code() != code) return false;
  return ::testing::ExplainMatchResult(
      message_matcher, std::string(status.message()), result_listener);
}

// A StatusOr that is OK and whose value matches `inner`.
MATCHER_P(IsOkAndHolds, inner, "is OK and holds a matching value") {
  if (!arg.ok()) {
    *result_listener << "status is " << arg.status();
    return false;
  }
  return ::testing::ExplainMatchResult(inner, *arg, result_listener);
}

}  // namespace cdc::testing

namespace cdc::testing {
// One-argument form: any message.
inline auto StatusIs(absl::StatusCode code) {
  return StatusIs(code, ::testing::_);
}
}  // namespace cdc::testing
