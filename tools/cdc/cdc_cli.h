// The plumbing of the `cdc` command-line tool: the connection flags, one
// client per service, "call, then print the answer" helpers, output files,
// and the parsing of command-line values (times, resource names, enum
// names).
//
// Errors: a command returns an absl::Status. A status made by UsageError is
// the user's mistake, found before any call (exit 2); any other error is a
// failed call (exit 1), with the code the server answered.
#pragma once

#include <google/protobuf/descriptor.h>
#include <google/protobuf/empty.pb.h>
#include <google/protobuf/field_mask.pb.h>
#include <google/protobuf/generated_enum_reflection.h>
#include <google/protobuf/message.h>
#include <google/protobuf/timestamp.pb.h>
#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/support/sync_stream.h>

#include <cstdio>
#include <initializer_list>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cdc/v1/comments.grpc.pb.h"
#include "cdc/v1/community.grpc.pb.h"
#include "cdc/v1/consultations.grpc.pb.h"
#include "cdc/v1/members.grpc.pb.h"
#include "cdc/v1/notifications.grpc.pb.h"

namespace cdc::cli {

// INVALID_ARGUMENT marked as a usage error: the command line is wrong.
absl::Status UsageError(absl::string_view message);
// True for statuses made by UsageError (not for a server's INVALID_ARGUMENT).
bool IsUsageError(const absl::Status& status);
// Exit code for a command's outcome: 0 OK, 2 usage error, 1 anything else.
int ExitCode(const absl::Status& status);

// Usage error "--<flag> is required" when `value` is empty.
absl::Status RequireFlag(absl::string_view flag, absl::string_view value);
// RequireFlag for each {flag, value}, in order: the first missing one.
absl::Status RequireFlags(
    std::initializer_list<std::pair<absl::string_view, std::string>> flags);

// A time given as RFC 3339 ("2026-12-31T23:59:00Z", any UTC offset) or
// relative to `now`: "+30d", "+12h", "+90m" (a positive whole number of
// days, hours or minutes). Usage error naming `flag` otherwise.
absl::StatusOr<absl::Time> ParseTime(absl::string_view flag,
                                     absl::string_view text, absl::Time now);
google::protobuf::Timestamp ToTimestamp(absl::Time time);

// "consultations/x" or "x" -> "consultations/x" (for collection
// "consultations"). Usage error for an empty id or one with a '/'. The
// server checks the id's characters.
absl::StatusOr<std::string> ResourceName(absl::string_view collection,
                                         absl::string_view text);
// The id of a resource name: "consultations/x" -> "x".
absl::string_view ResourceId(absl::string_view name);
// The name in an optional flag such as --author: "" when `text` is empty,
// else ResourceName(collection, text).
absl::StatusOr<std::string> OptionalName(absl::string_view collection,
                                         const std::string& text);
// ResourceName of each item of a list flag such as --facilitators.
absl::StatusOr<std::vector<std::string>> ResourceNames(
    absl::string_view collection, const std::vector<std::string>& texts);

// A request whose `name` is the resource of `collection` named by
// `operand` (see ResourceName), e.g.
// NamedRequest<v1::CloseRoundRequest>("consultations", "x").
template <typename Request>
absl::StatusOr<Request> NamedRequest(absl::string_view collection,
                                     absl::string_view operand) {
  absl::StatusOr<std::string> name = ResourceName(collection, operand);
  if (!name.ok()) return name.status();
  Request request;
  request.set_name(*std::move(name));
  return request;
}

// How enum values are spelled on the command line and in text output: the
// value's proto name without the enum's common prefix (the part of its
// UNSPECIFIED value before "UNSPECIFIED"), in lower case with '-' for '_'.
// ORGANISATION_TYPE_CIVIL_SOCIETY -> "civil-society", ROLE_MEMBER ->
// "member", Consultation.OPEN -> "open". The unspecified value is "-".
std::string EnumLabel(const google::protobuf::EnumDescriptor* descriptor,
                      int value);
template <typename Enum>
std::string EnumLabel(Enum value) {
  return EnumLabel(google::protobuf::GetEnumDescriptor<Enum>(),
                   static_cast<int>(value));
}

// Parses a label (or the full proto name) to a specified value; case and
// '-' versus '_' do not matter. Usage error naming `flag` and listing the
// labels otherwise.
absl::StatusOr<int> ParseEnum(
    const google::protobuf::EnumDescriptor* descriptor, absl::string_view flag,
    absl::string_view text);
template <typename Enum>
absl::StatusOr<Enum> ParseEnum(absl::string_view flag, absl::string_view text) {
  absl::StatusOr<int> value =
      ParseEnum(google::protobuf::GetEnumDescriptor<Enum>(), flag, text);
  if (!value.ok()) return value.status();
  return static_cast<Enum>(*value);
}

// Checks the flags written on a command line before absl parses it (absl
// would exit with status 1; a bad flag is a usage error, status 2): each
// must exist and its value must parse. Accepts the forms absl does:
// "--f=v", "--f v", "-f=v", "--b", "--nob". Stops at "--". Returns the
// flags' names, without the "no" of a negated bool.
absl::StatusOr<std::vector<std::string>> CheckCommandLineFlags(int argc,
                                                               char** argv);

// Where a command writes a file's worth of output (`--output FILE|-`): "-"
// is stdout, written as it comes; FILE is written to a temporary file
// beside it and renamed to FILE by Commit, so a command that fails leaves
// no half-written FILE (and an earlier FILE as it was).
class OutputFile final {
 public:
  // Usage error when a file cannot be created beside FILE.
  static absl::StatusOr<std::unique_ptr<OutputFile>> Open(
      const std::string& path);
  // Removes the temporary file unless committed.
  ~OutputFile();
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  // Errors: the errno of the failed write, naming the file.
  absl::Status Write(absl::string_view data);
  // Flushes, and replaces FILE with what was written. Errors as Write.
  absl::Status Commit();

