#include "services/gateway/route_table.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cdc/v1/comments.pb.h"
#include "cdc/v1/community.pb.h"
#include "cdc/v1/consultations.pb.h"
#include "cdc/v1/members.pb.h"
#include "cdc/v1/notifications.pb.h"
#include "services/common/status_macros.h"
#include "services/common/validation.h"

namespace cdc::gateway {
namespace {

// The table. Conventions (Google API design guide / grpc-gateway style):
// - GET for Get and List (filters, page_size and page_token in the query);
// - POST on the collection for Create, the body being the resource field
//   and the other fields (request_id, <resource>_id) in the query;
// - PATCH on the resource for Update, the body being the resource, its
//   name bound from the path, update_mask in the query;
// - DELETE for deletes and their kin (revoking a token, unfollowing,
//   removing a space member, unblocking);
// - POST with a custom verb and body "*" for every other state change;
// - GET with a custom verb for reads that are not one resource or list.
// Methods whose resource is the caller's own without a name in the request
// (sign-in, password) hang off their collection as custom verbs. The
// server-streaming methods are GETs, served as server-sent events.
constexpr Route kRoutes[] = {
    // ---- cdc.v1.MembersService ----
    {"POST", "/v1/members:apply", "cdc.v1.MembersService.ApplyForMembership",
     "*"},
    {"GET", "/v1/{name=members/*}", "cdc.v1.MembersService.GetMember", ""},
    {"GET", "/v1/members", "cdc.v1.MembersService.ListMembers", ""},
    {"PATCH", "/v1/{member.name=members/*}",
     "cdc.v1.MembersService.UpdateMember", "member"},
    {"POST", "/v1/{name=members/*}:approve",
     "cdc.v1.MembersService.ApproveMember", "*"},
    {"POST", "/v1/{name=members/*}:reject",
     "cdc.v1.MembersService.RejectMember", "*"},
    {"POST", "/v1/{name=members/*}:suspend",
     "cdc.v1.MembersService.SuspendMember", "*"},
    {"POST", "/v1/{name=members/*}:reinstate",
     "cdc.v1.MembersService.ReinstateMember", "*"},
    {"POST", "/v1/{name=members/*}:setRole",
     "cdc.v1.MembersService.SetMemberRole", "*"},
    {"POST", "/v1/members:changePassword",
     "cdc.v1.MembersService.ChangePassword", "*"},
    {"POST", "/v1/members:signIn", "cdc.v1.MembersService.SignIn", "*"},
    {"POST", "/v1/members:signOut", "cdc.v1.MembersService.SignOut", "*"},
    {"GET", "/v1/members:authenticate", "cdc.v1.MembersService.Authenticate",
     ""},
    {"POST", "/v1/tokens", "cdc.v1.MembersService.CreateApiToken", "*"},
    {"GET", "/v1/tokens", "cdc.v1.MembersService.ListApiTokens", ""},
    {"DELETE", "/v1/{name=tokens/*}", "cdc.v1.MembersService.RevokeApiToken",
     ""},

    // ---- cdc.v1.ConsultationsService ----
    {"POST", "/v1/consultations",
     "cdc.v1.ConsultationsService.CreateConsultation", "consultation"},
    {"GET", "/v1/{name=consultations/*}",
     "cdc.v1.ConsultationsService.GetConsultation", ""},
    {"GET", "/v1/consultations",
     "cdc.v1.ConsultationsService.ListConsultations", ""},
    {"PATCH", "/v1/{consultation.name=consultations/*}",
     "cdc.v1.ConsultationsService.UpdateConsultation", "consultation"},
    {"POST", "/v1/{parent=consultations/*}/versions:import",
     "cdc.v1.ConsultationsService.ImportDraft", "*"},
    {"GET", "/v1/{name=consultations/*/sections/*}",
     "cdc.v1.ConsultationsService.GetSection", ""},
    {"GET", "/v1/{parent=consultations/*}/sections",
     "cdc.v1.ConsultationsService.ListSections", ""},
    {"POST", "/v1/{name=consultations/*}:open",
     "cdc.v1.ConsultationsService.OpenRound", "*"},
    {"POST", "/v1/{name=consultations/*}:extend",
     "cdc.v1.ConsultationsService.ExtendRound", "*"},
    {"POST", "/v1/{name=consultations/*}:close",
     "cdc.v1.ConsultationsService.CloseRound", "*"},
    {"POST", "/v1/{name=consultations/*}:publish",
     "cdc.v1.ConsultationsService.PublishRecord", "*"},
    {"GET", "/v1/{name=consultations/*/sections/*}:diff",
     "cdc.v1.ConsultationsService.GetSectionDiff", ""},
    // The target is a consultation or a section: one route, target in the
    // query.
    {"GET", "/v1/consultations:checkParticipation",
     "cdc.v1.ConsultationsService.CheckParticipation", ""},

    // ---- cdc.v1.CommentsService ----
    {"POST", "/v1/comments", "cdc.v1.CommentsService.CreateComment", "comment"},
    {"GET", "/v1/{name=comments/*}", "cdc.v1.CommentsService.GetComment", ""},
    {"GET", "/v1/comments", "cdc.v1.CommentsService.ListComments", ""},
    {"PATCH", "/v1/{comment.name=comments/*}",
     "cdc.v1.CommentsService.UpdateComment", "comment"},
    {"GET", "/v1/{parent=comments/*}/revisions",
     "cdc.v1.CommentsService.ListCommentRevisions", ""},
    {"POST", "/v1/{name=comments/*}:withdraw",
     "cdc.v1.CommentsService.WithdrawComment", "*"},
    {"POST", "/v1/{name=comments/*}:endorse",
     "cdc.v1.CommentsService.EndorseComment", "*"},
    {"POST", "/v1/{name=comments/*}:unendorse",
     "cdc.v1.CommentsService.UnendorseComment", "*"},
    {"POST", "/v1/{name=comments/*}:flag", "cdc.v1.CommentsService.FlagComment",
     "*"},
    {"POST", "/v1/{name=comments/*}:hide", "cdc.v1.CommentsService.HideComment",
     "*"},
    {"POST", "/v1/{name=comments/*}:restore",
     "cdc.v1.CommentsService.RestoreComment", "*"},
    {"GET", "/v1/moderationActions",
     "cdc.v1.CommentsService.ListModerationActions", ""},
    {"POST", "/v1/{name=comments/*}:setDisposition",
     "cdc.v1.CommentsService.SetDisposition", "*"},
    // The scope is a consultation or a section: scope in the query.
    {"GET", "/v1/comments:statistics",
     "cdc.v1.CommentsService.GetCommentStatistics", ""},
    {"GET", "/v1/{consultation=consultations/*}:exportRecord",
     "cdc.v1.CommentsService.ExportRecord", "", true},
    {"GET", "/v1/comments:search", "cdc.v1.CommentsService.SearchComments", ""},

    // ---- cdc.v1.NotificationsService ----
    {"GET", "/v1/{parent=members/*}/notifications",
     "cdc.v1.NotificationsService.ListNotifications", ""},
    {"GET", "/v1/{parent=members/*}/notifications:unreadCount",
     "cdc.v1.NotificationsService.GetUnreadCount", ""},
    {"POST", "/v1/{name=members/*/notifications/*}:markRead",
     "cdc.v1.NotificationsService.MarkNotificationRead", "*"},
    {"POST", "/v1/{parent=members/*}/notifications:markAllRead",
     "cdc.v1.NotificationsService.MarkAllNotificationsRead", "*"},
    {"GET", "/v1/{name=members/*/notificationPreferences}",
     "cdc.v1.NotificationsService.GetPreferences", ""},
    {"PATCH", "/v1/{preferences.name=members/*/notificationPreferences}",
     "cdc.v1.NotificationsService.UpdatePreferences", "preferences"},
    {"POST", "/v1/{parent=members/*}/follows",
     "cdc.v1.NotificationsService.Follow", "*"},
    // A follow is found by its target (as given to Follow), in the query.
    {"DELETE", "/v1/{parent=members/*}/follows",
     "cdc.v1.NotificationsService.Unfollow", ""},
    {"GET", "/v1/{parent=members/*}/follows",
     "cdc.v1.NotificationsService.ListFollows", ""},
    // The server-sent event endpoints: parent (empty = the caller) and
    // last_seen, or cursor and filters, in the query.
    {"GET", "/v1/notifications:stream", "cdc.v1.NotificationsService.Subscribe",
     "", true},
    {"GET", "/v1/events:watch", "cdc.v1.NotificationsService.WatchEvents", "",
     true},

    // ---- cdc.v1.CommunityService: spaces ----
    {"POST", "/v1/spaces", "cdc.v1.CommunityService.CreateSpace", "space"},
    {"GET", "/v1/{name=spaces/*}", "cdc.v1.CommunityService.GetSpace", ""},
    {"GET", "/v1/spaces", "cdc.v1.CommunityService.ListSpaces", ""},
    {"PATCH", "/v1/{space.name=spaces/*}",
     "cdc.v1.CommunityService.UpdateSpace", "space"},
    {"POST", "/v1/{name=spaces/*}:join", "cdc.v1.CommunityService.JoinSpace",
     "*"},
    {"POST", "/v1/{name=spaces/*}:leave", "cdc.v1.CommunityService.LeaveSpace",
     "*"},
    {"POST", "/v1/{space=spaces/*}/members",
     "cdc.v1.CommunityService.AddSpaceMember", "*"},
    // "/v1/spaces/s/members/m": the space member's own name, whose tail is
    // the member's resource name.
    {"DELETE", "/v1/{space=spaces/*}/{member=members/*}",
     "cdc.v1.CommunityService.RemoveSpaceMember", ""},
    {"GET", "/v1/{parent=spaces/*}/members",
     "cdc.v1.CommunityService.ListSpaceMembers", ""},

    // ---- cdc.v1.CommunityService: topics ----
    {"POST", "/v1/{parent=spaces/*}/topics",
     "cdc.v1.CommunityService.CreateTopic", "topic"},
    {"GET", "/v1/{name=spaces/*/topics/*}", "cdc.v1.CommunityService.GetTopic",
     ""},
    {"GET", "/v1/{parent=spaces/*}/topics",
     "cdc.v1.CommunityService.ListTopics", ""},
    {"PATCH", "/v1/{topic.name=spaces/*/topics/*}",
     "cdc.v1.CommunityService.UpdateTopic", "topic"},
    {"POST", "/v1/{name=spaces/*/topics/*}:pin",
     "cdc.v1.CommunityService.PinTopic", "*"},
    {"POST", "/v1/{name=spaces/*/topics/*}:close",
     "cdc.v1.CommunityService.CloseTopic", "*"},
    {"POST", "/v1/{name=spaces/*/topics/*}:reopen",
     "cdc.v1.CommunityService.ReopenTopic", "*"},
    {"POST", "/v1/{name=spaces/*/topics/*}:archive",
     "cdc.v1.CommunityService.ArchiveTopic", "*"},
    {"POST", "/v1/{name=spaces/*/topics/*}:markRead",
     "cdc.v1.CommunityService.MarkTopicRead", "*"},

    // ---- cdc.v1.CommunityService: conversations and blocks ----
    {"POST", "/v1/conversations", "cdc.v1.CommunityService.CreateConversation",
     "conversation"},
    {"GET", "/v1/{name=conversations/*}",
     "cdc.v1.CommunityService.GetConversation", ""},
    {"GET", "/v1/conversations", "cdc.v1.CommunityService.ListConversations",
     ""},
    {"POST", "/v1/{name=conversations/*}:leave",
     "cdc.v1.CommunityService.LeaveConversation", "*"},
    {"POST", "/v1/{name=conversations/*}:markRead",
     "cdc.v1.CommunityService.MarkConversationRead", "*"},
    // The caller's blocks: "/v1/blockedMembers/members/m" unblocks
    // "members/m".
    {"POST", "/v1/blockedMembers", "cdc.v1.CommunityService.BlockMember", "*"},
    {"DELETE", "/v1/blockedMembers/{member=members/*}",
     "cdc.v1.CommunityService.UnblockMember", ""},
    {"GET", "/v1/blockedMembers", "cdc.v1.CommunityService.ListBlockedMembers",
     ""},

    // ---- cdc.v1.CommunityService: the resource library ----
    {"POST", "/v1/resources", "cdc.v1.CommunityService.CreateResource",
     "resource"},
    {"GET", "/v1/{name=resources/*}", "cdc.v1.CommunityService.GetResource",
     ""},
    {"GET", "/v1/resources", "cdc.v1.CommunityService.ListResources", ""},
    {"PATCH", "/v1/{resource.name=resources/*}",
     "cdc.v1.CommunityService.UpdateResource", "resource"},
    {"DELETE", "/v1/{name=resources/*}",
     "cdc.v1.CommunityService.DeleteResource", ""},
    {"POST", "/v1/{name=resources/*}:endorse",
     "cdc.v1.CommunityService.EndorseResource", "*"},
    {"POST", "/v1/{name=resources/*}:unendorse",
     "cdc.v1.CommunityService.UnendorseResource", "*"},

    // ---- cdc.v1.CommunityService: the initiative map ----
    {"POST", "/v1/initiatives", "cdc.v1.CommunityService.CreateInitiative",
     "initiative"},
    {"GET", "/v1/{name=initiatives/*}", "cdc.v1.CommunityService.GetInitiative",
     ""},
    {"GET", "/v1/initiatives", "cdc.v1.CommunityService.ListInitiatives", ""},
    {"PATCH", "/v1/{initiative.name=initiatives/*}",
     "cdc.v1.CommunityService.UpdateInitiative", "initiative"},
    {"POST", "/v1/{name=initiatives/*}:approve",
     "cdc.v1.CommunityService.ApproveInitiative", "*"},
    {"POST", "/v1/{name=initiatives/*}:return",
     "cdc.v1.CommunityService.ReturnInitiative", "*"},
    {"GET", "/v1/initiatives:countByCountry",
     "cdc.v1.CommunityService.CountInitiativesByCountry", ""},
    {"GET", "/v1/initiatives:export",
     "cdc.v1.CommunityService.ExportInitiatives", "", true},

    // ---- cdc.v1.CommunityService: search and access ----
    {"GET", "/v1/search", "cdc.v1.CommunityService.Search", ""},
    // The target is a topic, a conversation or a resource: in the query.
    {"GET", "/v1/community:checkTargetAccess",
     "cdc.v1.CommunityService.CheckTargetAccess", ""},
};

// The generated code of the contract lives in a static library (cdc_proto),
// whose objects the linker keeps only when something refers to them; a
// .pb.cc registers its descriptors with the generated pool when it is
// linked. The gateway finds methods by name only, so refer to one message
// of each service's file here to make sure every descriptor is in the pool.
// (Each file pulls in its imports: common.proto, events.proto.)
void EnsureContractLinked() {
  static const bool linked = [] {
    const google::protobuf::Descriptor* const descriptors[] = {
        cdc::v1::Member::descriptor(),  cdc::v1::Consultation::descriptor(),
        cdc::v1::Comment::descriptor(), cdc::v1::Notification::descriptor(),
        cdc::v1::Space::descriptor(),
    };
    return std::all_of(std::begin(descriptors), std::end(descriptors),
                       [](const auto* d) { return d != nullptr; });
  }();
  (void)linked;
}

// The order in which AllowedVerbs lists verbs.
int VerbRank(absl::string_view verb) {
  static constexpr absl::string_view kOrder[] = {"GET", "POST", "PUT", "PATCH",
                                                 "DELETE"};
  for (size_t i = 0; i < std::size(kOrder); ++i) {
    if (kOrder[i] == verb) return static_cast<int>(i);
  }
  return static_cast<int>(std::size(kOrder));
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Characters of a literal segment or custom verb in a pattern: the RFC 3986
// unreserved set, so that a literal never needs escaping.
bool IsLiteralChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

bool IsValidLiteral(absl::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), IsLiteralChar);
}

// A field path: identifiers joined by '.'.
bool IsValidFieldPath(absl::string_view path) {
  if (path.empty()) return false;
  for (absl::string_view part : absl::StrSplit(path, '.')) {
    if (part.empty() ||
        absl::ascii_isdigit(static_cast<unsigned char>(part.front()))) {
      return false;
    }
    for (char c : part) {
      if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '_') {
        return false;
      }
    }
  }
  return true;
}

