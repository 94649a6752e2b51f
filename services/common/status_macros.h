// Early-return helpers for absl::Status, which Debian's Abseil 20220623 lacks.
//
//   CDC_RETURN_IF_ERROR(store.Write(x));
//   CDC_ASSIGN_OR_RETURN(Member member, store.Get(id));
#pragma once

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define CDC_STATUS_CONCAT_INNER_(a, b) a##b
#define CDC_STATUS_CONCAT_(a, b) CDC_STATUS_CONCAT_INNER_(a, b)

// Returns the status of `expr` from the enclosing function unless it is OK.
#define CDC_RETURN_IF_ERROR(expr)              \
  do {                                         \
    const ::absl::Status cdc_status_ = (expr); \
    if (!cdc_status_.ok()) return cdc_status_; \
  } while (false)

// Evaluates `rexpr` (an absl::StatusOr<T>); returns its status unless OK,
// else moves the value into `lhs`, which may be a declaration.
#define CDC_ASSIGN_OR_RETURN(lhs, rexpr)                                       \
  CDC_ASSIGN_OR_RETURN_IMPL_(CDC_STATUS_CONCAT_(cdc_statusor_, __LINE__), lhs, \
                             rexpr)

#define CDC_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr)   \
  auto statusor = (rexpr);                                 \
  if (!statusor.ok()) return std::move(statusor).status(); \
  lhs = std::move(statusor).value()
