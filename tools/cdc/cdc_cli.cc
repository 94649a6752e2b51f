#include "tools/cdc/cdc_cli.h"

#include <fcntl.h>
#include <google/protobuf/util/json_util.h>
#include <grpcpp/security/credentials.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <utility>

#include "absl/algorithm/container.h"
#include "absl/flags/commandlineflag.h"
#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "services/common/status.h"

ABSL_FLAG(std::string, members_address, "127.0.0.1:7701",
          "host:port of cdc-members");
ABSL_FLAG(std::string, consultations_address, "127.0.0.1:7702",
          "host:port of cdc-consultations");
ABSL_FLAG(std::string, comments_address, "127.0.0.1:7703",
          "host:port of cdc-comments");
ABSL_FLAG(std::string, notifications_address, "127.0.0.1:7704",
          "host:port of cdc-notifications");
ABSL_FLAG(std::string, community_address, "127.0.0.1:7705",
          "host:port of cdc-community");
ABSL_FLAG(std::string, token, "",
          "bearer token (a session or API token); also CDC_TOKEN");
ABSL_FLAG(absl::Duration, deadline, absl::Seconds(10),
          "how long each call may take, e.g. 10s");
ABSL_FLAG(bool, json, false,
          "print the response message as proto3 JSON instead of text");

