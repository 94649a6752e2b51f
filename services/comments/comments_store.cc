#include "services/comments/comments_store.h"

#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <map>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "services/common/crypto.h"
#include "services/common/keys.h"
#include "services/common/status_macros.h"
#include "services/common/word_index.h"
#include "services/common/word_index_rebuild.h"
#include "services/consultations/consultations_store.h"

namespace cdc::comments {
namespace {

using google::protobuf::util::TimeUtil;

// Shared by every write script. ARGV[1] is the stream's cap, ARGV[2] the
// serialized cdc.v1.Event, ARGV[3] the time (ms), ARGV[4] the round's
// closes_at (ms; "" when the target has none).
//
// Some event fields are only known inside the script (the count after an
// endorsement, the version after an edit). with_int appends them to the
// serialized event as one more occurrence of the payload field holding
// just that integer; protobuf merges repeated occurrences of an embedded
// message, so the event reads as if C++ had set the field. This keeps each
// write one round trip.
constexpr absl::string_view kPrelude = R"lua(
local function varint(n)
  local out = {}
  repeat
    local byte = n % 128
    n = math.floor(n / 128)
    if n > 0 then byte = byte + 128 end
    out[#out + 1] = string.char(byte)
  until n == 0
  return table.concat(out)
end
local function with_int(event, outer, inner, value)
  if value < 0 then value = 0 end  -- counters never go below zero
  local body = varint(inner * 8) .. varint(value)
  return event .. varint(outer * 8 + 2) .. varint(#body) .. body
end
-- A CommentRevision (type = 3, body = 4, proposed_change = 5,
-- create_time = 6) encoded here from what the comment holds after the
-- write, so a revision is exactly the comment as it then was.
local function pb_bytes(field, bytes)
  return varint(field * 8 + 2) .. varint(#bytes) .. bytes
end
local function pb_int(field, n)
  if n == 0 then return '' end
  return varint(field * 8) .. varint(n)
end
local function revision(type, body, pc, ms)
  local stamp = pb_int(1, math.floor(ms / 1000)) .. pb_int(2, (ms % 1000) * 1000000)
  return pb_int(3, type) .. pb_bytes(4, body) .. pb_bytes(5, pc) .. pb_bytes(6, stamp)
end
local function emit(stream, event)
  redis.call('XADD', stream, 'MAXLEN', '~', ARGV[1], '*', 'event', event)
end
local function check_open()
  if ARGV[4] ~= '' and tonumber(ARGV[3]) >= tonumber(ARGV[4]) then
    return redis.error_reply('FAILED_PRECONDITION round closed')
  end
end
-- A comment's one entry in the flagged queue, built from its stored
-- create_ms as OldestFirstEntry builds it (13 digits, then the id), so that
-- every flag adds the same entry and a moderation removes it.
local function queue_entry(created, id)
  return string.rep('0', 13 - #created) .. created .. '\1' .. id
end
)lua";

const RedisScript& Script(absl::string_view body) {
  // Each call site passes a literal; scripts are built once and kept.
  return *new RedisScript(absl::StrCat(kWordIndexLua, kPrelude, body));
}

// KEYS: 1 comment, 2 target index, 3 parent's replies, 4 thread, 5 author
// index, 6 consultation index, 7 request, 8 parent, 9 events, 10 seq,
// 11 the thread's root, 12 search index prefix. ARGV: 5 has request,
// 6 request ttl, 7 id, 8 "<ms>\1<id>", 9 is reply, 10 has consultation,
// 11 the root's id, 12 "1" when searchable, then its terms
// (AppendTermArgs), then the fields (those at their default left out).
//
// Memory (docs/BENCHMARKS.md): a comment's first revision is not stored
// apart (the comment is it until an edit, which stores it then), and a
// thread's set is made with its first reply (the root first, at its own
// seq): a thread of one is its root alone.
const RedisScript& CreateScript() {
  static const RedisScript& script = Script(R"lua(
if ARGV[5] == '1' then
  local prior = redis.call('GET', KEYS[7])
  if prior then return {'prior', prior} end
end
local closed = check_open()
if closed then return closed end
if ARGV[9] == '1' then
  local state = redis.call('HGET', KEYS[8], 'state')
  if not state then return redis.error_reply('NOT_FOUND parent') end
  if state ~= '1' then
    return redis.error_reply('FAILED_PRECONDITION parent ' .. state)
  end
  redis.call('HINCRBY', KEYS[8], 'replies', 1)
  redis.call('ZADD', KEYS[3], redis.call('INCR', KEYS[10]), ARGV[7])
end
local fields = 13
if ARGV[12] == '1' then fields = index_put(KEYS[12], ARGV[7], 13) end
local seq = redis.call('INCR', KEYS[10])
redis.call('HSET', KEYS[1], 'seq', seq, unpack(ARGV, fields))
redis.call('ZADD', KEYS[2], seq, ARGV[7])
if ARGV[9] == '1' then
  local root_seq = redis.call('HGET', KEYS[11], 'seq')
  if root_seq then redis.call('ZADD', KEYS[4], 'NX', root_seq, ARGV[11]) end
  redis.call('ZADD', KEYS[4], seq, ARGV[7])
end
redis.call('ZADD', KEYS[5], 0, ARGV[8])
if ARGV[10] == '1' then redis.call('ZADD', KEYS[6], 0, ARGV[8]) end
if ARGV[5] == '1' then redis.call('SET', KEYS[7], ARGV[7], 'PX', ARGV[6]) end
emit(KEYS[9], ARGV[2])
return {'created', redis.call('HGETALL', KEYS[1])}
)lua");
  return script;
}

// KEYS: 1 comment, 2 revisions, 3 events, 4 search index prefix. ARGV:
// 5 caller, 6 etag, 7 payload field of the event, 8 id, 9 "1" when the new
// body is to be indexed, then its terms, then the fields to set.
const RedisScript& EditScript() {
  static const RedisScript& script = Script(R"lua(
local c = redis.call('HMGET', KEYS[1], 'author', 'state', 'etag')
if not c[1] then return redis.error_reply('NOT_FOUND comment') end
if c[1] ~= ARGV[5] then
  return redis.error_reply('PERMISSION_DENIED only its author may edit a comment')
end
if c[2] ~= '1' then return redis.error_reply('FAILED_PRECONDITION state ' .. c[2]) end
local closed = check_open()
if closed then return closed end
if ARGV[6] ~= '' and ARGV[6] ~= c[3] then
  return redis.error_reply('ABORTED etag')
end
-- The first revision is stored with the first edit (Create leaves it out).
if redis.call('LLEN', KEYS[2]) == 0 then
  local was = redis.call('HMGET', KEYS[1], 'type', 'body', 'pc', 'create_ms')
  redis.call('RPUSH', KEYS[2], revision(tonumber(was[1]), was[2] or '',
                                        was[3] or '', tonumber(was[4])))
end
local fields = 10
if ARGV[9] == '1' then fields = index_put(KEYS[4], ARGV[8], 10) end
redis.call('HSET', KEYS[1], 'update_ms', ARGV[3], unpack(ARGV, fields))
local version = redis.call('HINCRBY', KEYS[1], 'version', 1)
redis.call('HINCRBY', KEYS[1], 'etag', 1)
local now = redis.call('HMGET', KEYS[1], 'type', 'body', 'pc')
redis.call('RPUSH', KEYS[2], revision(tonumber(now[1]), now[2] or '',
                                      now[3] or '', tonumber(ARGV[3])))
emit(KEYS[3], with_int(ARGV[2], tonumber(ARGV[7]), 2, version))
return redis.call('HGETALL', KEYS[1])
)lua");
  return script;
}

// KEYS: 1 comment, 2 parent, 3 events, 4 flaggers, 5 flagged queue,
// 6 search index prefix. ARGV: 5 caller, 6 etag, 7 is reply, 8 id. A
// withdrawn comment leaves the moderation queue (there is nothing left to
// moderate) and the search index.
const RedisScript& WithdrawScript() {
  static const RedisScript& script = Script(R"lua(
local c = redis.call('HMGET', KEYS[1], 'author', 'state', 'etag', 'create_ms')
if not c[1] then return redis.error_reply('NOT_FOUND comment') end
if c[1] ~= ARGV[5] then
  return redis.error_reply('PERMISSION_DENIED only its author may withdraw a comment')
end
if c[2] ~= '1' then return redis.error_reply('FAILED_PRECONDITION state ' .. c[2]) end
local closed = check_open()
if closed then return closed end
if ARGV[6] ~= '' and ARGV[6] ~= c[3] then
  return redis.error_reply('ABORTED etag')
end
redis.call('HSET', KEYS[1], 'state', '3', 'update_ms', ARGV[3], 'flags', '0')
redis.call('HINCRBY', KEYS[1], 'etag', 1)
redis.call('DEL', KEYS[4])
redis.call('ZREM', KEYS[5], queue_entry(c[4], ARGV[8]))
index_drop(KEYS[6], ARGV[8])
if ARGV[7] == '1' then redis.call('HINCRBY', KEYS[2], 'replies', -1) end
emit(KEYS[3], ARGV[2])
return redis.call('HGETALL', KEYS[1])
)lua");
  return script;
}

// KEYS: 1 comment, 2 endorsers, 3 events. ARGV: 5 caller, 6 "1" endorse /
// "0" take back, 7 payload field of the event.
const RedisScript& EndorseScript() {
  static const RedisScript& script = Script(R"lua(
local c = redis.call('HMGET', KEYS[1], 'author', 'state')
if not c[1] then return redis.error_reply('NOT_FOUND comment') end
local closed = check_open()
if closed then return closed end
local changed
if ARGV[6] == '1' then
  if c[1] == ARGV[5] then
    return redis.error_reply('FAILED_PRECONDITION own')
  end
  if c[2] ~= '1' then
    return redis.error_reply('FAILED_PRECONDITION state ' .. c[2])
  end
  changed = redis.call('SADD', KEYS[2], ARGV[5])
else
  changed = redis.call('SREM', KEYS[2], ARGV[5])
end
if changed == 1 then
  local count = redis.call('HINCRBY', KEYS[1], 'endorse',
                           ARGV[6] == '1' and 1 or -1)
  redis.call('HINCRBY', KEYS[1], 'etag', 1)
  emit(KEYS[3], with_int(ARGV[2], tonumber(ARGV[7]), 2, count))
end
return redis.call('HGETALL', KEYS[1])
)lua");
  return script;
}

// KEYS: 1 comment, 2 flaggers, 3 flagged queue, 4 action, 5 action index,
// 6 events. ARGV: 5 caller, 6 comment id, 7 action entry, 8.. action
// fields.
const RedisScript& FlagScript() {
  static const RedisScript& script = Script(R"lua(
local c = redis.call('HMGET', KEYS[1], 'author', 'state', 'create_ms')
if not c[1] then return redis.error_reply('NOT_FOUND comment') end
if c[1] == ARGV[5] then return redis.error_reply('FAILED_PRECONDITION own') end
if c[2] ~= '1' then
  return redis.error_reply('FAILED_PRECONDITION state ' .. c[2])
end
if redis.call('SADD', KEYS[2], ARGV[5]) == 1 then
  local count = redis.call('HINCRBY', KEYS[1], 'flags', 1)
  redis.call('HINCRBY', KEYS[1], 'etag', 1)
  redis.call('ZADD', KEYS[3], 0, queue_entry(c[3], ARGV[6]))
  redis.call('HSET', KEYS[4], unpack(ARGV, 8))
  redis.call('ZADD', KEYS[5], 0, ARGV[7])
  emit(KEYS[6], with_int(ARGV[2], 44, 4, count))
end
return redis.call('HGETALL', KEYS[1])
)lua");
  return script;
}

// KEYS: 1 comment, 2 flaggers, 3 flagged queue, 4 action, 5 action index,
// 6 parent, 7 events, 8 search index prefix. ARGV: 5 "1" hide / "0"
// restore, 6 reason, 7 comment id, 8 action entry, 9 is reply, 10 payload
// field, 11 "1" when searchable, then its terms, then the action fields.
// Hiding takes the comment out of the search index; restoring a hidden one
// puts it back.
const RedisScript& ModerateScript() {
  static const RedisScript& script = Script(R"lua(
local c = redis.call('HMGET', KEYS[1], 'state', 'flags', 'create_ms')
if not c[1] then return redis.error_reply('NOT_FOUND comment') end
local was_hidden = 0
local fields = 12
if ARGV[11] == '1' then fields = 13 + 2 * tonumber(ARGV[12]) end
if ARGV[5] == '1' then
  if c[1] ~= '1' then return redis.error_reply('FAILED_PRECONDITION state ' .. c[1]) end
  redis.call('HSET', KEYS[1], 'state', '2')
  if ARGV[9] == '1' then redis.call('HINCRBY', KEYS[6], 'replies', -1) end
  index_drop(KEYS[8], ARGV[7])
elseif c[1] == '2' then
  redis.call('HSET', KEYS[1], 'state', '1')
  if ARGV[9] == '1' then redis.call('HINCRBY', KEYS[6], 'replies', 1) end
  if ARGV[11] == '1' then index_put(KEYS[8], ARGV[7], 12) end
  was_hidden = 1
elseif c[1] ~= '1' or tonumber(c[2] or '0') == 0 then
  return redis.error_reply('FAILED_PRECONDITION state ' .. c[1])
end
redis.call('HSET', KEYS[1], 'flags', '0', 'mreason', ARGV[6])
redis.call('HINCRBY', KEYS[1], 'etag', 1)
redis.call('DEL', KEYS[2])
redis.call('ZREM', KEYS[3], queue_entry(c[3], ARGV[7]))
redis.call('HSET', KEYS[4], unpack(ARGV, fields))
redis.call('ZADD', KEYS[5], 0, ARGV[8])
local event = ARGV[2]
if was_hidden == 1 then event = with_int(event, tonumber(ARGV[10]), 4, 1) end
emit(KEYS[7], event)
return redis.call('HGETALL', KEYS[1])
)lua");
  return script;
}

// KEYS: 1 comment, 2 events. ARGV: 5 etag, 6 outcome, 7 response,
// 8 responder.
const RedisScript& DispositionScript() {
  static const RedisScript& script = Script(R"lua(
local c = redis.call('HMGET', KEYS[1], 'state', 'etag', 'd_out')
if not c[1] then return redis.error_reply('NOT_FOUND comment') end
if c[1] == '3' then return redis.error_reply('FAILED_PRECONDITION state 3') end
if ARGV[5] ~= '' and ARGV[5] ~= c[2] then
  return redis.error_reply('ABORTED etag')
end
redis.call('HSET', KEYS[1], 'd_out', ARGV[6], 'd_resp', ARGV[7],
           'd_by', ARGV[8], 'd_ms', ARGV[3])
redis.call('HINCRBY', KEYS[1], 'etag', 1)
emit(KEYS[2], with_int(ARGV[2], 47, 3, tonumber(c[3] or '0')))
return redis.call('HGETALL', KEYS[1])
)lua");
  return script;
}

// KEYS: 1 revisions, 2 comment. ARGV: 1 first, 2 last index. The stored
// revisions asked for and how many there are; when none is stored (never
// edited), 0 and the comment's type, body, pc and create_ms, which are its
// one revision. One atomic read, so an edit cannot fall between the two.
const RedisScript& RevisionsScript() {
  static const RedisScript& script = *new RedisScript(R"lua(
local n = redis.call('LLEN', KEYS[1])
if n > 0 then return {n, redis.call('LRANGE', KEYS[1], ARGV[1], ARGV[2])} end
return {0, redis.call('HMGET', KEYS[2], 'type', 'body', 'pc', 'create_ms')}
)lua");
  return script;
}

// KEYS: sets of members (endorsers "e:<id>", flaggers "f:<id>"), one shard.
// ARGV[1]: the caller. 1 for each set that holds the caller, else 0: a
// page's 100 "did the caller endorse / flag this" questions in one command.
const RedisScript& MarksScript() {
  static const RedisScript& script = *new RedisScript(R"lua(
local out = {}
for i = 1, #KEYS do out[i] = redis.call('SISMEMBER', KEYS[i], ARGV[1]) end
return out
)lua");
  return script;
}

std::string Prefix(int shard) {
  return absl::StrCat("comments:", ShardTag(shard), ":");
}
std::string CommentKey(absl::string_view id) {
  return absl::StrCat(CommentsStore::CommentPrefix(ShardOfId(id)), id);
}
std::string Key(absl::string_view id, absl::string_view kind) {
  return absl::StrCat(Prefix(ShardOfId(id)), kind, ":", id);
}
std::string IdOf(absl::string_view name) {
  return std::string(name.substr(name.rfind('/') + 1));
}
// A request id is the author's own and belongs to where they wrote: the
// target, or for a reply the parent.
std::string RequestKey(int shard, absl::string_view author,
                       absl::string_view scope, absl::string_view request_id) {
  return absl::StrCat("comments:", ShardTag(shard), ":req:", IdOf(author), ":",
                      scope, ":", request_id);
}
std::string Ms(absl::Time t) { return absl::StrCat(absl::ToUnixMillis(t)); }

// The words a post is found by: its body's.
TermWeights PostTerms(absl::string_view body) {
  return DocumentTerms({{body, 1.0}});
}

// Appends a script's "searchable" flag and, when set, the terms of `body`.
// Posts on topics and resources are searchable; comments on sections and
// private messages never are.
void AppendSearchArgs(const v1::Comment& c, absl::string_view body,
                      std::vector<std::string>* args) {
  const bool searchable = CommentsStore::Searchable(c.target_kind());
  args->push_back(searchable ? "1" : "0");
  if (searchable) AppendTermArgs(PostTerms(body), args);
}

// A SCAN pattern for the keys of `kind` ("c:", "ix:") in every shard
// ("{s*}" covers each ShardTag).
std::string EveryShard(absl::string_view kind) {
  return absl::StrCat("comments:{s*}:", kind, "*");
}
std::string Int(int64_t n) { return absl::StrCat(n); }

// Oldest first, across shards: 13-digit milliseconds.
std::string OldestFirstEntry(const v1::Comment& c) {
  return IndexEntry(absl::StrFormat("%013d", TimeUtil::TimestampToMilliseconds(
                                                 c.create_time())),
                    IdOf(c.name()));
}

absl::StatusOr<StoredComment> ToStored(const RedisReply& reply) {
  CDC_ASSIGN_OR_RETURN(RecordFields fields, ToRecordFields(reply));
  if (fields.empty()) return absl::NotFoundError("comment");
  StoredComment stored;
  stored.comment = ToComment(fields);
  stored.seq = IntField(fields, "seq");
  return stored;
}

// Maps a script's terse "FAILED_PRECONDITION state N" to the state's name.
absl::Status Explain(const absl::Status& status) {
  if (!absl::IsFailedPrecondition(status) ||
      !absl::StartsWith(status.message(), "state ")) {
    return status;
  }
  int state = 0;
  (void)absl::SimpleAtoi(status.message().substr(6), &state);
  return absl::FailedPreconditionError(absl::StrCat(
      "state ",
      v1::Comment::State_Name(static_cast<v1::Comment::State>(state))));
}

}  // namespace

v1::Comment ToComment(const RecordFields& f) {
  v1::Comment c;
  c.set_name(absl::StrCat("comments/", StringField(f, "id")));
  c.set_target(StringField(f, "target"));
  c.set_target_kind(static_cast<v1::Comment::TargetKind>(IntField(f, "kind")));
  c.set_parent(StringField(f, "parent"));
  c.set_thread(StringField(f, "thread"));
  c.set_consultation(StringField(f, "consultation"));
  c.set_space(StringField(f, "space"));
  c.set_round(static_cast<int32_t>(IntField(f, "round")));
  c.set_draft_version(static_cast<int32_t>(IntField(f, "dv")));
  c.set_author(StringField(f, "author"));
  c.set_author_display_name(StringField(f, "a_name"));
  c.set_author_organisation(StringField(f, "a_org"));
  c.set_author_organisation_type(
      static_cast<v1::OrganisationType>(IntField(f, "a_otype")));
  c.set_author_country(StringField(f, "a_country"));
  c.set_type(static_cast<v1::Comment::Type>(IntField(f, "type")));
  c.set_body(StringField(f, "body"));
  c.set_proposed_change(StringField(f, "pc"));
  c.set_language(StringField(f, "lang"));
  const std::string anchor = StringField(f, "anchor");
  if (!anchor.empty()) (void)c.mutable_anchor()->ParseFromString(anchor);
  c.set_state(static_cast<v1::Comment::State>(IntField(f, "state")));
  c.set_moderation_reason(StringField(f, "mreason"));
  c.set_endorsement_count(static_cast<int32_t>(IntField(f, "endorse")));
  c.set_reply_count(static_cast<int32_t>(IntField(f, "replies")));
  c.set_flag_count(static_cast<int32_t>(IntField(f, "flags")));
  const int64_t outcome = IntField(f, "d_out");
  if (outcome != 0) {
    v1::Disposition* d = c.mutable_disposition();
    d->set_outcome(static_cast<v1::Disposition::Outcome>(outcome));
    d->set_response(StringField(f, "d_resp"));
    d->set_responder(StringField(f, "d_by"));
    *d->mutable_set_time() =
        TimeUtil::MillisecondsToTimestamp(IntField(f, "d_ms"));
  }
  c.set_version(static_cast<int32_t>(IntField(f, "version")));
  c.set_etag(StringField(f, "etag"));
  *c.mutable_create_time() =
      TimeUtil::MillisecondsToTimestamp(IntField(f, "create_ms"));
  *c.mutable_update_time() =
      TimeUtil::MillisecondsToTimestamp(IntField(f, "update_ms"));
  return c;
}

v1::ModerationAction ToModerationAction(const RecordFields& f) {
  v1::ModerationAction a;
  a.set_name(StringField(f, "name"));
  a.set_comment(StringField(f, "comment"));
  a.set_kind(static_cast<v1::ModerationAction::Kind>(IntField(f, "kind")));
  a.set_actor(StringField(f, "actor"));
  a.set_flag_reason(static_cast<v1::ModerationAction::FlagReason>(
      IntField(f, "flag_reason")));
  a.set_reason(StringField(f, "reason"));
  a.set_consultation(StringField(f, "consultation"));
  a.set_space(StringField(f, "space"));
  *a.mutable_create_time() =
      TimeUtil::MillisecondsToTimestamp(IntField(f, "create_ms"));
  return a;
}

CommentsStore::CommentsStore(RedisClient* redis, Options options)
    : redis_(redis), options_(options) {}

int CommentsStore::ShardOfTarget(absl::string_view target) {
  return ShardOfText(target);
}

std::string CommentsStore::NewId(absl::string_view target) {
  static constexpr char kHex[] = "0123456789abcdef";
  return absl::StrCat(std::string(1, kHex[ShardOfTarget(target)]),
                      RandomHex(15));
}

std::string CommentsStore::IndexKey(int shard, absl::string_view index) {
  return absl::StrCat(Prefix(shard), index);
}
std::string CommentsStore::CommentPrefix(int shard) {
  return Prefix(shard) + "c:";
}
std::string CommentsStore::ActionPrefix(int shard) {
  return Prefix(shard) + "m:";
}
std::string CommentsStore::SearchPrefix(int shard) {
  return Prefix(shard) + "ix:";
}

bool CommentsStore::Searchable(v1::Comment::TargetKind kind) {
  return kind == v1::Comment::TARGET_TOPIC ||
         kind == v1::Comment::TARGET_RESOURCE;
}

absl::StatusOr<std::vector<WordMatches>> CommentsStore::Search(
    const std::vector<std::string>& words, int limit) {
  std::vector<std::string> prefixes;
  for (int shard = 0; shard < kShardCount; ++shard) {
    prefixes.push_back(SearchPrefix(shard));
  }
  return SearchWordsMany(*redis_, prefixes, words, limit);
}

absl::StatusOr<int64_t> CommentsStore::RebuildSearchIndex() {
  std::vector<std::string> prefixes;
  for (int shard = 0; shard < kShardCount; ++shard) {
    prefixes.push_back(SearchPrefix(shard));
  }
  return RebuildWordIndex(
      *redis_,
      WordIndexSource{
          .index_prefixes = std::move(prefixes),
          .index_match = EveryShard("ix:"),
          .record_match = EveryShard("c:"),
          .version_field = "etag",  // every write of a comment changes it
          .is_record =
              [](absl::string_view key) {
                const absl::string_view id = key.substr(key.rfind(':') + 1);
                return ShardOfId(id) >= 0 && key == CommentKey(id);
              },
          .document = [](const RecordFields& fields)
              -> absl::StatusOr<std::optional<IndexedDocument>> {
            if (!Searchable(static_cast<v1::Comment::TargetKind>(
                    IntField(fields, "kind")))) {
              return std::nullopt;
            }
            const std::string id = StringField(fields, "id");
            if (ShardOfId(id) < 0) {
              return absl::DataLossError("a stored comment has no id");
            }
            IndexedDocument document{SearchPrefix(ShardOfId(id)), id,
                                     std::nullopt};
            if (IntField(fields, "state") == v1::Comment::VISIBLE) {
              document.terms = PostTerms(StringField(fields, "body"));
            }
            return document;
          },
      });
}

absl::StatusOr<std::vector<StoredComment>> CommentsStore::GetFields(
    const std::vector<std::string>& ids,
    const std::vector<std::string>& fields) {
  std::vector<std::vector<std::string>> commands;
  std::vector<std::string> known;  // ids that name a shard
  for (const std::string& id : ids) {
    if (ShardOfId(id) < 0) continue;
    std::vector<std::string> command = {"HMGET", CommentKey(id), "id"};
    command.insert(command.end(), fields.begin(), fields.end());
    commands.push_back(std::move(command));
    known.push_back(id);
  }
  if (commands.empty()) return std::vector<StoredComment>{};
  CDC_ASSIGN_OR_RETURN(auto replies, redis_->Pipeline(commands));
  if (replies.size() != commands.size()) {
    return absl::InternalError("redis: unexpected pipeline reply");
  }
  std::vector<StoredComment> found;
  for (auto& reply : replies) {
    if (!reply.ok()) return reply.status();
    const auto& values = reply->elements;
    if (values.size() != fields.size() + 1 || values[0].is_nil()) continue;
    RecordFields record;
    record["id"] = values[0].str;
    for (size_t i = 0; i < fields.size(); ++i) {
      if (!values[i + 1].is_nil()) record[fields[i]] = values[i + 1].str;
    }
    StoredComment stored;
    stored.comment = ToComment(record);
    found.push_back(std::move(stored));
  }
  return found;
}

std::vector<std::string> CommentsStore::EventArgs(
    const v1::Event& event) const {
  return {Int(options_.event_stream_maxlen), event.SerializeAsString()};
}

namespace {
std::vector<std::string> WithContext(std::vector<std::string> args,
                                     const WriteContext& context) {
  args.push_back(Ms(context.now));
  args.push_back(context.closes_at.has_value() ? Ms(*context.closes_at) : "");
  return args;
}
}  // namespace

absl::StatusOr<StoredComment> CommentsStore::Create(
    const v1::Comment& c, absl::string_view request_id,
    const WriteContext& context, const v1::Event& event) {
  const std::string id = IdOf(c.name());
  const int shard = ShardOfId(id);
  const bool reply = !c.parent().empty();
  const std::string parent_id = reply ? IdOf(c.parent()) : id;
  const std::string author_id = IdOf(c.author());
  const std::string thread_root = IdOf(c.thread());

  std::vector<std::string> args = WithContext(EventArgs(event), context);
  args.insert(args.end(),
              {request_id.empty() ? "0" : "1",
               Int(absl::ToInt64Milliseconds(options_.request_id_ttl)), id,
               OldestFirstEntry(c), reply ? "1" : "0",
               c.consultation().empty() ? "0" : "1", thread_root});
  AppendSearchArgs(c, c.body(), &args);
  const std::string created =
      Int(TimeUtil::TimestampToMilliseconds(c.create_time()));
  const std::vector<std::string> fields = {
      "id",           id,
      "target",       c.target(),
      "kind",         Int(c.target_kind()),
      "parent",       c.parent(),
      "thread",       c.thread(),
      "consultation", c.consultation(),
      "space",        c.space(),
      "round",        Int(c.round()),
      "dv",           Int(c.draft_version()),
      "author",       c.author(),
      "a_name",       c.author_display_name(),
      "a_org",        c.author_organisation(),
      "a_otype",      Int(c.author_organisation_type()),
      "a_country",    c.author_country(),
      "type",         Int(c.type()),
      "body",         c.body(),
      "pc",           c.proposed_change(),
      "lang",         c.language(),
      "anchor",       c.has_anchor() ? c.anchor().SerializeAsString() : "",
      "state",        "1",
      "mreason",      "",
      "endorse",      "0",
      "replies",      "0",
      "flags",        "0",
      "d_out",        "0",
      "version",      "1",
      "etag",         "1",
      "create_ms",    created,
      "update_ms",    created};
  // A field at its default ("" or 0) is left out: ToComment and the scripts
  // read a missing field as that default, and the hash stays smaller.
  static const absl::flat_hash_set<absl::string_view> kAlwaysStored = {
      "id",    "target",  "kind", "author",    "type",     "body",
      "state", "version", "etag", "create_ms", "update_ms"};
  for (size_t i = 0; i + 1 < fields.size(); i += 2) {
    const std::string& value = fields[i + 1];
    if ((value.empty() || value == "0") && !kAlwaysStored.contains(fields[i])) {
      continue;
    }
    args.push_back(fields[i]);
    args.push_back(value);
  }
  CDC_ASSIGN_OR_RETURN(
      RedisReply reply_value,
      redis_->Eval(
          CreateScript(),
          {CommentKey(id), IndexKey(shard, absl::StrCat("t:", c.target())),
           Key(parent_id, "r"), Key(thread_root, "th"),
           IndexKey(shard, absl::StrCat("a:", author_id)),
           IndexKey(shard, absl::StrCat("k:", c.consultation())),
           RequestKey(shard, c.author(),
                      c.parent().empty() ? c.target() : c.parent(), request_id),
           CommentKey(parent_id), EventStreamKey(shard), IndexKey(shard, "seq"),
           CommentKey(thread_root), SearchPrefix(shard)},
          args));
  if (reply_value.elements.size() != 2) {
    return absl::InternalError("redis: unexpected create reply");
  }
  if (reply_value.elements[0].str == "prior") {
    CDC_ASSIGN_OR_RETURN(StoredComment prior,
                         Get(reply_value.elements[1].str, context.caller));
    prior.repeated = true;
    return prior;
  }
  return ToStored(reply_value.elements[1]);
}

absl::StatusOr<std::string> CommentsStore::ConsultationVersion(
    absl::string_view id) {
  CDC_ASSIGN_OR_RETURN(
      RedisReply version,
      redis_->Command(
          {"HGET", consultations::ConsultationRecordKey(id), "version"}));
  return version.is_nil() ? std::string() : version.str;
}

absl::StatusOr<std::optional<StoredComment>> CommentsStore::FindRequest(
    int shard, absl::string_view author, absl::string_view scope,
    absl::string_view request_id) {
  CDC_ASSIGN_OR_RETURN(
      RedisReply id,
      redis_->Command({"GET", RequestKey(shard, author, scope, request_id)}));
  if (id.is_nil()) return std::nullopt;
  absl::StatusOr<StoredComment> stored = Get(id.str, author);
  if (absl::IsNotFound(stored.status())) return std::nullopt;
  CDC_RETURN_IF_ERROR(stored.status());
  return std::optional<StoredComment>(*std::move(stored));
}

absl::StatusOr<std::vector<StoredComment>> CommentsStore::AllInIndex(
    absl::string_view index) {
  constexpr size_t kBatch = 500;
  std::vector<StoredComment> all;
  for (int shard = 0; shard < kShardCount; ++shard) {
    CDC_ASSIGN_OR_RETURN(
        RedisReply entries,
        redis_->Command({"ZRANGE", IndexKey(shard, index), "0", "-1"}));
    for (size_t i = 0; i < entries.elements.size(); i += kBatch) {
      std::vector<std::vector<std::string>> commands;
      for (size_t k = i; k < std::min(i + kBatch, entries.elements.size());
           ++k) {
        commands.push_back(
            {"HGETALL", CommentPrefix(shard) + std::string(IdOfIndexEntry(
                                                   entries.elements[k].str))});
      }
      CDC_ASSIGN_OR_RETURN(auto replies, redis_->Pipeline(commands));
      for (auto& reply : replies) {
        if (!reply.ok()) return reply.status();
        absl::StatusOr<StoredComment> stored = ToStored(*reply);
        if (absl::IsNotFound(stored.status())) continue;
        CDC_RETURN_IF_ERROR(stored.status());
        all.push_back(*std::move(stored));
      }
    }
  }
  return all;
}

absl::StatusOr<StoredComment> CommentsStore::Get(absl::string_view id,
                                                 absl::string_view caller) {
  if (ShardOfId(id) < 0) return absl::NotFoundError("comment");
  CDC_ASSIGN_OR_RETURN(std::vector<StoredComment> found,
                       GetMany(ShardOfId(id), {std::string(id)}, caller));
  if (found.empty()) return absl::NotFoundError("comment");
  return std::move(found.front());
}

absl::StatusOr<std::vector<StoredComment>> CommentsStore::GetMany(
    int shard, const std::vector<std::string>& ids, absl::string_view caller) {
  if (ids.empty()) return std::vector<StoredComment>{};
  // The records and, in the same round trip, the caller's marks on them
  // (MarksScript): ids.size() + 1 commands.
  std::vector<std::vector<std::string>> commands;
  commands.reserve(ids.size() + 1);
  std::vector<std::string> mark_keys;
  mark_keys.reserve(ids.size() * 2);
  for (const std::string& id : ids) {
    commands.push_back({"HGETALL", CommentPrefix(shard) + id});
    mark_keys.push_back(absl::StrCat(Prefix(shard), "e:", id));
    mark_keys.push_back(absl::StrCat(Prefix(shard), "f:", id));
  }
  std::vector<std::string> marks = {
      "EVALSHA", MarksScript().sha1(),
      Int(static_cast<int64_t>(mark_keys.size()))};
  marks.insert(marks.end(), mark_keys.begin(), mark_keys.end());
  marks.push_back(std::string(caller));
  commands.push_back(std::move(marks));
  CDC_ASSIGN_OR_RETURN(auto replies, redis_->Pipeline(commands));
  if (replies.size() != commands.size()) {
    return absl::InternalError("redis: unexpected pipeline reply");
  }
  absl::StatusOr<RedisReply>& flags = replies.back();
  if (!flags.ok() &&
      absl::StartsWith(flags.status().message(), "redis: NOSCRIPT")) {
    flags = redis_->Eval(MarksScript(), mark_keys, {std::string(caller)});
  }
  if (!flags.ok()) return flags.status();
  if (flags->elements.size() != mark_keys.size()) {
    return absl::InternalError("redis: unexpected marks reply");
  }
  std::vector<StoredComment> found;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (!replies[i].ok()) return replies[i].status();
    absl::StatusOr<StoredComment> stored = ToStored(*replies[i]);
    if (absl::IsNotFound(stored.status())) continue;
    CDC_RETURN_IF_ERROR(stored.status());
    stored->endorsed_by_caller = flags->elements[2 * i].integer == 1;
    stored->flagged_by_caller = flags->elements[2 * i + 1].integer == 1;
    found.push_back(*std::move(stored));
  }
  return found;
}

absl::Status CommentsStore::MarkForCaller(
    absl::string_view caller, std::vector<StoredComment>* comments) {
  if (comments->empty()) return absl::OkStatus();
  // One MarksScript call per shard the comments are in, all in one round
  // trip.
  std::map<int, std::vector<size_t>> by_shard;
  for (size_t i = 0; i < comments->size(); ++i) {
    const std::string id = IdOf((*comments)[i].comment.name());
    if (ShardOfId(id) < 0) return absl::InternalError("a comment has no id");
    by_shard[ShardOfId(id)].push_back(i);
  }
  std::vector<RedisClient::ScriptCall> calls;
  for (const auto& [shard, members] : by_shard) {
    RedisClient::ScriptCall& call = calls.emplace_back();
    for (size_t i : members) {
      const std::string id = IdOf((*comments)[i].comment.name());
      call.keys.push_back(Key(id, "e"));
      call.keys.push_back(Key(id, "f"));
    }
    call.args.push_back(std::string(caller));
  }
  CDC_ASSIGN_OR_RETURN(auto replies, redis_->EvalMany(MarksScript(), calls));
  if (replies.size() != calls.size()) {
    return absl::InternalError("redis: unexpected pipeline reply");
  }
  size_t k = 0;
  for (const auto& [shard, members] : by_shard) {
    const absl::StatusOr<RedisReply>& reply = replies[k++];
    if (!reply.ok()) return reply.status();
    if (reply->elements.size() != 2 * members.size()) {
      return absl::InternalError("redis: unexpected marks reply");
    }
    for (size_t m = 0; m < members.size(); ++m) {
      StoredComment& stored = (*comments)[members[m]];
      stored.endorsed_by_caller = reply->elements[2 * m].integer == 1;
      stored.flagged_by_caller = reply->elements[2 * m + 1].integer == 1;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::pair<std::string, int64_t>>>
CommentsStore::Range(int shard, absl::string_view index, int64_t after_seq,
                     int limit) {
  CDC_ASSIGN_OR_RETURN(
      RedisReply reply,
      redis_->Command({"ZRANGEBYSCORE", IndexKey(shard, index),
                       absl::StrCat("(", after_seq), "+inf", "WITHSCORES",
                       "LIMIT", "0", Int(limit)}));
  std::vector<std::pair<std::string, int64_t>> out;
  for (size_t i = 0; i + 1 < reply.elements.size(); i += 2) {
    int64_t seq = 0;
    (void)absl::SimpleAtoi(reply.elements[i + 1].str, &seq);
    out.emplace_back(reply.elements[i].str, seq);
  }
  return out;
}

absl::StatusOr<IndexPage> CommentsStore::ListIndex(
    absl::string_view index, absl::string_view record_prefix,
    absl::string_view position, int page_size) {
  const std::string index_name(index);
  const bool actions = record_prefix == "m:";
  return ListAcrossShards(
      *redis_, position, page_size,
      [&](int shard) { return IndexKey(shard, index_name); },
      [&](int shard) {
        return actions ? ActionPrefix(shard) : CommentPrefix(shard);
      },
      {});
}

absl::StatusOr<StoredComment> CommentsStore::Edit(
    absl::string_view id, const v1::Comment& values,
    const std::vector<std::string>& paths, absl::string_view etag,
    const WriteContext& context, const v1::Event& event) {
  if (ShardOfId(id) < 0) return absl::NotFoundError("comment");
  std::vector<std::string> args = WithContext(EventArgs(event), context);
  args.insert(args.end(),
              {context.caller, std::string(etag), "40", std::string(id)});
  // A new body replaces the comment's words in the search index.
  const bool new_body =
      std::find(paths.begin(), paths.end(), "body") != paths.end();
  if (new_body) {
    AppendSearchArgs(values, values.body(), &args);
  } else {
    args.push_back("0");
  }
  // Only the fields named are written, so concurrent edits of different
  // fields do not undo each other.
  for (const std::string& path : paths) {
    if (path == "type") {
      args.insert(args.end(), {"type", Int(values.type())});
    } else if (path == "body") {
      args.insert(args.end(), {"body", values.body()});
    } else if (path == "proposed_change") {
      args.insert(args.end(), {"pc", values.proposed_change()});
    }
  }
  absl::StatusOr<RedisReply> reply =
      redis_->Eval(EditScript(),
                   {CommentKey(id), Key(id, "v"), EventStreamKey(ShardOfId(id)),
                    SearchPrefix(ShardOfId(id))},
                   args);
  if (!reply.ok()) return Explain(reply.status());
  return ToStored(*reply);
}

absl::StatusOr<StoredComment> CommentsStore::Withdraw(
    const v1::Comment& current, absl::string_view etag,
    const WriteContext& context, const v1::Event& event) {
  const std::string id = IdOf(current.name());
  if (ShardOfId(id) < 0) return absl::NotFoundError("comment");
  const bool reply = !current.parent().empty();
  const std::string parent_id = reply ? IdOf(current.parent()) : id;
  std::vector<std::string> args = WithContext(EventArgs(event), context);
  args.insert(args.end(),
              {context.caller, std::string(etag), reply ? "1" : "0", id});
  const int shard = ShardOfId(id);
  absl::StatusOr<RedisReply> value = redis_->Eval(
      WithdrawScript(),
      {CommentKey(id), CommentKey(parent_id), EventStreamKey(shard),
       Key(id, "f"), IndexKey(shard, "flagged"), SearchPrefix(shard)},
      args);
  if (!value.ok()) return Explain(value.status());
  return ToStored(*value);
}

absl::StatusOr<StoredComment> CommentsStore::Endorse(
    absl::string_view id, bool endorse, const WriteContext& context,
    const v1::Event& event) {
  if (ShardOfId(id) < 0) return absl::NotFoundError("comment");
  std::vector<std::string> args = WithContext(EventArgs(event), context);
  args.insert(args.end(),
              {context.caller, endorse ? "1" : "0", endorse ? "42" : "43"});
  absl::StatusOr<RedisReply> value = redis_->Eval(
      EndorseScript(),
      {CommentKey(id), Key(id, "e"), EventStreamKey(ShardOfId(id))}, args);
  if (!value.ok()) return Explain(value.status());
  CDC_ASSIGN_OR_RETURN(StoredComment stored, ToStored(*value));
  stored.endorsed_by_caller = endorse;
  return stored;
}

absl::StatusOr<StoredComment> CommentsStore::Flag(
    absl::string_view id, const v1::ModerationAction& action,
    const WriteContext& context, const v1::Event& event) {
  if (ShardOfId(id) < 0) return absl::NotFoundError("comment");
  const int shard = ShardOfId(id);
  const std::string action_id = IdOf(action.name());
  const int64_t ms = TimeUtil::TimestampToMilliseconds(action.create_time());
  std::vector<std::string> args = WithContext(EventArgs(event), context);
  args.insert(args.end(), {context.caller,
                           std::string(id),
                           IndexEntry(NewestFirstSortKey(ms), action_id),
                           "id",
                           action_id,
                           "name",
                           action.name(),
                           "comment",
                           action.comment(),
                           "kind",
                           Int(action.kind()),
                           "actor",
                           action.actor(),
                           "flag_reason",
                           Int(action.flag_reason()),
                           "reason",
                           action.reason(),
                           "consultation",
                           action.consultation(),
                           "space",
                           action.space(),
                           "create_ms",
                           Int(ms)});
  absl::StatusOr<RedisReply> value =
      redis_->Eval(FlagScript(),
                   {CommentKey(id), Key(id, "f"), IndexKey(shard, "flagged"),
                    ActionPrefix(shard) + action_id, IndexKey(shard, "mod"),
                    EventStreamKey(shard)},
                   args);
  if (!value.ok()) return Explain(value.status());
  CDC_ASSIGN_OR_RETURN(StoredComment stored, ToStored(*value));
  stored.flagged_by_caller = true;
  return stored;
}

absl::StatusOr<StoredComment> CommentsStore::Moderate(
    const v1::Comment& current, bool hide, const v1::ModerationAction& action,
    const WriteContext& context, const v1::Event& event) {
  const std::string id = IdOf(current.name());
  if (ShardOfId(id) < 0) return absl::NotFoundError("comment");
  const int shard = ShardOfId(id);
  const bool reply = !current.parent().empty();
  const std::string parent_id = reply ? IdOf(current.parent()) : id;
  const std::string action_id = IdOf(action.name());
  const int64_t ms = TimeUtil::TimestampToMilliseconds(action.create_time());
  std::vector<std::string> args = WithContext(EventArgs(event), context);
  args.insert(args.end(), {hide ? "1" : "0", action.reason(), id,
                           IndexEntry(NewestFirstSortKey(ms), action_id),
                           reply ? "1" : "0", hide ? "45" : "46"});
  // A hidden comment's body cannot change, so the text read before the
  // script is the one a restore puts back in the index.
  AppendSearchArgs(current, current.body(), &args);
  args.insert(
      args.end(),
      {"id",      action_id,        "name",         action.name(),
       "comment", action.comment(), "kind",         Int(action.kind()),
       "actor",   action.actor(),   "flag_reason",  "0",
       "reason",  action.reason(),  "consultation", action.consultation(),
       "space",   action.space(),   "create_ms",    Int(ms)});
  absl::StatusOr<RedisReply> value = redis_->Eval(
      ModerateScript(),
      {CommentKey(id), Key(id, "f"), IndexKey(shard, "flagged"),
       ActionPrefix(shard) + action_id, IndexKey(shard, "mod"),
       CommentKey(parent_id), EventStreamKey(shard), SearchPrefix(shard)},
      args);
  if (!value.ok()) return Explain(value.status());
  return ToStored(*value);
}

absl::StatusOr<StoredComment> CommentsStore::SetDisposition(
    absl::string_view id, const v1::Disposition& disposition,
    absl::string_view etag, const WriteContext& context,
    const v1::Event& event) {
  if (ShardOfId(id) < 0) return absl::NotFoundError("comment");
  std::vector<std::string> args = WithContext(EventArgs(event), context);
  args.insert(args.end(), {std::string(etag), Int(disposition.outcome()),
                           disposition.response(), context.caller});
  absl::StatusOr<RedisReply> value =
      redis_->Eval(DispositionScript(),
                   {CommentKey(id), EventStreamKey(ShardOfId(id))}, args);
  if (!value.ok()) return Explain(value.status());
  return ToStored(*value);
}

absl::StatusOr<CommentsStore::RevisionPage> CommentsStore::Revisions(
    absl::string_view id, size_t start, size_t count) {
  if (ShardOfId(id) < 0) return absl::NotFoundError("comment");
  // One more than asked says whether another page follows.
  CDC_ASSIGN_OR_RETURN(
      RedisReply reply,
      redis_->Eval(RevisionsScript(), {Key(id, "v"), CommentKey(id)},
                   {Int(start), Int(static_cast<int64_t>(start + count))}));
  if (reply.elements.size() != 2) {
    return absl::InternalError("redis: unexpected revisions reply");
  }
  std::vector<v1::CommentRevision> stored;
  const std::vector<RedisReply>& values = reply.elements[1].elements;
  if (reply.elements[0].integer > 0) {
    for (const RedisReply& value : values) {
      if (!stored.emplace_back().ParseFromString(value.str)) {
        return absl::DataLossError("a stored revision does not parse");
      }
    }
  } else if (values.size() == 4 && !values[1].is_nil() && start == 0) {
    // Never edited: the comment as it is, as created.
    v1::CommentRevision& first = stored.emplace_back();
    int64_t type = 0, ms = 0;
    (void)absl::SimpleAtoi(values[0].str, &type);
    (void)absl::SimpleAtoi(values[3].str, &ms);
    first.set_type(static_cast<v1::Comment::Type>(type));
    first.set_body(values[1].str);
    first.set_proposed_change(values[2].str);
    *first.mutable_create_time() = TimeUtil::MillisecondsToTimestamp(ms);
  }
  RevisionPage page;
  page.more = stored.size() > count;
  for (size_t i = 0; i < std::min(count, stored.size()); ++i) {
    v1::CommentRevision& revision =
        page.revisions.emplace_back(std::move(stored[i]));
    const size_t version = start + i + 1;
    revision.set_version(static_cast<int32_t>(version));
    revision.set_name(absl::StrCat("comments/", id, "/revisions/", version));
  }
  return page;
}

}  // namespace cdc::comments
