// cdc space ..., cdc topic ..., cdc conversation ..., cdc block|unblock|
// blocked and cdc search: one function per command, and the text form of
// what cdc-community answers. A topic's posts and a conversation's messages
// are comments on it, written and read through cdc-comments
// (comment_commands.cc).
#include <string>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "services/common/status_macros.h"
#include "tools/cdc/commands.h"
#include "tools/cdc/text_output.h"

ABSL_FLAG(std::string, visibility, "",
          "space create/update: open (default: every member may join) or "
          "invite-only (facilitators add members)");
ABSL_FLAG(std::vector<std::string>, facilitators, {},
          "space create/update: the facilitators, e.g. members/a,members/b "
          "(update: the whole list; an empty value removes them all)");
ABSL_FLAG(bool, joined, false, "space list: only spaces you belong to");
ABSL_FLAG(bool, unpin, false, "topic pin: unpin the topic instead");
ABSL_FLAG(std::vector<std::string>, with, {},
          "conversation create: the other participants, e.g. "
          "members/a,members/b");
ABSL_FLAG(std::string, subject, "", "conversation create: the subject");
ABSL_FLAG(std::vector<std::string>, kinds, {},
          "search: only these kinds, e.g. topic,post (default: topic, post, "
          "resource and initiative)");
ABSL_FLAG(std::string, space, "",
          "search: only topics and posts in this space");

