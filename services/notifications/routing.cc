#include "services/notifications/routing.h"

#include <algorithm>
#include <initializer_list>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cdc/v1/comments.pb.h"
#include "cdc/v1/common.pb.h"
#include "google/protobuf/timestamp.pb.h"

namespace cdc::notifications {
namespace {

// events.proto: "the payload field number of a kind in Event is its value
// + 20", so the oneof case and the EventType are one number apart.
constexpr int kPayloadFieldOffset = 20;

// Notification.summary holds 1..300 code points.
constexpr size_t kMaxSummaryCodePoints = 300;
constexpr absl::string_view kEllipsis = "…";

// ---- Words ----

absl::string_view RoleLabel(v1::Role role) {
  switch (role) {
    case v1::ROLE_OBSERVER:
      return "observer";
    case v1::ROLE_MEMBER:
      return "member";
    case v1::ROLE_PARTNER:
      return "partner";
    case v1::ROLE_SECRETARIAT:
      return "secretariat";
    default:  // unspecified, or a role added after this was written
      return "";
  }
}

absl::string_view OrganisationTypeLabel(v1::OrganisationType type) {
  switch (type) {
    case v1::ORGANISATION_TYPE_NATIONAL_STATISTICAL_OFFICE:
      return "national statistical office";
    case v1::ORGANISATION_TYPE_CIVIL_SOCIETY:
      return "civil society";
    case v1::ORGANISATION_TYPE_ACADEMIA:
      return "academia";
    case v1::ORGANISATION_TYPE_NATIONAL_HUMAN_RIGHTS_INSTITUTION:
      return "national human rights institution";
    case v1::ORGANISATION_TYPE_REGIONAL_OR_INTERNATIONAL_ORGANISATION:
      return "regional or international organisation";
    case v1::ORGANISATION_TYPE_UN_AGENCY:
      return "UN agency";
    case v1::ORGANISATION_TYPE_PHILANTHROPIC_ORGANISATION:
      return "philanthropic organisation";
    case v1::ORGANISATION_TYPE_CITIZEN_SCIENCE_NETWORK:
      return "citizen science network";
    case v1::ORGANISATION_TYPE_OTHER:
      return "other organisation";
    default:
      return "";
  }
}

absl::string_view OutcomeLabel(v1::Disposition::Outcome outcome) {
  switch (outcome) {
    case v1::Disposition::ACCEPTED:
      return "accepted";
    case v1::Disposition::PARTLY_ACCEPTED:
      return "partly accepted";
    case v1::Disposition::NOTED:
      return "noted";
    case v1::Disposition::NOT_ACCEPTED:
      return "not accepted";
    default:
      return "";
  }
}

absl::string_view FlagReasonLabel(v1::ModerationAction::FlagReason reason) {
  switch (reason) {
    case v1::ModerationAction::SPAM:
      return "spam";
    case v1::ModerationAction::ABUSIVE:
      return "abusive";
    case v1::ModerationAction::OFF_TOPIC:
      return "off topic";
    case v1::ModerationAction::PERSONAL_DATA:
      return "personal data";
    case v1::ModerationAction::OTHER:
      return "other";
    default:
      return "";
  }
}

// What a followed comment target is, as the follower knows it.
absl::string_view FollowedKindLabel(v1::Comment::TargetKind kind) {
  switch (kind) {
    case v1::Comment::TARGET_SECTION:
      return "a section";
    case v1::Comment::TARGET_TOPIC:
      return "a topic";
    case v1::Comment::TARGET_RESOURCE:
      return "a resource";
    default:  // conversations cannot be followed; future kinds
      return "something";
  }
}

// "Round 2": round events always carry their number, but a summary must
// still read well if one does not.
std::string RoundLabel(int round) {
  return round > 0 ? absl::StrCat("Round ", round) : "The round";
}

absl::Time ToTime(const google::protobuf::Timestamp& when) {
  return absl::FromUnixSeconds(when.seconds()) +
         absl::Nanoseconds(when.nanos());
}

// "2026-12-25 17:00 UTC", or "" for an unset timestamp so that callers can
// leave the clause out.
std::string FormatWhen(const google::protobuf::Timestamp& when) {
  if (when.seconds() == 0 && when.nanos() == 0) return "";
  return absl::FormatTime("%Y-%m-%d %H:%M UTC", ToTime(when),
                          absl::UTCTimeZone());
}

// `prefix` followed by `text` when there is any text, e.g. ": spam". Lets
// one format string serve events whose optional detail is missing.
std::string Optional(absl::string_view prefix, absl::string_view text,
                     absl::string_view suffix = "") {
  if (text.empty()) return "";
  return absl::StrCat(prefix, text, suffix);
}

// " (civil society, KEN)": the facts that are known, or "" when none is.
std::string Details(std::initializer_list<absl::string_view> facts) {
  std::vector<absl::string_view> known;
  for (const absl::string_view fact : facts) {
    if (!fact.empty()) known.push_back(fact);
  }
  return Optional(" (", absl::StrJoin(known, ", "), ")");
}

// The actor's name as the event recorded it, else `fallback` (the system,
// or an event written before actor_display_name existed).
absl::string_view ActorName(const v1::Event& event,
                            absl::string_view fallback = "Someone") {
  return event.actor_display_name().empty()
             ? fallback
             : absl::string_view(event.actor_display_name());
}

// "Ana López <named>" when the actor's name is known, else `anonymous`:
// for summaries whose nameless form is not "Someone ...".
std::string NamedOr(const v1::Event& event, absl::string_view named,
                    absl::string_view anonymous) {
  if (event.actor_display_name().empty()) return std::string(anonymous);
  return absl::StrCat(event.actor_display_name(), " ", named);
}

// ---- Kinds of recipient ----
// Each rule below picks one of these; RouteEvent then applies what holds
// for every rule (no actor, no repeats, summary length).

Routing Nobody(absl::string_view target, std::string summary) {
  Routing routing;
  routing.target = std::string(target);
  routing.summary = std::move(summary);
  return routing;
}

Routing Personal(std::vector<std::string> members, absl::string_view target,
                 std::string summary) {
  Routing routing = Nobody(target, std::move(summary));
  routing.members = std::move(members);
  return routing;
}

Routing Followers(absl::string_view follow_target, absl::string_view target,
                  std::string summary) {
  Routing routing = Nobody(target, std::move(summary));
  routing.follow_targets = {std::string(follow_target)};
  return routing;
}

Routing ToSecretariat(absl::string_view target, std::string summary) {
  Routing routing = Nobody(target, std::move(summary));
  routing.broadcast = Broadcast::kSecretariat;
  return routing;
}

// Round events are about the consultation: its audience is told, and the
// notification points at the consultation (where the round is shown).
Routing ToRoundAudience(absl::string_view consultation, std::string summary) {
  Routing routing = Nobody(consultation, std::move(summary));
  routing.broadcast = Broadcast::kRoundAudience;
  routing.consultation = std::string(consultation);
  return routing;
}

// Endorsements, dispositions and moderation acts concern the comment's
// author only.
Routing ToCommentAuthor(const v1::CommentRef& comment, std::string summary) {
  return Personal({comment.author()}, comment.comment(), std::move(summary));
}

// A message of a private conversation: PrivateMessageSent tells its
// participants, so a comment event about it tells nobody more (only the
// participants may ever hear of one).
bool InConversation(const v1::CommentRef& comment) {
  return comment.target_kind() == v1::Comment::TARGET_CONVERSATION;
}

Routing PrivateMessageComment(const v1::CommentRef& comment) {
  return Nobody(comment.target(), "A message in a private conversation");
}

// ---- The rules of notifications.proto, one case per event type ----

Routing Decide(const v1::Event& event) {
  switch (event.payload_case()) {
    // Members.
    case v1::Event::kMemberApplied: {
      const v1::MemberApplied& p = event.member_applied();
      // The applicant is the actor: the secretariat hears who applied.
      const std::string details =
          Details({OrganisationTypeLabel(p.organisation_type()), p.country()});
      return ToSecretariat(
          p.member(),
          NamedOr(event, absl::StrCat("applied for membership", details),
                  absl::StrCat("New membership application", details)));
    }
    case v1::Event::kMemberApproved: {
      const v1::MemberApproved& p = event.member_approved();
      return Personal(
          {p.member()}, p.member(),
          absl::StrCat("Your membership was approved",
                       Optional(" (role: ", RoleLabel(p.role()), ")")));
    }
    case v1::Event::kMemberRejected: {
      const v1::MemberRejected& p = event.member_rejected();
      return Personal({p.member()}, p.member(),
                      "Your membership application was rejected");
    }
    case v1::Event::kMemberSuspended: {
      const v1::MemberSuspended& p = event.member_suspended();
      return Personal({p.member()}, p.member(),
                      "Your membership was suspended");
    }
    case v1::Event::kMemberReinstated: {
      const v1::MemberReinstated& p = event.member_reinstated();
      return Personal({p.member()}, p.member(),
                      "Your membership was reinstated");
    }
    case v1::Event::kMemberRoleChanged: {
      const v1::MemberRoleChanged& p = event.member_role_changed();
      return Personal({p.member()}, p.member(),
                      absl::StrCat("Your role was changed",
                                   Optional(" to ", RoleLabel(p.role()))));
    }
    // Bookkeeping that nobody is told of; the summary still describes it
    // for whoever renders the event.
    case v1::Event::kMemberProfileUpdated:
      return Nobody(event.member_profile_updated().member(),
                    absl::StrCat(ActorName(event), " updated a profile"));
    case v1::Event::kApiTokenIssued:
      return Nobody(event.api_token_issued().token(),
                    absl::StrCat(ActorName(event), " issued an API token"));
    case v1::Event::kApiTokenRevoked:
      return Nobody(event.api_token_revoked().token(),
                    absl::StrCat(ActorName(event), " revoked an API token"));

    // Consultations.
    case v1::Event::kConsultationCreated: {
      const v1::ConsultationCreated& p = event.consultation_created();
      return Nobody(p.consultation(),
                    absl::StrCat(ActorName(event), " created a consultation",
                                 Optional(": ", p.title())));
    }
    case v1::Event::kConsultationUpdated:
      return Nobody(event.consultation_updated().consultation(),
                    absl::StrCat(ActorName(event), " updated a consultation"));
    case v1::Event::kDraftImported: {
      const v1::DraftImported& p = event.draft_imported();
      return Nobody(p.consultation(),
                    absl::StrCat(ActorName(event), " imported draft version ",
                                 p.draft_version()));
    }
    case v1::Event::kRoundOpened: {
      const v1::RoundOpened& p = event.round_opened();
      // A round may be opened ahead of time: then say when it starts.
      const bool scheduled = ToTime(p.opens_at()) > ToTime(event.time());
      return ToRoundAudience(
          p.consultation(),
          absl::StrCat(RoundLabel(p.round()),
                       scheduled ? Optional(" opens for comments on ",
                                            FormatWhen(p.opens_at()))
                                 : " is open for comments",
                       Optional(" until ", FormatWhen(p.closes_at()))));
    }
    case v1::Event::kRoundExtended: {
      const v1::RoundExtended& p = event.round_extended();
      return ToRoundAudience(
          p.consultation(),
          absl::StrCat(RoundLabel(p.round()), " was extended",
                       Optional(" until ", FormatWhen(p.closes_at()))));
    }
    case v1::Event::kRoundClosingSoon: {
      const v1::RoundClosingSoon& p = event.round_closing_soon();
      return ToRoundAudience(
          p.consultation(),
          absl::StrCat(RoundLabel(p.round()), " closes soon",
                       Optional(": ", FormatWhen(p.closes_at()))));
    }
    case v1::Event::kRoundClosed: {
      const v1::RoundClosed& p = event.round_closed();
      return ToRoundAudience(p.consultation(),
                             absl::StrCat(RoundLabel(p.round()), " closed",
                                          p.closed_early() ? " early" : ""));
    }
    case v1::Event::kRecordPublished: {
      const v1::RecordPublished& p = event.record_published();
      return ToRoundAudience(
          p.consultation(),
          absl::StrCat(
              "The comment–response record of ",
              p.round() > 0 ? absl::StrCat("round ", p.round()) : "the round",
              " is published"));
    }

    // Comments.
    case v1::Event::kCommentCreated: {
      const v1::CommentRef& c = event.comment_created().comment();
      if (InConversation(c)) return PrivateMessageComment(c);
      if (c.target_kind() == v1::Comment::TARGET_TOPIC) {
        return Followers(c.target(), c.comment(),
                         NamedOr(event, "posted in a topic you follow",
                                 "New post in a topic you follow"));
      }
      const absl::string_view kind = FollowedKindLabel(c.target_kind());
      return Followers(
          c.target(), c.comment(),
          NamedOr(event, absl::StrCat("commented on ", kind, " you follow"),
                  absl::StrCat("New comment on ", kind, " you follow")));
    }
    case v1::Event::kCommentReplied: {
      const v1::CommentReplied& p = event.comment_replied();
      const v1::CommentRef& c = p.comment();
      if (InConversation(c)) return PrivateMessageComment(c);
      Routing routing = Followers(c.thread(), c.comment(), "");
      routing.members = {p.parent_author()};
      // On a section, following it means hearing of new threads; on a
      // topic or a resource, of every post, replies included (as a forum's
      // "watch").
      const bool discussion = c.target_kind() == v1::Comment::TARGET_TOPIC ||
                              c.target_kind() == v1::Comment::TARGET_RESOURCE;
      if (discussion) routing.follow_targets.push_back(c.target());
      // Followers read the thread's wording; the parent's author, when
      // someone else replied, is addressed directly.
      routing.summary =
          discussion ? NamedOr(event, "replied in a discussion you follow",
                               "New reply in a discussion you follow")
                     : NamedOr(event, "replied in a thread you follow",
                               "New reply in a thread you follow");
      if (!p.parent_author().empty() && p.parent_author() != event.actor()) {
        routing.member_summary =
            absl::StrCat(ActorName(event), " replied to your comment");
      }
      return routing;
    }
    case v1::Event::kCommentEdited:
      return Nobody(event.comment_edited().comment().comment(),
                    absl::StrCat(ActorName(event), " edited a comment"));
    case v1::Event::kCommentWithdrawn:
      return Nobody(event.comment_withdrawn().comment().comment(),
                    absl::StrCat(ActorName(event), " withdrew a comment"));
    case v1::Event::kCommentEndorsed: {
      const v1::CommentEndorsed& p = event.comment_endorsed();
      const int count = p.endorsement_count();
      const std::string endorsements =
          count > 0 ? absl::StrCat(
                          count, count == 1 ? " endorsement" : " endorsements")
                    : "";
      return ToCommentAuthor(
          p.comment(), absl::StrCat(ActorName(event), " endorsed your comment",
                                    Details({endorsements})));
    }
    case v1::Event::kCommentUnendorsed:
      return Nobody(
          event.comment_unendorsed().comment().comment(),
          absl::StrCat(ActorName(event), " took back an endorsement"));
    case v1::Event::kCommentFlagged: {
      const v1::CommentFlagged& p = event.comment_flagged();
      // The flagger is not named: flags are anonymous to everyone but the
      // moderation trail. More than one open flag tells moderators it is
      // urgent.
      const std::string open_flags =
          p.flag_count() > 1 ? absl::StrCat(p.flag_count(), " open flags") : "";
      return ToSecretariat(
          p.comment().comment(),
          absl::StrCat(
              "A comment was flagged",
              Details({FlagReasonLabel(p.flag_reason()), open_flags})));
    }
    case v1::Event::kCommentHidden: {
      const v1::CommentHidden& p = event.comment_hidden();
      return ToCommentAuthor(
          p.comment(),
          absl::StrCat(ActorName(event, "A moderator"), " hid your comment",
                       Optional(": ", p.reason())));
    }
    case v1::Event::kCommentRestored: {
      const v1::CommentRestored& p = event.comment_restored();
      return ToCommentAuthor(
          p.comment(),
          absl::StrCat(ActorName(event, "A moderator"),
                       p.was_hidden() ? " restored your comment"
                                      : " dismissed the flags on your comment",
                       Optional(": ", p.reason())));
    }
    case v1::Event::kDispositionSet: {
      const v1::DispositionSet& p = event.disposition_set();
      const bool changed =
          p.previous_outcome() != v1::Disposition::OUTCOME_UNSPECIFIED;
      return ToCommentAuthor(
          p.comment(),
          absl::StrCat(ActorName(event, "The secretariat"),
                       changed ? " changed the answer to your comment"
                               : " answered your comment",
                       Optional(": ", OutcomeLabel(p.outcome()))));
    }

    // Community.
    case v1::Event::kSpaceCreated:
      return Nobody(event.space_created().space(),
                    absl::StrCat(ActorName(event), " created a space"));
    case v1::Event::kTopicStarted: {
      const v1::TopicStarted& p = event.topic_started();
      // Whoever follows the space (members choose to; Follow lets only
      // those who may read its topics) hears of it, except its author.
      Routing routing =
          Followers(p.space(), p.topic(),
                    NamedOr(event, "started a topic in a space you follow",
                            "New topic in a space you follow"));
      routing.not_told = {p.author()};
      return routing;
    }
    case v1::Event::kPrivateMessageSent: {
      const v1::PrivateMessageSent& p = event.private_message_sent();
      std::vector<std::string> others;
      for (const std::string& participant : p.participants()) {
        if (participant != p.sender()) others.push_back(participant);
      }
      // Only the participants, and never the message's text (events do
      // not carry it).
      return Personal(
          std::move(others), p.conversation(),
          absl::StrCat(ActorName(event), " sent you a private message"));
    }
    case v1::Event::kResourceShared:
      return Nobody(event.resource_shared().resource(),
                    absl::StrCat(ActorName(event), " shared a resource"));
    case v1::Event::kInitiativeSubmitted: {
      const v1::InitiativeSubmitted& p = event.initiative_submitted();
      return ToSecretariat(
          p.initiative(),
          absl::StrCat(ActorName(event),
                       p.resubmission() ? " resubmitted" : " submitted",
                       " an initiative for review"));
    }
    case v1::Event::kInitiativeApproved: {
      const v1::InitiativeApproved& p = event.initiative_approved();
      return Personal({p.submitted_by()}, p.initiative(),
                      "Your initiative was approved and is on the map");
    }
    case v1::Event::kInitiativeReturned: {
      const v1::InitiativeReturned& p = event.initiative_returned();
      return Personal({p.submitted_by()}, p.initiative(),
                      absl::StrCat("Your initiative was returned",
                                   Optional(": ", p.note())));
    }

    case v1::Event::PAYLOAD_NOT_SET:
      break;
  }
  // No payload, or one this build does not know (parsed as unknown
  // fields): nobody is told.
  return Routing();
}

// ---- What holds for every rule ----

// Drops empty names, the actor and repeats, keeping the first occurrence
// so that recipients stay in the order the event gave them.
void CleanNames(std::vector<std::string>& names, absl::string_view actor) {
  std::set<absl::string_view> seen;
  std::vector<std::string> kept;
  kept.reserve(names.size());
  for (std::string& name : names) {
    if (name.empty() || (!actor.empty() && name == actor)) continue;
    if (seen.insert(name).second) kept.push_back(name);
  }
  names = std::move(kept);
}

// Summaries are one line of plain text: user-written parts (names, reasons,
// notes, titles) may hold line breaks or other control characters, which
// become single spaces.
std::string OneLine(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool pending_space = false;
  for (const char c : text) {
    const unsigned char byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte == 0x7F) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  }
  return out;
}

// At most kMaxSummaryCodePoints code points, the last of them "…" when
// cut. The cut falls before a lead byte (not 10xxxxxx), so a multibyte
// character is never split.
std::string Clamp(std::string text) {
  size_t code_points = 0;
  size_t keep_bytes = 0;  // bytes of the first kMax - 1 code points
  for (size_t i = 0; i < text.size(); ++i) {
    const bool lead = (static_cast<unsigned char>(text[i]) & 0xC0) != 0x80;
    if (!lead) continue;
    ++code_points;
    if (code_points == kMaxSummaryCodePoints) keep_bytes = i;
    if (code_points > kMaxSummaryCodePoints) {
      text.resize(keep_bytes);
      text.append(kEllipsis.data(), kEllipsis.size());
      return text;
    }
  }
  return text;
}

}  // namespace

