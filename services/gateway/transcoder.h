// The gateway's JSON transcoder: turns an HTTP request that matched a route
// (route_table.h) into the gRPC request message, and gRPC answers back into
// JSON, in the shapes grpc-gateway uses, so that HTTP clients see the
// contract's proto3 JSON mapping and grpc-gateway's error body and status
// codes.
//
// Messages come from the generated descriptor pool (the cdc protos are
// linked in through cdc_common -> cdc_proto), found by the route's method
// name; nothing here is specific to one service.
//
// Pure: no I/O; the HTTP layer calls ParseQuery, BuildRequest, then the gRPC
// method, then ResponseToJson (or ErrorJson and HttpStatusFor).
#pragma once

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/gateway/route_table.h"

namespace cdc::gateway {

// Query parameters in order, percent-decoded; a key may repeat.
using QueryParams = std::vector<std::pair<std::string, std::string>>;

// Parses a raw query string (the part after '?'): "a=1&b=x%20y&b=z+w".
// Keys and values are percent-decoded, '+' is a space (form encoding, as
// browsers and grpc-gateway have it), empty pieces ("a=1&&b=2") are
// skipped, and a key without '=' has the value "". INVALID_ARGUMENT
// ("query parameter <key>: ...") for a malformed escape, text that is not
// UTF-8 once decoded, or an empty key.
absl::StatusOr<QueryParams> ParseQuery(absl::string_view raw);

// The gRPC method of a route, from the generated pool; INTERNAL when the
// pool has no such method (a route table error).
absl::StatusOr<const google::protobuf::MethodDescriptor*> FindMethod(
    const Route& route);

// An empty response message of the route's method, to receive the answer
// (or each streamed answer) into.
absl::StatusOr<std::unique_ptr<google::protobuf::Message>> NewResponse(
    const Route& route);

// Builds the request message for a match, in three layers:
// 1. the body: JSON in the proto3 mapping, into the whole request (body
//    "*") or into the route's body field; unknown fields are an error; an
//    empty body is "{}"; a route without a body refuses a non-empty one;
// 2. the query parameters, for the fields the body does not carry (with
//    body "*" there are none): field paths by proto or JSON name
//    ("page_size", "pageSize", "filter.state"), repeated fields by
//    repeating the key, enums by name or number, bools as true/false,
//    bytes as base64, google.protobuf.FieldMask as comma-separated paths
//    (snake_case or lowerCamelCase), Timestamp as RFC 3339, Duration as
//    "3.5s", wrappers as their value; unknown keys and repeats of a
//    singular field are errors (the HTTP layer removes any parameters of
//    its own first);
// 3. the path bindings, which win: a body or query parameter that sets a
//    bound field to a different value is an error.
// Errors are INVALID_ARGUMENT naming the field or the JSON problem ("body:
// ...", "query parameter page_size: ..."); INTERNAL for a route that does
// not fit its method (which route_table_test rules out).
absl::StatusOr<std::unique_ptr<google::protobuf::Message>> BuildRequest(
    const RouteMatch& match, absl::string_view body_json,
    const QueryParams& query);

// The response as JSON in the proto3 mapping as protobuf's default printer
// writes it: lowerCamelCase names, enums as names, no whitespace, fields
// with default values left out. INTERNAL if the printer fails.
absl::StatusOr<std::string> ResponseToJson(
    const google::protobuf::Message& response);

// The HTTP status grpc-gateway answers for a gRPC code: OK 200, CANCELLED
// 499, UNKNOWN 500, INVALID_ARGUMENT 400, DEADLINE_EXCEEDED 504, NOT_FOUND
// 404, ALREADY_EXISTS 409, PERMISSION_DENIED 403, RESOURCE_EXHAUSTED 429,
// FAILED_PRECONDITION 400, ABORTED 409, OUT_OF_RANGE 400, UNIMPLEMENTED
// 501, INTERNAL 500, UNAVAILABLE 503, DATA_LOSS 500, UNAUTHENTICATED 401;
// anything else 500.
int HttpStatusFor(absl::StatusCode code);

// The error body in grpc-gateway's shape:
//   {"code":5,"message":"no route for /v1/x","details":[]}
// with the message escaped as a JSON string (bytes that are not UTF-8
// become U+FFFD, so the body is always valid JSON).
std::string ErrorJson(const absl::Status& status);

}  // namespace cdc::gateway
