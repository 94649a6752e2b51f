#include "services/members/members_store.h"

#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <functional>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "services/common/crypto.h"
#include "services/common/keys.h"
#include "services/common/shard_index.h"
#include "services/common/status_macros.h"

namespace cdc::members {
namespace {

using google::protobuf::util::TimeUtil;
using Fields = RecordFields;

// Appends the event to the shard's stream. Every write script starts with
// this; ARGV[1] is the stream's cap, ARGV[2] the serialized cdc.v1.Event
// (empty: this write has none).
constexpr absl::string_view kPrelude = R"lua(
local function emit(stream)
  if ARGV[2] ~= '' then
    redis.call('XADD', stream, 'MAXLEN', '~', ARGV[1], '*', 'event', ARGV[2])
  end
end
)lua";

std::string WithPrelude(absl::string_view body) {
  return absl::StrCat(kPrelude, body);
}

// KEYS: member, email index, directory, apply request, events.
// ARGV: 3 member id, 4 directory entry, 5 request ttl ms, 6 has request
// ("1"/"0"), 7.. member fields.
const RedisScript& CreateMemberScript() {
  static const RedisScript* const script = new RedisScript(WithPrelude(R"lua(
if ARGV[6] == '1' then
  local prior = redis.call('GET', KEYS[4])
  if prior then return {'prior', prior} end
end
if redis.call('EXISTS', KEYS[2]) == 1 then
  return redis.error_reply(
    'ALREADY_EXISTS member.email: a member with this email already exists')
end
redis.call('HSET', KEYS[1], unpack(ARGV, 7))
redis.call('SET', KEYS[2], ARGV[3])
redis.call('ZADD', KEYS[3], 0, ARGV[4])
if ARGV[6] == '1' then
  redis.call('SET', KEYS[4], ARGV[3], 'PX', ARGV[5])
end
emit(KEYS[5])
return {'created', redis.call('HGETALL', KEYS[1])}
)lua"));
  return *script;
}

// KEYS: member, directory, events.
// ARGV: 3 expected version or "", 4 now ms, 5 new directory entry or "",
// 6.. fields to set.
const RedisScript& UpdateProfileScript() {
  static const RedisScript* const script = new RedisScript(WithPrelude(R"lua(
local version = redis.call('HGET', KEYS[1], 'version')
if not version then return redis.error_reply('NOT_FOUND member') end
if ARGV[3] ~= '' and ARGV[3] ~= version then
  return redis.error_reply('ABORTED member.etag: the member was changed ' ..
    'since you read it; read it again and reapply your change')
end
if ARGV[5] ~= '' then
  redis.call('ZREM', KEYS[2], redis.call('HGET', KEYS[1], 'dir'))
  redis.call('ZADD', KEYS[2], 0, ARGV[5])
  redis.call('HSET', KEYS[1], 'dir', ARGV[5])
end
if #ARGV >= 6 then redis.call('HSET', KEYS[1], unpack(ARGV, 6)) end
redis.call('HSET', KEYS[1], 'update_ms', ARGV[4])
redis.call('HINCRBY', KEYS[1], 'version', 1)
emit(KEYS[3])
return redis.call('HGETALL', KEYS[1])
)lua"));
  return *script;
}

// KEYS: member, events.
// ARGV: 3 allowed states "2,4", 4 new state, 5 role or "", 6 reason,
// 7 revoke tokens "1"/"0", 8 now ms.
const RedisScript& TransitionScript() {
  static const RedisScript* const script = new RedisScript(WithPrelude(R"lua(
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return redis.error_reply('NOT_FOUND member') end
local allowed = false
for s in string.gmatch(ARGV[3], '[^,]+') do
  if s == state then allowed = true end
end
if not allowed then
  return redis.error_reply('FAILED_PRECONDITION ' .. state)
end
if ARGV[4] ~= state then
  redis.call('HSET', KEYS[1], 'state', ARGV[4], 'state_reason', ARGV[6])
end
if ARGV[5] ~= '' then redis.call('HSET', KEYS[1], 'role', ARGV[5]) end
if ARGV[7] == '1' then redis.call('HINCRBY', KEYS[1], 'token_gen', 1) end
redis.call('HSET', KEYS[1], 'update_ms', ARGV[8])
redis.call('HINCRBY', KEYS[1], 'version', 1)
emit(KEYS[2])
return redis.call('HGETALL', KEYS[1])
)lua"));
  return *script;
}

// KEYS: member. ARGV: 1 password hash, 2 now ms. No event: a password is
// not domain news and must never reach a partner's feed.
const RedisScript& SetPasswordScript() {
  static const RedisScript* const script = new RedisScript(R"lua(
if redis.call('EXISTS', KEYS[1]) == 0 then
  return redis.error_reply('NOT_FOUND member')
end
redis.call('HSET', KEYS[1], 'pw', ARGV[1], 'update_ms', ARGV[2])
redis.call('HINCRBY', KEYS[1], 'token_gen', 1)
return 'OK'
)lua");
  return *script;
}

// KEYS: token, member, API token index, events.
// ARGV: 3 expire-at ms for the key, 4 index entry or "", 5 expected token
// generation or "", 6 required role or "", 7.. token fields.
const RedisScript& CreateTokenScript() {
  static const RedisScript* const script = new RedisScript(WithPrelude(R"lua(
local member = redis.call('HMGET', KEYS[2], 'state', 'token_gen', 'role')
if not member[1] then return redis.error_reply('NOT_FOUND member') end
if member[1] ~= '2' then
  return redis.error_reply('FAILED_PRECONDITION ' .. member[1])
end
if ARGV[5] ~= '' and (member[2] or '0') ~= ARGV[5] then
  return redis.error_reply('ABORTED the credentials changed')
end
if ARGV[6] ~= '' and member[3] ~= ARGV[6] then
  return redis.error_reply('FAILED_PRECONDITION role ' .. (member[3] or '0'))
end
redis.call('HSET', KEYS[1], 'gen', member[2] or '0', unpack(ARGV, 7))
redis.call('PEXPIREAT', KEYS[1], ARGV[3])
if ARGV[4] ~= '' then redis.call('ZADD', KEYS[3], 0, ARGV[4]) end
emit(KEYS[4])
return 'OK'
)lua"));
  return *script;
}

// KEYS: token, events. ARGV: 3 now ms. Revoking twice changes nothing and
// says nothing twice.
const RedisScript& RevokeApiTokenScript() {
  static const RedisScript* const script = new RedisScript(WithPrelude(R"lua(
local token = redis.call('HMGET', KEYS[1], 'kind', 'revoked')
if not token[1] then return redis.error_reply('NOT_FOUND token') end
if token[1] ~= 'api' then
  return redis.error_reply('FAILED_PRECONDITION session')
end
if token[2] ~= '1' then
  redis.call('HSET', KEYS[1], 'revoked', '1', 'revoke_ms', ARGV[3])
  emit(KEYS[2])
end
return redis.call('HGETALL', KEYS[1])
)lua"));
  return *script;
}

std::string MemberKey(int shard, absl::string_view id) {
  return absl::StrCat("members:", ShardTag(shard), ":member:", id);
}
std::string MemberKey(absl::string_view id) {
  return MemberKey(ShardOfId(id), id);
}
std::string MemberKeyPrefix(int shard) {
  return absl::StrCat("members:", ShardTag(shard), ":member:");
}
std::string EmailKey(int shard, absl::string_view email) {
  return absl::StrCat("members:", ShardTag(shard), ":email:", email);
}
std::string DirectoryKey(int shard) {
  return absl::StrCat("members:", ShardTag(shard), ":directory");
}
std::string ApplyRequestKey(int shard, absl::string_view email,
                            absl::string_view request_id) {
  return absl::StrCat("members:", ShardTag(shard), ":apply:", email, ":",
                      request_id);
}
std::string TokenKeyPrefix(int shard) {
  return absl::StrCat("members:", ShardTag(shard), ":token:");
}
std::string TokenKey(absl::string_view token_id) {
  return absl::StrCat(TokenKeyPrefix(ShardOfId(token_id)), token_id);
}
std::string ApiTokenIndexKey(int shard) {
  return absl::StrCat("members:", ShardTag(shard), ":api_tokens");
}

int64_t ToMillis(absl::Time t) { return absl::ToUnixMillis(t); }

std::string DirectoryEntry(absl::string_view display_name,
                           absl::string_view id) {
  return IndexEntry(absl::AsciiStrToLower(display_name), id);
}

std::string ApiTokenEntry(absl::Time create_time, absl::string_view id) {
  return IndexEntry(NewestFirstSortKey(ToMillis(create_time)), id);
}

MemberRecord ToMemberRecord(const Fields& fields) {
  MemberRecord record;
  v1::Member& m = record.member;
  m.set_name(absl::StrCat("members/", StringField(fields, "id")));
  m.set_email(StringField(fields, "email"));
  m.set_display_name(StringField(fields, "display_name"));
  m.set_organisation(StringField(fields, "organisation"));
  m.set_organisation_type(
      static_cast<v1::OrganisationType>(IntField(fields, "organisation_type")));
  m.set_country(StringField(fields, "country"));
  const std::string languages = StringField(fields, "languages");
  for (absl::string_view tag :
       absl::StrSplit(languages, ',', absl::SkipEmpty())) {
    m.add_languages(std::string(tag));
  }
  m.set_biography(StringField(fields, "biography"));
  m.set_state(static_cast<v1::Member::State>(IntField(fields, "state")));
  m.set_role(static_cast<v1::Role>(IntField(fields, "role")));
  m.set_state_reason(StringField(fields, "state_reason"));
  *m.mutable_create_time() =
      TimeUtil::MillisecondsToTimestamp(IntField(fields, "create_ms"));
  *m.mutable_update_time() =
      TimeUtil::MillisecondsToTimestamp(IntField(fields, "update_ms"));
  m.set_etag(StringField(fields, "version"));
  record.password_hash = StringField(fields, "pw");
  record.token_gen = IntField(fields, "token_gen");
  return record;
}

absl::StatusOr<MemberRecord> ToMemberRecord(const RedisReply& reply) {
  CDC_ASSIGN_OR_RETURN(Fields fields, ToRecordFields(reply));
  if (fields.empty()) return absl::NotFoundError("member");
  return ToMemberRecord(fields);
}

TokenRecord ToTokenRecord(absl::string_view token_id, const Fields& fields) {
  TokenRecord token;
  token.token_id = std::string(token_id);
  token.member_id = StringField(fields, "member_id");
  token.kind = StringField(fields, "kind") == "api"
                   ? TokenRecord::Kind::kApi
                   : TokenRecord::Kind::kSession;
  token.secret_sha256 = StringField(fields, "sha256");
  token.create_time = absl::FromUnixMillis(IntField(fields, "create_ms"));
  token.expire_time = absl::FromUnixMillis(IntField(fields, "expire_ms"));
  token.revoked = StringField(fields, "revoked") == "1";
  token.display_name = StringField(fields, "display_name");
  token.created_by = StringField(fields, "created_by");
  return token;
}

// Member fields as HSET arguments, for the paths given (all when empty).
void AppendProfileFields(const v1::Member& m,
                         const std::vector<std::string>& paths,
                         std::vector<std::string>* args) {
  auto wanted = [&](absl::string_view path) {
    return paths.empty() ||
           std::find(paths.begin(), paths.end(), path) != paths.end();
  };
  auto add = [&](absl::string_view field, std::string value) {
    if (!wanted(field)) return;
    args->emplace_back(field);
    args->push_back(std::move(value));
  };
  add("display_name", m.display_name());
  add("organisation", m.organisation());
  add("organisation_type",
      absl::StrCat(static_cast<int>(m.organisation_type())));
  add("country", m.country());
  add("languages", absl::StrJoin(m.languages(), ","));
  add("biography", m.biography());
}

std::string StateName(absl::string_view number) {
  int value = 0;
  (void)absl::SimpleAtoi(number, &value);
  return v1::Member::State_Name(static_cast<v1::Member::State>(value));
}

}  // namespace

MembersStore::MembersStore(RedisClient* redis, Options options)
    : redis_(redis), options_(options) {}

std::string MembersStore::NewMemberId(absl::string_view canonical_email) {
  static constexpr char kHex[] = "0123456789abcdef";
  return absl::StrCat(std::string(1, kHex[ShardOfText(canonical_email)]),
                      RandomHex(15));
}

std::vector<std::string> MembersStore::EventArgs(int /*shard*/,
                                                 const v1::Event& event) const {
  return {absl::StrCat(options_.event_stream_maxlen),
          event.SerializeAsString()};
}

absl::StatusOr<MemberRecord> MembersStore::CreateMember(
    const v1::Member& member, absl::string_view password_hash,
    absl::string_view request_id, const v1::Event& event) {
  const std::string id = member.name().substr(sizeof("members/") - 1);
  const int shard = ShardOfId(id);
  std::vector<std::string> args = EventArgs(shard, event);
  const int64_t now_ms =
      TimeUtil::TimestampToMilliseconds(member.create_time());
  const std::string entry = DirectoryEntry(member.display_name(), id);
  args.insert(args.end(),
              {id, entry,
               absl::StrCat(absl::ToInt64Milliseconds(options_.request_id_ttl)),
               request_id.empty() ? "0" : "1"});
  args.insert(args.end(),
              {"id",           id,
               "email",        member.email(),
               "state",        absl::StrCat(static_cast<int>(member.state())),
               "role",         absl::StrCat(static_cast<int>(member.role())),
               "state_reason", member.state_reason(),
               "create_ms",    absl::StrCat(now_ms),
               "update_ms",    absl::StrCat(now_ms),
               "version",      "1",
               "token_gen",    "0",
               "dir",          entry,
               "pw",           std::string(password_hash)});
  AppendProfileFields(member, {}, &args);
  CDC_ASSIGN_OR_RETURN(
      RedisReply reply,
      redis_->Eval(CreateMemberScript(),
                   {MemberKey(shard, id), EmailKey(shard, member.email()),
                    DirectoryKey(shard),
                    ApplyRequestKey(shard, member.email(), request_id),
                    EventStreamKey(shard)},
                   args));
  if (reply.elements.size() != 2) {
    return absl::InternalError("redis: unexpected create reply");
  }
  if (reply.elements[0].str == "prior") {
    return GetMember(reply.elements[1].str);
  }
  return ToMemberRecord(reply.elements[1]);
}

absl::StatusOr<MemberRecord> MembersStore::GetMember(
    absl::string_view member_id) {
  if (ShardOfId(member_id) < 0) return absl::NotFoundError("member");
  CDC_ASSIGN_OR_RETURN(RedisReply reply,
                       redis_->Command({"HGETALL", MemberKey(member_id)}));
  return ToMemberRecord(reply);
}

absl::StatusOr<MemberRecord> MembersStore::FindByEmail(
    absl::string_view canonical_email) {
  CDC_ASSIGN_OR_RETURN(
      RedisReply id,
      redis_->Command(
          {"GET", EmailKey(ShardOfText(canonical_email), canonical_email)}));
  if (id.is_nil()) return absl::NotFoundError("member");
  return GetMember(id.str);
}

absl::StatusOr<MemberRecord> MembersStore::UpdateProfile(
    absl::string_view member_id, const v1::Member& values,
    const std::vector<std::string>& paths, absl::string_view etag,
    const v1::Event& event) {
  const int shard = ShardOfId(member_id);
  if (shard < 0) return absl::NotFoundError("member");
  std::vector<std::string> args = EventArgs(shard, event);
  const bool renamed =
      std::find(paths.begin(), paths.end(), "display_name") != paths.end();
  args.insert(
      args.end(),
      {std::string(etag),
       absl::StrCat(TimeUtil::TimestampToMilliseconds(values.update_time())),
       renamed ? DirectoryEntry(values.display_name(), member_id)
               : std::string()});
  AppendProfileFields(values, paths, &args);
  CDC_ASSIGN_OR_RETURN(
      RedisReply reply,
      redis_->Eval(UpdateProfileScript(),
                   {MemberKey(shard, member_id), DirectoryKey(shard),
                    EventStreamKey(shard)},
                   args));
  return ToMemberRecord(reply);
}

absl::StatusOr<MemberRecord> MembersStore::ApplyTransition(
    absl::string_view member_id, const Transition& transition,
    const v1::Event& event) {
  const int shard = ShardOfId(member_id);
  if (shard < 0) return absl::NotFoundError("member");
  std::vector<std::string> from;
  for (v1::Member::State state : transition.from) {
    from.push_back(absl::StrCat(static_cast<int>(state)));
  }
  std::vector<std::string> args = EventArgs(shard, event);
  args.insert(
      args.end(),
      {absl::StrJoin(from, ","), absl::StrCat(static_cast<int>(transition.to)),
       transition.role == v1::ROLE_UNSPECIFIED
           ? std::string()
           : absl::StrCat(static_cast<int>(transition.role)),
       transition.reason, transition.revoke_tokens ? "1" : "0",
       absl::StrCat(TimeUtil::TimestampToMilliseconds(event.time()))});
  absl::StatusOr<RedisReply> reply =
      redis_->Eval(TransitionScript(),
                   {MemberKey(shard, member_id), EventStreamKey(shard)}, args);
  if (!reply.ok()) {
    if (reply.status().code() == absl::StatusCode::kFailedPrecondition) {
      return absl::FailedPreconditionError(StateName(reply.status().message()));
    }
    return reply.status();
  }
  return ToMemberRecord(*reply);
}

absl::Status MembersStore::SetPassword(absl::string_view member_id,
                                       absl::string_view password_hash,
                                       absl::Time now) {
  if (ShardOfId(member_id) < 0) return absl::NotFoundError("member");
  return redis_
      ->Eval(SetPasswordScript(), {MemberKey(member_id)},
             {std::string(password_hash), absl::StrCat(ToMillis(now))})
      .status();
}

absl::StatusOr<Page<MemberRecord>> MembersStore::ListMembers(
    const MemberFilter& filter, absl::string_view position, int page_size) {
  std::vector<std::pair<std::string, std::string>> filters;
  if (filter.organisation_type != v1::ORGANISATION_TYPE_UNSPECIFIED) {
    filters.emplace_back(
        "organisation_type",
        absl::StrCat(static_cast<int>(filter.organisation_type)));
  }
  if (!filter.country.empty()) filters.emplace_back("country", filter.country);
  if (filter.state != v1::Member::STATE_UNSPECIFIED) {
    filters.emplace_back("state", absl::StrCat(static_cast<int>(filter.state)));
  }
  if (filter.role != v1::ROLE_UNSPECIFIED) {
    filters.emplace_back("role", absl::StrCat(static_cast<int>(filter.role)));
  }
  CDC_ASSIGN_OR_RETURN(
      IndexPage found,
      ListAcrossShards(*redis_, position, page_size, DirectoryKey,
                       MemberKeyPrefix, filters));
  Page<MemberRecord> page;
  for (const IndexedRecord& record : found.records) {
    page.items.push_back(ToMemberRecord(record.fields));
  }
  page.next_position = std::move(found.next_position);
  return page;
}

absl::Status MembersStore::CreateToken(const TokenRecord& token,
                                       const v1::Event* event,
                                       int64_t expected_generation,
                                       v1::Role required_role) {
  const int shard = ShardOfId(token.token_id);
  const bool api = token.kind == TokenRecord::Kind::kApi;
  std::vector<std::string> args =
      EventArgs(shard, event != nullptr ? *event : v1::Event());
  if (event == nullptr) args[1].clear();
  // API tokens stay listable for 30 days after they expire, for the record.
  const absl::Time key_expiry =
      token.expire_time + (api ? absl::Hours(24 * 30) : absl::ZeroDuration());
  args.insert(
      args.end(),
      {absl::StrCat(ToMillis(key_expiry)),
       api ? ApiTokenEntry(token.create_time, token.token_id) : std::string(),
       expected_generation >= 0 ? absl::StrCat(expected_generation)
                                : std::string(),
       required_role == v1::ROLE_UNSPECIFIED
           ? std::string()
           : absl::StrCat(static_cast<int>(required_role)),
       "member_id",
       token.member_id,
       "kind",
       api ? "api" : "session",
       "sha256",
       token.secret_sha256,
       "create_ms",
       absl::StrCat(ToMillis(token.create_time)),
       "expire_ms",
       absl::StrCat(ToMillis(token.expire_time)),
       "revoked",
       "0",
       "display_name",
       token.display_name,
       "created_by",
       token.created_by});
  absl::Status status =
      redis_
          ->Eval(CreateTokenScript(),
                 {TokenKey(token.token_id), MemberKey(token.member_id),
                  ApiTokenIndexKey(shard), EventStreamKey(shard)},
                 args)
          .status();
  if (status.code() == absl::StatusCode::kFailedPrecondition &&
      !absl::StartsWith(status.message(), "role ")) {
    return absl::FailedPreconditionError(StateName(status.message()));
  }
  return status;
}

absl::StatusOr<TokenLookup> MembersStore::LookupToken(
    absl::string_view token_id) {
  if (ShardOfId(token_id) < 0) return absl::NotFoundError("token");
  const std::string member_id(token_id.substr(0, 16));
  CDC_ASSIGN_OR_RETURN(auto replies,
                       redis_->Pipeline({{"HGETALL", TokenKey(token_id)},
                                         {"HGETALL", MemberKey(member_id)}}));
  for (const auto& reply : replies) {
    if (!reply.ok()) return reply.status();
  }
  CDC_ASSIGN_OR_RETURN(Fields token_fields, ToRecordFields(*replies[0]));
  if (token_fields.empty()) return absl::NotFoundError("token");
  CDC_ASSIGN_OR_RETURN(Fields member_fields, ToRecordFields(*replies[1]));
  TokenLookup lookup;
  lookup.token = ToTokenRecord(token_id, token_fields);
  lookup.member_found = !member_fields.empty();
  if (lookup.member_found) {
    lookup.member = ToMemberRecord(member_fields);
    // A token issued before the member's last revocation is void.
    if (IntField(token_fields, "gen") != IntField(member_fields, "token_gen")) {
      lookup.token.revoked = true;
    }
  }
  return lookup;
}

absl::Status MembersStore::DeleteToken(absl::string_view token_id) {
  if (ShardOfId(token_id) < 0) return absl::OkStatus();
  return redis_->Command({"DEL", TokenKey(token_id)}).status();
}

absl::StatusOr<TokenRecord> MembersStore::RevokeApiToken(
    absl::string_view token_id, const v1::Event& event) {
  const int shard = ShardOfId(token_id);
  if (shard < 0) return absl::NotFoundError("token");
  std::vector<std::string> args = EventArgs(shard, event);
  args.push_back(absl::StrCat(TimeUtil::TimestampToMilliseconds(event.time())));
  CDC_ASSIGN_OR_RETURN(
      RedisReply reply,
      redis_->Eval(RevokeApiTokenScript(),
                   {TokenKey(token_id), EventStreamKey(shard)}, args));
  CDC_ASSIGN_OR_RETURN(Fields fields, ToRecordFields(reply));
  return ToTokenRecord(token_id, fields);
}

absl::StatusOr<Page<TokenRecord>> MembersStore::ListApiTokens(
    absl::string_view member_id, bool show_revoked, absl::string_view position,
    int page_size) {
  std::vector<std::pair<std::string, std::string>> filters;
  if (!member_id.empty()) filters.emplace_back("member_id", member_id);
  if (!show_revoked) filters.emplace_back("revoked", "0");
  CDC_ASSIGN_OR_RETURN(
      IndexPage found,
      ListAcrossShards(*redis_, position, page_size, ApiTokenIndexKey,
                       TokenKeyPrefix, filters));
  // A token of an older generation than its member's (voided by a
  // suspension or password change) is shown as revoked, as Authenticate
  // treats it: one pipelined read of the members' generations.
  std::vector<std::vector<std::string>> generations;
  for (const IndexedRecord& record : found.records) {
    generations.push_back({"HGET",
                           MemberKey(StringField(record.fields, "member_id")),
                           "token_gen"});
  }
  CDC_ASSIGN_OR_RETURN(auto current, redis_->Pipeline(generations));
  Page<TokenRecord> page;
  for (size_t i = 0; i < found.records.size(); ++i) {
    const IndexedRecord& record = found.records[i];
    TokenRecord token =
        ToTokenRecord(IdOfIndexEntry(record.entry), record.fields);
    if (!current[i].ok()) return current[i].status();
    int64_t generation = 0;
    (void)absl::SimpleAtoi(current[i]->str, &generation);
    if (IntField(record.fields, "gen") != generation) token.revoked = true;
    if (token.revoked && !show_revoked) continue;
    page.items.push_back(std::move(token));
  }
  page.next_position = std::move(found.next_position);
  return page;
}

}  // namespace cdc::members