namespace cdc::cli {
namespace {

// Flags that absl's parser handles itself, outside its registry.
constexpr absl::string_view kAbslFlags[] = {
    "help",     "helpfull",  "helpshort",  "helppackage",
    "helpon",   "helpmatch", "version",    "only_check_args",
    "flagfile", "fromenv",   "tryfromenv", "undefok"};

// Marks statuses made by UsageError.
constexpr absl::string_view kUsagePayload = "cdc.cli/usage";

}  // namespace

absl::Status UsageError(absl::string_view message) {
  absl::Status status = absl::InvalidArgumentError(message);
  status.SetPayload(kUsagePayload, absl::Cord("1"));
  return status;
}

bool IsUsageError(const absl::Status& status) {
  return status.GetPayload(kUsagePayload).has_value();
}

int ExitCode(const absl::Status& status) {
  if (status.ok()) return 0;
  return IsUsageError(status) ? 2 : 1;
}

absl::Status RequireFlag(absl::string_view flag, absl::string_view value) {
  if (!absl::StripAsciiWhitespace(value).empty()) return absl::OkStatus();
  return UsageError(absl::StrCat("--", flag, " is required"));
}

absl::Status RequireFlags(
    std::initializer_list<std::pair<absl::string_view, std::string>> flags) {
  for (const auto& [name, value] : flags) {
    if (absl::Status status = RequireFlag(name, value); !status.ok()) {
      return status;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<absl::Time> ParseTime(absl::string_view flag,
                                     absl::string_view text, absl::Time now) {
  const auto bad = [&] {
    return UsageError(absl::StrCat(
        "--", flag, ": \"", text,
        "\" is not a time; give RFC 3339 like 2026-12-31T23:59:00Z or a "
        "relative time like +30d, +12h, +90m"));
  };
  if (absl::ConsumePrefix(&text, "+")) {
    if (text.size() < 2) return bad();
    const char unit = text.back();
    int64_t count = 0;
    if (!absl::SimpleAtoi(text.substr(0, text.size() - 1), &count) ||
        count <= 0 || count > 100'000 ||
        !absl::ascii_isdigit(static_cast<unsigned char>(text.front()))) {
      return bad();
    }
    switch (unit) {
      case 'd':
        return now + absl::Hours(24 * count);
      case 'h':
        return now + absl::Hours(count);
      case 'm':
        return now + absl::Minutes(count);
      default:
        return bad();
    }
  }
  absl::Time time;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, text, &time, &error)) return bad();
  return time;
}

google::protobuf::Timestamp ToTimestamp(absl::Time time) {
  google::protobuf::Timestamp timestamp;
  const int64_t nanos = absl::ToUnixNanos(time);
  timestamp.set_seconds(nanos / 1'000'000'000);
  timestamp.set_nanos(static_cast<int32_t>(nanos % 1'000'000'000));
  if (timestamp.nanos() < 0) {
    timestamp.set_seconds(timestamp.seconds() - 1);
    timestamp.set_nanos(timestamp.nanos() + 1'000'000'000);
  }
  return timestamp;
}

absl::StatusOr<std::string> ResourceName(absl::string_view collection,
                                         absl::string_view text) {
  absl::string_view id = text;
  absl::ConsumePrefix(&id, absl::StrCat(collection, "/"));
  if (id.empty() || absl::StrContains(id, '/')) {
    return UsageError(absl::StrCat("\"", text, "\" is not a ", collection,
                                   " name; give ", collection,
                                   "/<id> or just <id>"));
  }
  return absl::StrCat(collection, "/", id);
}

absl::string_view ResourceId(absl::string_view name) {
  const size_t slash = name.rfind('/');
  return slash == absl::string_view::npos ? name : name.substr(slash + 1);
}

absl::StatusOr<std::string> OptionalName(absl::string_view collection,
                                         const std::string& text) {
  if (text.empty()) return std::string();
  return ResourceName(collection, text);
}

absl::StatusOr<std::vector<std::string>> ResourceNames(
    absl::string_view collection, const std::vector<std::string>& texts) {
  std::vector<std::string> names;
  for (const std::string& text : texts) {
    absl::StatusOr<std::string> name = ResourceName(collection, text);
    if (!name.ok()) return name.status();
    names.push_back(*std::move(name));
  }
  return names;
}

std::string EnumLabel(const google::protobuf::EnumDescriptor* descriptor,
                      int value) {
  if (value == 0) return "-";
  const google::protobuf::EnumValueDescriptor* found =
      descriptor->FindValueByNumber(value);
  if (found == nullptr) return absl::StrCat(value);
  absl::string_view name = found->name();
  absl::string_view prefix = descriptor->FindValueByNumber(0)->name();
  if (absl::ConsumeSuffix(&prefix, "UNSPECIFIED")) {
    absl::ConsumePrefix(&name, prefix);
  }
  return absl::StrReplaceAll(absl::AsciiStrToLower(name), {{"_", "-"}});
}

absl::StatusOr<int> ParseEnum(
    const google::protobuf::EnumDescriptor* descriptor, absl::string_view flag,
    absl::string_view text) {
  // Case, '-' and '_' do not matter: "civil-society", "CIVIL_SOCIETY" and
  // "ORGANISATION_TYPE_CIVIL_SOCIETY" are one value.
  const auto normal = [](absl::string_view name) {
    return absl::StrReplaceAll(absl::AsciiStrToLower(name), {{"_", "-"}});
  };
  const std::string wanted = normal(text);
  std::vector<std::string> labels;
  for (int i = 0; i < descriptor->value_count(); ++i) {
    const google::protobuf::EnumValueDescriptor* value = descriptor->value(i);
    if (value->number() == 0) continue;
    std::string label = EnumLabel(descriptor, value->number());
    if (wanted == label || wanted == normal(value->name())) {
      return value->number();
    }
    labels.push_back(std::move(label));
  }
  return UsageError(absl::StrCat("--", flag, ": unknown value \"", text,
                                 "\"; one of: ", absl::StrJoin(labels, ", ")));
}

absl::StatusOr<std::unique_ptr<OutputFile>> OutputFile::Open(
    const std::string& path) {
  if (path == "-") {
    return std::unique_ptr<OutputFile>(new OutputFile(path, "", stdout));
  }
  // O_EXCL: never write through a file (or link) someone else made.
  std::string temporary = absl::StrCat(path, ".", getpid(), ".tmp");
  const int fd =
      open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  std::FILE* file = fd < 0 ? nullptr : fdopen(fd, "wb");
  if (file == nullptr) {
    const int error = errno;
    if (fd >= 0) {
      close(fd);
      unlink(temporary.c_str());
    }
    return UsageError(
        absl::StrCat("cannot write ", path, ": ", std::strerror(error)));
  }
  return std::unique_ptr<OutputFile>(
      new OutputFile(path, std::move(temporary), file));
}

OutputFile::OutputFile(std::string path, std::string temporary, std::FILE* file)
    : path_(std::move(path)), temporary_(std::move(temporary)), file_(file) {}

OutputFile::~OutputFile() {
  if (file_ != nullptr && file_ != stdout) {
    std::fclose(file_);
    unlink(temporary_.c_str());
  }
}

absl::Status OutputFile::Write(absl::string_view data) {
  if (std::fwrite(data.data(), 1, data.size(), file_) == data.size()) {
    return absl::OkStatus();
  }
  return absl::ErrnoToStatus(errno, absl::StrCat("cannot write ", path_));
}

absl::Status OutputFile::Commit() {
  const auto failed = [&] {
    return absl::ErrnoToStatus(errno, absl::StrCat("cannot write ", path_));
  };
  if (std::fflush(file_) != 0) return failed();
  if (file_ == stdout) return absl::OkStatus();
  if (fsync(fileno(file_)) != 0) return failed();
  std::FILE* file = std::exchange(file_, nullptr);
  if (std::fclose(file) != 0 ||
      rename(temporary_.c_str(), path_.c_str()) != 0) {
    const absl::Status status = failed();
    unlink(temporary_.c_str());
    return status;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> CheckCommandLineFlags(int argc,
                                                               char** argv) {
  std::vector<std::string> names;
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (arg == "--") break;
    if (!absl::ConsumePrefix(&arg, "-") || arg.empty()) continue;
    absl::ConsumePrefix(&arg, "-");
    const size_t equals = arg.find('=');
    std::string name(arg.substr(0, equals));
    std::optional<std::string> value;
    if (equals != absl::string_view::npos) {
      value = std::string(arg.substr(equals + 1));
    }
    absl::CommandLineFlag* flag = absl::FindCommandLineFlag(name);
    if (flag == nullptr && !value.has_value() &&
        absl::ConsumePrefix(&arg, "no")) {
      flag = absl::FindCommandLineFlag(arg);
      if (flag != nullptr && flag->IsOfType<bool>()) {
        name = std::string(arg);
        value = "false";
      } else {
        flag = nullptr;
      }
    }
    if (flag == nullptr) {
      if (absl::c_linear_search(kAbslFlags, name)) {
        names.push_back(std::move(name));
        continue;
      }
      return UsageError(absl::StrCat("unknown flag --", name));
    }
    if (!value.has_value()) {
      if (flag->IsOfType<bool>()) {
        value = "true";
      } else if (i + 1 < argc) {
        value = argv[++i];
      } else {
        return UsageError(absl::StrCat("--", name, " needs a value"));
      }
    }
    // absl's own flags (--help, --flagfile, ...) are left to absl.
    if (absl::StrContains(flag->Filename(), "tools/cdc/")) {
      std::string error;
      if (!flag->ParseFrom(*value, &error)) {
        return UsageError(absl::StrCat("--", name, ": ", error));
      }
    }
    names.push_back(std::move(name));
  }
  return names;
}

absl::StatusOr<CliOptions> CliOptionsFromFlags() {
  CliOptions options;
  options.members_address = absl::GetFlag(FLAGS_members_address);
  options.consultations_address = absl::GetFlag(FLAGS_consultations_address);
  options.comments_address = absl::GetFlag(FLAGS_comments_address);
  options.notifications_address = absl::GetFlag(FLAGS_notifications_address);
  options.community_address = absl::GetFlag(FLAGS_community_address);
  options.token =
      std::string(absl::StripAsciiWhitespace(absl::GetFlag(FLAGS_token)));
  options.deadline = absl::GetFlag(FLAGS_deadline);
  options.json = absl::GetFlag(FLAGS_json);
  if (options.deadline <= absl::ZeroDuration()) {
    return UsageError("--deadline must be positive, e.g. 10s");
  }
  if (options.members_address.empty() ||
      options.consultations_address.empty() ||
      options.comments_address.empty() ||
      options.notifications_address.empty() ||
      options.community_address.empty()) {
    return UsageError(
        "--members_address, --consultations_address, --comments_address, "
        "--notifications_address and --community_address must not be empty");
  }
  return options;
}

const std::vector<std::string>& ConnectionFlags() {
  static const auto* const kFlags =
      new std::vector<std::string>{"members_address",   "consultations_address",
                                   "comments_address",  "notifications_address",
                                   "community_address", "token",
                                   "deadline",          "json"};
  return *kFlags;
}

Cli::Cli(CliOptions options)
    : options_(std::move(options)),
      members_{"cdc-members", options_.members_address, nullptr},
      consultations_{"cdc-consultations", options_.consultations_address,
                     nullptr},
      comments_{"cdc-comments", options_.comments_address, nullptr},
      notifications_{"cdc-notifications", options_.notifications_address,
                     nullptr},
      community_{"cdc-community", options_.community_address, nullptr} {}

bool Cli::Given(absl::string_view flag) const {
  return absl::c_linear_search(options_.flags_given, flag);
}

absl::StatusOr<google::protobuf::FieldMask> Cli::UpdateMask(
    std::initializer_list<std::pair<absl::string_view, absl::string_view>>
        flag_paths) const {
  google::protobuf::FieldMask mask;
  std::vector<std::string> flags;
  for (const auto& [flag, path] : flag_paths) {
    if (Given(flag)) mask.add_paths(std::string(path));
    flags.push_back(absl::StrCat("--", flag));
  }
  if (mask.paths().empty()) {
    return UsageError(absl::StrCat("nothing to change; give one or more of ",
                                   absl::StrJoin(flags, ", ")));
  }
  return mask;
}

std::shared_ptr<grpc::Channel> Cli::Channel(const std::string& address) {
  return grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
}

absl::Status Cli::Invoke(
    const char* service, const std::string& address,
    absl::FunctionRef<grpc::Status(grpc::ClientContext*)> rpc, bool live) {
  grpc::ClientContext context;
  // A live stream runs until it is stopped; an unreachable service still
  // fails at once (UNAVAILABLE), since calls do not wait for readiness.
  if (!live) {
    context.set_deadline(absl::ToChronoTime(absl::Now() + options_.deadline));
  }
  if (!options_.token.empty()) {
    context.AddMetadata("authorization",
                        absl::StrCat("Bearer ", options_.token));
  }
  absl::Status status = FromGrpcStatus(rpc(&context));
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
      return absl::Status(status.code(), absl::StrCat(service, " at ", address,
                                                      ": ", status.message()));
    case absl::StatusCode::kUnauthenticated:
      if (!options_.token.empty()) return status;
      return absl::Status(
          status.code(),
          absl::StrCat(status.message(),
                       " (no token given: set --token or CDC_TOKEN)"));
    default:
      return status;
  }
}

void Cli::PrintText(absl::string_view text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  if (text.empty() || text.back() != '\n') std::fputc('\n', stdout);
  std::fflush(stdout);
}

std::string Cli::Json(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.always_print_primitive_fields = true;
  std::string json;
  // Fails only for messages that cannot be JSON (e.g. a broken Any), which
  // the cdc contract has none of.
  if (!google::protobuf::util::MessageToJsonString(message, &json, options)
           .ok()) {
    return "{}";
  }
  return json;
}

std::string Cli::JsonLine(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(message, &json, options)
           .ok()) {
    return "{}";
  }
  return json;
}

void Cli::PrintJson(const google::protobuf::Message& message) {
  PrintText(Json(message));
}

}  // namespace cdc::cli