namespace cdc::cli {
namespace {

using Stub = v1::CommunityService::Stub;
using Operands = std::vector<std::string>;

// Cells of a list show this much of a title or a snippet.
constexpr size_t kTitleExcerptWidth = 48;
constexpr size_t kSnippetExcerptWidth = 60;
// `cdc search` shows this many hits unless --limit says otherwise.
constexpr int kDefaultSearchLimit = 20;

// --- Text output --------------------------------------------------------

std::string YesNo(bool value) { return value ? "yes" : "no"; }

// The caller's relation to a space: "facilitator", "member" or "no".
std::string CallerInSpace(const v1::Space& space) {
  if (space.caller_is_facilitator()) return "facilitator";
  return space.caller_is_member() ? "member" : "no";
}

std::string SpaceText(const v1::Space& space) {
  return Fields()
      .Add("name", space.name())
      .Add("title", space.title())
      .Add("visibility", EnumLabel(space.visibility()))
      .Add("state", EnumLabel(space.state()))
      .Add("facilitators", absl::StrJoin(space.facilitators(), "\n"))
      .Add("members", absl::StrCat(space.member_count()))
      .Add("topics", absl::StrCat(space.topic_count()))
      .Add("you belong", CallerInSpace(space))
      .Add("unread topics", absl::StrCat(space.unread_count()))
      .Add("last activity", FormatTime(space.last_activity_time()))
      .Add("created", FormatTime(space.create_time()))
      .Add("updated", FormatTime(space.update_time()))
      .Add("etag", space.etag())
      .Add("description", space.description())
      .Format();
}

std::string SpaceListText(const v1::ListSpacesResponse& response) {
  if (response.spaces().empty()) return "no spaces\n";
  Table table({"ID", "VISIBILITY", "STATE", "MEMBERS", "TOPICS", "UNREAD",
               "YOU", "TITLE"});
  for (const v1::Space& space : response.spaces()) {
    table.AddRow(
        {std::string(ResourceId(space.name())), EnumLabel(space.visibility()),
         EnumLabel(space.state()), absl::StrCat(space.member_count()),
         absl::StrCat(space.topic_count()), absl::StrCat(space.unread_count()),
         CallerInSpace(space), Excerpt(space.title(), kTitleExcerptWidth)});
  }
  return table.Format();
}

std::string SpaceMemberText(const v1::SpaceMember& member) {
  return Fields()
      .Add("name", member.name())
      .Add("member", member.member())
      .Add("display name", member.display_name())
      .Add("organisation", member.organisation())
      .Add("facilitator", YesNo(member.facilitator()))
      .Add("added by", member.added_by())
      .Add("joined", FormatTime(member.join_time()))
      .Format();
}

std::string SpaceMemberListText(const v1::ListSpaceMembersResponse& response) {
  if (response.space_members().empty()) return "no members\n";
  Table table(
      {"MEMBER", "FACILITATOR", "JOINED", "NAME", "ORGANISATION", "ADDED BY"});
  for (const v1::SpaceMember& member : response.space_members()) {
    table.AddRow({member.member(), member.facilitator() ? "yes" : "",
                  FormatTime(member.join_time()), member.display_name(),
                  member.organisation(), member.added_by()});
  }
  return table.Format();
}

// "yes (last read ...)" / "no": activity since the caller last read it.
std::string UnreadText(bool has_unread,
                       const google::protobuf::Timestamp& last_read) {
  std::string text = YesNo(has_unread);
  if (last_read.seconds() != 0) {
    absl::StrAppend(&text, " (you last read it at ", FormatTime(last_read),
                    ")");
  }
  return text;
}

std::string TopicText(const v1::Topic& topic) {
  return Fields()
      .Add("name", topic.name())
      .Add("title", topic.title())
      .Add("state", topic.close_reason().empty()
                        ? EnumLabel(topic.state())
                        : absl::StrCat(EnumLabel(topic.state()), " (",
                                       topic.close_reason(), ")"))
      .Add("pinned", YesNo(topic.pinned()))
      .Add("tags", absl::StrJoin(topic.tags(), ", "))
      .Add("author",
           absl::StrCat(topic.author_display_name(), " (", topic.author(), ")"))
      .Add("posts", absl::StrCat(topic.post_count()))
      .Add("last activity", FormatTime(topic.last_activity_time()))
      .Add("unread",
           UnreadText(topic.has_unread(), topic.caller_last_read_time()))
      .Add("created", FormatTime(topic.create_time()))
      .Add("updated", FormatTime(topic.update_time()))
      .Add("etag", topic.etag())
      .Add("body", topic.body())
      .Format();
}

std::string TopicListText(const v1::ListTopicsResponse& response) {
  if (response.topics().empty()) return "no topics\n";
  Table table(
      {"NEW", "PIN", "STATE", "POSTS", "LAST ACTIVITY", "TITLE", "TOPIC"});
  for (const v1::Topic& topic : response.topics()) {
    table.AddRow({topic.has_unread() ? "*" : "", topic.pinned() ? "pin" : "",
                  EnumLabel(topic.state()), absl::StrCat(topic.post_count()),
                  FormatTime(topic.last_activity_time()),
                  Excerpt(topic.title(), kTitleExcerptWidth), topic.name()});
  }
  return table.Format();
}

std::string ConversationText(const v1::Conversation& conversation) {
  return Fields()
      .Add("name", conversation.name())
      .Add("subject", conversation.subject())
      .Add("participants", absl::StrJoin(conversation.participants(), "\n"))
      .Add("started by", conversation.creator())
      .Add("messages", absl::StrCat(conversation.message_count()))
      .Add("last activity", FormatTime(conversation.last_activity_time()))
      .Add("unread", UnreadText(conversation.has_unread(),
                                conversation.caller_last_read_time()))
      .Add("created", FormatTime(conversation.create_time()))
      .Format();
}

std::string ConversationListText(
    const v1::ListConversationsResponse& response) {
  if (response.conversations().empty()) return "no conversations\n";
  Table table(
      {"NEW", "ID", "MESSAGES", "LAST ACTIVITY", "PARTICIPANTS", "SUBJECT"});
  for (const v1::Conversation& conversation : response.conversations()) {
    std::vector<std::string> participants;
    for (const std::string& participant : conversation.participants()) {
      participants.emplace_back(ResourceId(participant));
    }
    table.AddRow({conversation.has_unread() ? "*" : "",
                  std::string(ResourceId(conversation.name())),
                  absl::StrCat(conversation.message_count()),
                  FormatTime(conversation.last_activity_time()),
                  absl::StrJoin(participants, ","),
                  Excerpt(conversation.subject(), kTitleExcerptWidth)});
  }
  return table.Format();
}

std::string BlockedMemberText(const v1::BlockedMember& blocked) {
  return Fields()
      .Add("name", blocked.name())
      .Add("member", blocked.member())
      .Add("display name", blocked.display_name())
      .Add("since", FormatTime(blocked.create_time()))
      .Format();
}

std::string BlockedListText(const v1::ListBlockedMembersResponse& response) {
  if (response.blocked_members().empty()) return "you block nobody\n";
  Table table({"MEMBER", "NAME", "SINCE"});
  for (const v1::BlockedMember& blocked : response.blocked_members()) {
    table.AddRow({blocked.member(), blocked.display_name(),
                  FormatTime(blocked.create_time())});
  }
  return table.Format();
}

std::string SearchText(const v1::SearchResponse& response) {
  if (response.hits().empty()) return "nothing found\n";
  Table table({"KIND", "TITLE", "MATCH", "NAME"});
  for (const v1::SearchHit& hit : response.hits()) {
    table.AddRow({EnumLabel(hit.kind()),
                  Excerpt(hit.title(), kTitleExcerptWidth),
                  Excerpt(hit.snippet(), kSnippetExcerptWidth), hit.name()});
  }
  return absl::StrCat(table.Format(), "\n", response.hits_size(), " shown of ",
                      response.total_size(), " found\n");
}

// --- Arguments ------------------------------------------------------------

// TOPIC: "spaces/<space>/topics/<topic>", as `cdc topic list` prints it.
absl::StatusOr<std::string> TopicName(absl::string_view text) {
  const std::vector<absl::string_view> parts = absl::StrSplit(text, '/');
  if (parts.size() != 4 || parts[0] != "spaces" || parts[1].empty() ||
      parts[2] != "topics" || parts[3].empty()) {
    return UsageError(absl::StrCat(
        "\"", text,
        "\" is not a topic name; give spaces/<space>/topics/<topic>, as `cdc "
        "topic list` prints it"));
  }
  return std::string(text);
}

// A request whose `name` is the topic named by `operand`.
template <typename Request>
absl::StatusOr<Request> TopicRequest(absl::string_view operand) {
  Request request;
  CDC_ASSIGN_OR_RETURN(*request.mutable_name(), TopicName(operand));
  return request;
}

// --state of a space or a topic, unspecified when not given.
template <typename State>
absl::StatusOr<State> StateFlag() {
  const std::string state = absl::GetFlag(FLAGS_state);
  if (state.empty()) return static_cast<State>(0);
  return ParseEnum<State>("state", state);
}

// Replaces a topic's tags with --tags.
void SetTags(google::protobuf::RepeatedPtrField<std::string>* tags) {
  tags->Clear();
  for (const std::string& tag : absl::GetFlag(FLAGS_tags)) *tags->Add() = tag;
}

// Every Space field the flags give; an update sends only the masked ones.
absl::Status FillSpace(v1::Space* space) {
  space->set_title(absl::GetFlag(FLAGS_title));
  space->set_description(absl::GetFlag(FLAGS_description));
  if (const std::string visibility = absl::GetFlag(FLAGS_visibility);
      !visibility.empty()) {
    CDC_ASSIGN_OR_RETURN(
        v1::Space::Visibility value,
        ParseEnum<v1::Space::Visibility>("visibility", visibility));
    space->set_visibility(value);
  }
  CDC_ASSIGN_OR_RETURN(
      std::vector<std::string> facilitators,
      ResourceNames("members", absl::GetFlag(FLAGS_facilitators)));
  for (std::string& facilitator : facilitators) {
    space->add_facilitators(std::move(facilitator));
  }
  return absl::OkStatus();
}

// --- Spaces
// -------------------------------------------------------------------

absl::Status SpaceCreate(Cli& cli, const Operands&) {
  CDC_RETURN_IF_ERROR(RequireFlag("title", absl::GetFlag(FLAGS_title)));
  v1::CreateSpaceRequest request;
  CDC_RETURN_IF_ERROR(FillSpace(request.mutable_space()));
  request.set_space_id(absl::GetFlag(FLAGS_id));
  request.set_request_id(absl::GetFlag(FLAGS_request_id));
  return cli.CallAndPrint(&Stub::CreateSpace, request, SpaceText);
}

absl::Status SpaceGet(Cli& cli, const Operands& operands) {
  CDC_ASSIGN_OR_RETURN(
      auto request, NamedRequest<v1::GetSpaceRequest>("spaces", operands[0]));
  return cli.CallAndPrint(&Stub::GetSpace, request, SpaceText);
}

absl::Status SpaceList(Cli& cli, const Operands&) {
  v1::ListSpacesRequest request;
  request.set_joined_only(absl::GetFlag(FLAGS_joined));
  CDC_ASSIGN_OR_RETURN(v1::Space::State state, StateFlag<v1::Space::State>());
  request.set_state(state);
  return cli.ListAndPrint(&Stub::ListSpaces, request, SpaceListText);
}

absl::Status SpaceUpdate(Cli& cli, const Operands& operands) {
  v1::UpdateSpaceRequest request;
  CDC_ASSIGN_OR_RETURN(*request.mutable_update_mask(),
                       cli.UpdateMask({{"title", "title"},
                                       {"description", "description"},
                                       {"visibility", "visibility"},
                                       {"facilitators", "facilitators"},
                                       {"state", "state"}}));
  v1::Space& space = *request.mutable_space();
  CDC_ASSIGN_OR_RETURN(*space.mutable_name(),
                       ResourceName("spaces", operands[0]));
  CDC_RETURN_IF_ERROR(FillSpace(&space));
  CDC_ASSIGN_OR_RETURN(v1::Space::State state, StateFlag<v1::Space::State>());
  space.set_state(state);
  space.set_etag(absl::GetFlag(FLAGS_etag));
  return cli.CallAndPrint(&Stub::UpdateSpace, request, SpaceText);
}

absl::Status SpaceJoin(Cli& cli, const Operands& operands) {
  CDC_ASSIGN_OR_RETURN(
      auto request, NamedRequest<v1::JoinSpaceRequest>("spaces", operands[0]));
  return cli.CallAndPrint(&Stub::JoinSpace, request, SpaceText);
}

absl::Status SpaceLeave(Cli& cli, const Operands& operands) {
  CDC_ASSIGN_OR_RETURN(
      auto request, NamedRequest<v1::LeaveSpaceRequest>("spaces", operands[0]));
  return cli.CallAndPrint(&Stub::LeaveSpace, request, SpaceText);
}

// space add-member and remove-member: SPACE MEMBER.
template <typename Request>
absl::StatusOr<Request> SpaceMemberRequest(const Operands& operands) {
  Request request;
  CDC_ASSIGN_OR_RETURN(*request.mutable_space(),
                       ResourceName("spaces", operands[0]));
  CDC_ASSIGN_OR_RETURN(*request.mutable_member(),
                       ResourceName("members", operands[1]));
  return request;
}

absl::Status SpaceAddMember(Cli& cli, const Operands& operands) {
  CDC_ASSIGN_OR_RETURN(auto request,
                       SpaceMemberRequest<v1::AddSpaceMemberRequest>(operands));
  return cli.CallAndPrint(&Stub::AddSpaceMember, request, SpaceMemberText);
}

absl::Status SpaceRemoveMember(Cli& cli, const Operands& operands) {
  CDC_ASSIGN_OR_RETURN(
      auto request, SpaceMemberRequest<v1::RemoveSpaceMemberRequest>(operands));
  return cli.CallAndSay(
      &Stub::RemoveSpaceMember, request,
      absl::StrCat(request.member(), " is no longer in ", request.space()));
}

absl::Status SpaceMembers(Cli& cli, const Operands& operands) {
  v1::ListSpaceMembersRequest request;
  CDC_ASSIGN_OR_RETURN(*request.mutable_parent(),
                       ResourceName("spaces", operands[0]));
  return cli.ListAndPrint(&Stub::ListSpaceMembers, request,
                          SpaceMemberListText);
}

// --- Topics
// -------------------------------------------------------------------

absl::Status TopicCreate(Cli& cli, const Operands& operands) {
  CDC_RETURN_IF_ERROR(RequireFlags({{"title", absl::GetFlag(FLAGS_title)},
                                    {"body", absl::GetFlag(FLAGS_body)}}));
  v1::CreateTopicRequest request;
  CDC_ASSIGN_OR_RETURN(*request.mutable_parent(),
                       ResourceName("spaces", operands[0]));
  v1::Topic& topic = *request.mutable_topic();
  topic.set_title(absl::GetFlag(FLAGS_title));
  topic.set_body(absl::GetFlag(FLAGS_body));
  SetTags(topic.mutable_tags());
  request.set_request_id(absl::GetFlag(FLAGS_request_id));
  return cli.CallAndPrint(&Stub::CreateTopic, request, TopicText);
}

absl::Status TopicGet(Cli& cli, const Operands& operands) {
  CDC_ASSIGN_OR_RETURN(auto request,
                       TopicRequest<v1::GetTopicRequest>(operands[0]));
  return cli.CallAndPrint(&Stub::GetTopic, request, TopicText);
}

absl::Status TopicList(Cli& cli, const Operands& operands) {
  v1::ListTopicsRequest request;
  CDC_ASSIGN_OR_RETURN(*request.mutable_parent(),
                       ResourceName("spaces", operands[0]));
  CDC_ASSIGN_OR_RETURN(v1::Topic::State state, StateFlag<v1::Topic::State>());
  request.set_state(state);
  request.set_tag(absl::GetFlag(FLAGS_tag));
  CDC_ASSIGN_OR_RETURN(*request.mutable_author(),
                       OptionalName("members", absl::GetFlag(FLAGS_author)));
  request.set_unread_only(absl::GetFlag(FLAGS_unread));
  return cli.ListAndPrint(&Stub::ListTopics, request, TopicListText);
}

absl::Status TopicUpdate(Cli& cli, const Operands& operands) {
  v1::UpdateTopicRequest request;
  CDC_ASSIGN_OR_RETURN(
      *request.mutable_update_mask(),
      cli.UpdateMask({{"title", "title"}, {"body", "body"}, {"tags", "tags"}}));
  v1::Topic& topic = *request.mutable_topic();
  CDC_ASSIGN_OR_RETURN(*topic.mutable_name(), TopicName(operands[0]));
  topic.set_title(absl::GetFlag(FLAGS_title));
  topic.set_body(absl::GetFlag(FLAGS_body));
  SetTags(topic.mutable_tags());
  topic.set_etag(absl::GetFlag(FLAGS_etag));
  return cli.CallAndPrint(&Stub::UpdateTopic, request, TopicText);
}

absl::Status TopicPin(Cli& cli, const Operands& operands) {
  CDC_ASSIGN_OR_RETURN(auto request,
                       TopicRequest<v1::PinTopicRequest>(operands[0]));
  request.set_pinned(!absl::GetFlag(FLAGS_unpin));
  return cli.CallAndPrint(&Stub::PinTopic, request, TopicText);
}

absl::Status TopicClose(Cli& cli, const Operands& operands) {
  CDC_ASSIGN_OR_RETURN(auto request,
                       TopicRequest<v1::CloseTopicRequest>(operands[0]));
  request.set_reason(absl::GetFlag(FLAGS_reason));
  return cli.CallAndPrint(&Stub::CloseTopic, request, TopicText);
}

absl::Status TopicReopen(Cli& cli, const Operands& operands) {
  CDC_ASSIGN_OR_RETURN(auto request,
                       TopicRequest<v1::ReopenTopicRequest>(operands[0]));
  return cli.CallAndPrint(&Stub::ReopenTopic, request, TopicText);
}

absl::Status TopicArchive(Cli& cli, const Operands& operands) {
  CDC_ASSIGN_OR_RETURN(auto request,
                       TopicRequest<v1::ArchiveTopicRequest>(operands[0]));
  return cli.CallAndPrint(&Stub::ArchiveTopic, request, TopicText);
}

absl::Status TopicRead(Cli& cli, const Operands& operands) {
  CDC_ASSIGN_OR_RETURN(auto request,
                       TopicRequest<v1::MarkTopicReadRequest>(operands[0]));
  return cli.CallAndPrint(&Stub::MarkTopicRead, request, TopicText);
}

absl::Status TopicPost(Cli& cli, const Operands& operands) {
  CDC_ASSIGN_OR_RETURN(std::string topic, TopicName(operands[0]));
  return PostComment(cli, topic);
}

absl::Status TopicReply(Cli& cli, const Operands& operands) {
  return ReplyToComment(cli, operands[0]);
}

absl::Status TopicPosts(Cli& cli, const Operands& operands) {
  CDC_ASSIGN_OR_RETURN(std::string topic, TopicName(operands[0]));
  return ListCommentsOn(cli, topic);
}

// --- Conversations and blocks ---------------------------------------------

absl::Status ConversationCreate(Cli& cli, const Operands&) {
  CDC_RETURN_IF_ERROR(
      RequireFlag("with", absl::StrJoin(absl::GetFlag(FLAGS_with), ",")));
  v1::CreateConversationRequest request;
  v1::Conversation& conversation = *request.mutable_conversation();
  CDC_ASSIGN_OR_RETURN(std::vector<std::string> participants,
                       ResourceNames("members", absl::GetFlag(FLAGS_with)));
  for (std::string& participant : participants) {
    conversation.add_participants(std::move(participant));
  }
  conversation.set_subject(absl::GetFlag(FLAGS_subject));
  request.set_request_id(absl::GetFlag(FLAGS_request_id));
  return cli.CallAndPrint(&Stub::CreateConversation, request, ConversationText);
}

absl::Status ConversationGet(Cli& cli, const Operands& operands) {
  CDC_ASSIGN_OR_RETURN(auto request, NamedRequest<v1::GetConversationRequest>(
                                         "conversations", operands[0]));
  return cli.CallAndPrint(&Stub::GetConversation, request, ConversationText);
}

absl::Status ConversationList(Cli& cli, const Operands&) {
  return cli.ListAndPrint(&Stub::ListConversations,
                          v1::ListConversationsRequest(), ConversationListText);
}

absl::Status ConversationLeave(Cli& cli, const Operands& operands) {
  CDC_ASSIGN_OR_RETURN(auto request, NamedRequest<v1::LeaveConversationRequest>(
                                         "conversations", operands[0]));
  return cli.CallAndSay(&Stub::LeaveConversation, request,
                        absl::StrCat("you left ", request.name()));
}

absl::Status ConversationRead(Cli& cli, const Operands& operands) {
  CDC_ASSIGN_OR_RETURN(auto request,
                       NamedRequest<v1::MarkConversationReadRequest>(
                           "conversations", operands[0]));
  return cli.CallAndPrint(&Stub::MarkConversationRead, request,
                          ConversationText);
}

absl::Status ConversationWrite(Cli& cli, const Operands& operands) {
  CDC_ASSIGN_OR_RETURN(std::string conversation,
                       ResourceName("conversations", operands[0]));
  return PostComment(cli, conversation);
}

absl::Status ConversationMessages(Cli& cli, const Operands& operands) {
  CDC_ASSIGN_OR_RETURN(std::string conversation,
                       ResourceName("conversations", operands[0]));
  return ListCommentsOn(cli, conversation);
}

absl::Status Block(Cli& cli, const Operands& operands) {
  v1::BlockMemberRequest request;
  CDC_ASSIGN_OR_RETURN(*request.mutable_member(),
                       ResourceName("members", operands[0]));
  return cli.CallAndPrint(&Stub::BlockMember, request, BlockedMemberText);
}

absl::Status Unblock(Cli& cli, const Operands& operands) {
  v1::UnblockMemberRequest request;
  CDC_ASSIGN_OR_RETURN(*request.mutable_member(),
                       ResourceName("members", operands[0]));
  return cli.CallAndSay(&Stub::UnblockMember, request,
                        absl::StrCat("you do not block ", request.member()));
}

absl::Status Blocked(Cli& cli, const Operands&) {
  return cli.ListAndPrint(&Stub::ListBlockedMembers,
                          v1::ListBlockedMembersRequest(), BlockedListText);
}

// --- Search
// -------------------------------------------------------------------

absl::Status Search(Cli& cli, const Operands& operands) {
  v1::SearchRequest request;
  request.set_query(operands[0]);
  for (const std::string& kind : absl::GetFlag(FLAGS_kinds)) {
    CDC_ASSIGN_OR_RETURN(v1::SearchHit::Kind value,
                         ParseEnum<v1::SearchHit::Kind>("kinds", kind));
    request.add_kinds(value);
  }
  CDC_ASSIGN_OR_RETURN(*request.mutable_space(),
                       OptionalName("spaces", absl::GetFlag(FLAGS_space)));
  const int limit = absl::GetFlag(FLAGS_limit);
  if (limit < 0 || limit > 200) {
    return UsageError("--limit must be 1 to 200 (default 20)");
  }
  request.set_page_size(limit == 0 ? kDefaultSearchLimit : limit);
  return cli.CallAndPrint(&Stub::Search, request, SearchText);
}

}  // namespace

std::vector<Command> CommunityCommands() {
  return {
      {"space create",
       {},
       "--title T [--description D] [--visibility open|invite-only] "
       "[--facilitators M1,M2] [--id ID] [--request_id R]",
       "creates a space of the community (secretariat); its facilitators "
       "become its members",
       SpaceCreate},
      {"space get", {"SPACE"}, "", "shows a space", SpaceGet},
      {"space list",
       {},
       "[--joined] [--state active|archived]",
       "lists the spaces by title, with your unread topics in each",
       SpaceList},
      {"space update",
       {"SPACE"},
       "[--title T] [--description D] [--visibility open|invite-only] "
       "[--facilitators M1,M2] [--state active|archived] [--etag E]",
       "changes the fields given (secretariat); archiving makes it read-only",
       SpaceUpdate},
      {"space join", {"SPACE"}, "", "joins an open space", SpaceJoin},
      {"space leave", {"SPACE"}, "", "leaves a space", SpaceLeave},
      {"space add-member",
       {"SPACE", "MEMBER"},
       "",
       "adds a member to a space (its facilitators, secretariat)",
       SpaceAddMember},
      {"space remove-member",
       {"SPACE", "MEMBER"},
       "",
       "removes a member from a space (its facilitators, secretariat)",
       SpaceRemoveMember},
      {"space members",
       {"SPACE"},
       "",
       "lists a space's members, facilitators first",
       SpaceMembers},
      {"topic create",
       {"SPACE"},
       "--title T --body B [--tags a,b] [--request_id R]",
       "starts a topic in a space you belong to",
       TopicCreate},
      {"topic get",
       {"TOPIC"},
       "",
       "shows a topic and its opening post",
       TopicGet},
      {"topic list",
       {"SPACE"},
       "[--state open|closed|archived] [--tag T] [--author MEMBER] [--unread]",
       "lists a space's topics, pinned first, then latest activity first; * "
       "marks those with activity since you read them",
       TopicList},
      {"topic update",
       {"TOPIC"},
       "[--title T] [--body B] [--tags a,b] [--etag E]",
       "changes the fields given (the author while open; facilitators)",
       TopicUpdate},
      {"topic pin",
       {"TOPIC"},
       "[--unpin]",
       "pins a topic to the top of its space, or unpins it (facilitators)",
       TopicPin},
      {"topic close",
       {"TOPIC"},
       "[--reason R]",
       "closes a topic to new posts (facilitators)",
       TopicClose},
      {"topic reopen",
       {"TOPIC"},
       "",
       "reopens a closed topic (facilitators)",
       TopicReopen},
      {"topic archive",
       {"TOPIC"},
       "",
       "archives a topic: read-only, out of the default list (facilitators)",
       TopicArchive},
      {"topic read",
       {"TOPIC"},
       "",
       "marks a topic read up to now (\"new since your last visit\")",
       TopicRead},
      {"topic post",
       {"TOPIC"},
       "--body B [--language L] [--request_id R]",
       "posts in a topic (a comment on it)",
       TopicPost},
      {"topic reply",
       {"COMMENT"},
       "--body B [--language L] [--request_id R]",
       "replies to a post",
       TopicReply},
      {"topic posts",
       {"TOPIC"},
       "",
       "lists a topic's posts and replies, oldest first",
       TopicPosts},
      {"conversation create",
       {},
       "--with M1,M2 [--subject S] [--request_id R]",
       "starts a private conversation with other members",
       ConversationCreate},
      {"conversation get",
       {"CONVERSATION"},
       "",
       "shows a conversation you take part in",
       ConversationGet},
      {"conversation list",
       {},
       "",
       "lists your conversations, latest activity first",
       ConversationList},
      {"conversation leave",
       {"CONVERSATION"},
       "",
       "leaves a conversation; it goes on for the others",
       ConversationLeave},
      {"conversation read",
       {"CONVERSATION"},
       "",
       "marks a conversation read up to now",
       ConversationRead},
      {"conversation write",
       {"CONVERSATION"},
       "--body B [--language L] [--request_id R]",
       "writes a message in a conversation",
       ConversationWrite},
      {"conversation messages",
       {"CONVERSATION"},
       "",
       "lists a conversation's messages, oldest first",
       ConversationMessages},
      {"block",
       {"MEMBER"},
       "",
       "stops a member from writing to you in private",
       Block},
      {"unblock", {"MEMBER"}, "", "lifts a block", Unblock},
      {"blocked", {}, "", "lists the members you block, newest first", Blocked},
      {"search",
       {"WORDS"},
       "[--kinds topic,post,resource,initiative] [--space SPACE] [--limit N]",
       "finds topics, posts, resources and initiatives holding every word, "
       "best first, among what you may read",
       Search},
  };
}

}  // namespace cdc::cli
