#include "services/notifications/notifications_service.h"

#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <limits>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "services/common/crypto.h"
#include "services/common/handler.h"
#include "services/common/page_token.h"
#include "services/common/status.h"
#include "services/common/status_macros.h"
#include "services/common/validation.h"

namespace cdc::notifications {
namespace {

using google::protobuf::util::TimeUtil;

// Event types that notify someone (see routing.h), in the order
// GetPreferences lists them.
constexpr v1::EventType kNotifyingTypes[] = {
    v1::EVENT_TYPE_MEMBER_APPLIED,       v1::EVENT_TYPE_MEMBER_APPROVED,
    v1::EVENT_TYPE_MEMBER_REJECTED,      v1::EVENT_TYPE_MEMBER_SUSPENDED,
    v1::EVENT_TYPE_MEMBER_REINSTATED,    v1::EVENT_TYPE_MEMBER_ROLE_CHANGED,
    v1::EVENT_TYPE_ROUND_OPENED,         v1::EVENT_TYPE_ROUND_EXTENDED,
    v1::EVENT_TYPE_ROUND_CLOSING_SOON,   v1::EVENT_TYPE_ROUND_CLOSED,
    v1::EVENT_TYPE_RECORD_PUBLISHED,     v1::EVENT_TYPE_COMMENT_CREATED,
    v1::EVENT_TYPE_COMMENT_REPLIED,      v1::EVENT_TYPE_COMMENT_ENDORSED,
    v1::EVENT_TYPE_COMMENT_FLAGGED,      v1::EVENT_TYPE_COMMENT_HIDDEN,
    v1::EVENT_TYPE_COMMENT_RESTORED,     v1::EVENT_TYPE_DISPOSITION_SET,
    v1::EVENT_TYPE_TOPIC_STARTED,        v1::EVENT_TYPE_PRIVATE_MESSAGE_SENT,
    v1::EVENT_TYPE_INITIATIVE_SUBMITTED, v1::EVENT_TYPE_INITIATIVE_APPROVED,
    v1::EVENT_TYPE_INITIATIVE_RETURNED,
};

// Decisions about the member's own account always reach them.
bool Locked(v1::EventType type) {
  return type == v1::EVENT_TYPE_MEMBER_APPROVED ||
         type == v1::EVENT_TYPE_MEMBER_SUSPENDED ||
         type == v1::EVENT_TYPE_MEMBER_REINSTATED ||
         type == v1::EVENT_TYPE_MEMBER_ROLE_CHANGED;
}

bool Notifies(v1::EventType type) {
  return std::find(std::begin(kNotifyingTypes), std::end(kNotifyingTypes),
                   type) != std::end(kNotifyingTypes);
}

std::string MemberId(const v1::Principal& caller) {
  return std::string(absl::StripPrefix(caller.member(), "members/"));
}

// The inbox owner named by `parent` ("members/{m}", empty = the caller).
// Every inbox is its owner's alone; partner tokens act for an organisation,
// not a person, and have none (they follow WatchEvents).
absl::StatusOr<std::string> OwnInbox(const v1::Principal& caller,
                                     absl::string_view field,
                                     absl::string_view parent) {
  if (caller.role() == v1::ROLE_PARTNER) {
    return absl::PermissionDeniedError(
        "partner tokens have no inbox; follow events with WatchEvents");
  }
  if (parent.empty()) return MemberId(caller);
  CDC_ASSIGN_OR_RETURN(std::string id,
                       ParseResourceId(field, parent, "members"));
  if (id != MemberId(caller)) {
    return absl::PermissionDeniedError(
        absl::StrCat(field, ": only the member may use their own inbox"));
  }
  return id;
}

// "members/{m}/notifications/{n}" -> (m, n).
absl::StatusOr<std::pair<std::string, int64_t>> ParseNotificationName(
    absl::string_view field, absl::string_view name) {
  std::vector<absl::string_view> parts = absl::StrSplit(name, '/');
  int64_t seq = 0;
  if (parts.size() != 4 || parts[0] != "members" || parts[1].empty() ||
      parts[2] != "notifications" || !absl::SimpleAtoi(parts[3], &seq) ||
      seq <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ": must be \"members/{member}/notifications/{notification}\""));
  }
  return std::make_pair(std::string(parts[1]), seq);
}