 private:
  OutputFile(std::string path, std::string temporary, std::FILE* file);

  const std::string path_;       // FILE, or "-" for stdout
  const std::string temporary_;  // beside FILE; empty for stdout
  std::FILE* file_;              // temporary_ open for writing, or stdout
};

// The connection flags: --members_address, --consultations_address,
// --comments_address, --notifications_address, --community_address,
// --token, --deadline, --json.
struct CliOptions {
  std::string members_address;        // host:port of cdc-members
  std::string consultations_address;  // host:port of cdc-consultations
  std::string comments_address;       // host:port of cdc-comments
  std::string notifications_address;  // host:port of cdc-notifications
  std::string community_address;      // host:port of cdc-community
  std::string token;                  // bearer token; empty: none sent
  absl::Duration deadline;            // per call
  bool json = false;                  // print proto3 JSON instead of text
  // The flags written on the command line (CheckCommandLineFlags), so that
  // an update changes exactly the fields given, even to "".
  std::vector<std::string> flags_given;
};
// Usage error when --deadline is not positive or an address is empty.
absl::StatusOr<CliOptions> CliOptionsFromFlags();

// The names of the connection flags, which every command accepts.
const std::vector<std::string>& ConnectionFlags();

// One command's view of the services. Channels are insecure (loopback) and
// made on first use.
class Cli final {
 public:
  explicit Cli(CliOptions options);

  // The stub method of one unary RPC, e.g.
  // &v1::ConsultationsService::Stub::CloseRound.
  template <typename Stub, typename Request, typename Response>
  using Method = grpc::Status (Stub::*)(grpc::ClientContext*, const Request&,
                                        Response*);

  // Calls `method` with the deadline and the bearer token. Returns the
  // server's status; UNAVAILABLE and DEADLINE_EXCEEDED name the service and
  // its address, UNAUTHENTICATED without a token says how to give one.
  template <typename Stub, typename Request, typename Response>
  absl::Status Call(Method<Stub, Request, Response> method,
                    const Request& request, Response* response) {
    Endpoint<Stub>& endpoint = Connected<Stub>();
    return Invoke(
        endpoint.service, endpoint.address, [&](grpc::ClientContext* context) {
          return (endpoint.stub.get()->*method)(context, request, response);
        });
  }

