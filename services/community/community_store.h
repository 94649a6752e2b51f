// Spaces, topics and private conversations in Redis.
//
// Each collection is small (thousands of records) and lives under one hash
// tag, so that every read is one slot and every write one atomic script:
// spaces, their members, topics and read positions in shard
// S = ShardOfText("spaces"); conversations and blocks in shard
// C = ShardOfText("conversations"). Keys:
//
//   cm:{sS}:s:<space>          hash   a space (fields in the .cc); "v" is
//                                     its version and etag
//   cm:{sS}:s:<space>:m        hash   member name -> join time (ms)
//   cm:{sS}:s:<space>:mi       hash   member name -> serialized SpaceMember
//   cm:{sS}:s:<space>:t        zset   its topics' entries, score 0:
//                                     "<0 pinned|1><newest-first activity>
//                                     \1<topic>", so pinned topics come
//                                     first, then the latest activity
//   cm:{sS}:spaces             zset   "<lower-case title>\1<space>", score 0
//   cm:{sS}:j:<member id>      set    spaces the member belongs to
//   cm:{sS}:t:<space>:<topic>  hash   a topic; "ord" is its current entry
//   cm:{sS}:t:<space>:<topic>:p   set   its VISIBLE comment ids
//   cm:{sS}:t:<space>:<topic>:pe  hash  comment id -> stream id of the
//                                       last comment event applied for it
//   cm:{sS}:tr:<member id>     hash   "<space>/<topic>" -> read up to (ms)
//   cm:{sS}:q:<member id>:<scope>:<request id>  string  created id, 24 h
//                                     (scope "space", or the topic's space
//                                     name "spaces/{s}")
//   cm:{sS}:ix:...             the word index of topics (word_index.h);
//                              documents "spaces/{s}/topics/{t}"
//   cm:{sC}:c:<conversation>   hash   a conversation; "parts" its current
//                                     participants, "lm" its last message
//   cm:{sC}:c:<conversation>:p    set   its VISIBLE message ids
//   cm:{sC}:c:<conversation>:pe   hash  as for topics
//   cm:{sC}:i:<member id>      zset   "<newest-first activity>\1<conv>":
//                                     the member's conversations
//   cm:{sC}:cr:<member id>     hash   conversation id -> read up to (ms)
//   cm:{sC}:b:<member id>      hash   blocked member name -> serialized
//                                     BlockedMember
//   cm:{sC}:q:<member id>:conversation:<request id>  string  as above
//   events:{sS}, events:{sC}   streams SpaceCreated, TopicStarted
//
// Writes are compare-and-set, as in cdc-consultations: the service reads,
// decides (rights, states, messages are far easier to get right in C++),
// and the store writes in one script only if what was read still holds —
// the versions of the records read, a membership, the absence of a block
// — else ABORTED with kConcurrentChange, and the service reads again. The
// script also keeps the word index and appends the event. Counts and
// activity kept from comment events (ApplyCommentEvent) never conflict
// with these writes: they touch other fields, under their own script.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cdc/v1/community.pb.h"
#include "cdc/v1/events.pb.h"
#include "services/common/redis.h"

namespace cdc::community {

class LibraryStore;

// The message of the ABORTED status a write returns when what the service
// read changed before the write (as opposed to a caller's stale etag).
inline constexpr absl::string_view kConcurrentChange = "concurrent change";

// A space with its version, as the viewer sees it (caller_is_member,
// caller_is_facilitator and unread_count for the viewer).
struct SpaceRecord {
  v1::Space space;
  int64_t version = 0;
  std::string create_request;  // the request_id of its CreateSpace
};

// A topic with its version, as the viewer sees it (has_unread and
// caller_last_read_time for the viewer).
struct TopicRecord {
  v1::Topic topic;
  int64_t version = 0;
};

// A conversation with its version, as the viewer sees it.
struct ConversationRecord {
  v1::Conversation conversation;
  int64_t version = 0;
};

// Which topics of a space ListTopics returns; all given fields must hold.
struct TopicFilter {
  v1::Topic::State state = v1::Topic::STATE_UNSPECIFIED;  // = OPEN, CLOSED
  std::string tag;     // lower case; "" = any
  std::string author;  // "members/{m}"; "" = any
  bool unread_only = false;
};

template <typename T>
struct Page {
  std::vector<T> items;       // in list order
  std::string next_position;  // empty on the last page
};

// A topic found by words, for Search.
struct TopicHit {
  v1::Topic topic;
  double score = 0;  // tf-idf relevance; higher is better
};

class CommunityStore final {
 public:
  struct Options {
    int64_t event_stream_maxlen = 1'000'000;  // XADD MAXLEN ~
    absl::Duration request_id_ttl = absl::Hours(24);
  };