// A notification of the caller's own inbox. Partners have no inbox
// (PERMISSION_DENIED); a notification of another inbox is, for the caller,
// not there: `not_mine` is the answer (the contract says NOT_FOUND for
// MarkNotificationRead, INVALID_ARGUMENT for MarkAllNotificationsRead).
absl::StatusOr<int64_t> OwnNotification(const v1::Principal& caller,
                                        absl::string_view field,
                                        absl::string_view name,
                                        absl::Status not_mine) {
  CDC_ASSIGN_OR_RETURN(auto parsed, ParseNotificationName(field, name));
  CDC_RETURN_IF_ERROR(OwnInbox(caller, field, "").status());
  if (parsed.first != MemberId(caller)) return not_mine;
  return parsed.second;
}

std::string FollowName(absl::string_view member_id, absl::string_view target) {
  return absl::StrCat("members/", member_id, "/follows/",
                      HexEncode(Sha256(target).substr(0, 8)));
}

v1::FollowedTarget ToProto(absl::string_view member_id, const Follow& f) {
  v1::FollowedTarget out;
  out.set_name(FollowName(member_id, f.target));
  out.set_target(f.target);
  out.set_title(f.title);
  *out.mutable_create_time() = TimeUtil::MillisecondsToTimestamp(f.create_ms);
  return out;
}

v1::NotificationPreferences ToProto(absl::string_view member_id,
                                    const Preferences& p) {
  v1::NotificationPreferences out;
  out.set_name(absl::StrCat("members/", member_id, "/notificationPreferences"));
  for (v1::EventType type : kNotifyingTypes) {
    auto* setting = out.add_event_types();
    setting->set_event_type(type);
    setting->set_enabled(!std::binary_search(
        p.disabled.begin(), p.disabled.end(), static_cast<int>(type)));
  }
  out.set_etag(p.etag);
  if (p.update_ms > 0) {
    *out.mutable_update_time() = TimeUtil::MillisecondsToTimestamp(p.update_ms);
  }
  return out;
}

// The first line of a comment, cut to 80 characters, as a thread's title.
std::string Snippet(absl::string_view body) {
  body = body.substr(0, body.find('\n'));
  std::string out;
  size_t points = 0;
  for (size_t i = 0; i < body.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(body[i]);
    if ((c & 0xC0) != 0x80 && ++points > 80) {
      out += "…";
      break;
    }
    out += body[i];
  }
  return out;
}

// A failed call to another service, as the caller should see it: what the
// caller may not read does not exist for them.
absl::Status TargetStatus(const grpc::Status& status,
                          absl::string_view target) {
  absl::Status s = FromGrpcStatus(status);
  if (s.code() == absl::StatusCode::kNotFound ||
      s.code() == absl::StatusCode::kPermissionDenied) {
    return absl::NotFoundError(absl::StrCat("target: ", target, " not found"));
  }
  return s;
}

// A stream that ends at once with `status`.
template <typename Response>
class FailedStream final : public grpc::ServerWriteReactor<Response> {
 public:
  explicit FailedStream(const grpc::Status& status) { this->Finish(status); }
  void OnDone() override { delete this; }
};

}  // namespace

class NotificationsService::Impl {
 public:
  Impl(NotificationsStore* store, LiveHub* hub, Authenticator* authenticator,
       std::shared_ptr<grpc::Channel> consultations,
       std::shared_ptr<grpc::Channel> comments,
       std::shared_ptr<grpc::Channel> community, const Clock& clock)
      : store_(store),
        hub_(hub),
        authenticator_(authenticator),
        consultations_(v1::ConsultationsService::NewStub(consultations)),
        comments_(v1::CommentsService::NewStub(comments)),
        community_(v1::CommunityService::NewStub(community)),
        clock_(clock) {}

