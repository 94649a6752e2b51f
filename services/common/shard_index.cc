#include "services/common/shard_index.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "services/common/keys.h"
#include "services/common/status_macros.h"

namespace cdc {
namespace {

// Read-only. Walks a lex index from ARGV[1] and returns up to ARGV[2]
// entries whose record (key ARGV[3] .. id) has every field = value pair in
// ARGV[4..], as a flat array {entry, fields, entry, fields, ...}. The
// records carry the index's hash tag, so this stays on one cluster slot.
const RedisScript& ListIndexScript() {
  static const RedisScript* const script = new RedisScript(R"lua(
local out = {}
local start = ARGV[1]
local limit = tonumber(ARGV[2])
local batch = 128
while #out < 2 * limit do
  local entries = redis.call('ZRANGEBYLEX', KEYS[1], start, '+',
                             'LIMIT', 0, batch)
  for _, entry in ipairs(entries) do
    start = '(' .. entry
    local key = ARGV[3] .. string.match(entry, '\1(.*)$')
    local fields = redis.call('HGETALL', key)
    if #fields > 0 then
      local record = {}
      for i = 1, #fields, 2 do record[fields[i]] = fields[i + 1] end
      local match = true
      for i = 4, #ARGV, 2 do
        if record[ARGV[i]] ~= ARGV[i + 1] then match = false; break end
      end
      if match then
        out[#out + 1] = entry
        out[#out + 1] = fields
        if #out >= 2 * limit then break end
      end
    end
  end
  if #entries < batch then break end
end
return out
)lua");
  return *script;
}

}  // namespace

std::string IndexEntry(absl::string_view sort_key, absl::string_view id) {
  return absl::StrCat(sort_key, absl::string_view(&kIndexEntrySeparator, 1),
                      id);
}

absl::string_view IdOfIndexEntry(absl::string_view entry) {
  const size_t separator = entry.rfind(kIndexEntrySeparator);
  return separator == absl::string_view::npos ? entry
                                              : entry.substr(separator + 1);
}

std::string NewestFirstSortKey(int64_t unix_ms) {
  return absl::StrFormat("%013d", int64_t{9'999'999'999'999} - unix_ms);
}

absl::StatusOr<RecordFields> ToRecordFields(const RedisReply& reply) {
  if (reply.type != RedisReply::Type::kArray || reply.elements.size() % 2) {
    return absl::InternalError("redis: expected field/value pairs");
  }
  RecordFields fields;
  for (size_t i = 0; i < reply.elements.size(); i += 2) {
    fields[reply.elements[i].str] = reply.elements[i + 1].str;
  }
  return fields;
}

std::string StringField(const RecordFields& fields, absl::string_view name) {
  auto it = fields.find(name);
  return it == fields.end() ? std::string() : it->second;
}

int64_t IntField(const RecordFields& fields, absl::string_view name) {
  int64_t value = 0;
  auto it = fields.find(name);
  if (it != fields.end() && !absl::SimpleAtoi(it->second, &value)) value = 0;
  return value;
}

absl::StatusOr<IndexPage> ListAcrossShards(
    RedisClient& redis, absl::string_view position, int page_size,
    const std::function<std::string(int)>& index_key,
    const std::function<std::string(int)>& record_prefix,
    const std::vector<std::pair<std::string, std::string>>& filters) {
  const std::string start =
      position.empty() ? std::string("-") : absl::StrCat("(", position);
  std::vector<RedisClient::ScriptCall> calls;
  calls.reserve(kShardCount);
  for (int shard = 0; shard < kShardCount; ++shard) {
    RedisClient::ScriptCall& call = calls.emplace_back();
    call.keys = {index_key(shard)};
    call.args = {start, absl::StrCat(page_size + 1), record_prefix(shard)};
    for (const auto& [field, value] : filters) {
      call.args.push_back(field);
      call.args.push_back(value);
    }
  }
  CDC_ASSIGN_OR_RETURN(auto replies, redis.EvalMany(ListIndexScript(), calls));
  std::vector<IndexedRecord> found;
  for (auto& reply : replies) {
    if (!reply.ok()) return reply.status();
    for (size_t i = 0; i + 1 < reply->elements.size(); i += 2) {
      CDC_ASSIGN_OR_RETURN(RecordFields fields,
                           ToRecordFields(reply->elements[i + 1]));
      found.push_back({std::move(reply->elements[i].str), std::move(fields)});
    }
  }
  std::sort(found.begin(), found.end(),
            [](const IndexedRecord& a, const IndexedRecord& b) {
              return a.entry < b.entry;
            });
  IndexPage page;
  const size_t take = std::min(found.size(), static_cast<size_t>(page_size));
  if (found.size() > take) page.next_position = found[take - 1].entry;
  found.resize(take);
  page.records = std::move(found);
  return page;
}

}  // namespace cdc
