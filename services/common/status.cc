#include "services/common/status.h"

#include <array>
#include <string>

namespace cdc {
namespace {

#define CDC_SAME_CODE(absl_code, grpc_code)                        \
  static_assert(static_cast<int>(absl::StatusCode::absl_code) ==   \
                    static_cast<int>(grpc::StatusCode::grpc_code), \
                #absl_code " differs between absl and gRPC")
CDC_SAME_CODE(kOk, OK);
CDC_SAME_CODE(kCancelled, CANCELLED);
CDC_SAME_CODE(kUnknown, UNKNOWN);
CDC_SAME_CODE(kInvalidArgument, INVALID_ARGUMENT);
CDC_SAME_CODE(kDeadlineExceeded, DEADLINE_EXCEEDED);
CDC_SAME_CODE(kNotFound, NOT_FOUND);
CDC_SAME_CODE(kAlreadyExists, ALREADY_EXISTS);
CDC_SAME_CODE(kPermissionDenied, PERMISSION_DENIED);
CDC_SAME_CODE(kResourceExhausted, RESOURCE_EXHAUSTED);
CDC_SAME_CODE(kFailedPrecondition, FAILED_PRECONDITION);
CDC_SAME_CODE(kAborted, ABORTED);
CDC_SAME_CODE(kOutOfRange, OUT_OF_RANGE);
CDC_SAME_CODE(kUnimplemented, UNIMPLEMENTED);
CDC_SAME_CODE(kInternal, INTERNAL);
CDC_SAME_CODE(kUnavailable, UNAVAILABLE);
CDC_SAME_CODE(kDataLoss, DATA_LOSS);
CDC_SAME_CODE(kUnauthenticated, UNAUTHENTICATED);
#undef CDC_SAME_CODE

// Indexed by code number, 0..16.
constexpr std::array<const char*, 17> kCodeNames = {
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
};

}  // namespace

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                      std::string(status.message()));
}

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      status.error_message());
}

const char* CodeName(absl::StatusCode code) {
  const auto index = static_cast<size_t>(code);
  return index < kCodeNames.size() ? kCodeNames[index] : "UNKNOWN";
}

bool ParseCodeName(absl::string_view name, absl::StatusCode* code) {
  for (size_t i = 1; i < kCodeNames.size(); ++i) {
    if (name == kCodeNames[i]) {
      *code = static_cast<absl::StatusCode>(i);
      return true;
    }
  }
  return false;
}

}  // namespace cdc
