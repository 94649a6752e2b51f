// Fuzzes the gateway's routing and JSON transcoding as the HTTP layer
// drives them: MatchRoute on a verb and a path, ParseQuery on the query,
// BuildRequest from the body, then the built request printed back to JSON.
// Input: verb 0x1E target ("path?query") 0x1E body.
//
// Invariants beyond "no crash, no sanitizer report": every error is one
// of the codes the headers promise, a built request is of its method's
// input type and prints as JSON that parses back to the same message, and
// ErrorJson is always valid JSON.
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "services/gateway/route_table.h"
#include "services/gateway/transcoder.h"
#include "tests/fuzz/fuzz_check.h"

namespace cdc::gateway {
namespace {

using ::cdc::fuzz::Check;

// ErrorJson must be JSON whatever the message holds.
void CheckErrorJson(const absl::Status& status) {
  google::protobuf::Value parsed;
  Check(google::protobuf::util::JsonStringToMessage(ErrorJson(status), &parsed)
            .ok(),
        "ErrorJson is not valid JSON");
}

void Run(absl::string_view input) {
  const auto fields = fuzz::Fields(input, 3);
  const absl::string_view verb = fields[0];
  const absl::string_view target = fields[1];
  const absl::string_view body = fields[2];
  const size_t question = target.find('?');
  const absl::string_view path = target.substr(0, question);
  const absl::string_view raw_query =
      question == absl::string_view::npos ? "" : target.substr(question + 1);

  absl::StatusOr<QueryParams> query = ParseQuery(raw_query);
  if (!query.ok()) {
    Check(query.status().code() == absl::StatusCode::kInvalidArgument,
          "ParseQuery: not INVALID_ARGUMENT");
    CheckErrorJson(query.status());
  }
  absl::StatusOr<RouteMatch> match = MatchRoute(verb, path);
  if (!match.ok()) {
    const absl::StatusCode code = match.status().code();
    Check(code == absl::StatusCode::kNotFound ||
              code == absl::StatusCode::kUnimplemented ||
              code == absl::StatusCode::kInvalidArgument,
          "MatchRoute: unexpected code");
    if (code == absl::StatusCode::kUnimplemented) {
      Check(!AllowedVerbs(path).empty(), "405 without allowed verbs");
    }
    CheckErrorJson(match.status());
    return;
  }
  Check(match->route != nullptr && match->route->verb == verb,
        "MatchRoute: route of another verb");
  if (!query.ok()) return;

  absl::StatusOr<std::unique_ptr<google::protobuf::Message>> request =
      BuildRequest(*match, body, *query);
  if (!request.ok()) {
    // INTERNAL would mean a route that does not fit its method.
    Check(request.status().code() == absl::StatusCode::kInvalidArgument,
          "BuildRequest: not INVALID_ARGUMENT");
    CheckErrorJson(request.status());
    return;
  }
  absl::StatusOr<const google::protobuf::MethodDescriptor*> method =
      FindMethod(*match->route);
  Check(method.ok(), "FindMethod failed for a matched route");
  Check((*request)->GetDescriptor() == (*method)->input_type(),
        "BuildRequest: message of another type");

  absl::StatusOr<std::string> json = ResponseToJson(**request);
  Check(json.ok(), "a built request does not print as JSON");
  std::unique_ptr<google::protobuf::Message> reparsed((*request)->New());
  Check(google::protobuf::util::JsonStringToMessage(*json, reparsed.get()).ok(),
        "printed request does not parse back");
  if (!google::protobuf::util::MessageDifferencer::Equals(**request,
                                                          *reparsed)) {
    std::fprintf(stderr, "built:    %s\nreparsed: %s\n",
                 (*request)->ShortDebugString().c_str(),
                 reparsed->ShortDebugString().c_str());
    Check(false, "printed request parses back to another message");
  }
}

}  // namespace
}  // namespace cdc::gateway

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  cdc::gateway::Run(
      absl::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