bool SameShape(const PathTemplate& a, const PathTemplate& b) {
  if (a.verb != b.verb || a.segments.size() != b.segments.size()) {
    return false;
  }
  for (size_t i = 0; i < a.segments.size(); ++i) {
    if (a.segments[i].wildcard != b.segments[i].wildcard ||
        a.segments[i].literal != b.segments[i].literal) {
      return false;
    }
  }
  return true;
}

const absl::StatusOr<RouteTable>& DefaultTable() {
  static const absl::StatusOr<RouteTable>* const table = [] {
    EnsureContractLinked();
    return new absl::StatusOr<RouteTable>(RouteTable::Create(Routes()));
  }();
  return *table;
}

}  // namespace

absl::Span<const Route> Routes() { return kRoutes; }

absl::StatusOr<std::string> PercentDecode(absl::string_view text,
                                          bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%') {
      const int high = i + 2 < text.size() ? HexValue(text[i + 1]) : -1;
      const int low = i + 2 < text.size() ? HexValue(text[i + 2]) : -1;
      if (high < 0 || low < 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("malformed percent-escape at offset ", i));
      }
      out.push_back(static_cast<char>(high * 16 + low));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  if (!CodePointCount(out).ok()) {
    return absl::InvalidArgumentError("not valid UTF-8 once decoded");
  }
  return out;
}