  absl::StatusOr<v1::Principal> Caller(const grpc::ServerContextBase& context) {
    return AuthenticateCall(context, *authenticator_);
  }

  // Copies the broadcasts the member has not seen yet into their inbox.
  absl::Status CatchUp(const v1::Principal& caller) {
    return store_->CatchUpBroadcasts(MemberId(caller),
                                     [&](const BroadcastEntry& entry) {
                                       return BroadcastAdmits(caller, entry);
                                     });
  }

  // The followed form of a target and its title, checked with the
  // caller's own rights.
  absl::StatusOr<std::pair<std::string, std::string>> ResolveTarget(
      const grpc::ServerContextBase& context, const v1::Principal& caller,
      absl::string_view target) {
    if (target.empty()) {
      return absl::InvalidArgumentError("target: required");
    }
    if (absl::StartsWith(target, "consultations/")) {
      std::vector<absl::string_view> parts = absl::StrSplit(target, '/');
      if (parts.size() != 4 || parts[2] != "sections" || parts[1].empty() ||
          parts[3].empty()) {
        return absl::InvalidArgumentError(
            "target: must be \"consultations/{c}/sections/{key}\"");
      }
      v1::GetSectionRequest request;
      request.set_name(std::string(target));
      v1::Section section;
      grpc::Status status = consultations_->GetSection(
          ForwardCaller(context).get(), request, &section);
      if (!status.ok()) return TargetStatus(status, target);
      return std::make_pair(std::string(target), section.title());
    }
    if (absl::StartsWith(target, "comments/")) {
      CDC_RETURN_IF_ERROR(
          ParseResourceId("target", target, "comments").status());
      v1::GetCommentRequest request;
      request.set_name(std::string(target));
      v1::Comment comment;
      grpc::Status status = comments_->GetComment(ForwardCaller(context).get(),
                                                  request, &comment);
      if (!status.ok()) return TargetStatus(status, target);
      if (comment.thread() != comment.name()) {
        request.set_name(comment.thread());
        status = comments_->GetComment(ForwardCaller(context).get(), request,
                                       &comment);
        if (!status.ok()) return TargetStatus(status, target);
      }
      return std::make_pair(comment.name(), Snippet(comment.body()));
    }
    if (absl::StartsWith(target, "spaces/")) {
      std::vector<absl::string_view> parts = absl::StrSplit(target, '/');
      if (parts.size() == 2) return ResolveSpace(context, caller, target);
      const bool topic =
          parts.size() == 4 && parts[2] == "topics" &&
          ParseResourceId("target", absl::StrCat("spaces/", parts[1]), "spaces")
              .ok() &&
          ParseResourceId("target", absl::StrCat("topics/", parts[3]), "topics")
              .ok();
      if (!topic) {
        return absl::InvalidArgumentError(
            "target: must be \"spaces/{s}\" or \"spaces/{s}/topics/{t}\"");
      }
      return ResolveCommunityTarget(context, target);
    }
    if (absl::StartsWith(target, "resources/")) {
      CDC_RETURN_IF_ERROR(
          ParseResourceId("target", target, "resources").status());
      return ResolveCommunityTarget(context, target);
    }
    if (absl::StartsWith(target, "conversations/")) {
      return absl::InvalidArgumentError(
          "target: conversations cannot be followed; their participants hear "
          "of every message");
    }
    return absl::InvalidArgumentError(
        "target: must be a section, a comment, a space, a topic or a "
        "resource");
  }

  // A topic or a resource: followed when the caller may read it
  // (CommunityService.CheckTargetAccess with the caller's token).
  absl::StatusOr<std::pair<std::string, std::string>> ResolveCommunityTarget(
      const grpc::ServerContextBase& context, absl::string_view target) {
    v1::CheckTargetAccessRequest request;
    request.set_target(std::string(target));
    v1::CheckTargetAccessResponse access;
    grpc::Status status = community_->CheckTargetAccess(
        ForwardCaller(context).get(), request, &access);
    if (!status.ok()) return TargetStatus(status, target);
    if (!access.may_read()) {
      return absl::NotFoundError(
          absl::StrCat("target: ", target, " not found"));
    }
    return std::make_pair(std::string(target), access.title());
  }

