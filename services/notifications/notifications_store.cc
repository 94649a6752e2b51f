#include "services/notifications/notifications_store.h"

#include <algorithm>
#include <map>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "services/common/keys.h"
#include "services/common/status_macros.h"

namespace cdc::notifications {
namespace {

constexpr absl::string_view kBroadcastTag = "{bc}";
// Members per Deliver script call: bounds one script's run time, so that a
// fan-out to thousands of followers never holds Redis for long.
constexpr size_t kDeliverBatch = 200;

int MemberShard(absl::string_view member_id) { return ShardOfText(member_id); }

std::string MemberKey(absl::string_view member_id, absl::string_view kind) {
  return absl::StrCat("notif:", ShardTag(MemberShard(member_id)), ":", kind,
                      ":", member_id);
}

// The five keys of an inbox, in the order the scripts expect.
std::vector<std::string> InboxKeys(absl::string_view member_id) {
  return {MemberKey(member_id, "inbox"), MemberKey(member_id, "unread"),
          MemberKey(member_id, "body"), MemberKey(member_id, "seen"),
          MemberKey(member_id, "meta")};
}

std::string FollowersKey(absl::string_view target) {
  return absl::StrCat("notif:", ShardTag(ShardOfText(target)),
                      ":followers:", target);
}

std::string BroadcastKey(absl::string_view kind) {
  return absl::StrCat("notif:", kBroadcastTag, ":", kind);
}

// Adds notifications to inboxes of one shard. ARGV: capacity, broadcast
// cursor mode ("" | "init": set where unset | "advance": raise), cursor
// value, M, M member ids, B, B x (event id, event type, body), then pairs
// (member index, body index). KEYS: five per member (InboxKeys order).
// Publishes the live hint (see ParseLiveHint): with one body for all, the
// hint carries it and each member's new number, so that a live stream can
// be sent it without reading it back.
const RedisScript& DeliverScript() {
  static const RedisScript* script = new RedisScript(R"lua(
local cap = tonumber(ARGV[1])
local mode, cursor = ARGV[2], ARGV[3]
local m = tonumber(ARGV[4])
local p = 5 + m
local b = tonumber(ARGV[p])
p = p + 1
local bodies = {}
for j = 1, b do
  bodies[j] = {ARGV[p], ARGV[p + 1], ARGV[p + 2]}
  p = p + 3
end
local delivered, told, numbered = {}, {}, {}
while p <= #ARGV do
  local i, j = tonumber(ARGV[p]), tonumber(ARGV[p + 1])
  p = p + 2
  local k = (i - 1) * 5
  local inbox, unread, body, seen, meta =
    KEYS[k + 1], KEYS[k + 2], KEYS[k + 3], KEYS[k + 4], KEYS[k + 5]
  local ev = bodies[j]
  local off = redis.call('HGET', meta, 'off') or ''
  if not redis.call('ZSCORE', seen, ev[1]) and
     not string.find(off, ',' .. ev[2] .. ',', 1, true) then
    local seq = redis.call('HINCRBY', meta, 'seq', 1)
    redis.call('ZADD', inbox, seq, seq)
    redis.call('ZADD', unread, seq, seq)
    redis.call('HSET', body, seq, ev[3])
    redis.call('ZADD', seen, seq, ev[1])
    local n = redis.call('ZCARD', inbox)
    if n > cap then
      local gone = redis.call('ZRANGE', inbox, 0, n - cap - 1)
      local last = gone[#gone]
      redis.call('HDEL', body, unpack(gone))
      redis.call('ZREMRANGEBYRANK', inbox, 0, n - cap - 1)
      redis.call('ZREMRANGEBYSCORE', unread, '-inf', last)
      redis.call('ZREMRANGEBYSCORE', seen, '-inf', last)
      redis.call('HSET', meta, 'trimmed', last)
    end
    if not told[i] then
      told[i] = true
      delivered[#delivered + 1] = ARGV[4 + i]
      numbered[#numbered + 1] = ARGV[4 + i] .. ':' .. seq
    end
  end
end
for i = 1, m do
  local meta = KEYS[(i - 1) * 5 + 5]
  if mode == 'init' then
    redis.call('HSETNX', meta, 'bcast', cursor)
  elseif mode == 'advance' then
    local now = tonumber(redis.call('HGET', meta, 'bcast') or '0')
    if tonumber(cursor) > now then redis.call('HSET', meta, 'bcast', cursor) end
  end
end
if #delivered > 0 and b == 1 then
  redis.call('PUBLISH', 'notifications:live',
             '+' .. table.concat(numbered, ',') .. '\n' .. bodies[1][3])
elseif #delivered > 0 then
  redis.call('PUBLISH', 'notifications:live', table.concat(delivered, ','))
end
return delivered
)lua");
  return *script;
}

// KEYS: seq, log, events, audiences. ARGV: event id, consultation,
// audience to store ("" keeps the stored one), kind ("S" | "R"), body,
// capacity. Returns the broadcast's number (0 when already recorded).
const RedisScript& BroadcastScript() {
  static const RedisScript* script = new RedisScript(R"lua(
if redis.call('ZSCORE', KEYS[3], ARGV[1]) then return 0 end
local audience = 'S'
if ARGV[4] == 'R' then
  if ARGV[3] ~= '' then redis.call('HSET', KEYS[4], ARGV[2], ARGV[3]) end
  local known = redis.call('HGET', KEYS[4], ARGV[2])
  if not known then
    -- Not everyone: the round's RoundOpened has not been seen (yet).
    return redis.error_reply('FAILED_PRECONDITION audience of ' .. ARGV[2] .. ' unknown')
  end
  audience = 'R' .. known
end
local n = redis.call('INCR', KEYS[1])
redis.call('HSET', KEYS[2], n, audience .. '\n' .. ARGV[5])
redis.call('ZADD', KEYS[3], n, ARGV[1])
local old = n - tonumber(ARGV[6])
if old > 0 then
  redis.call('HDEL', KEYS[2], old)
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', old)
end
redis.call('PUBLISH', 'notifications:broadcast', n)
return n
)lua");
  return *script;
}

// KEYS: inbox, unread, body, seen, meta. ARGV: "desc" | "asc", exclusive
// bound ("" = open), limit, unread only ("1" | "0"). Returns
// {{seq, body, unread}...}, last seq, trimmed, unread count.
const RedisScript& ListScript() {
  static const RedisScript* script = new RedisScript(R"lua(
local source = KEYS[1]
if ARGV[4] == '1' then source = KEYS[2] end
local seqs
if ARGV[1] == 'desc' then
  local top = '+inf'
  if ARGV[2] ~= '' then top = '(' .. ARGV[2] end
  seqs = redis.call('ZREVRANGEBYSCORE', source, top, '-inf', 'LIMIT', 0, ARGV[3])
else
  seqs = redis.call('ZRANGEBYSCORE', source, '(' .. ARGV[2], '+inf', 'LIMIT', 0, ARGV[3])
end
local items = {}
for _, s in ipairs(seqs) do
  local unread = 0
  if redis.call('ZSCORE', KEYS[2], s) then unread = 1 end
  items[#items + 1] = {s, redis.call('HGET', KEYS[3], s) or '', unread}
end
local meta = redis.call('HMGET', KEYS[5], 'seq', 'trimmed')
return {items, meta[1] or '0', meta[2] or '0', redis.call('ZCARD', KEYS[2])}
)lua");
  return *script;
}

// KEYS: inbox, unread, body. ARGV: seq.
const RedisScript& MarkReadScript() {
  static const RedisScript* script = new RedisScript(R"lua(
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  return redis.error_reply('NOT_FOUND notification not in this inbox')
end
redis.call('ZREM', KEYS[2], ARGV[1])
return redis.call('HGET', KEYS[3], ARGV[1]) or ''
)lua");
  return *script;
}

// KEYS: inbox, unread. ARGV: up to ("" = everything).
const RedisScript& MarkAllReadScript() {
  static const RedisScript* script = new RedisScript(R"lua(
local top = '+inf'
if ARGV[1] ~= '' then
  if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then
    return redis.error_reply('INVALID_ARGUMENT up_to: not in this inbox')
  end
  top = ARGV[1]
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', top)
return 1
)lua");
  return *script;
}

// KEYS: meta. ARGV: expected etag ("" = any), off list, time (ms).
const RedisScript& SetPreferencesScript() {
  static const RedisScript* script = new RedisScript(R"lua(
local version = redis.call('HGET', KEYS[1], 'pver') or '0'
if ARGV[1] ~= '' and ARGV[1] ~= 'p' .. version then
  return redis.error_reply('ABORTED preferences changed since read; read them again')
end
version = redis.call('HINCRBY', KEYS[1], 'pver', 1)
redis.call('HSET', KEYS[1], 'off', ARGV[2], 'pms', ARGV[3])
return version
)lua");
  return *script;
}

// KEYS: follows, titles. ARGV: target, title, time (ms), max.
// Returns {time, title} of the follow.
const RedisScript& AddFollowScript() {
  static const RedisScript* script = new RedisScript(R"lua(
local existing = redis.call('ZSCORE', KEYS[1], ARGV[1])
if existing then
  return {existing, redis.call('HGET', KEYS[2], ARGV[1]) or ''}
end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then
  return redis.error_reply('RESOURCE_EXHAUSTED follows: at most ' .. ARGV[4])
end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
return {ARGV[3], ARGV[2]}
)lua");
  return *script;
}

// KEYS: follows, titles. ARGV: target.
const RedisScript& RemoveFollowScript() {
  static const RedisScript* script = new RedisScript(R"lua(
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
return 1
)lua");
  return *script;
}

int64_t ToInt(const RedisReply& reply) {
  absl::StatusOr<int64_t> value = ReplyInteger(reply);
  return value.ok() ? *value : 0;
}

absl::StatusOr<InboxSlice> ParseSlice(absl::string_view member_id,
                                      const RedisReply& reply) {
  if (reply.elements.size() != 4 ||
      reply.elements[0].type != RedisReply::Type::kArray) {
    return absl::InternalError("notifications: malformed inbox reply");
  }
  InboxSlice slice;
  for (const RedisReply& row : reply.elements[0].elements) {
    if (row.elements.size() != 3) {
      return absl::InternalError("notifications: malformed inbox row");
    }
    InboxItem& item = slice.items.emplace_back();
    item.seq = ToInt(row.elements[0]);
    if (!item.notification.ParseFromString(row.elements[1].str)) {
      return absl::DataLossError(
          absl::StrCat("notifications: unreadable notification ", item.seq,
                       " of ", member_id));
    }
    item.notification.set_name(
        absl::StrCat("members/", member_id, "/notifications/", item.seq));
    item.notification.set_read(ToInt(row.elements[2]) == 0);
  }
  slice.last_seq = ToInt(reply.elements[1]);
  slice.trimmed_through = ToInt(reply.elements[2]);
  slice.unread_count = ToInt(reply.elements[3]);
  return slice;
}

// "1,2;KEN,FRA": a round audience as the broadcast log keeps it.
std::string EncodeAudience(const v1::Audience& audience) {
  std::vector<int> types(audience.organisation_types().begin(),
                         audience.organisation_types().end());
  return absl::StrCat(absl::StrJoin(types, ","), ";",
                      absl::StrJoin(audience.countries(), ","));
}

v1::Audience DecodeAudience(absl::string_view text) {
  v1::Audience audience;
  std::pair<absl::string_view, absl::string_view> parts =
      absl::StrSplit(text, absl::MaxSplits(';', 1));
  for (absl::string_view type : absl::StrSplit(parts.first, ',')) {
    int value;
    if (absl::SimpleAtoi(type, &value)) {
      audience.add_organisation_types(static_cast<v1::OrganisationType>(value));
    }
  }
  for (absl::string_view country :
       absl::StrSplit(parts.second, ',', absl::SkipEmpty())) {
    audience.add_countries(std::string(country));
  }
  return audience;
}

}  // namespace

LiveHint ParseLiveHint(absl::string_view message) {
  LiveHint hint;
  if (!absl::ConsumePrefix(&message, "+")) {
    for (absl::string_view id :
         absl::StrSplit(message, ',', absl::SkipEmpty())) {
      hint.members.push_back({.member_id = std::string(id)});
    }
    return hint;
  }
  // Without its notification (malformed), the members are still woken,
  // to read their inboxes.
  const size_t newline = message.find('\n');
  auto notification = std::make_shared<v1::Notification>();
  if (newline != absl::string_view::npos &&
      notification->ParseFromArray(
          message.data() + newline + 1,
          static_cast<int>(message.size() - newline - 1))) {
    hint.notification = std::move(notification);
  }
  for (absl::string_view entry :
       absl::StrSplit(message.substr(0, newline), ',', absl::SkipEmpty())) {
    const size_t colon = entry.rfind(':');
    LiveHint::Delivered& delivered = hint.members.emplace_back();
    delivered.member_id = std::string(entry.substr(0, colon));
    if (colon == absl::string_view::npos ||
        !absl::SimpleAtoi(entry.substr(colon + 1), &delivered.seq) ||
        delivered.seq < 0 || hint.notification == nullptr) {
      delivered.seq = 0;
    }
  }
  return hint;
}

NotificationsStore::NotificationsStore(RedisClient* redis, Options options)
    : redis_(redis), options_(options) {}

absl::StatusOr<std::vector<std::string>> NotificationsStore::Deliver(
    const std::vector<std::string>& member_ids,
    const v1::Notification& notification,
    std::optional<int64_t> init_broadcast_cursor) {
  std::map<int, std::vector<std::string>> by_shard;
  for (const std::string& id : member_ids) {
    by_shard[MemberShard(id)].push_back(id);
  }
  const std::string body = notification.SerializeAsString();
  const std::string type = std::to_string(notification.event_type());
  std::vector<RedisClient::ScriptCall> calls;
  for (const auto& [shard, ids] : by_shard) {
    for (size_t start = 0; start < ids.size(); start += kDeliverBatch) {
      const size_t end = std::min(ids.size(), start + kDeliverBatch);
      RedisClient::ScriptCall& call = calls.emplace_back();
      call.args = {std::to_string(options_.inbox_capacity),
                   init_broadcast_cursor ? "init" : "",
                   std::to_string(init_broadcast_cursor.value_or(0)),
                   std::to_string(end - start)};
      for (size_t i = start; i < end; ++i) {
        for (std::string& key : InboxKeys(ids[i])) {
          call.keys.push_back(std::move(key));
        }
        call.args.push_back(ids[i]);
      }
      call.args.insert(call.args.end(),
                       {"1", notification.event_id(), type, body});
      for (size_t i = start; i < end; ++i) {
        call.args.push_back(std::to_string(i - start + 1));
        call.args.push_back("1");
      }
    }
  }
  std::vector<std::string> delivered;
  if (calls.empty()) return delivered;
  CDC_ASSIGN_OR_RETURN(auto results, redis_->EvalMany(DeliverScript(), calls));
  for (auto& result : results) {
    CDC_RETURN_IF_ERROR(result.status());
    for (const RedisReply& id : result->elements) delivered.push_back(id.str);
  }
  return delivered;
}

absl::Status NotificationsStore::AddBroadcast(
    const v1::Notification& notification, Broadcast kind,
    absl::string_view consultation, const v1::Audience* round_audience) {
  return redis_
      ->Eval(BroadcastScript(),
             {BroadcastKey("seq"), BroadcastKey("log"), BroadcastKey("events"),
              BroadcastKey("audiences")},
             {notification.event_id(), std::string(consultation),
              round_audience != nullptr ? EncodeAudience(*round_audience) : "",
              kind == Broadcast::kSecretariat ? "S" : "R",
              notification.SerializeAsString(),
              std::to_string(options_.broadcast_capacity)})
      .status();
}

absl::StatusOr<int64_t> NotificationsStore::LastBroadcast() {
  CDC_ASSIGN_OR_RETURN(RedisReply reply,
                       redis_->Command({"GET", BroadcastKey("seq")}));
  return reply.is_nil() ? 0 : ReplyInteger(reply);
}

absl::Status NotificationsStore::CatchUpBroadcasts(
    absl::string_view member_id,
    const std::function<bool(const BroadcastEntry&)>& admits) {
  CDC_ASSIGN_OR_RETURN(
      auto positions,
      redis_->Pipeline({{"GET", BroadcastKey("seq")},
                        {"HGET", MemberKey(member_id, "meta"), "bcast"}}));
  CDC_RETURN_IF_ERROR(positions[0].status());
  CDC_RETURN_IF_ERROR(positions[1].status());
  const int64_t last = ToInt(*positions[0]);
  if (positions[1]->is_nil()) {
    // An inbox without a position (its member joined before this service
    // ran, or reads before their approval is processed) starts at the end
    // rather than inheriting up to broadcast_capacity old broadcasts.
    return redis_
        ->Command({"HSETNX", MemberKey(member_id, "meta"), "bcast",
                   std::to_string(last)})
        .status();
  }
  const int64_t read = ToInt(*positions[1]);
  if (read >= last) return absl::OkStatus();

  const int64_t first =
      std::max(read + 1, last - options_.broadcast_capacity + 1);
  std::vector<std::string> hmget = {"HMGET", BroadcastKey("log")};
  for (int64_t n = first; n <= last; ++n) hmget.push_back(std::to_string(n));
  CDC_ASSIGN_OR_RETURN(RedisReply entries, redis_->Command(hmget));

  RedisClient::ScriptCall call;
  call.keys = InboxKeys(member_id);
  std::vector<std::string> bodies;
  for (size_t i = 0; i < entries.elements.size(); ++i) {
    const RedisReply& raw = entries.elements[i];
    if (raw.is_nil()) continue;  // dropped by the cap meanwhile
    const size_t newline = raw.str.find('\n');
    if (newline == std::string::npos || newline == 0) continue;
    BroadcastEntry entry;
    entry.number = first + static_cast<int64_t>(i);
    entry.kind =
        raw.str[0] == 'S' ? Broadcast::kSecretariat : Broadcast::kRoundAudience;
    if (entry.kind == Broadcast::kRoundAudience) {
      entry.audience =
          DecodeAudience(absl::string_view(raw.str).substr(1, newline - 1));
    }
    if (!entry.notification.ParseFromString(raw.str.substr(newline + 1))) {
      return absl::DataLossError(
          absl::StrCat("notifications: unreadable broadcast ", entry.number));
    }
    if (!admits(entry)) continue;
    bodies.push_back(entry.notification.event_id());
    bodies.push_back(std::to_string(entry.notification.event_type()));
    bodies.push_back(raw.str.substr(newline + 1));
  }
  const size_t count = bodies.size() / 3;
  call.args = {std::to_string(options_.inbox_capacity),
               "advance",
               std::to_string(last),
               "1",
               std::string(member_id),
               std::to_string(count)};
  call.args.insert(call.args.end(), bodies.begin(), bodies.end());
  for (size_t j = 1; j <= count; ++j) {
    call.args.push_back("1");
    call.args.push_back(std::to_string(j));
  }
  return redis_->Eval(DeliverScript(), call.keys, call.args).status();
}

absl::StatusOr<std::vector<std::string>> NotificationsStore::Followers(
    absl::string_view target) {
  CDC_ASSIGN_OR_RETURN(RedisReply reply,
                       redis_->Command({"SMEMBERS", FollowersKey(target)}));
  std::vector<std::string> ids;
  ids.reserve(reply.elements.size());
  for (RedisReply& id : reply.elements) ids.push_back(std::move(id.str));
  std::sort(ids.begin(), ids.end());
  return ids;
}

absl::StatusOr<InboxSlice> NotificationsStore::ListNewest(
    absl::string_view member_id, int64_t before, int limit, bool unread_only) {
  CDC_ASSIGN_OR_RETURN(
      RedisReply reply,
      redis_->Eval(ListScript(), InboxKeys(member_id),
                   {"desc", before > 0 ? std::to_string(before) : "",
                    std::to_string(limit), unread_only ? "1" : "0"}));
  return ParseSlice(member_id, reply);
}

absl::StatusOr<InboxSlice> NotificationsStore::ListAfter(
    absl::string_view member_id, int64_t after, int limit) {
  CDC_ASSIGN_OR_RETURN(
      RedisReply reply,
      redis_->Eval(ListScript(), InboxKeys(member_id),
                   {"asc", std::to_string(after), std::to_string(limit), "0"}));
  return ParseSlice(member_id, reply);
}

absl::StatusOr<std::vector<absl::StatusOr<InboxSlice>>>
NotificationsStore::ListAfterMany(const std::vector<InboxRead>& reads) {
  std::vector<absl::StatusOr<InboxSlice>> slices;
  if (reads.empty()) return slices;
  std::vector<RedisClient::ScriptCall> calls;
  calls.reserve(reads.size());
  for (const InboxRead& read : reads) {
    calls.push_back(
        RedisClient::ScriptCall{.keys = InboxKeys(read.member_id),
                                .args = {"asc", std::to_string(read.after),
                                         std::to_string(read.limit), "0"}});
  }
  CDC_ASSIGN_OR_RETURN(auto replies, redis_->EvalMany(ListScript(), calls));
  if (replies.size() != reads.size()) {
    return absl::InternalError("notifications: replies do not match reads");
  }
  slices.reserve(replies.size());
  for (size_t i = 0; i < replies.size(); ++i) {
    if (!replies[i].ok()) {
      slices.push_back(replies[i].status());
    } else {
      slices.push_back(ParseSlice(reads[i].member_id, *replies[i]));
    }
  }
  return slices;
}

absl::StatusOr<InboxItem> NotificationsStore::MarkRead(
    absl::string_view member_id, int64_t seq) {
  const std::vector<std::string> keys = InboxKeys(member_id);
  CDC_ASSIGN_OR_RETURN(
      RedisReply reply,
      redis_->Eval(MarkReadScript(), {keys[0], keys[1], keys[2]},
                   {std::to_string(seq)}));
  InboxItem item;
  item.seq = seq;
  if (!item.notification.ParseFromString(reply.str)) {
    return absl::DataLossError("notifications: unreadable notification");
  }
  item.notification.set_name(
      absl::StrCat("members/", member_id, "/notifications/", seq));
  item.notification.set_read(true);
  return item;
}

absl::Status NotificationsStore::MarkAllRead(absl::string_view member_id,
                                             int64_t up_to) {
  const std::vector<std::string> keys = InboxKeys(member_id);
  return redis_
      ->Eval(MarkAllReadScript(), {keys[0], keys[1]},
             {up_to > 0 ? std::to_string(up_to) : ""})
      .status();
}

absl::StatusOr<Preferences> NotificationsStore::GetPreferences(
    absl::string_view member_id) {
  CDC_ASSIGN_OR_RETURN(RedisReply reply,
                       redis_->Command({"HMGET", MemberKey(member_id, "meta"),
                                        "off", "pver", "pms"}));
  Preferences preferences;
  for (absl::string_view type :
       absl::StrSplit(reply.elements[0].str, ',', absl::SkipEmpty())) {
    int value;
    if (absl::SimpleAtoi(type, &value)) preferences.disabled.push_back(value);
  }
  std::sort(preferences.disabled.begin(), preferences.disabled.end());
  preferences.etag = absl::StrCat(
      "p", reply.elements[1].is_nil() ? "0" : reply.elements[1].str);
  preferences.update_ms = ToInt(reply.elements[2]);
  return preferences;
}

absl::StatusOr<Preferences> NotificationsStore::SetPreferences(
    absl::string_view member_id, const std::vector<int>& disabled,
    absl::string_view expected_etag, int64_t now_ms) {
  std::vector<int> sorted = disabled;
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  const std::string off =
      sorted.empty() ? "" : absl::StrCat(",", absl::StrJoin(sorted, ","), ",");
  CDC_ASSIGN_OR_RETURN(
      RedisReply version,
      redis_->Eval(SetPreferencesScript(), {MemberKey(member_id, "meta")},
                   {std::string(expected_etag), off, std::to_string(now_ms)}));
  return Preferences{.disabled = std::move(sorted),
                     .etag = absl::StrCat("p", ToInt(version)),
                     .update_ms = now_ms};
}

absl::StatusOr<Follow> NotificationsStore::AddFollow(
    absl::string_view member_id, absl::string_view target,
    absl::string_view title, int64_t now_ms) {
  CDC_ASSIGN_OR_RETURN(
      RedisReply reply,
      redis_->Eval(
          AddFollowScript(),
          {MemberKey(member_id, "follows"), MemberKey(member_id, "titles")},
          {std::string(target), std::string(title), std::to_string(now_ms),
           std::to_string(options_.max_follows)}));
  // The followers set is in the target's shard, so it cannot join the
  // script above. Adding it every time (also for an existing follow)
  // repairs a follow whose second step was lost.
  CDC_RETURN_IF_ERROR(
      redis_->Command({"SADD", FollowersKey(target), std::string(member_id)})
          .status());
  if (reply.elements.size() != 2) {
    return absl::InternalError("notifications: malformed follow reply");
  }
  return Follow{.target = std::string(target),
                .title = reply.elements[1].str,
                .create_ms = ToInt(reply.elements[0])};
}

absl::Status NotificationsStore::RemoveFollow(absl::string_view member_id,
                                              absl::string_view target) {
  // Followers first: once it is gone nothing more is delivered, and a
  // retry of a half-done removal finishes the rest.
  CDC_RETURN_IF_ERROR(
      redis_->Command({"SREM", FollowersKey(target), std::string(member_id)})
          .status());
  return redis_
      ->Eval(RemoveFollowScript(),
             {MemberKey(member_id, "follows"), MemberKey(member_id, "titles")},
             {std::string(target)})
      .status();
}

absl::StatusOr<std::vector<Follow>> NotificationsStore::Follows(
    absl::string_view member_id) {
  CDC_ASSIGN_OR_RETURN(
      auto replies,
      redis_->Pipeline({{"ZREVRANGE", MemberKey(member_id, "follows"), "0",
                         "-1", "WITHSCORES"},
                        {"HGETALL", MemberKey(member_id, "titles")}}));
  CDC_RETURN_IF_ERROR(replies[0].status());
  CDC_RETURN_IF_ERROR(replies[1].status());
  std::map<std::string, std::string> titles;
  const auto& pairs = replies[1]->elements;
  for (size_t i = 0; i + 1 < pairs.size(); i += 2) {
    titles[pairs[i].str] = pairs[i + 1].str;
  }
  std::vector<Follow> follows;
  const auto& rows = replies[0]->elements;
  for (size_t i = 0; i + 1 < rows.size(); i += 2) {
    Follow& f = follows.emplace_back();
    f.target = rows[i].str;
    f.title = titles[f.target];
    f.create_ms = ToInt(rows[i + 1]);
  }
  return follows;
}

absl::StatusOr<std::vector<std::vector<StreamEntry>>>
NotificationsStore::ReadStreams(const EventCursor& cursor, int count) {
  std::vector<std::vector<std::string>> commands;
  for (int shard = 0; shard < kShardCount; ++shard) {
    commands.push_back({"XRANGE", EventStreamKey(shard),
                        absl::StrCat("(", cursor.positions[shard].ToString()),
                        "+", "COUNT", std::to_string(count)});
  }
  CDC_ASSIGN_OR_RETURN(auto results, redis_->Pipeline(commands));
  std::vector<std::vector<StreamEntry>> out(kShardCount);
  for (int shard = 0; shard < kShardCount; ++shard) {
    CDC_RETURN_IF_ERROR(results[shard].status());
    CDC_ASSIGN_OR_RETURN(out[shard],
                         ParseStreamEntries(shard, *results[shard]));
  }
  return out;
}

absl::StatusOr<EventCursor> NotificationsStore::LatestPositions() {
  std::vector<std::vector<std::string>> commands;
  for (int shard = 0; shard < kShardCount; ++shard) {
    commands.push_back(
        {"XREVRANGE", EventStreamKey(shard), "+", "-", "COUNT", "1"});
  }
  CDC_ASSIGN_OR_RETURN(auto results, redis_->Pipeline(commands));
  EventCursor cursor;
  for (int shard = 0; shard < kShardCount; ++shard) {
    CDC_RETURN_IF_ERROR(results[shard].status());
    if (!results[shard]->elements.empty()) {
      CDC_ASSIGN_OR_RETURN(
          cursor.positions[shard],
          ParseStreamId(results[shard]->elements[0].elements[0].str));
    }
  }
  return cursor;
}

absl::Status NotificationsStore::CheckRetained(const EventCursor& cursor) {
  std::vector<std::vector<std::string>> commands;
  for (int shard = 0; shard < kShardCount; ++shard) {
    commands.push_back({"XINFO", "STREAM", EventStreamKey(shard)});
  }
  CDC_ASSIGN_OR_RETURN(auto results, redis_->Pipeline(commands));
  for (int shard = 0; shard < kShardCount; ++shard) {
    const StreamId& position = cursor.positions[shard];
    if (!results[shard].ok() || position == StreamId{}) continue;
    // Trimming (XADD MAXLEN) does not move max-deleted-entry-id, so judge
    // by what is kept: entries were dropped (more added than kept) and the
    // oldest kept one is after the position. A reader whose own last entry
    // was the newest one dropped is told too; restarting is safe.
    int64_t added = 0, length = 0;
    std::optional<StreamId> first;
    const auto& fields = results[shard]->elements;
    for (size_t i = 0; i + 1 < fields.size(); i += 2) {
      const RedisReply& value = fields[i + 1];
      if (fields[i].str == "entries-added") added = ToInt(value);
      if (fields[i].str == "length") length = ToInt(value);
      if (fields[i].str == "first-entry" && !value.elements.empty()) {
        CDC_ASSIGN_OR_RETURN(first, ParseStreamId(value.elements[0].str));
      }
    }
    if (added > length && first.has_value() && position < *first) {
      return absl::OutOfRangeError(
          "cursor: older than the event streams keep; start again with "
          "start = EARLIEST");
    }
  }
  return absl::OkStatus();
}

}  // namespace cdc::notifications