absl::StatusOr<PathTemplate> ParsePathTemplate(absl::string_view pattern) {
  auto error = [pattern](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("pattern \"", pattern, "\": ", why));
  };
  if (pattern.empty() || pattern.front() != '/') {
    return error("must start with '/'");
  }
  PathTemplate result;
  absl::flat_hash_set<std::string> fields;
  size_t i = 1;
  // One iteration per segment or variable; `i` is at its first character.
  while (true) {
    if (i >= pattern.size()) return error("empty segment");
    if (pattern[i] == '{') {
      const size_t close = pattern.find('}', i);
      if (close == absl::string_view::npos) return error("unclosed '{'");
      const absl::string_view inside = pattern.substr(i + 1, close - i - 1);
      if (inside.find('{') != absl::string_view::npos) {
        return error("nested '{'");
      }
      const size_t equals = inside.find('=');
      PathTemplate::Variable variable;
      variable.field_path = std::string(inside.substr(0, equals));
      if (!IsValidFieldPath(variable.field_path)) {
        return error(
            absl::StrCat("bad field path \"", variable.field_path, "\""));
      }
      if (!fields.insert(variable.field_path).second) {
        return error(
            absl::StrCat("field \"", variable.field_path, "\" bound twice"));
      }
      variable.first = result.segments.size();
      const absl::string_view sub = equals == absl::string_view::npos
                                        ? absl::string_view("*")
                                        : inside.substr(equals + 1);
      for (absl::string_view part : absl::StrSplit(sub, '/')) {
        PathTemplate::Segment segment;
        if (part == "*") {
          segment.wildcard = true;
        } else if (part == "**") {
          return error("'**' is not supported");
        } else if (IsValidLiteral(part)) {
          segment.literal = std::string(part);
        } else {
          return error(absl::StrCat("bad segment \"", part, "\" in \"",
                                    variable.field_path, "\""));
        }
        result.segments.push_back(std::move(segment));
      }
      variable.count = result.segments.size() - variable.first;
      result.variables.push_back(std::move(variable));
      i = close + 1;
    } else {
      size_t end = i;
      while (end < pattern.size() && pattern[end] != '/' &&
             pattern[end] != ':') {
        ++end;
      }
      const absl::string_view literal = pattern.substr(i, end - i);
      if (literal == "*") {
        result.segments.push_back({.wildcard = true, .literal = ""});
      } else if (IsValidLiteral(literal)) {
        result.segments.push_back(
            {.wildcard = false, .literal = std::string(literal)});
      } else {
        return error(absl::StrCat("bad segment \"", literal, "\""));
      }
      i = end;
    }
    if (i == pattern.size()) break;
    if (pattern[i] == ':') {
      const absl::string_view verb = pattern.substr(i + 1);
      if (!IsValidLiteral(verb)) {
        return error("bad custom verb (must end the pattern)");
      }
      result.verb = std::string(verb);
      break;
    }
    if (pattern[i] != '/') return error("expected '/' after '}'");
    ++i;
  }
  return result;
}

