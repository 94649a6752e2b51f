// cdc-comments' keyspace in Redis. A comment lives in the shard of its
// target ({sk}, k = ShardOfText(target)), so everything one write touches —
// the comment, its target's, thread's and parent's indexes, its
// endorsers and flaggers, the moderation trail and the event — shares one
// hash tag and one atomic script. A comment id's first hex digit is its
// shard, so a name alone finds it. Keys:
//
//   comments:{sk}:c:<id>           hash  the comment (fields in the .cc)
//   comments:{sk}:t:<target>       zset  ids on a target, by creation seq
//   comments:{sk}:r:<id>           zset  direct replies of <id>, by seq
//   comments:{sk}:th:<root>        zset  the whole thread of a root, by seq
//   comments:{sk}:a:<member>       zset  "<ms>\1<id>": by author
//   comments:{sk}:k:<consultation> zset  "<ms>\1<id>": by consultation
//   comments:{sk}:flagged          zset  "<created ms>\1<id>": one entry per
//                                        comment with open flags
//   comments:{sk}:e:<id>           set   members who endorsed <id>
//   comments:{sk}:f:<id>           set   members whose flag is open
//   comments:{sk}:v:<id>           list  serialized CommentRevision, v1..
//   comments:{sk}:m:<action>       hash  a moderation action
//   comments:{sk}:mod              zset  "<newest-first ms>\1<action>"
//   comments:{sk}:req:<member>:<target or parent>:<request id>
//                                  string  comment id, 24 h
//   comments:{sk}:seq              string  the shard's creation counter
//   comments:{sk}:ix:...           the shard's word index of VISIBLE posts
//                                  on topics and resources (word_index.h;
//                                  document = comment id)
//   events:{sk}                    stream  domain events (outbox)
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cdc/v1/comments.pb.h"
#include "cdc/v1/events.pb.h"
#include "services/common/redis.h"
#include "services/common/shard_index.h"
#include "services/common/word_index.h"

namespace cdc::comments {

// A comment as stored, with what only some callers may see.
struct StoredComment {
  v1::Comment comment;  // everything, unredacted; caller flags unset
  bool endorsed_by_caller = false;
  bool flagged_by_caller = false;
  int64_t seq = 0;        // creation order within the shard
  bool repeated = false;  // Create: an earlier create with the request id
};

// What a write needs beyond its own fields: the clock and the round.
struct WriteContext {
  absl::Time now;
  std::optional<absl::Time> closes_at;  // refused at or after, when set
  std::string caller;                   // "members/{id}"
};

class CommentsStore final {
 public:
  struct Options {
    int64_t event_stream_maxlen = 1'000'000;
    absl::Duration request_id_ttl = absl::Hours(24);
  };

  CommentsStore(RedisClient* redis, Options options);

  // A new comment id in the shard of `target`.
  static std::string NewId(absl::string_view target);
  static int ShardOfTarget(absl::string_view target);

  // Stores a new comment (name, target, parent, thread, author fields,
  // round, create time set by the caller). With a request_id seen before
  // from this author, returns that comment instead. NOT_FOUND (parent
  // gone), FAILED_PRECONDITION (parent not VISIBLE; round closed).
  absl::StatusOr<StoredComment> Create(const v1::Comment& comment,
                                       absl::string_view request_id,
                                       const WriteContext& context,
                                       const v1::Event& event);

  // The "version" of consultation `id`'s record in cdc-consultations'
  // keyspace ("" when there is none), which moves with every write of the
  // consultation: whether an answer about it kept since is still current
  // (services/consultations/consultations_store.h). One round trip.
  absl::StatusOr<std::string> ConsultationVersion(absl::string_view id);

  // The comment an earlier create with this author and request_id made on
  // `target`, if any (within the request id's lifetime).
  // `shard` is the target's (for a reply, its parent's); `scope` is the
  // target, or for a reply the parent.
  absl::StatusOr<std::optional<StoredComment>> FindRequest(
      int shard, absl::string_view author, absl::string_view scope,
      absl::string_view request_id);

  // Every comment on a cross-shard index ("k:<consultation>"), read shard
  // by shard, in no particular order: for statistics and the record.
  absl::StatusOr<std::vector<StoredComment>> AllInIndex(
      absl::string_view index);

  // NOT_FOUND when there is no such comment. `caller` decides the
  // *_by_caller flags.
  absl::StatusOr<StoredComment> Get(absl::string_view id,
                                    absl::string_view caller);

  // The comments with these ids, in order, skipping vanished ones.
  absl::StatusOr<std::vector<StoredComment>> GetMany(
      int shard, const std::vector<std::string>& ids, absl::string_view caller);

  // Sets the *_by_caller flags of `comments` for `caller`; they may come
  // from any shards (as ListIndex returns them). One pipelined round trip.
  absl::Status MarkForCaller(absl::string_view caller,
                             std::vector<StoredComment>* comments);