  // The stub method of one server-streaming RPC, e.g.
  // &v1::CommentsService::Stub::ExportRecord.
  template <typename Stub, typename Request, typename Response>
  using StreamMethod = std::unique_ptr<grpc::ClientReader<Response>> (Stub::*)(
      grpc::ClientContext*, const Request&);

  // Calls a server-streaming `method` as Call does (the deadline covers the
  // whole stream) and hands each message to `each` as it arrives. When
  // `each` fails, the call is cancelled and its status returned; otherwise
  // the server's.
  template <typename Stub, typename Request, typename Response>
  absl::Status CallStream(
      StreamMethod<Stub, Request, Response> method, const Request& request,
      std::type_identity_t<absl::FunctionRef<absl::Status(const Response&)>>
          each) {
    Endpoint<Stub>& endpoint = Connected<Stub>();
    absl::Status stopped;
    absl::Status status = Invoke(
        endpoint.service, endpoint.address, [&](grpc::ClientContext* context) {
          std::unique_ptr<grpc::ClientReader<Response>> reader =
              (endpoint.stub.get()->*method)(context, request);
          Response response;
          while (stopped.ok() && reader->Read(&response)) {
            stopped = each(response);
            if (!stopped.ok()) context->TryCancel();
          }
          return reader->Finish();
        });
    return stopped.ok() ? status : stopped;
  }

  // Calls a server-streaming `method` that may run for ever (a live feed)
  // and hands each message to `each` as it arrives: as CallStream, but
  // without the deadline, and `each` returns whether to go on. When `each`
  // returns false the call is cancelled and OK returned; when it fails, the
  // call is cancelled and its status returned; otherwise the server's
  // status when the stream ends.
  template <typename Stub, typename Request, typename Response>
  absl::Status CallLiveStream(
      StreamMethod<Stub, Request, Response> method, const Request& request,
      std::type_identity_t<
          absl::FunctionRef<absl::StatusOr<bool>(const Response&)>>
          each) {
    Endpoint<Stub>& endpoint = Connected<Stub>();
    absl::Status stopped;
    bool done = false;
    absl::Status status = Invoke(
        endpoint.service, endpoint.address,
        [&](grpc::ClientContext* context) {
          std::unique_ptr<grpc::ClientReader<Response>> reader =
              (endpoint.stub.get()->*method)(context, request);
          Response response;
          while (!done && reader->Read(&response)) {
            absl::StatusOr<bool> more = each(response);
            done = !more.ok() || !*more;
            if (!more.ok()) stopped = more.status();
            if (done) context->TryCancel();
          }
          return reader->Finish();
        },
        /*live=*/true);
    if (!stopped.ok()) return stopped;
    return done ? absl::OkStatus() : status;
  }

  // Calls a List method page after page and appends every page's items to
  // `all`, whose next_page_token is left empty. Pages hold
  // request.page_size() items, or 200 when it is 0.
  template <typename Stub, typename Request, typename Response>
  absl::Status CallAllPages(Method<Stub, Request, Response> method,
                            Request request, Response* all) {
    if (request.page_size() == 0) request.set_page_size(kPageSize);
    request.clear_page_token();
    Response page;
    do {
      page.Clear();
      if (absl::Status status = Call(method, request, &page); !status.ok()) {
        return status;
      }
      if (!page.next_page_token().empty() &&
          page.next_page_token() == request.page_token()) {
        return absl::InternalError("the server repeated a page token");
      }
      request.set_page_token(page.next_page_token());
      all->MergeFrom(page);
    } while (!request.page_token().empty());
    all->clear_next_page_token();
    return absl::OkStatus();
  }

  // Prints `message` as proto3 JSON with --json, else the text `format`
  // makes of it, to stdout.
  template <typename Response>
  void Print(const Response& message, std::string (*format)(const Response&)) {
    if (options_.json) {
      PrintJson(message);
    } else {
      PrintText(format(message));
    }
  }

  // The usual command: one call, then print the answer.
  template <typename Stub, typename Request, typename Response>
  absl::Status CallAndPrint(Method<Stub, Request, Response> method,
                            const Request& request,
                            std::string (*format)(const Response&)) {
    Response response;
    absl::Status status = Call(method, request, &response);
    if (status.ok()) Print(response, format);
    return status;
  }