  CommunityStore(RedisClient* redis, Options options);

  static int SpacesShard();         // ShardOfText("spaces")
  static int ConversationsShard();  // ShardOfText("conversations")

  // What an earlier create with this member and request id made, within
  // the request id's lifetime: a space id (scope "space"), a topic id
  // (scope: its space's name) or a conversation id (scope "conversation").
  absl::StatusOr<std::optional<std::string>> FindRequest(
      absl::string_view member, absl::string_view scope,
      absl::string_view request_id);

  // ---- Spaces ----

  // NOT_FOUND "space" when there is no such space. `viewer` is
  // "members/{m}". Counting the viewer's unread topics reads every topic of
  // the space: callers that do not answer with the space pass false (the
  // count is then 0).
  absl::StatusOr<SpaceRecord> GetSpace(absl::string_view id,
                                       absl::string_view viewer,
                                       bool count_unread = false);

  // Spaces by title after `position` ("" = from the first): those in
  // `state`, and with `joined_only` those the viewer belongs to.
  // INVALID_ARGUMENT ("page_token: ...") for a malformed position.
  absl::StatusOr<Page<SpaceRecord>> ListSpaces(absl::string_view viewer,
                                               bool joined_only,
                                               v1::Space::State state,
                                               absl::string_view position,
                                               int page_size);

  // Stores a new space (every field set by the caller, name included) with
  // its first members (the facilitators) and appends `event`. ABORTED
  // kConcurrentChange when the id or the request id was taken meanwhile.
  absl::Status CreateSpace(const v1::Space& space,
                           const std::vector<v1::SpaceMember>& members,
                           absl::string_view created_by,
                           absl::string_view request_id,
                           const v1::Event& event);

  // Replaces the space's stored fields by `space`'s (title, description,
  // visibility, facilitators, state, update_time) if its version is still
  // `version`, and makes each of `new_members` a member unless it is one.
  // ABORTED kConcurrentChange.
  absl::Status UpdateSpace(const v1::Space& space, int64_t version,
                           const std::vector<v1::SpaceMember>& new_members);

  // Makes `member` a member of the space (unless it is one already) if the
  // space's version is still `version`. ABORTED kConcurrentChange.
  absl::Status AddMember(absl::string_view space_id,
                         const v1::SpaceMember& member, int64_t version);

  // Removes a member if the space's version is still `version` and they are
  // still a member. ABORTED kConcurrentChange.
  absl::Status RemoveMember(absl::string_view space_id,
                            absl::string_view member, int64_t version);

  // The member of the space, or nullopt.
  absl::StatusOr<std::optional<v1::SpaceMember>> GetMember(
      absl::string_view space_id, absl::string_view member);

  // Every member of the space, in no particular order.
  absl::StatusOr<std::vector<v1::SpaceMember>> Members(
      absl::string_view space_id);

  // ---- Topics ----

  // NOT_FOUND "topic" when the space has no such topic.
  absl::StatusOr<TopicRecord> GetTopic(absl::string_view space_id,
                                       absl::string_view topic_id,
                                       absl::string_view viewer);

  // A page of the space's topics matching `filter` after `position`:
  // pinned first, then latest activity first. A page may be short (each
  // call examines a bounded number of topics). INVALID_ARGUMENT for a
  // malformed position.
  absl::StatusOr<Page<TopicRecord>> ListTopics(absl::string_view space_id,
                                               absl::string_view viewer,
                                               const TopicFilter& filter,
                                               absl::string_view position,
                                               int page_size);

  // Stores a new topic (name, author, times set by the caller) with its
  // words, counts it in its space, makes it read by its author and
  // appends `event`, if the space's version is still `space_version` and
  // the author is still a member. ABORTED kConcurrentChange.
  absl::Status CreateTopic(const v1::Topic& topic, int64_t space_version,
                           absl::string_view request_id,
                           const v1::Event& event);

  // Replaces the topic's title, body, tags, state, pinned, close_reason and
  // update_time by `topic`'s, if the topic's version is still `version` and
  // its space's `space_version`; adds `topic_count_delta` to the space's
  // topic count. ABORTED kConcurrentChange.
  absl::Status UpdateTopic(const v1::Topic& topic, int64_t version,
                           int64_t space_version, int topic_count_delta);

