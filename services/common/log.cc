#include "services/common/log.h"

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace cdc {
namespace {

absl::Mutex service_mu(absl::kConstInit);
std::string* service_name ABSL_GUARDED_BY(service_mu) = nullptr;

const char* LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarning:
      return "warning";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

}  // namespace

void SetLogService(absl::string_view service) {
  absl::MutexLock lock(&service_mu);
  delete service_name;
  service_name = new std::string(service);
}

void AppendJsonString(std::string* out, absl::string_view text) {
  out->push_back('"');
  for (unsigned char c : text) {
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (c < 0x20) {
          absl::StrAppendFormat(out, "\\u%04x", c);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

void Log(LogLevel level, absl::string_view message,
         std::initializer_list<LogField> fields) {
  std::string line = "{\"ts\":";
  AppendJsonString(&line, absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(),
                                           absl::UTCTimeZone()));
  absl::StrAppend(&line, ",\"level\":\"", LevelName(level), "\"");
  {
    absl::MutexLock lock(&service_mu);
    if (service_name != nullptr) {
      line.append(",\"service\":");
      AppendJsonString(&line, *service_name);
    }
  }
  line.append(",\"msg\":");
  AppendJsonString(&line, message);
  for (const LogField& field : fields) {
    line.push_back(',');
    AppendJsonString(&line, field.first);
    line.push_back(':');
    AppendJsonString(&line, field.second);
  }
  line.append("}\n");
  // One fwrite per line keeps lines whole when threads log at once.
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace cdc