  // A space, to hear of its new topics: the caller must be able to read
  // them, so an invite-only space is followed only by its members (and the
  // secretariat, who reads every space).
  absl::StatusOr<std::pair<std::string, std::string>> ResolveSpace(
      const grpc::ServerContextBase& context, const v1::Principal& caller,
      absl::string_view target) {
    CDC_RETURN_IF_ERROR(ParseResourceId("target", target, "spaces").status());
    v1::GetSpaceRequest request;
    request.set_name(std::string(target));
    v1::Space space;
    grpc::Status status =
        community_->GetSpace(ForwardCaller(context).get(), request, &space);
    if (!status.ok()) return TargetStatus(status, target);
    if (space.visibility() == v1::Space::INVITE_ONLY &&
        !space.caller_is_member() && caller.role() != v1::ROLE_SECRETARIAT) {
      return absl::PermissionDeniedError(
          absl::StrCat("target: ", target,
                       " is invite-only; only its members may follow it"));
    }
    return std::make_pair(std::string(target), space.title());
  }

  NotificationsStore* const store_;
  LiveHub* const hub_;
  Authenticator* const authenticator_;
  std::unique_ptr<v1::ConsultationsService::Stub> consultations_;
  std::unique_ptr<v1::CommentsService::Stub> comments_;
  std::unique_ptr<v1::CommunityService::Stub> community_;
  const Clock& clock_;
};

NotificationsService::NotificationsService(
    NotificationsStore* store, LiveHub* hub, Authenticator* authenticator,
    std::shared_ptr<grpc::Channel> consultations,
    std::shared_ptr<grpc::Channel> comments,
    std::shared_ptr<grpc::Channel> community, const Clock& clock)
    : impl_(std::make_unique<Impl>(
          store, hub, authenticator, std::move(consultations),
          std::move(comments), std::move(community), clock)) {}

NotificationsService::~NotificationsService() = default;

grpc::Status NotificationsService::ListNotifications(
    grpc::ServerContext* context, const v1::ListNotificationsRequest* request,
    v1::ListNotificationsResponse* response) {
  return Handle("ListNotifications", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller, impl_->Caller(*context));
    CDC_ASSIGN_OR_RETURN(std::string member,
                         OwnInbox(caller, "parent", request->parent()));
    CDC_ASSIGN_OR_RETURN(int page_size, CheckPageSize(request->page_size()));
    const std::string filters =
        absl::StrCat(member, request->unread_only() ? ":unread" : ":all");
    int64_t before = 0;
    if (!request->page_token().empty()) {
      CDC_ASSIGN_OR_RETURN(std::string position,
                           DecodePageToken(request->page_token(), filters));
      if (!absl::SimpleAtoi(position, &before) || before <= 0) {
        return absl::InvalidArgumentError("page_token: malformed");
      }
    }
    CDC_RETURN_IF_ERROR(impl_->CatchUp(caller));
    CDC_ASSIGN_OR_RETURN(InboxSlice slice, impl_->store_->ListNewest(
                                               member, before, page_size + 1,
                                               request->unread_only()));
    const bool more = static_cast<int>(slice.items.size()) > page_size;
    if (more) slice.items.resize(page_size);
    for (InboxItem& item : slice.items) {
      *response->add_notifications() = std::move(item.notification);
    }
    if (more) {
      response->set_next_page_token(
          EncodePageToken(std::to_string(slice.items.back().seq), filters));
    }
    return absl::OkStatus();
  });
}

grpc::Status NotificationsService::GetUnreadCount(
    grpc::ServerContext* context, const v1::GetUnreadCountRequest* request,
    v1::GetUnreadCountResponse* response) {
  return Handle("GetUnreadCount", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller, impl_->Caller(*context));
    CDC_ASSIGN_OR_RETURN(std::string member,
                         OwnInbox(caller, "parent", request->parent()));
    CDC_RETURN_IF_ERROR(impl_->CatchUp(caller));
    CDC_ASSIGN_OR_RETURN(InboxSlice slice,
                         impl_->store_->ListNewest(member, 0, 0, true));
    response->set_unread_count(static_cast<int32_t>(slice.unread_count));
    return absl::OkStatus();
  });
}