v1::EventType TypeOf(const v1::Event& event) {
  if (event.payload_case() == v1::Event::PAYLOAD_NOT_SET) {
    return v1::EVENT_TYPE_UNSPECIFIED;
  }
  const int value =
      static_cast<int>(event.payload_case()) - kPayloadFieldOffset;
  return v1::EventType_IsValid(value) ? static_cast<v1::EventType>(value)
                                      : v1::EVENT_TYPE_UNSPECIFIED;
}

Routing RouteEvent(const v1::Event& event) {
  Routing routing = Decide(event);
  // Nobody is told of their own act, nor anyone the rule excluded.
  // (Followers are resolved later; the consumer drops `not_told` from them.)
  if (!event.actor().empty()) routing.not_told.push_back(event.actor());
  CleanNames(routing.not_told, "");
  CleanNames(routing.members, "");
  std::erase_if(routing.members, [&](const std::string& name) {
    return std::find(routing.not_told.begin(), routing.not_told.end(), name) !=
           routing.not_told.end();
  });
  CleanNames(routing.follow_targets, "");
  routing.summary = Clamp(OneLine(routing.summary));
  if (!routing.member_summary.empty()) {
    routing.member_summary = Clamp(OneLine(routing.member_summary));
  }
  return routing;
}

v1::Event InboxCopy(const v1::Event& event) {
  v1::Event copy = event;
  if (copy.has_topic_started()) copy.mutable_topic_started()->clear_tags();
  return copy;
}

}  // namespace cdc::notifications
