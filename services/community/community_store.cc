#include "services/community/community_store.h"

#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "services/common/keys.h"
#include "services/common/shard_index.h"
#include "services/common/status_macros.h"
#include "services/common/word_index.h"
#include "services/common/word_index_rebuild.h"
#include "services/community/library_store.h"

namespace cdc::community {
namespace {

using google::protobuf::util::TimeUtil;

// Searches look at this many best matches before filtering by who may read
// them: the collections are small, so this is all of them in practice.
constexpr int kSearchScan = 5000;
// ListTopics examines at most this many topics per call.
constexpr int kTopicScanBudget = 1000;
// A space's unread count looks at most at this many pinned and this many
// recently active topics, so a busy space costs bounded work per view; the
// count stops there ("100 or more").
constexpr int kUnreadCap = 100;

// Lua shared by the scripts: sort keys and the topic order entry, built
// exactly as NewestFirstSortKey and IndexEntry build them in C++.
constexpr absl::string_view kPrelude = R"lua(
local function newest(ms)
  return string.format('%013d', 9999999999999 - tonumber(ms))
end
-- "<0 pinned|1 not><newest-first last activity>\1<topic id>"
local function reorder(tkey, okey)
  local t = redis.call('HMGET', tkey, 'ord', 'pin', 'last', 'id')
  if t[1] then redis.call('ZREM', okey, t[1]) end
  local head = '1'
  if t[2] == '1' then head = '0' end
  local entry = head .. newest(t[3] or '0') .. '\1' .. t[4]
  redis.call('ZADD', okey, 0, entry)
  redis.call('HSET', tkey, 'ord', entry)
end
local function hmax(key, field, value)
  local now = tonumber(redis.call('HGET', key, field) or '0')
  if tonumber(value) > now then redis.call('HSET', key, field, value) end
end
)lua";

// The one write script: compare, then set. ARGV: 1 stream cap, 2 the
// serialized event ("" = none), 3 the number G of guards, then four
// arguments per guard (kind, key index, field, expected value), then
// operations until the end, each a name and its arguments (key indexes
// into KEYS; KEYS[1] is the shard's event stream). Guards:
//   v   the hash's "v" (its version; "" when it does not exist)
//   hx  HEXISTS of the field ("1" / "0")
//   x   EXISTS of the key ("1" / "0")
// A failed guard writes nothing and answers ABORTED kConcurrentChange.
const RedisScript& ApplyScript() {
  static const RedisScript* const script =
      new RedisScript(absl::StrCat(kWordIndexLua, kPrelude, R"lua(
local g = tonumber(ARGV[3])
for n = 0, g - 1 do
  local at = 4 + 4 * n
  local kind, key, field = ARGV[at], KEYS[tonumber(ARGV[at + 1])], ARGV[at + 2]
  local have
  if kind == 'v' then
    have = redis.call('HGET', key, 'v') or ''
  elseif kind == 'hx' then
    have = tostring(redis.call('HEXISTS', key, field))
  else
    have = tostring(redis.call('EXISTS', key))
  end
  if have ~= ARGV[at + 3] then
    return redis.error_reply('ABORTED concurrent change')
  end
end
local i = 4 + 4 * g
while i <= #ARGV do
  local op = ARGV[i]
  local key = KEYS[tonumber(ARGV[i + 1])]
  if op == 'hset' then
    local n = tonumber(ARGV[i + 2])
    redis.call('HSET', key, unpack(ARGV, i + 3, i + 2 + n))
    i = i + 3 + n
  elseif op == 'hsetnx' then
    redis.call('HSETNX', key, ARGV[i + 2], ARGV[i + 3])
    i = i + 4
  elseif op == 'hdel' then
    redis.call('HDEL', key, ARGV[i + 2])
    i = i + 3
  elseif op == 'hmax' then
    hmax(key, ARGV[i + 2], ARGV[i + 3])
    i = i + 4
  elseif op == 'hincr' then
    redis.call('HINCRBY', key, ARGV[i + 2], ARGV[i + 3])
    i = i + 4
  elseif op == 'zadd' then
    redis.call('ZADD', key, 0, ARGV[i + 2])
    i = i + 3
  elseif op == 'zrem' then
    redis.call('ZREM', key, ARGV[i + 2])
    i = i + 3
  elseif op == 'sadd' then
    redis.call('SADD', key, ARGV[i + 2])
    i = i + 3
  elseif op == 'srem' then
    redis.call('SREM', key, ARGV[i + 2])
    i = i + 3
  elseif op == 'setpx' then
    redis.call('SET', key, ARGV[i + 2], 'PX', ARGV[i + 3])
    i = i + 4
  elseif op == 'reorder' then
    reorder(key, KEYS[tonumber(ARGV[i + 2])])
    i = i + 3
  elseif op == 'unbox' then
    -- takes a conversation out of an inbox, by its current entry
    local c = redis.call('HMGET', key, 'last', 'id')
    redis.call('ZREM', KEYS[tonumber(ARGV[i + 2])], newest(c[1]) .. '\1' .. c[2])
    i = i + 3
  elseif op == 'iput' then
    i = index_put(ARGV[i + 1], ARGV[i + 2], i + 3)
  else
    return redis.error_reply('INTERNAL unknown operation ' .. tostring(op))
  end
end
if ARGV[2] ~= '' then
  redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'event', ARGV[2])
end
return 'OK'
)lua"));
  return *script;
}

// A space as the viewer sees it. KEYS: 1 space, 2 its members, 3 its topic
// order, 4 the viewer's topic read positions. ARGV: 1 viewer, 2 the prefix
// of its topics' keys, 3 the space id, 4 "1" to count unread topics, 5 the
// most unread topics counted (kUnreadCap).
// Returns nil for no space, else {fields, member count, viewer's join ms or
// "", unread topics}.
const RedisScript& SpaceViewScript() {
  static const RedisScript* const script =
      new RedisScript(absl::StrCat(kPrelude, R"lua(
local fields = redis.call('HGETALL', KEYS[1])
if #fields == 0 then return false end
local joined = redis.call('HGET', KEYS[2], ARGV[1])
local unread = 0
if joined and ARGV[4] == '1' then
  local base = tonumber(joined)
  -- Only topics active since the viewer joined can be unread: the pinned
  -- ones, and the first unpinned ones in activity order up to the join
  -- time; at most ARGV[5] of each are looked at.
  local cap = tonumber(ARGV[5])
  local candidates = redis.call('ZRANGEBYLEX', KEYS[3], '[0', '(1', 'LIMIT', 0, cap)
  for _, entry in ipairs(redis.call('ZRANGEBYLEX', KEYS[3], '[1',
      '(1' .. newest(base), 'LIMIT', 0, cap)) do
    candidates[#candidates + 1] = entry
  end
  for _, entry in ipairs(candidates) do
    local id = string.sub(entry, string.find(entry, '\1', 1, true) + 1)
    local t = redis.call('HMGET', ARGV[2] .. id, 'state', 'last')
    if t[1] and t[1] ~= '3' then
      local read = tonumber(redis.call('HGET', KEYS[4], ARGV[3] .. '/' .. id) or '0')
      if read < base then read = base end
      if tonumber(t[2] or '0') > read then unread = unread + 1 end
    end
  end
  if unread > cap then unread = cap end
end
return {fields, redis.call('HLEN', KEYS[2]), joined or '', unread}
)lua"));
  return *script;
}

// A page of a space's topics. KEYS: 1 topic order, 2 the viewer's read
// positions, 3 the space's members. ARGV: 1 position ("" = first), 2 page
// size, 3 state ("0" = OPEN or CLOSED), 4 tag, 5 author, 6 unread only
// ("1"), 7 the prefix of the topics' keys, 8 the space id, 9 the viewer,
// 10 how many topics to examine at most. Returns {next position or "",
// viewer's join ms or "", {fields, post count, read ms or ""}...}.
const RedisScript& ListTopicsScript() {
  static const RedisScript* const script = new RedisScript(R"lua(
local start = '-'
if ARGV[1] ~= '' then start = '(' .. ARGV[1] end
local limit, budget = tonumber(ARGV[2]), tonumber(ARGV[10])
local joined = redis.call('HGET', KEYS[3], ARGV[9])
local base = tonumber(joined or '0')
local out, last, examined, more = {}, '', 0, false
while not more do
  local batch = redis.call('ZRANGEBYLEX', KEYS[1], start, '+', 'LIMIT', 0, 100)
  if #batch == 0 then break end
  for _, entry in ipairs(batch) do
    if #out == limit or examined == budget then more = true break end
    examined = examined + 1
    last = entry
    local id = string.sub(entry, string.find(entry, '\1', 1, true) + 1)
    local tkey = ARGV[7] .. id
    local t = redis.call('HMGET', tkey, 'state', 'tags', 'author', 'last')
    local ok = t[1] ~= false
    if ok then
      if ARGV[3] == '0' then ok = t[1] ~= '3' else ok = t[1] == ARGV[3] end
    end
    if ok and ARGV[4] ~= '' then
      ok = string.find(',' .. t[2] .. ',', ',' .. ARGV[4] .. ',', 1, true) ~= nil
    end
    if ok and ARGV[5] ~= '' then ok = t[3] == ARGV[5] end
    local read = redis.call('HGET', KEYS[2], ARGV[8] .. '/' .. id)
    if ok and ARGV[6] == '1' then
      local seen = tonumber(read or '0')
      if seen < base then seen = base end
      ok = tonumber(t[4]) > seen
    end
    if ok then
      out[#out + 1] = {redis.call('HGETALL', tkey),
                       redis.call('SCARD', tkey .. ':p'), read or ''}
    end
  end
  start = '(' .. batch[#batch]
end
if not more then last = '' end
return {last, joined or '', out}
)lua");
  return *script;
}

// Applies one comment event to a topic ('t') or conversation ('c'). KEYS:
// 1 the record, 2 its visible comments, 3 comment -> last event applied,
// 4 the space's topic order (topics), 5 the space (topics), 6 the actor's
// read positions. ARGV: 1 't' or 'c', 2 comment id, 3 the event's stream
// id "<ms>-<seq>" ("" = unordered), 4 'add' or 'remove', 5 '1' when the
// comment is new, 6 the event's time (ms), 7 the actor's read position
// field ("" = none), 8 the prefix of inbox keys (conversations).
const RedisScript& ActivityScript() {
  static const RedisScript* const script =
      new RedisScript(absl::StrCat(kPrelude, R"lua(
local function later(a, b)
  local am, as = string.match(a, '^(%d+)-(%d+)$')
  local bm, bs = string.match(b, '^(%d+)-(%d+)$')
  if not am or not bm then return true end
  if tonumber(am) ~= tonumber(bm) then return tonumber(am) > tonumber(bm) end
  return tonumber(as) > tonumber(bs)
end
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if ARGV[3] ~= '' then
  local seen = redis.call('HGET', KEYS[3], ARGV[2])
  if seen and not later(ARGV[3], seen) then return 0 end
  redis.call('HSET', KEYS[3], ARGV[2], ARGV[3])
end
if ARGV[4] == 'add' then
  redis.call('SADD', KEYS[2], ARGV[2])
else
  redis.call('SREM', KEYS[2], ARGV[2])
end
if ARGV[5] == '1' then
  local ms = tonumber(ARGV[6])
  if ARGV[7] ~= '' then hmax(KEYS[6], ARGV[7], ms) end
  if ARGV[1] == 't' then
    if ms > tonumber(redis.call('HGET', KEYS[1], 'last') or '0') then
      redis.call('HSET', KEYS[1], 'last', ms)
      reorder(KEYS[1], KEYS[4])
    end
    hmax(KEYS[5], 'last', ms)
  else
    hmax(KEYS[1], 'lm', ms)
    local c = redis.call('HMGET', KEYS[1], 'last', 'id', 'parts')
    if ms > tonumber(c[1] or '0') then
      for member in string.gmatch(c[3] or '', '[^,]+') do
        local inbox = ARGV[8] .. string.match(member, '[^/]*$')
        redis.call('ZREM', inbox, newest(c[1]) .. '\1' .. c[2])
        redis.call('ZADD', inbox, 0, newest(ms) .. '\1' .. c[2])
      end
      redis.call('HSET', KEYS[1], 'last', ms)
    end
  end
end
return 1
)lua"));
  return *script;
}

std::string Num(int64_t n) { return absl::StrCat(n); }
int64_t Ms(absl::Time t) { return absl::ToUnixMillis(t); }
int64_t Ms(const google::protobuf::Timestamp& t) {
  return TimeUtil::TimestampToMilliseconds(t);
}
google::protobuf::Timestamp Stamp(int64_t ms) {
  return TimeUtil::MillisecondsToTimestamp(ms);
}
std::string IdOf(absl::string_view name) {
  return std::string(name.substr(name.rfind('/') + 1));
}
int64_t ToInt(absl::string_view text) {
  int64_t n = 0;
  return absl::SimpleAtoi(text, &n) ? n : 0;
}
std::vector<std::string> SplitList(absl::string_view joined) {
  return absl::StrSplit(joined, ',', absl::SkipEmpty());
}

int SpacesShardOf() { return ShardOfText("spaces"); }
int ConversationsShardOf() { return ShardOfText("conversations"); }

// Keys, each built here only.
std::string Prefix(int shard) {
  return absl::StrCat("cm:", ShardTag(shard), ":");
}
std::string SpaceKey(absl::string_view id) {
  return absl::StrCat(Prefix(SpacesShardOf()), "s:", id);
}
std::string MembersKey(absl::string_view space) {
  return absl::StrCat(SpaceKey(space), ":m");
}
std::string MemberInfoKey(absl::string_view space) {
  return absl::StrCat(SpaceKey(space), ":mi");
}
std::string TopicOrderKey(absl::string_view space) {
  return absl::StrCat(SpaceKey(space), ":t");
}
std::string SpaceIndexKey() { return Prefix(SpacesShardOf()) + "spaces"; }
std::string JoinedKey(absl::string_view member) {
  return absl::StrCat(Prefix(SpacesShardOf()), "j:", IdOf(member));
}
// Where every topic's keys start.
std::string TopicsRoot() { return Prefix(SpacesShardOf()) + "t:"; }
std::string TopicPrefix(absl::string_view space) {
  return absl::StrCat(TopicsRoot(), space, ":");
}
std::string TopicKey(absl::string_view space, absl::string_view topic) {
  return absl::StrCat(TopicPrefix(space), topic);
}
std::string TopicReadKey(absl::string_view member) {
  return absl::StrCat(Prefix(SpacesShardOf()), "tr:", IdOf(member));
}
std::string TopicReadField(absl::string_view space, absl::string_view topic) {
  return absl::StrCat(space, "/", topic);
}
std::string TopicIndexPrefix() { return Prefix(SpacesShardOf()) + "ix:"; }
std::string ConversationKey(absl::string_view id) {
  return absl::StrCat(Prefix(ConversationsShardOf()), "c:", id);
}
std::string InboxPrefix() { return Prefix(ConversationsShardOf()) + "i:"; }
std::string InboxKey(absl::string_view member) {
  return InboxPrefix() + IdOf(member);
}
std::string ConversationReadKey(absl::string_view member) {
  return absl::StrCat(Prefix(ConversationsShardOf()), "cr:", IdOf(member));
}
std::string BlocksKey(absl::string_view member) {
  return absl::StrCat(Prefix(ConversationsShardOf()), "b:", IdOf(member));
}
int ShardOfScope(absl::string_view scope) {
  return scope == "conversation" ? ConversationsShardOf() : SpacesShardOf();
}
std::string RequestKey(absl::string_view member, absl::string_view scope,
                       absl::string_view request_id) {
  return absl::StrCat(Prefix(ShardOfScope(scope)), "q:", IdOf(member), ":",
                      scope, ":", request_id);
}

std::string SpaceIndexEntry(absl::string_view title, absl::string_view id) {
  return IndexEntry(absl::AsciiStrToLower(title), id);
}
std::string InboxEntry(int64_t last_ms, absl::string_view id) {
  return IndexEntry(NewestFirstSortKey(last_ms), id);
}

// A position of a listing is one of its entries.
absl::Status CheckPosition(absl::string_view position) {
  if (position.empty() ||
      position.find(kIndexEntrySeparator) != absl::string_view::npos) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError("page_token: is not a position here");
}

v1::Space ToSpace(const RecordFields& f) {
  v1::Space s;
  s.set_name(absl::StrCat("spaces/", StringField(f, "id")));
  s.set_title(StringField(f, "title"));
  s.set_description(StringField(f, "desc"));
  s.set_visibility(static_cast<v1::Space::Visibility>(IntField(f, "vis")));
  for (std::string& name : SplitList(StringField(f, "fac"))) {
    s.add_facilitators(std::move(name));
  }
  s.set_topic_count(static_cast<int32_t>(IntField(f, "topics")));
  s.set_state(static_cast<v1::Space::State>(IntField(f, "state")));
  if (IntField(f, "last") > 0) {
    *s.mutable_last_activity_time() = Stamp(IntField(f, "last"));
  }
  *s.mutable_create_time() = Stamp(IntField(f, "create_ms"));
  *s.mutable_update_time() = Stamp(IntField(f, "update_ms"));
  s.set_etag(StringField(f, "v"));
  return s;
}

// A space view script's answer as a record for `viewer`.
absl::StatusOr<SpaceRecord> ToSpaceRecord(const RedisReply& reply,
                                          absl::string_view viewer) {
  if (reply.is_nil()) return absl::NotFoundError("space");
  if (reply.elements.size() != 4) {
    return absl::InternalError("redis: unexpected space view");
  }
  CDC_ASSIGN_OR_RETURN(RecordFields fields, ToRecordFields(reply.elements[0]));
  SpaceRecord record;
  record.space = ToSpace(fields);
  record.version = IntField(fields, "v");
  record.create_request = StringField(fields, "req");
  record.space.set_member_count(
      static_cast<int32_t>(reply.elements[1].integer));
  const bool member = !reply.elements[2].str.empty();
  record.space.set_caller_is_member(member);
  const auto& f = record.space.facilitators();
  record.space.set_caller_is_facilitator(
      std::find(f.begin(), f.end(), viewer) != f.end());
  record.space.set_unread_count(
      member ? static_cast<int32_t>(reply.elements[3].integer) : 0);
  return record;
}

std::vector<std::pair<std::string, std::string>> SpaceFields(
    const v1::Space& s) {
  return {{"title", s.title()},
          {"desc", s.description()},
          {"vis", Num(s.visibility())},
          {"state", Num(s.state())},
          {"fac", absl::StrJoin(s.facilitators(), ",")},
          {"update_ms", Num(Ms(s.update_time()))}};
}

// A topic from its fields; the viewer's read position `read` ("" = none)
// and join time `joined` ("" = not a member) decide has_unread: activity
// after both.
TopicRecord ToTopicRecord(const RecordFields& f, int64_t post_count,
                          absl::string_view read, absl::string_view joined) {
  TopicRecord record;
  v1::Topic& t = record.topic;
  t.set_name(absl::StrCat("spaces/", StringField(f, "space"), "/topics/",
                          StringField(f, "id")));
  t.set_title(StringField(f, "title"));
  t.set_body(StringField(f, "body"));
  for (std::string& tag : SplitList(StringField(f, "tags"))) {
    t.add_tags(std::move(tag));
  }
  t.set_author(StringField(f, "author"));
  t.set_author_display_name(StringField(f, "a_name"));
  t.set_state(static_cast<v1::Topic::State>(IntField(f, "state")));
  t.set_pinned(IntField(f, "pin") == 1);
  t.set_post_count(static_cast<int32_t>(post_count));
  const int64_t last = IntField(f, "last");
  *t.mutable_last_activity_time() = Stamp(last);
  if (!read.empty()) *t.mutable_caller_last_read_time() = Stamp(ToInt(read));
  t.set_has_unread(last > std::max(ToInt(read), ToInt(joined)));
  *t.mutable_create_time() = Stamp(IntField(f, "create_ms"));
  *t.mutable_update_time() = Stamp(IntField(f, "update_ms"));
  t.set_etag(StringField(f, "v"));
  t.set_close_reason(StringField(f, "reason"));
  record.version = IntField(f, "v");
  return record;
}

std::vector<std::pair<std::string, std::string>> TopicFields(
    const v1::Topic& t) {
  return {{"title", t.title()},
          {"body", t.body()},
          {"tags", absl::StrJoin(t.tags(), ",")},
          {"state", Num(t.state())},
          {"pin", t.pinned() ? "1" : "0"},
          {"reason", t.close_reason()},
          {"update_ms", Num(Ms(t.update_time()))}};
}

// The words a topic is found by: its title counts most, then its tags.
TermWeights TopicTerms(const v1::Topic& t) {
  const std::string tags = absl::StrJoin(t.tags(), " ");
  return DocumentTerms({{t.title(), 3.0}, {tags, 2.0}, {t.body(), 1.0}});
}

ConversationRecord ToConversationRecord(const RecordFields& f,
                                        int64_t message_count,
                                        absl::string_view read) {
  ConversationRecord record;
  v1::Conversation& c = record.conversation;
  c.set_name(absl::StrCat("conversations/", StringField(f, "id")));
  for (std::string& p : SplitList(StringField(f, "parts"))) {
    c.add_participants(std::move(p));
  }
  c.set_subject(StringField(f, "subject"));
  c.set_creator(StringField(f, "creator"));
  c.set_message_count(static_cast<int32_t>(message_count));
  *c.mutable_last_activity_time() = Stamp(IntField(f, "last"));
  c.set_has_unread(IntField(f, "lm") > ToInt(read));
  if (!read.empty()) *c.mutable_caller_last_read_time() = Stamp(ToInt(read));
  *c.mutable_create_time() = Stamp(IntField(f, "create_ms"));
  record.version = IntField(f, "v");
  return record;
}

// Where a comment event applies, and how.
struct CommentChange {
  std::string target;   // the comment's target
  std::string comment;  // "comments/{c}"
  bool add = false;     // it counts from now on (else it stops counting)
  bool is_new = false;  // a new comment: moves the last activity
};

std::optional<CommentChange> ChangeOf(const v1::Event& e) {
  switch (e.payload_case()) {
    case v1::Event::kCommentCreated:
      return CommentChange{e.comment_created().comment().target(),
                           e.comment_created().comment().comment(), true, true};
    case v1::Event::kCommentReplied:
      return CommentChange{e.comment_replied().comment().target(),
                           e.comment_replied().comment().comment(), true, true};
    case v1::Event::kPrivateMessageSent:
      return CommentChange{e.private_message_sent().conversation(),
                           e.private_message_sent().comment(), true, true};
    case v1::Event::kCommentRestored:
      if (!e.comment_restored().was_hidden()) return std::nullopt;
      return CommentChange{e.comment_restored().comment().target(),
                           e.comment_restored().comment().comment(), true,
                           false};
    case v1::Event::kCommentHidden:
      return CommentChange{e.comment_hidden().comment().target(),
                           e.comment_hidden().comment().comment(), false,
                           false};
    case v1::Event::kCommentWithdrawn:
      return CommentChange{e.comment_withdrawn().comment().target(),
                           e.comment_withdrawn().comment().comment(), false,
                           false};
    default:
      return std::nullopt;
  }
}

}  // namespace

// One compare-and-set write in one shard (see ApplyScript).
struct CommunityStore::Write {
  explicit Write(int shard) : keys{EventStreamKey(shard)} {}

  // The KEYS index of `key`, added when new.
  std::string Key(const std::string& key) {
    auto it = std::find(keys.begin(), keys.end(), key);
    if (it == keys.end()) it = keys.insert(keys.end(), key);
    return Num(it - keys.begin() + 1);
  }
  void Guard(absl::string_view kind, const std::string& key,
             absl::string_view field, absl::string_view expected) {
    guards.insert(guards.end(), {std::string(kind), Key(key),
                                 std::string(field), std::string(expected)});
  }
  void Version(const std::string& key, int64_t version) {
    Guard("v", key, "", version == 0 ? "" : Num(version));
  }
  void Op(absl::string_view name, const std::string& key,
          std::initializer_list<std::string> args) {
    ops.push_back(std::string(name));
    ops.push_back(Key(key));
    ops.insert(ops.end(), args);
  }
  void HSet(const std::string& key,
            const std::vector<std::pair<std::string, std::string>>& fields) {
    ops.push_back("hset");
    ops.push_back(Key(key));
    ops.push_back(Num(2 * fields.size()));
    for (const auto& [field, value] : fields) {
      ops.push_back(field);
      ops.push_back(value);
    }
  }
  void IndexPut(absl::string_view doc, const TermWeights& terms) {
    ops.insert(ops.end(), {"iput", TopicIndexPrefix(), std::string(doc)});
    AppendTermArgs(terms, &ops);
  }

  std::vector<std::string> keys;
  std::vector<std::string> guards;  // four per guard
  std::vector<std::string> ops;
  std::string event;  // serialized; "" = none
};

CommunityStore::CommunityStore(RedisClient* redis, Options options)
    : redis_(redis), options_(options) {}

int CommunityStore::SpacesShard() { return SpacesShardOf(); }
int CommunityStore::ConversationsShard() { return ConversationsShardOf(); }

absl::Status CommunityStore::Apply(const Write& write) {
  std::vector<std::string> args = {Num(options_.event_stream_maxlen),
                                   write.event, Num(write.guards.size() / 4)};
  args.insert(args.end(), write.guards.begin(), write.guards.end());
  args.insert(args.end(), write.ops.begin(), write.ops.end());
  return redis_->Eval(ApplyScript(), write.keys, args).status();
}

absl::StatusOr<std::optional<std::string>> CommunityStore::FindRequest(
    absl::string_view member, absl::string_view scope,
    absl::string_view request_id) {
  CDC_ASSIGN_OR_RETURN(
      RedisReply reply,
      redis_->Command({"GET", RequestKey(member, scope, request_id)}));
  if (reply.is_nil()) return std::nullopt;
  return std::optional<std::string>(reply.str);
}

// ---- Spaces ----

absl::StatusOr<SpaceRecord> CommunityStore::GetSpace(absl::string_view id,
                                                     absl::string_view viewer,
                                                     bool count_unread) {
  CDC_ASSIGN_OR_RETURN(
      RedisReply reply,
      redis_->Eval(SpaceViewScript(),
                   {SpaceKey(id), MembersKey(id), TopicOrderKey(id),
                    TopicReadKey(viewer)},
                   {std::string(viewer), TopicPrefix(id), std::string(id),
                    count_unread ? "1" : "0", absl::StrCat(kUnreadCap)}));
  return ToSpaceRecord(reply, viewer);
}

absl::StatusOr<Page<SpaceRecord>> CommunityStore::ListSpaces(
    absl::string_view viewer, bool joined_only, v1::Space::State state,
    absl::string_view position, int page_size) {
  CDC_RETURN_IF_ERROR(CheckPosition(position));
  CDC_ASSIGN_OR_RETURN(
      RedisReply entries,
      redis_->Command({"ZRANGEBYLEX", SpaceIndexKey(),
                       position.empty() ? "-" : absl::StrCat("(", position),
                       "+"}));
  absl::flat_hash_set<std::string> joined;
  if (joined_only) {
    CDC_ASSIGN_OR_RETURN(RedisReply ids,
                         redis_->Command({"SMEMBERS", JoinedKey(viewer)}));
    for (RedisReply& id : ids.elements) joined.insert(std::move(id.str));
  }
  std::vector<std::string> candidates;
  for (RedisReply& entry : entries.elements) {
    if (joined_only && !joined.contains(IdOfIndexEntry(entry.str))) continue;
    candidates.push_back(std::move(entry.str));
  }
  // Views are read in batches until the page is full: most spaces match.
  Page<SpaceRecord> page;
  std::string last;
  size_t next = 0;
  while (next < candidates.size() &&
         page.items.size() < static_cast<size_t>(page_size)) {
    const size_t begin = next;
    const size_t end = std::min(candidates.size(), begin + page_size);
    std::vector<RedisClient::ScriptCall> calls;
    for (size_t i = begin; i < end; ++i) {
      const std::string id(IdOfIndexEntry(candidates[i]));
      calls.push_back({{SpaceKey(id), MembersKey(id), TopicOrderKey(id),
                        TopicReadKey(viewer)},
                       {std::string(viewer), TopicPrefix(id), id, "1",
                        absl::StrCat(kUnreadCap)}});
    }
    CDC_ASSIGN_OR_RETURN(auto replies,
                         redis_->EvalMany(SpaceViewScript(), calls));
    for (size_t i = begin; i < end; ++i) {
      if (page.items.size() == static_cast<size_t>(page_size)) break;
      last = candidates[i];
      next = i + 1;
      const auto& reply = replies[i - begin];
      CDC_RETURN_IF_ERROR(reply.status());
      absl::StatusOr<SpaceRecord> record = ToSpaceRecord(*reply, viewer);
      if (absl::IsNotFound(record.status())) continue;
      CDC_RETURN_IF_ERROR(record.status());
      if (record->space.state() != state) continue;
      page.items.push_back(*std::move(record));
    }
  }
  if (next < candidates.size()) page.next_position = last;
  return page;
}

absl::Status CommunityStore::CreateSpace(
    const v1::Space& space, const std::vector<v1::SpaceMember>& members,
    absl::string_view created_by, absl::string_view request_id,
    const v1::Event& event) {
  const std::string id = IdOf(space.name());
  Write write(SpacesShardOf());
  write.Version(SpaceKey(id), 0);
  auto fields = SpaceFields(space);
  fields.insert(fields.end(), {{"id", id},
                               {"topics", "0"},
                               {"last", "0"},
                               {"create_ms", Num(Ms(space.create_time()))},
                               {"req", std::string(request_id)},
                               {"by", std::string(created_by)},
                               {"v", "1"}});
  write.HSet(SpaceKey(id), fields);
  write.Op("zadd", SpaceIndexKey(), {SpaceIndexEntry(space.title(), id)});
  for (const v1::SpaceMember& m : members) {
    write.Op("hsetnx", MembersKey(id), {m.member(), Num(Ms(m.join_time()))});
    write.Op("hsetnx", MemberInfoKey(id), {m.member(), m.SerializeAsString()});
    write.Op("sadd", JoinedKey(m.member()), {id});
  }
  if (!request_id.empty()) {
    const std::string key = RequestKey(created_by, "space", request_id);
    write.Guard("x", key, "", "0");
    write.Op("setpx", key,
             {id, Num(absl::ToInt64Milliseconds(options_.request_id_ttl))});
  }
  write.event = event.SerializeAsString();
  return Apply(write);
}

absl::Status CommunityStore::UpdateSpace(
    const v1::Space& space, int64_t version,
    const std::vector<v1::SpaceMember>& new_members) {
  const std::string id = IdOf(space.name());
  CDC_ASSIGN_OR_RETURN(RedisReply title,
                       redis_->Command({"HGET", SpaceKey(id), "title"}));
  Write write(SpacesShardOf());
  write.Version(SpaceKey(id), version);
  write.HSet(SpaceKey(id), SpaceFields(space));
  write.Op("hincr", SpaceKey(id), {"v", "1"});
  // The version guard makes the title read above the one replaced.
  write.Op("zrem", SpaceIndexKey(), {SpaceIndexEntry(title.str, id)});
  write.Op("zadd", SpaceIndexKey(), {SpaceIndexEntry(space.title(), id)});
  for (const v1::SpaceMember& m : new_members) {
    write.Op("hsetnx", MembersKey(id), {m.member(), Num(Ms(m.join_time()))});
    write.Op("hsetnx", MemberInfoKey(id), {m.member(), m.SerializeAsString()});
    write.Op("sadd", JoinedKey(m.member()), {id});
  }
  return Apply(write);
}

absl::Status CommunityStore::AddMember(absl::string_view space_id,
                                       const v1::SpaceMember& member,
                                       int64_t version) {
  Write write(SpacesShardOf());
  write.Version(SpaceKey(space_id), version);
  write.Op("hsetnx", MembersKey(space_id),
           {member.member(), Num(Ms(member.join_time()))});
  write.Op("hsetnx", MemberInfoKey(space_id),
           {member.member(), member.SerializeAsString()});
  write.Op("sadd", JoinedKey(member.member()), {std::string(space_id)});
  return Apply(write);
}

absl::Status CommunityStore::RemoveMember(absl::string_view space_id,
                                          absl::string_view member,
                                          int64_t version) {
  const std::string name(member);
  Write write(SpacesShardOf());
  write.Version(SpaceKey(space_id), version);
  write.Guard("hx", MembersKey(space_id), name, "1");
  write.Op("hdel", MembersKey(space_id), {name});
  write.Op("hdel", MemberInfoKey(space_id), {name});
  write.Op("srem", JoinedKey(member), {std::string(space_id)});
  return Apply(write);
}

absl::StatusOr<std::optional<v1::SpaceMember>> CommunityStore::GetMember(
    absl::string_view space_id, absl::string_view member) {
  CDC_ASSIGN_OR_RETURN(
      RedisReply reply,
      redis_->Command({"HGET", MemberInfoKey(space_id), std::string(member)}));
  if (reply.is_nil()) return std::nullopt;
  v1::SpaceMember m;
  if (!m.ParseFromString(reply.str)) {
    return absl::DataLossError("a stored space member does not parse");
  }
  return m;
}

absl::StatusOr<std::vector<v1::SpaceMember>> CommunityStore::Members(
    absl::string_view space_id) {
  CDC_ASSIGN_OR_RETURN(RedisReply reply,
                       redis_->Command({"HVALS", MemberInfoKey(space_id)}));
  std::vector<v1::SpaceMember> members(reply.elements.size());
  for (size_t i = 0; i < members.size(); ++i) {
    if (!members[i].ParseFromString(reply.elements[i].str)) {
      return absl::DataLossError("a stored space member does not parse");
    }
  }
  return members;
}

// ---- Topics ----

absl::StatusOr<TopicRecord> CommunityStore::GetTopic(absl::string_view space_id,
                                                     absl::string_view topic_id,
                                                     absl::string_view viewer) {
  const std::string key = TopicKey(space_id, topic_id);
  CDC_ASSIGN_OR_RETURN(
      auto replies,
      redis_->Pipeline(
          {{"HGETALL", key},
           {"SCARD", key + ":p"},
           {"HGET", TopicReadKey(viewer), TopicReadField(space_id, topic_id)},
           {"HGET", MembersKey(space_id), std::string(viewer)}}));
  for (const auto& reply : replies) CDC_RETURN_IF_ERROR(reply.status());
  CDC_ASSIGN_OR_RETURN(RecordFields fields, ToRecordFields(*replies[0]));
  if (fields.empty()) return absl::NotFoundError("topic");
  return ToTopicRecord(fields, replies[1]->integer, replies[2]->str,
                       replies[3]->str);
}

absl::StatusOr<Page<TopicRecord>> CommunityStore::ListTopics(
    absl::string_view space_id, absl::string_view viewer,
    const TopicFilter& filter, absl::string_view position, int page_size) {
  CDC_RETURN_IF_ERROR(CheckPosition(position));
  CDC_ASSIGN_OR_RETURN(
      RedisReply reply,
      redis_->Eval(
          ListTopicsScript(),
          {TopicOrderKey(space_id), TopicReadKey(viewer), MembersKey(space_id)},
          {std::string(position), Num(page_size), Num(filter.state), filter.tag,
           filter.author, filter.unread_only ? "1" : "0", TopicPrefix(space_id),
           std::string(space_id), std::string(viewer), Num(kTopicScanBudget)}));
  if (reply.elements.size() != 3) {
    return absl::InternalError("redis: unexpected topic page");
  }
  Page<TopicRecord> page;
  page.next_position = reply.elements[0].str;
  const std::string& joined = reply.elements[1].str;
  for (const RedisReply& item : reply.elements[2].elements) {
    if (item.elements.size() != 3) {
      return absl::InternalError("redis: unexpected topic in page");
    }
    CDC_ASSIGN_OR_RETURN(RecordFields fields, ToRecordFields(item.elements[0]));
    page.items.push_back(ToTopicRecord(fields, item.elements[1].integer,
                                       item.elements[2].str, joined));
  }
  return page;
}

absl::Status CommunityStore::CreateTopic(const v1::Topic& topic,
                                         int64_t space_version,
                                         absl::string_view request_id,
                                         const v1::Event& event) {
  std::vector<absl::string_view> parts = absl::StrSplit(topic.name(), '/');
  if (parts.size() != 4) return absl::InternalError("topic name");
  const std::string space(parts[1]);
  const std::string id(parts[3]);
  const std::string key = TopicKey(space, id);
  const std::string created = Num(Ms(topic.create_time()));
  Write write(SpacesShardOf());
  write.Version(SpaceKey(space), space_version);
  write.Guard("hx", MembersKey(space), topic.author(), "1");
  write.Version(key, 0);
  auto fields = TopicFields(topic);
  fields.insert(fields.end(), {{"id", id},
                               {"space", space},
                               {"author", topic.author()},
                               {"a_name", topic.author_display_name()},
                               {"last", created},
                               {"create_ms", created},
                               {"v", "1"}});
  write.HSet(key, fields);
  write.Op("reorder", key, {write.Key(TopicOrderKey(space))});
  write.Op("hincr", SpaceKey(space), {"topics", "1"});
  write.Op("hmax", SpaceKey(space), {"last", created});
  write.Op("hmax", TopicReadKey(topic.author()),
           {TopicReadField(space, id), created});
  write.IndexPut(topic.name(), TopicTerms(topic));
  if (!request_id.empty()) {
    const std::string scope = absl::StrCat("spaces/", space);
    const std::string request = RequestKey(topic.author(), scope, request_id);
    write.Guard("x", request, "", "0");
    write.Op("setpx", request,
             {id, Num(absl::ToInt64Milliseconds(options_.request_id_ttl))});
  }
  write.event = event.SerializeAsString();
  return Apply(write);
}

absl::Status CommunityStore::UpdateTopic(const v1::Topic& topic,
                                         int64_t version, int64_t space_version,
                                         int topic_count_delta) {
  std::vector<absl::string_view> parts = absl::StrSplit(topic.name(), '/');
  if (parts.size() != 4) return absl::InternalError("topic name");
  const std::string space(parts[1]);
  const std::string key = TopicKey(space, parts[3]);
  Write write(SpacesShardOf());
  write.Version(SpaceKey(space), space_version);
  write.Version(key, version);
  write.HSet(key, TopicFields(topic));
  write.Op("hincr", key, {"v", "1"});
  write.Op("reorder", key, {write.Key(TopicOrderKey(space))});
  if (topic_count_delta != 0) {
    write.Op("hincr", SpaceKey(space), {"topics", Num(topic_count_delta)});
  }
  write.IndexPut(topic.name(), TopicTerms(topic));
  return Apply(write);
}

absl::Status CommunityStore::MarkTopicRead(absl::string_view space_id,
                                           absl::string_view topic_id,
                                           absl::string_view member,
                                           absl::Time time) {
  Write write(SpacesShardOf());
  write.Op("hmax", TopicReadKey(member),
           {TopicReadField(space_id, topic_id), Num(Ms(time))});
  return Apply(write);
}

absl::StatusOr<std::vector<std::string>> CommunityStore::ReadableSpaces(
    absl::string_view member, bool secretariat) {
  CDC_ASSIGN_OR_RETURN(RedisReply entries,
                       redis_->Command({"ZRANGE", SpaceIndexKey(), "0", "-1"}));
  std::vector<std::string> ids;
  std::vector<std::vector<std::string>> commands;
  for (const RedisReply& entry : entries.elements) {
    ids.emplace_back(IdOfIndexEntry(entry.str));
    commands.push_back({"HGET", SpaceKey(ids.back()), "vis"});
  }
  commands.push_back({"SMEMBERS", JoinedKey(member)});
  CDC_ASSIGN_OR_RETURN(auto replies, redis_->Pipeline(commands));
  for (const auto& reply : replies) CDC_RETURN_IF_ERROR(reply.status());
  absl::flat_hash_set<std::string> joined;
  for (const RedisReply& id : replies.back()->elements) joined.insert(id.str);
  std::vector<std::string> names;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (secretariat || joined.contains(ids[i]) ||
        ToInt(replies[i]->str) == v1::Space::OPEN) {
      names.push_back(absl::StrCat("spaces/", ids[i]));
    }
  }
  return names;
}

absl::StatusOr<std::pair<std::vector<TopicHit>, int64_t>>
CommunityStore::SearchTopics(const std::vector<std::string>& words,
                             absl::string_view member, bool secretariat,
                             absl::string_view space, int limit) {
  CDC_ASSIGN_OR_RETURN(std::vector<std::string> readable,
                       ReadableSpaces(member, secretariat));
  const absl::flat_hash_set<std::string> spaces(readable.begin(),
                                                readable.end());
  CDC_ASSIGN_OR_RETURN(
      WordMatches matches,
      SearchWords(*redis_, TopicIndexPrefix(), words, kSearchScan));
  std::vector<std::pair<std::string, double>> allowed;  // topic name, score
  for (const WordMatch& match : matches.best) {
    const absl::string_view doc = match.doc;
    const size_t topics = doc.find("/topics/");
    if (topics == absl::string_view::npos) continue;
    const absl::string_view of = doc.substr(0, topics);
    if (!spaces.contains(of) || (!space.empty() && of != space)) continue;
    allowed.emplace_back(match.doc, match.score);
  }
  const int64_t total = static_cast<int64_t>(allowed.size());
  if (allowed.size() > static_cast<size_t>(std::max(limit, 0))) {
    allowed.resize(std::max(limit, 0));
  }
  std::vector<std::vector<std::string>> commands;
  for (const auto& [name, score] : allowed) {
    std::vector<absl::string_view> parts = absl::StrSplit(name, '/');
    const std::string key = TopicKey(parts[1], parts[3]);
    commands.push_back({"HGETALL", key});
    commands.push_back({"SCARD", key + ":p"});
  }
  std::vector<TopicHit> hits;
  if (commands.empty()) return std::make_pair(hits, total);
  CDC_ASSIGN_OR_RETURN(auto replies, redis_->Pipeline(commands));
  for (size_t i = 0; i < allowed.size(); ++i) {
    CDC_RETURN_IF_ERROR(replies[2 * i].status());
    CDC_RETURN_IF_ERROR(replies[2 * i + 1].status());
    CDC_ASSIGN_OR_RETURN(RecordFields fields, ToRecordFields(*replies[2 * i]));
    if (fields.empty()) continue;
    TopicRecord record =
        ToTopicRecord(fields, replies[2 * i + 1]->integer, "", "");
    record.topic.clear_has_unread();
    hits.push_back({std::move(record.topic), allowed[i].second});
  }
  return std::make_pair(std::move(hits), total);
}

absl::StatusOr<int64_t> CommunityStore::RebuildSearchIndex() {
  return RebuildWordIndex(
      *redis_,
      WordIndexSource{
          .index_prefixes = {TopicIndexPrefix()},
          .index_match = TopicIndexPrefix() + "*",
          .record_match = TopicsRoot() + "*",
          .version_field = "v",
          // "<space>:<topic>"; the topic's own sets have one more part.
          .is_record =
              [](absl::string_view key) {
                if (!absl::StartsWith(key, TopicsRoot())) return false;
                const absl::string_view rest = key.substr(TopicsRoot().size());
                return std::count(rest.begin(), rest.end(), ':') == 1;
              },
          .document = [](const RecordFields& fields)
              -> absl::StatusOr<std::optional<IndexedDocument>> {
            const v1::Topic topic = ToTopicRecord(fields, 0, "", "").topic;
            return IndexedDocument{TopicIndexPrefix(), topic.name(),
                                   TopicTerms(topic)};
          },
      });
}

// ---- Conversations and blocks ----

absl::StatusOr<ConversationRecord> CommunityStore::GetConversation(
    absl::string_view id, absl::string_view viewer) {
  const std::string key = ConversationKey(id);
  CDC_ASSIGN_OR_RETURN(auto replies,
                       redis_->Pipeline({{"HGETALL", key},
                                         {"SCARD", key + ":p"},
                                         {"HGET", ConversationReadKey(viewer),
                                          std::string(id)}}));
  for (const auto& reply : replies) CDC_RETURN_IF_ERROR(reply.status());
  CDC_ASSIGN_OR_RETURN(RecordFields fields, ToRecordFields(*replies[0]));
  if (fields.empty()) return absl::NotFoundError("conversation");
  return ToConversationRecord(fields, replies[1]->integer, replies[2]->str);
}

absl::StatusOr<Page<ConversationRecord>> CommunityStore::ListConversations(
    absl::string_view viewer, absl::string_view position, int page_size) {
  CDC_RETURN_IF_ERROR(CheckPosition(position));
  CDC_ASSIGN_OR_RETURN(
      RedisReply entries,
      redis_->Command({"ZRANGEBYLEX", InboxKey(viewer),
                       position.empty() ? "-" : absl::StrCat("(", position),
                       "+", "LIMIT", "0", Num(page_size + 1)}));
  Page<ConversationRecord> page;
  const size_t shown =
      std::min(entries.elements.size(), static_cast<size_t>(page_size));
  if (entries.elements.size() > shown) {
    page.next_position = entries.elements[shown - 1].str;
  }
  std::vector<std::vector<std::string>> commands;
  std::vector<std::string> ids;
  for (size_t i = 0; i < shown; ++i) {
    ids.emplace_back(IdOfIndexEntry(entries.elements[i].str));
    const std::string key = ConversationKey(ids.back());
    commands.push_back({"HGETALL", key});
    commands.push_back({"SCARD", key + ":p"});
    commands.push_back({"HGET", ConversationReadKey(viewer), ids.back()});
  }
  if (commands.empty()) return page;
  CDC_ASSIGN_OR_RETURN(auto replies, redis_->Pipeline(commands));
  for (size_t i = 0; i < ids.size(); ++i) {
    for (size_t k = 3 * i; k < 3 * i + 3; ++k) {
      CDC_RETURN_IF_ERROR(replies[k].status());
    }
    CDC_ASSIGN_OR_RETURN(RecordFields fields, ToRecordFields(*replies[3 * i]));
    if (fields.empty()) continue;
    page.items.push_back(ToConversationRecord(
        fields, replies[3 * i + 1]->integer, replies[3 * i + 2]->str));
  }
  return page;
}

absl::Status CommunityStore::CreateConversation(const v1::Conversation& c,
                                                absl::string_view request_id) {
  const std::string id = IdOf(c.name());
  const std::string key = ConversationKey(id);
  const int64_t created = Ms(c.create_time());
  Write write(ConversationsShardOf());
  write.Version(key, 0);
  for (const std::string& other : c.participants()) {
    if (other == c.creator()) continue;
    write.Guard("hx", BlocksKey(c.creator()), other, "0");
    write.Guard("hx", BlocksKey(other), c.creator(), "0");
  }
  write.HSet(key, {{"id", id},
                   {"subject", c.subject()},
                   {"creator", c.creator()},
                   {"parts", absl::StrJoin(c.participants(), ",")},
                   {"create_ms", Num(created)},
                   {"last", Num(created)},
                   {"lm", "0"},
                   {"v", "1"}});
  for (const std::string& member : c.participants()) {
    write.Op("zadd", InboxKey(member), {InboxEntry(created, id)});
  }
  write.Op("hmax", ConversationReadKey(c.creator()), {id, Num(created)});
  if (!request_id.empty()) {
    const std::string request =
        RequestKey(c.creator(), "conversation", request_id);
    write.Guard("x", request, "", "0");
    write.Op("setpx", request,
             {id, Num(absl::ToInt64Milliseconds(options_.request_id_ttl))});
  }
  return Apply(write);
}

absl::Status CommunityStore::LeaveConversation(absl::string_view id,
                                               absl::string_view member,
                                               int64_t version) {
  CDC_ASSIGN_OR_RETURN(ConversationRecord current, GetConversation(id, member));
  if (current.version != version) {
    return absl::AbortedError(kConcurrentChange);
  }
  std::vector<std::string> remaining;
  for (const std::string& p : current.conversation.participants()) {
    if (p != member) remaining.push_back(p);
  }
  const std::string key = ConversationKey(id);
  Write write(ConversationsShardOf());
  write.Version(key, version);
  write.HSet(key, {{"parts", absl::StrJoin(remaining, ",")}});
  write.Op("hincr", key, {"v", "1"});
  write.Op("unbox", key, {write.Key(InboxKey(member))});
  write.Op("hdel", ConversationReadKey(member), {std::string(id)});
  return Apply(write);
}

absl::Status CommunityStore::MarkConversationRead(absl::string_view id,
                                                  absl::string_view member,
                                                  absl::Time time) {
  Write write(ConversationsShardOf());
  write.Op("hmax", ConversationReadKey(member),
           {std::string(id), Num(Ms(time))});
  return Apply(write);
}

absl::StatusOr<v1::BlockedMember> CommunityStore::Block(
    absl::string_view blocker, const v1::BlockedMember& blocked) {
  Write write(ConversationsShardOf());
  write.Op("hsetnx", BlocksKey(blocker),
           {blocked.member(), blocked.SerializeAsString()});
  CDC_RETURN_IF_ERROR(Apply(write));
  CDC_ASSIGN_OR_RETURN(
      RedisReply stored,
      redis_->Command({"HGET", BlocksKey(blocker), blocked.member()}));
  v1::BlockedMember out;
  // A block lifted between the two steps answers with what was asked.
  if (stored.is_nil()) return blocked;
  if (!out.ParseFromString(stored.str)) {
    return absl::DataLossError("a stored block does not parse");
  }
  return out;
}

absl::Status CommunityStore::Unblock(absl::string_view blocker,
                                     absl::string_view member) {
  Write write(ConversationsShardOf());
  write.Op("hdel", BlocksKey(blocker), {std::string(member)});
  return Apply(write);
}

absl::StatusOr<std::vector<v1::BlockedMember>> CommunityStore::Blocks(
    absl::string_view blocker) {
  CDC_ASSIGN_OR_RETURN(RedisReply reply,
                       redis_->Command({"HVALS", BlocksKey(blocker)}));
  std::vector<v1::BlockedMember> blocks(reply.elements.size());
  for (size_t i = 0; i < blocks.size(); ++i) {
    if (!blocks[i].ParseFromString(reply.elements[i].str)) {
      return absl::DataLossError("a stored block does not parse");
    }
  }
  return blocks;
}

absl::StatusOr<std::vector<bool>> CommunityStore::BlockedBy(
    const std::vector<std::string>& members, absl::string_view member) {
  std::vector<bool> out;
  if (members.empty()) return out;
  std::vector<std::vector<std::string>> commands;
  for (const std::string& m : members) {
    commands.push_back({"HEXISTS", BlocksKey(m), std::string(member)});
  }
  CDC_ASSIGN_OR_RETURN(auto replies, redis_->Pipeline(commands));
  for (const auto& reply : replies) {
    CDC_RETURN_IF_ERROR(reply.status());
    out.push_back(reply->integer == 1);
  }
  return out;
}

// ---- Activity ----

absl::Status CommunityStore::ApplyCommentEvent(const v1::Event& event) {
  const std::optional<CommentChange> change = ChangeOf(event);
  if (!change.has_value()) return absl::OkStatus();
  // "s3-1712345678901-0" -> "1712345678901-0": ordered within the shard,
  // which holds every event of one target.
  std::string stream_id;
  const size_t dash = event.id().find('-');
  if (dash != std::string::npos) stream_id = event.id().substr(dash + 1);
  const std::string comment = IdOf(change->comment);
  const std::string actor = event.actor();
  const std::string time = Num(Ms(event.time()));
  std::vector<absl::string_view> parts = absl::StrSplit(change->target, '/');
  std::vector<std::string> keys;
  std::vector<std::string> args;
  if (parts.size() == 4 && parts[0] == "spaces" && parts[2] == "topics") {
    const std::string key = TopicKey(parts[1], parts[3]);
    keys = {key,
            key + ":p",
            key + ":pe",
            TopicOrderKey(parts[1]),
            SpaceKey(parts[1]),
            TopicReadKey(actor)};
    args = {"t",
            comment,
            stream_id,
            change->add ? "add" : "remove",
            change->is_new ? "1" : "0",
            time,
            actor.empty() ? "" : TopicReadField(parts[1], parts[3]),
            ""};
  } else if (parts.size() == 2 && parts[0] == "conversations") {
    const std::string key = ConversationKey(parts[1]);
    keys = {key, key + ":p", key + ":pe", key, key, ConversationReadKey(actor)};
    args = {"c",
            comment,
            stream_id,
            change->add ? "add" : "remove",
            change->is_new ? "1" : "0",
            time,
            actor.empty() ? "" : std::string(parts[1]),
            InboxPrefix()};
  } else {
    return absl::OkStatus();
  }
  return redis_->Eval(ActivityScript(), keys, args).status();
}

std::function<absl::Status(const v1::Event&)> CommentActivityHandler(
    CommunityStore* store, LibraryStore* library) {
  return [store, library](const v1::Event& event) -> absl::Status {
    CDC_RETURN_IF_ERROR(store->ApplyCommentEvent(event));
    return library->ApplyCommentEvent(event);
  };
}

}  // namespace cdc::community