grpc::Status NotificationsService::MarkNotificationRead(
    grpc::ServerContext* context,
    const v1::MarkNotificationReadRequest* request,
    v1::Notification* response) {
  return Handle("MarkNotificationRead", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller, impl_->Caller(*context));
    CDC_ASSIGN_OR_RETURN(
        int64_t seq, OwnNotification(caller, "name", request->name(),
                                     absl::NotFoundError(absl::StrCat(
                                         request->name(), " does not exist"))));
    CDC_ASSIGN_OR_RETURN(InboxItem item,
                         impl_->store_->MarkRead(MemberId(caller), seq));
    *response = std::move(item.notification);
    return absl::OkStatus();
  });
}

grpc::Status NotificationsService::MarkAllNotificationsRead(
    grpc::ServerContext* context,
    const v1::MarkAllNotificationsReadRequest* request,
    google::protobuf::Empty* /*response*/) {
  return Handle("MarkAllNotificationsRead", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller, impl_->Caller(*context));
    CDC_ASSIGN_OR_RETURN(std::string member,
                         OwnInbox(caller, "parent", request->parent()));
    int64_t up_to = 0;
    if (!request->up_to().empty()) {
      CDC_ASSIGN_OR_RETURN(
          up_to, OwnNotification(caller, "up_to", request->up_to(),
                                 absl::InvalidArgumentError(
                                     "up_to: is not a notification of this "
                                     "inbox")));
    } else {
      // "Everything now" includes broadcasts not yet copied in.
      CDC_RETURN_IF_ERROR(impl_->CatchUp(caller));
    }
    return impl_->store_->MarkAllRead(member, up_to);
  });
}

grpc::Status NotificationsService::GetPreferences(
    grpc::ServerContext* context, const v1::GetPreferencesRequest* request,
    v1::NotificationPreferences* response) {
  return Handle("GetPreferences", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller, impl_->Caller(*context));
    std::string parent;
    if (!request->name().empty()) {
      if (!absl::EndsWith(request->name(), "/notificationPreferences")) {
        return absl::InvalidArgumentError(
            "name: must be \"members/{member}/notificationPreferences\"");
      }
      parent = std::string(
          absl::StripSuffix(request->name(), "/notificationPreferences"));
    }
    CDC_ASSIGN_OR_RETURN(std::string member, OwnInbox(caller, "name", parent));
    CDC_ASSIGN_OR_RETURN(Preferences preferences,
                         impl_->store_->GetPreferences(member));
    *response = ToProto(member, preferences);
    return absl::OkStatus();
  });
}

grpc::Status NotificationsService::UpdatePreferences(
    grpc::ServerContext* context, const v1::UpdatePreferencesRequest* request,
    v1::NotificationPreferences* response) {
  return Handle("UpdatePreferences", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller, impl_->Caller(*context));
    const v1::NotificationPreferences& in = request->preferences();
    std::string parent;
    if (!in.name().empty()) {
      if (!absl::EndsWith(in.name(), "/notificationPreferences")) {
        return absl::InvalidArgumentError(
            "preferences.name: must be "
            "\"members/{member}/notificationPreferences\"");
      }
      parent =
          std::string(absl::StripSuffix(in.name(), "/notificationPreferences"));
    }
    CDC_ASSIGN_OR_RETURN(std::string member,
                         OwnInbox(caller, "preferences.name", parent));
    CDC_ASSIGN_OR_RETURN(std::vector<std::string> paths,
                         DistinctPaths(request->update_mask()));
    for (const std::string& path : paths) {
      if (path != "event_types") {
        return absl::InvalidArgumentError(absl::StrCat(
            "update_mask: unknown path \"", path, "\"; only \"event_types\""));
      }
    }
    std::vector<int> disabled;
    absl::flat_hash_set<int> seen;
    for (int i = 0; i < in.event_types_size(); ++i) {
      const auto& setting = in.event_types(i);
      const std::string field =
          absl::StrCat("preferences.event_types[", i, "].event_type");
      if (!Notifies(setting.event_type())) {
        return absl::InvalidArgumentError(
            absl::StrCat(field, ": ", static_cast<int>(setting.event_type()),
                         " is not an event type that notifies anyone"));
      }
      if (!seen.insert(setting.event_type()).second) {
        return absl::InvalidArgumentError(
            absl::StrCat(field, ": listed twice"));
      }
      if (setting.enabled()) continue;
      if (Locked(setting.event_type())) {
        return absl::InvalidArgumentError(absl::StrCat(
            field, ": ", v1::EventType_Name(setting.event_type()),
            " is about the member's own account and cannot be turned off"));
      }
      disabled.push_back(setting.event_type());
    }
    CDC_ASSIGN_OR_RETURN(
        Preferences preferences,
        impl_->store_->SetPreferences(member, disabled, in.etag(),
                                      absl::ToUnixMillis(impl_->clock_.Now())));
    *response = ToProto(member, preferences);
    return absl::OkStatus();
  });
}