absl::StatusOr<RouteTable> RouteTable::Create(absl::Span<const Route> routes) {
  RouteTable table;
  table.compiled_.reserve(routes.size());
  for (const Route& route : routes) {
    CDC_ASSIGN_OR_RETURN(PathTemplate path_template,
                         ParsePathTemplate(route.pattern));
    for (const Compiled& other : table.compiled_) {
      if (other.route->verb == route.verb &&
          SameShape(other.path_template, path_template)) {
        return absl::InvalidArgumentError(
            absl::StrCat(route.verb, " ", route.pattern, " (", route.method,
                         ") has the same shape as ", other.route->pattern, " (",
                         other.route->method, ")"));
      }
    }
    table.compiled_.push_back({&route, std::move(path_template)});
  }
  return table;
}

absl::StatusOr<RouteTable::RequestPath> RouteTable::SplitRequestPath(
    absl::string_view path) {
  RequestPath result;
  if (path.empty() || path.front() != '/') return result;  // matches nothing
  std::vector<absl::string_view> raw = absl::StrSplit(path.substr(1), '/');
  // The custom verb: after the last raw ':' of the last segment, so that an
  // encoded ':' ("%3A") stays part of an id.
  absl::string_view& last = raw.back();
  const size_t colon = last.rfind(':');
  if (colon != absl::string_view::npos) {
    result.has_verb = true;
    result.verb = std::string(last.substr(colon + 1));
    last = last.substr(0, colon);
  }
  result.segments.reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    absl::StatusOr<std::string> decoded =
        PercentDecode(raw[i], /*plus_is_space=*/false);
    if (!decoded.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "path segment ", i + 1, ": ", decoded.status().message()));
    }
    if (decoded->find('/') != std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          "path segment ", i + 1, ": an encoded '/' is not allowed"));
    }
    result.segments.push_back(*std::move(decoded));
  }
  return result;
}

