// The one place where absl::Status and grpc::Status meet.
//
// Code inside cdc returns absl::Status / absl::StatusOr; handlers convert at
// the edge with ToGrpcStatus, clients convert answers with FromGrpcStatus.
// The canonical codes have the same numbers on both sides (checked below), so
// the conversion never loses the code.
#pragma once

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace cdc {

grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

// The canonical name of a code, e.g. "NOT_FOUND".
const char* CodeName(absl::StatusCode code);

// Parses a canonical name ("FAILED_PRECONDITION") back to a code; returns
// false for anything else.
bool ParseCodeName(absl::string_view name, absl::StatusCode* code);

}  // namespace cdc