grpc::Status NotificationsService::Follow(grpc::ServerContext* context,
                                          const v1::FollowRequest* request,
                                          v1::FollowedTarget* response) {
  return Handle("Follow", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller, impl_->Caller(*context));
    CDC_RETURN_IF_ERROR(
        RequireRole(caller, {v1::ROLE_MEMBER, v1::ROLE_SECRETARIAT}));
    CDC_ASSIGN_OR_RETURN(std::string member,
                         OwnInbox(caller, "parent", request->parent()));
    CDC_ASSIGN_OR_RETURN(
        auto target, impl_->ResolveTarget(*context, caller, request->target()));
    CDC_ASSIGN_OR_RETURN(
        cdc::notifications::Follow follow,
        impl_->store_->AddFollow(member, target.first, target.second,
                                 absl::ToUnixMillis(impl_->clock_.Now())));
    *response = ToProto(member, follow);
    return absl::OkStatus();
  });
}

grpc::Status NotificationsService::Unfollow(grpc::ServerContext* context,
                                            const v1::UnfollowRequest* request,
                                            google::protobuf::Empty*) {
  return Handle("Unfollow", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller, impl_->Caller(*context));
    CDC_ASSIGN_OR_RETURN(std::string member,
                         OwnInbox(caller, "parent", request->parent()));
    if (request->target().empty()) {
      return absl::InvalidArgumentError("target: required");
    }
    // A reply given for its thread: stop following the thread's root. When
    // the comment can no longer be read, the target is taken as given.
    std::string target = request->target();
    absl::StatusOr<std::pair<std::string, std::string>> resolved =
        impl_->ResolveTarget(*context, caller, target);
    if (resolved.ok()) target = resolved->first;
    return impl_->store_->RemoveFollow(member, target);
  });
}

grpc::Status NotificationsService::ListFollows(
    grpc::ServerContext* context, const v1::ListFollowsRequest* request,
    v1::ListFollowsResponse* response) {
  return Handle("ListFollows", [&]() -> absl::Status {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller, impl_->Caller(*context));
    CDC_ASSIGN_OR_RETURN(std::string member,
                         OwnInbox(caller, "parent", request->parent()));
    CDC_ASSIGN_OR_RETURN(int page_size, CheckPageSize(request->page_size()));
    // A member has at most 1000 follows, so a page is cut from all of them;
    // the token is the last follow shown (time and target), so follows
    // added while paging do not shift later pages.
    std::string after;
    if (!request->page_token().empty()) {
      CDC_ASSIGN_OR_RETURN(after,
                           DecodePageToken(request->page_token(), member));
    }
    CDC_ASSIGN_OR_RETURN(std::vector<cdc::notifications::Follow> follows,
                         impl_->store_->Follows(member));
    auto position = [](const cdc::notifications::Follow& f) {
      return absl::StrCat(absl::Dec(f.create_ms, absl::kZeroPad16), "\1",
                          f.target);
    };
    size_t i = 0;
    if (!after.empty()) {
      while (i < follows.size() && position(follows[i]) >= after) ++i;
    }
    for (; i < follows.size() && response->follows_size() < page_size; ++i) {
      *response->add_follows() = ToProto(member, follows[i]);
    }
    if (i < follows.size() && response->follows_size() > 0) {
      response->set_next_page_token(
          EncodePageToken(position(follows[i - 1]), member));
    }
    return absl::OkStatus();
  });
}

