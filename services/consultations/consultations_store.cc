#include "services/consultations/consultations_store.h"

#include "absl/strings/str_cat.h"
#include "services/common/keys.h"
#include "services/common/status_macros.h"

namespace cdc::consultations {
namespace {

// KEYS: consultation, events, index, draft version.
// ARGV: 1 stream cap, 2 event, 3 expected version ("" = create), 4 caller
// etag ("" = any), 5 index entry ("" = none), 6 number N of consultation
// field arguments, 7..6+N those, then the draft version's fields (if any).
const RedisScript& ApplyScript() {
  static const RedisScript* const script = new RedisScript(R"lua(
local version = redis.call('HGET', KEYS[1], 'version')
if ARGV[3] == '' then
  if version then return redis.error_reply('ALREADY_EXISTS consultation') end
else
  if not version then return redis.error_reply('NOT_FOUND consultation') end
  if ARGV[4] ~= '' and ARGV[4] ~= version then
    return redis.error_reply('ABORTED etag')
  end
  if ARGV[3] ~= version then
    return redis.error_reply('ABORTED concurrent change')
  end
end
local next_version = tonumber(version or '0') + 1
local n = tonumber(ARGV[6])
redis.call('HSET', KEYS[1], 'version', next_version, unpack(ARGV, 7, 6 + n))
if ARGV[5] ~= '' then redis.call('ZADD', KEYS[3], 0, ARGV[5]) end
if #ARGV > 6 + n then
  redis.call('DEL', KEYS[4])
  redis.call('HSET', KEYS[4], unpack(ARGV, 7 + n))
end
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[1], '*', 'event', ARGV[2])
return next_version
)lua");
  return *script;
}

std::string Prefix(int shard) {
  return absl::StrCat("consultations:", ShardTag(shard), ":");
}
std::string RecordPrefix(int shard) { return Prefix(shard) + "c:"; }
std::string RecordKey(absl::string_view id) {
  return ConsultationRecordKey(id);
}
std::string DraftKey(absl::string_view id, int version) {
  return absl::StrCat(RecordKey(id), ":v:", version);
}
std::string IndexKey(int shard) { return Prefix(shard) + "index"; }

}  // namespace

ConsultationsStore::ConsultationsStore(RedisClient* redis, Options options)
    : redis_(redis), options_(options) {}

int ConsultationsStore::ShardOf(absl::string_view id) {
  return ShardOfText(id);
}

absl::StatusOr<RecordFields> ConsultationsStore::Get(absl::string_view id) {
  CDC_ASSIGN_OR_RETURN(RedisReply reply,
                       redis_->Command({"HGETALL", RecordKey(id)}));
  CDC_ASSIGN_OR_RETURN(RecordFields fields, ToRecordFields(reply));
  if (fields.empty()) return absl::NotFoundError("consultation");
  return fields;
}

absl::StatusOr<int64_t> ConsultationsStore::Apply(const Write& write) {
  const int shard = ShardOf(write.id);
  std::vector<std::string> args = {absl::StrCat(options_.event_stream_maxlen),
                                   write.event.SerializeAsString(),
                                   write.expected_version,
                                   write.etag,
                                   write.index_entry,
                                   absl::StrCat(2 * write.fields.size())};
  for (const auto& [field, value] : write.fields) {
    args.push_back(field);
    args.push_back(value);
  }
  for (const auto& [field, value] : write.draft_fields) {
    args.push_back(field);
    args.push_back(value);
  }
  const std::string draft_key = write.draft_version > 0
                                    ? DraftKey(write.id, write.draft_version)
                                    : RecordKey(write.id);
  CDC_ASSIGN_OR_RETURN(RedisReply reply,
                       redis_->Eval(ApplyScript(),
                                    {RecordKey(write.id), EventStreamKey(shard),
                                     IndexKey(shard), draft_key},
                                    args));
  return ReplyInteger(reply);
}

absl::StatusOr<RecordFields> ConsultationsStore::GetDraft(absl::string_view id,
                                                          int version) {
  CDC_ASSIGN_OR_RETURN(RedisReply reply,
                       redis_->Command({"HGETALL", DraftKey(id, version)}));
  CDC_ASSIGN_OR_RETURN(RecordFields fields, ToRecordFields(reply));
  if (fields.empty()) return absl::NotFoundError("draft version");
  return fields;
}

absl::StatusOr<std::vector<std::string>> ConsultationsStore::GetDraftFields(
    absl::string_view id, int version, const std::vector<std::string>& names) {
  std::vector<std::string> argv = {"HMGET", DraftKey(id, version)};
  argv.insert(argv.end(), names.begin(), names.end());
  CDC_ASSIGN_OR_RETURN(RedisReply reply, redis_->Command(argv));
  std::vector<std::string> values;
  values.reserve(reply.elements.size());
  for (RedisReply& element : reply.elements) {
    values.push_back(std::move(element.str));
  }
  return values;
}

absl::StatusOr<IndexPage> ConsultationsStore::List(absl::string_view position,
                                                   int page_size) {
  return ListAcrossShards(*redis_, position, page_size, IndexKey, RecordPrefix,
                          {});
}

absl::StatusOr<std::vector<std::string>> ConsultationsStore::AllIds() {
  std::vector<std::string> ids;
  std::string position;
  do {
    CDC_ASSIGN_OR_RETURN(IndexPage page, List(position, 200));
    for (const IndexedRecord& record : page.records) {
      ids.emplace_back(IdOfIndexEntry(record.entry));
    }
    position = std::move(page.next_position);
  } while (!position.empty());
  return ids;
}

}  // namespace cdc::consultations