  // Ids on an index of `shard` ("t:<target>", "r:<id>", "th:<root>") with
  // seq > after_seq, oldest first, at most `limit`.
  absl::StatusOr<std::vector<std::pair<std::string, int64_t>>> Range(
      int shard, absl::string_view index, int64_t after_seq, int limit);

  // A page of a cross-shard index ("a:<member>", "k:<consultation>",
  // "flagged", "mod").
  absl::StatusOr<IndexPage> ListIndex(absl::string_view index,
                                      absl::string_view record_prefix,
                                      absl::string_view position,
                                      int page_size);

  // The author edits: `values`' body, proposed_change and type for the
  // paths given. PERMISSION_DENIED (not the author), FAILED_PRECONDITION
  // (not VISIBLE, round closed), ABORTED (etag), NOT_FOUND.
  absl::StatusOr<StoredComment> Edit(absl::string_view id,
                                     const v1::Comment& values,
                                     const std::vector<std::string>& paths,
                                     absl::string_view etag,
                                     const WriteContext& context,
                                     const v1::Event& event);

  // The author withdraws `current` (as read before; its parent and
  // target never change, so that read is good). Errors as Edit.
  absl::StatusOr<StoredComment> Withdraw(const v1::Comment& current,
                                         absl::string_view etag,
                                         const WriteContext& context,
                                         const v1::Event& event);

  // Adds (or, with !endorse, removes) the caller's endorsement; a repeat
  // changes nothing and appends no event. FAILED_PRECONDITION (own comment,
  // not VISIBLE, round closed), NOT_FOUND.
  absl::StatusOr<StoredComment> Endorse(absl::string_view id, bool endorse,
                                        const WriteContext& context,
                                        const v1::Event& event);

  // The caller flags; once per member. FAILED_PRECONDITION (own, withdrawn).
  absl::StatusOr<StoredComment> Flag(absl::string_view id,
                                     const v1::ModerationAction& action,
                                     const WriteContext& context,
                                     const v1::Event& event);

  // A moderator hides (VISIBLE -> HIDDEN) or restores (HIDDEN -> VISIBLE,
  // or dismisses the open flags of a VISIBLE comment) `current`, as read
  // before. FAILED_PRECONDITION otherwise. Either way the open flags are
  // resolved.
  absl::StatusOr<StoredComment> Moderate(const v1::Comment& current, bool hide,
                                         const v1::ModerationAction& action,
                                         const WriteContext& context,
                                         const v1::Event& event);

  // The secretariat's disposition. FAILED_PRECONDITION (withdrawn), ABORTED.
  absl::StatusOr<StoredComment> SetDisposition(
      absl::string_view id, const v1::Disposition& disposition,
      absl::string_view etag, const WriteContext& context,
      const v1::Event& event);

  // Revisions [start, start + count) of the comment, oldest first, and
  // whether more follow. Reads only those.
  struct RevisionPage {
    std::vector<v1::CommentRevision> revisions;
    bool more = false;
  };
  absl::StatusOr<RevisionPage> Revisions(absl::string_view id, size_t start,
                                         size_t count);

  // Whether comments on this kind of target are in the search index:
  // posts on topics and resources (while VISIBLE); never comments on
  // sections or private messages.
  static bool Searchable(v1::Comment::TargetKind kind);

  // The comments holding every one of `words` in each shard's search index
  // (one answer per shard, in shard order, each its best `limit`), in one
  // round trip.
  absl::StatusOr<std::vector<WordMatches>> Search(
      const std::vector<std::string>& words, int limit);

  // Empties the search index of every shard and puts every VISIBLE post on
  // a topic or resource back from its record, with the writers' own terms
  // (RebuildWordIndex in services/common/word_index_rebuild.h; safe beside
  // live writes). Returns how many posts the indexes hold. ABORTED when a
  // comment kept changing while it was read (run it again).
  absl::StatusOr<int64_t> RebuildSearchIndex();

  // The comments with these ids (any shards), in order, skipping vanished
  // ones, with only `fields` of their stored record read (names as in the
  // .cc; "id" always) — one pipelined round trip. Unread fields are unset.
  absl::StatusOr<std::vector<StoredComment>> GetFields(
      const std::vector<std::string>& ids,
      const std::vector<std::string>& fields);

  // Index and record prefixes for ListIndex, per shard.
  static std::string IndexKey(int shard, absl::string_view index);
  static std::string CommentPrefix(int shard);
  static std::string ActionPrefix(int shard);
  static std::string SearchPrefix(int shard);  // the shard's word index

 private:
  std::vector<std::string> EventArgs(const v1::Event& event) const;

  RedisClient* const redis_;
  const Options options_;
};

// A comment from its stored fields.
v1::Comment ToComment(const RecordFields& fields);
v1::ModerationAction ToModerationAction(const RecordFields& fields);

}  // namespace cdc::comments
