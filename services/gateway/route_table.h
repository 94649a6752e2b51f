// The gateway's route table: which HTTP verb and path reach which gRPC
// method, in the manner of google.api.http annotations (which the contract
// does not carry, so the mapping is declared here, once, for every RPC).
//
//   GET   /v1/{name=members/*}                 -> MembersService.GetMember
//   PATCH /v1/{consultation.name=consultations/*}
//                                              -> ConsultationsService
//                                                 .UpdateConsultation
//   POST  /v1/{name=consultations/*}:open      -> ConsultationsService
//                                                 .OpenRound
//
// Pattern syntax, a subset of google.api.http:
// - literal segments ("v1", "members");
// - `{field}` binds one segment to the request field `field`;
// - `{field=a/*/b/*}` binds several segments, whose text must match the
//   sub-pattern (literals, and `*` = one non-empty segment), to `field` as
//   one string: the resource name, e.g. "consultations/cph/sections/intro";
// - an optional custom-method suffix `:verb` on the last segment.
// A field path may name a nested field ("consultation.name").
//
// Matching works on the percent-encoded path as the client sent it (the
// part before '?'). It is split at '/' first, the custom verb is the text
// after the last ':' of the last segment, and only then is each segment
// percent-decoded, so "%2F" and "%3A" inside an id never split segments or
// start a verb. An encoded '/' is refused outright: no resource id holds
// one, and letting it through would let one `*` span two name segments.
//
// Precedence is deterministic and does not depend on declaration order:
// among the routes that match a path with the request's verb, the one whose
// first differing segment is a literal (rather than `*`) wins, e.g.
// `/v1/members/me` beats `/v1/{name=members/*}`. Two routes of one HTTP
// verb with the same shape (the same literals and `*`s in the same places,
// the same custom verb) are a table error that RouteTable::Create refuses.
//
// Pure: no I/O, no Redis; the HTTP layer (cdc-gateway) calls MatchRoute and
// then the transcoder (transcoder.h).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace cdc::gateway {

// One HTTP binding of one gRPC method.
struct Route {
  absl::string_view verb;     // "GET" | "POST" | "PATCH" | "DELETE"
  absl::string_view pattern;  // e.g. "/v1/{name=consultations/*}:open"
  // The full gRPC method name, e.g. "cdc.v1.ConsultationsService.OpenRound".
  absl::string_view method;
  // "*": the whole request message is the JSON body; "": no body (path and
  // query only); else the request field (a message) that the body fills,
  // e.g. "consultation", with other fields from the path or the query.
  absl::string_view body;
  // The method streams its responses (server-sent events at the HTTP
  // layer): ExportRecord, ExportInitiatives, Subscribe, WatchEvents.
  bool server_streaming = false;
};

// Every route, declared once. Every RPC of every service in proto/cdc/v1
// has exactly one route (route_table_test checks it against the generated
// descriptors).
absl::Span<const Route> Routes();

// The outcome of matching a request against the table.
struct RouteMatch {
  const Route* route = nullptr;
  // Request field path ("name", "comment.name") -> bound value, percent-
  // decoded: the full resource name text, e.g. "consultations/cph".
  std::vector<std::pair<std::string, std::string>> bindings;
};

// Finds the route for `verb` (case-sensitive, as HTTP methods are) and
// `path` (before '?', still percent-encoded). Errors:
// - NOT_FOUND "no route for <path>": no pattern matches the path;
// - UNIMPLEMENTED "method <VERB> not allowed for <path>; allowed: GET, POST":
//   some route matches the path, but none with this verb (the HTTP layer
//   answers 405 with an Allow header from the list after "allowed: ");
// - INVALID_ARGUMENT: the path has a malformed percent-escape, an encoded
//   '/', or a segment that is not UTF-8 once decoded.
absl::StatusOr<RouteMatch> MatchRoute(absl::string_view verb,
                                      absl::string_view path);

// The verbs that some route accepts for `path` (GET, POST, PUT, PATCH,
// DELETE first, in that order; others after, sorted). Empty when no route
// matches it, or the path is malformed.
std::vector<std::string> AllowedVerbs(absl::string_view path);

// Decodes the %XX escapes of `text` (and, with `plus_is_space`, '+' as a
// space: the form encoding of query strings). INVALID_ARGUMENT when an
// escape is malformed or the result is not valid UTF-8 (every value ends
// up in a proto3 string field, which must be UTF-8). Shared by path
// matching and the transcoder's query parsing.
absl::StatusOr<std::string> PercentDecode(absl::string_view text,
                                          bool plus_is_space);

// A pattern, parsed. Exposed for tests and tools; MatchRoute compiles the
// table once.
struct PathTemplate {
  // One path segment: a literal, or `*` (any one non-empty segment).
  struct Segment {
    bool wildcard = false;
    std::string literal;  // when !wildcard
  };
  // A `{field...}` binding: segments [first, first + count) of `segments`.
  struct Variable {
    std::string field_path;
    size_t first = 0;
    size_t count = 0;
  };
  std::vector<Segment> segments;
  std::vector<Variable> variables;
  std::string verb;  // the custom method after ':'; "" when none
};

// Parses a pattern in the syntax above; INVALID_ARGUMENT naming the
// problem otherwise (`**`, nested or unclosed braces, empty segments, a
// field bound twice, characters outside [A-Za-z0-9._~-] in literals).
absl::StatusOr<PathTemplate> ParsePathTemplate(absl::string_view pattern);

// A set of routes compiled for matching. MatchRoute and AllowedVerbs use
// one built from Routes(); tests build their own to check precedence.
class RouteTable {
 public:
  // INVALID_ARGUMENT when a pattern does not parse or two routes of one
  // verb have the same shape. `routes` must outlive the table: matches
  // point into it.
  static absl::StatusOr<RouteTable> Create(absl::Span<const Route> routes);

  absl::StatusOr<RouteMatch> Match(absl::string_view verb,
                                   absl::string_view path) const;
  std::vector<std::string> AllowedVerbs(absl::string_view path) const;

 private:
  struct Compiled {
    const Route* route;
    PathTemplate path_template;
  };
  // Decoded segments of a request path, and its custom verb.
  struct RequestPath {
    std::vector<std::string> segments;
    bool has_verb = false;
    std::string verb;
  };

  static absl::StatusOr<RequestPath> SplitRequestPath(absl::string_view path);
  static bool Matches(const PathTemplate& path_template,
                      const RequestPath& path);
  // True when `a` is more specific than `b` (see precedence above).
  static bool MoreSpecific(const PathTemplate& a, const PathTemplate& b);
  // Every compiled route that matches `path`, whatever its verb.
  std::vector<const Compiled*> Candidates(const RequestPath& path) const;

  std::vector<Compiled> compiled_;
};

}  // namespace cdc::gateway
