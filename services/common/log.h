// One-line structured logs: each call writes one JSON object to stderr,
//   {"ts":"2026-11-25T14:00:00.123Z","level":"info","service":"members",
//    "msg":"serving","address":"127.0.0.1:50051"}
// so that any log collector can index the fields. Never log a secret
// (password, token, hash): fields are written as given.
#pragma once

#include <initializer_list>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"

namespace cdc {

enum class LogLevel { kDebug, kInfo, kWarning, kError };

using LogField = std::pair<absl::string_view, std::string>;

// Names the process in every later line; call once from main.
void SetLogService(absl::string_view service);

void Log(LogLevel level, absl::string_view message,
         std::initializer_list<LogField> fields = {});

// Appends `text` as a JSON string literal (quotes included).
void AppendJsonString(std::string* out, absl::string_view text);

}  // namespace cdc