bool RouteTable::Matches(const PathTemplate& path_template,
                         const RequestPath& path) {
  if (path.has_verb != !path_template.verb.empty() ||
      path.verb != path_template.verb ||
      path.segments.size() != path_template.segments.size()) {
    return false;
  }
  for (size_t i = 0; i < path.segments.size(); ++i) {
    const PathTemplate::Segment& segment = path_template.segments[i];
    if (segment.wildcard ? path.segments[i].empty()
                         : path.segments[i] != segment.literal) {
      return false;
    }
  }
  return true;
}

bool RouteTable::MoreSpecific(const PathTemplate& a, const PathTemplate& b) {
  // Both match the same path, so they have as many segments.
  for (size_t i = 0; i < a.segments.size() && i < b.segments.size(); ++i) {
    if (a.segments[i].wildcard != b.segments[i].wildcard) {
      return !a.segments[i].wildcard;
    }
  }
  return false;
}

std::vector<const RouteTable::Compiled*> RouteTable::Candidates(
    const RequestPath& path) const {
  std::vector<const Compiled*> result;
  for (const Compiled& compiled : compiled_) {
    if (Matches(compiled.path_template, path)) result.push_back(&compiled);
  }
  return result;
}

absl::StatusOr<RouteMatch> RouteTable::Match(absl::string_view verb,
                                             absl::string_view path) const {
  CDC_ASSIGN_OR_RETURN(const RequestPath request_path, SplitRequestPath(path));
  const std::vector<const Compiled*> candidates = Candidates(request_path);
  if (candidates.empty()) {
    return absl::NotFoundError(absl::StrCat("no route for ", path));
  }
  const Compiled* best = nullptr;
  for (const Compiled* candidate : candidates) {
    if (candidate->route->verb != verb) continue;
    if (best == nullptr ||
        MoreSpecific(candidate->path_template, best->path_template)) {
      best = candidate;
    }
  }
  if (best == nullptr) {
    return absl::UnimplementedError(
        absl::StrCat("method ", verb, " not allowed for ", path,
                     "; allowed: ", absl::StrJoin(AllowedVerbs(path), ", ")));
  }
  RouteMatch match;
  match.route = best->route;
  for (const PathTemplate::Variable& variable : best->path_template.variables) {
    std::string value;
    for (size_t i = variable.first; i < variable.first + variable.count; ++i) {
      if (i > variable.first) value.push_back('/');
      value.append(request_path.segments[i]);
    }
    match.bindings.emplace_back(variable.field_path, std::move(value));
  }
  return match;
}

