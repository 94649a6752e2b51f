// The edge between a gRPC handler and cdc's absl::Status code.
//
//   grpc::Status GetMember(...) override {
//     return Handle("GetMember", [&]() -> absl::Status { ... });
//   }
//
// Maps the status once (status.h) and logs server faults, which a client
// cannot fix and an operator must see (the client gets the code and a
// generic message); client errors are the client's news.
#pragma once

#include <grpcpp/support/status.h>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "services/common/log.h"
#include "services/common/status.h"

namespace cdc {

template <typename Body>
grpc::Status Handle(absl::string_view method, Body&& body) {
  const absl::Status status = body();
  switch (status.code()) {
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kUnknown:
    case absl::StatusCode::kDataLoss:
      Log(LogLevel::kError, "call failed",
          {{"method", std::string(method)},
           {"code", CodeName(status.code())},
           {"error", std::string(status.message())}});
      // The details (script lines, Redis errors) are for the operator.
      return ToGrpcStatus(absl::Status(
          status.code(), "internal error; the server log has the details"));
    default:
      break;
  }
  return ToGrpcStatus(status);
}

}  // namespace cdc