  // A call whose answer is Empty: prints `done` (with --json, the empty
  // answer, "{}").
  template <typename Stub, typename Request>
  absl::Status CallAndSay(Method<Stub, Request, google::protobuf::Empty> method,
                          const Request& request, absl::string_view done) {
    google::protobuf::Empty empty;
    absl::Status status = Call(method, request, &empty);
    if (!status.ok()) return status;
    if (options_.json) {
      PrintJson(empty);
    } else {
      PrintText(done);
    }
    return status;
  }

  // The update_mask of an update command: for each {flag, path}, `path`
  // when --flag was written on the command line (see Given), so that a
  // field can also be set to "". Usage error listing the flags when none
  // was given.
  absl::StatusOr<google::protobuf::FieldMask> UpdateMask(
      std::initializer_list<std::pair<absl::string_view, absl::string_view>>
          flag_paths) const;

  // The usual List command: every page, then print them all at once.
  template <typename Stub, typename Request, typename Response>
  absl::Status ListAndPrint(Method<Stub, Request, Response> method,
                            const Request& request,
                            std::string (*format)(const Response&)) {
    Response all;
    absl::Status status = CallAllPages(method, request, &all);
    if (status.ok()) Print(all, format);
    return status;
  }

  // Writes `text` to stdout as it is, adding a final newline if missing,
  // and flushes it, so that each line of a stream reaches a pipe at once.
  void PrintText(absl::string_view text);
  // Writes `message` as proto3 JSON (indented; fields with default values
  // included, so that scripts always find them) and a newline to stdout.
  void PrintJson(const google::protobuf::Message& message);
  // The proto3 JSON of `message`, as PrintJson writes it.
  static std::string Json(const google::protobuf::Message& message);
  // The proto3 JSON of `message` on one line (no whitespace; newlines in
  // strings escaped), fields with default values included, without a final
  // newline: a line of JSON Lines.
  static std::string JsonLine(const google::protobuf::Message& message);

  bool json() const { return options_.json; }
  // Whether --`flag` was written on the command line (not only set in the
  // environment).
  bool Given(absl::string_view flag) const;

 private:
  static constexpr int kPageSize = 200;

  template <typename Stub>
  struct Endpoint {
    const char* service;         // for messages, e.g. "cdc-members"
    std::string address;         // host:port
    std::unique_ptr<Stub> stub;  // made on first call
  };

  template <typename Stub>
  Endpoint<Stub>& EndpointFor() {
    if constexpr (std::is_same_v<Stub, v1::MembersService::Stub>) {
      return members_;
    } else if constexpr (std::is_same_v<Stub, v1::ConsultationsService::Stub>) {
      return consultations_;
    } else if constexpr (std::is_same_v<Stub, v1::CommentsService::Stub>) {
      return comments_;
    } else if constexpr (std::is_same_v<Stub, v1::CommunityService::Stub>) {
      return community_;
    } else {
      static_assert(std::is_same_v<Stub, v1::NotificationsService::Stub>,
                    "add an Endpoint for this service");
      return notifications_;
    }
  }

  // The endpoint of `Stub`, its stub made on first use.
  template <typename Stub>
  Endpoint<Stub>& Connected() {
    Endpoint<Stub>& endpoint = EndpointFor<Stub>();
    if (endpoint.stub == nullptr) {
      endpoint.stub = std::make_unique<Stub>(Channel(endpoint.address));
    }
    return endpoint;
  }

  static std::shared_ptr<grpc::Channel> Channel(const std::string& address);
  // Runs `rpc` with the bearer token and, unless `live`, the deadline.
  absl::Status Invoke(const char* service, const std::string& address,
                      absl::FunctionRef<grpc::Status(grpc::ClientContext*)> rpc,
                      bool live = false);

  CliOptions options_;
  Endpoint<v1::MembersService::Stub> members_;
  Endpoint<v1::ConsultationsService::Stub> consultations_;
  Endpoint<v1::CommentsService::Stub> comments_;
  Endpoint<v1::NotificationsService::Stub> notifications_;
  Endpoint<v1::CommunityService::Stub> community_;
};

}  // namespace cdc::cli