std::vector<std::string> RouteTable::AllowedVerbs(
    absl::string_view path) const {
  const absl::StatusOr<RequestPath> request_path = SplitRequestPath(path);
  if (!request_path.ok()) return {};
  std::vector<std::string> verbs;
  for (const Compiled* candidate : Candidates(*request_path)) {
    std::string verb(candidate->route->verb);
    if (std::find(verbs.begin(), verbs.end(), verb) == verbs.end()) {
      verbs.push_back(std::move(verb));
    }
  }
  std::sort(verbs.begin(), verbs.end(),
            [](const std::string& a, const std::string& b) {
              const int rank_a = VerbRank(a);
              const int rank_b = VerbRank(b);
              return rank_a != rank_b ? rank_a < rank_b : a < b;
            });
  return verbs;
}

absl::StatusOr<RouteMatch> MatchRoute(absl::string_view verb,
                                      absl::string_view path) {
  const absl::StatusOr<RouteTable>& table = DefaultTable();
  if (!table.ok()) {
    return absl::InternalError(
        absl::StrCat("gateway route table: ", table.status().message()));
  }
  return table->Match(verb, path);
}

std::vector<std::string> AllowedVerbs(absl::string_view path) {
  const absl::StatusOr<RouteTable>& table = DefaultTable();
  if (!table.ok()) return {};
  return table->AllowedVerbs(path);
}

}  // namespace cdc::gateway