  // Moves the member's read position of the topic to `time` unless it is
  // already later.
  absl::Status MarkTopicRead(absl::string_view space_id,
                             absl::string_view topic_id,
                             absl::string_view member, absl::Time time);

  // Topics holding every word (from QueryWords) that the member may read —
  // those of OPEN spaces and of spaces the member belongs to; every topic
  // for the secretariat — in `space` ("spaces/{s}"; "" = any), best first,
  // at most `limit`; and how many the member may read in all.
  absl::StatusOr<std::pair<std::vector<TopicHit>, int64_t>> SearchTopics(
      const std::vector<std::string>& words, absl::string_view member,
      bool secretariat, absl::string_view space, int limit);

  // The names ("spaces/{s}") of the spaces whose topics the member may
  // read, as for SearchTopics.
  absl::StatusOr<std::vector<std::string>> ReadableSpaces(
      absl::string_view member, bool secretariat);

  // Empties the word index of topics and puts every topic back from its
  // record, with the writers' own terms (RebuildWordIndex in
  // services/common/word_index_rebuild.h; safe beside live writes). Returns
  // how many topics the index holds. ABORTED when a topic kept changing
  // while it was read (run it again).
  absl::StatusOr<int64_t> RebuildSearchIndex();

  // ---- Conversations and blocks ----

  // NOT_FOUND "conversation" when there is no such conversation (whether
  // the viewer takes part is the caller's business).
  absl::StatusOr<ConversationRecord> GetConversation(absl::string_view id,
                                                     absl::string_view viewer);

  // The viewer's conversations, latest activity first, after `position`.
  // INVALID_ARGUMENT for a malformed position.
  absl::StatusOr<Page<ConversationRecord>> ListConversations(
      absl::string_view viewer, absl::string_view position, int page_size);

  // Stores a new conversation (name, participants, creator, times set by
  // the caller) if no participant blocks the creator and the creator blocks
  // none of them. ABORTED kConcurrentChange otherwise (the caller reads the
  // blocks again to say which).
  absl::Status CreateConversation(const v1::Conversation& conversation,
                                  absl::string_view request_id);

  // Takes `member` out of the participants if the conversation's version is
  // still `version`. ABORTED kConcurrentChange.
  absl::Status LeaveConversation(absl::string_view id, absl::string_view member,
                                 int64_t version);

  // As MarkTopicRead.
  absl::Status MarkConversationRead(absl::string_view id,
                                    absl::string_view member, absl::Time time);

  // Adds a block unless `blocker` already blocks that member (then the
  // stored one stays). Returns the block as stored.
  absl::StatusOr<v1::BlockedMember> Block(absl::string_view blocker,
                                          const v1::BlockedMember& blocked);

  // Lifts a block; without one, nothing changes.
  absl::Status Unblock(absl::string_view blocker, absl::string_view member);

  // The members `blocker` blocks, in no particular order.
  absl::StatusOr<std::vector<v1::BlockedMember>> Blocks(
      absl::string_view blocker);

  // For each of `members`, whether it blocks `member`.
  absl::StatusOr<std::vector<bool>> BlockedBy(
      const std::vector<std::string>& members, absl::string_view member);

  // ---- Activity ----

  // Keeps post_count, message_count and last-activity times from the
  // comment events on topics and conversations: CommentCreated,
  // CommentReplied, PrivateMessageSent and CommentRestored (of a hidden
  // comment) make a comment count, CommentHidden and CommentWithdrawn stop
  // it counting; a new comment moves its target's (and space's) last
  // activity time, the topic's place in its space's order, and the author's
  // own read position. Idempotent; an event older than one already applied
  // for the same comment changes nothing. Events about other targets, or
  // about topics or conversations that do not exist, are ignored (OK).
  absl::Status ApplyCommentEvent(const v1::Event& event);

 private:
  struct Write;
  absl::Status Apply(const Write& write);

  RedisClient* const redis_;
  const Options options_;
};

// The EventConsumer handler of cdc-community: comment events on topics and
// conversations go to `store`, those on resources to `library`. Both must
// outlive the handler.
std::function<absl::Status(const v1::Event&)> CommentActivityHandler(
    CommunityStore* store, LibraryStore* library);

}  // namespace cdc::community