grpc::ServerWriteReactor<v1::SubscribeResponse>*
NotificationsService::Subscribe(grpc::CallbackServerContext* context,
                                const v1::SubscribeRequest* request) {
  absl::StatusOr<grpc::ServerWriteReactor<v1::SubscribeResponse>*> stream =
      [&]()
      -> absl::StatusOr<grpc::ServerWriteReactor<v1::SubscribeResponse>*> {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller, impl_->Caller(*context));
    CDC_ASSIGN_OR_RETURN(std::string member,
                         OwnInbox(caller, "parent", request->parent()));
    // "Only new ones" means after the newest at this moment, so that
    // nothing written while the stream is being set up is skipped; pending
    // broadcasts are copied in first, as every read of the inbox does.
    CDC_RETURN_IF_ERROR(impl_->CatchUp(caller));
    CDC_ASSIGN_OR_RETURN(InboxSlice now,
                         impl_->store_->ListAfter(
                             member, std::numeric_limits<int64_t>::max(), 0));
    int64_t last_seen = now.last_seq;
    if (!request->last_seen().empty()) {
      CDC_ASSIGN_OR_RETURN(auto parsed, ParseNotificationName(
                                            "last_seen", request->last_seen()));
      if (parsed.first != member) {
        return absl::InvalidArgumentError(
            "last_seen: names a notification of another inbox");
      }
      if (parsed.second > now.last_seq) {
        return absl::InvalidArgumentError(
            "last_seen: newer than any notification of this inbox");
      }
      last_seen = parsed.second;
    }
    CDC_ASSIGN_OR_RETURN(std::string token, BearerToken(*context));
    return impl_->hub_->OpenSubscription(context, std::move(token), caller,
                                         last_seen);
  }();
  if (stream.ok()) return *stream;
  return new FailedStream<v1::SubscribeResponse>(
      Handle("Subscribe", [&] { return stream.status(); }));
}

grpc::ServerWriteReactor<v1::WatchEventsResponse>*
NotificationsService::WatchEvents(grpc::CallbackServerContext* context,
                                  const v1::WatchEventsRequest* request) {
  absl::StatusOr<grpc::ServerWriteReactor<v1::WatchEventsResponse>*> stream =
      [&]()
      -> absl::StatusOr<grpc::ServerWriteReactor<v1::WatchEventsResponse>*> {
    CDC_ASSIGN_OR_RETURN(v1::Principal caller, impl_->Caller(*context));
    CDC_RETURN_IF_ERROR(
        RequireRole(caller, {v1::ROLE_PARTNER, v1::ROLE_SECRETARIAT}));
    CDC_ASSIGN_OR_RETURN(EventFilter filter, MakeEventFilter(*request));
    EventCursor cursor;
    if (!request->cursor().empty()) {
      CDC_ASSIGN_OR_RETURN(cursor, DecodeEventCursor(request->cursor()));
      CDC_RETURN_IF_ERROR(impl_->store_->CheckRetained(cursor));
    } else if (request->start() != v1::WatchEventsRequest::EARLIEST) {
      CDC_ASSIGN_OR_RETURN(cursor, impl_->store_->LatestPositions());
    }
    CDC_ASSIGN_OR_RETURN(std::string token, BearerToken(*context));
    return impl_->hub_->OpenWatch(context, std::move(token), caller.role(),
                                  cursor, std::move(filter));
  }();
  if (stream.ok()) return *stream;
  return new FailedStream<v1::WatchEventsResponse>(
      Handle("WatchEvents", [&] { return stream.status(); }));
}

}  // namespace cdc::notifications
