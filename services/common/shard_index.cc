#include "services/common/shard_index.h"

#include <algorithm>
#include <optional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "services/common/keys.h"
#include "services/common/status_macros.h"

namespace cdc {
namespace {

// Read-only. Walks a lex index from ARGV[1] and returns
// {frontier, {entry, fields, entry, fields, ...}}: up to ARGV[2] entries
// whose record (key ARGV[3] .. id) has every field = value pair in
// ARGV[5..], examining at most ARGV[4] entries. Everything in the index up
// to and including `frontier` has been examined; "" means all of it. The
// records carry the index's hash tag, so this stays on one cluster slot.
const RedisScript& ListIndexScript() {
  static const RedisScript* const script = new RedisScript(R"lua(
local out = {}
local start = ARGV[1]
local limit = tonumber(ARGV[2])
local budget = tonumber(ARGV[4])
local scanned = 0
local batch = 128
while true do
  local entries = redis.call('ZRANGEBYLEX', KEYS[1], start, '+',
                             'LIMIT', 0, batch)
  for _, entry in ipairs(entries) do
    start = '(' .. entry
    scanned = scanned + 1
    local key = ARGV[3] .. string.match(entry, '\1(.*)$')
    local fields = redis.call('HGETALL', key)
    if #fields > 0 then
      local record = {}
      for i = 1, #fields, 2 do record[fields[i]] = fields[i + 1] end
      local match = true
      for i = 5, #ARGV, 2 do
        if record[ARGV[i]] ~= ARGV[i + 1] then match = false; break end
      end
      if match then
        out[#out + 1] = entry
        out[#out + 1] = fields
      end
    end
    if #out >= 2 * limit or scanned >= budget then return {entry, out} end
  end
  if #entries < batch then return {'', out} end
end
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
  fields.reserve(reply.elements.size() / 2);
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
    const std::vector<std::pair<std::string, std::string>>& filters,
    int scan_budget) {
  const std::string start =
      position.empty() ? std::string("-") : absl::StrCat("(", position);
  std::vector<RedisClient::ScriptCall> calls;
  calls.reserve(kShardCount);
  for (int shard = 0; shard < kShardCount; ++shard) {
    RedisClient::ScriptCall& call = calls.emplace_back();
    call.keys = {index_key(shard)};
    call.args = {start, absl::StrCat(page_size + 1), record_prefix(shard),
                 absl::StrCat(scan_budget)};
    for (const auto& [field, value] : filters) {
      call.args.push_back(field);
      call.args.push_back(value);
    }
  }
  CDC_ASSIGN_OR_RETURN(auto replies, redis.EvalMany(ListIndexScript(), calls));
  // Every shard has been read up to its frontier; the page may only hold
  // entries up to the lowest of them ("" = the whole shard).
  std::optional<std::string> bound;
  std::vector<IndexedRecord> found;
  for (auto& reply : replies) {
    if (!reply.ok()) return reply.status();
    if (reply->elements.size() != 2) {
      return absl::InternalError("redis: unexpected listing reply");
    }
    const std::string& frontier = reply->elements[0].str;
    if (!frontier.empty() && (!bound.has_value() || frontier < *bound)) {
      bound = frontier;
    }
    RedisReply& records = reply->elements[1];
    for (size_t i = 0; i + 1 < records.elements.size(); i += 2) {
      CDC_ASSIGN_OR_RETURN(RecordFields fields,
                           ToRecordFields(records.elements[i + 1]));
      found.push_back({std::move(records.elements[i].str), std::move(fields)});
    }
  }
  if (bound.has_value()) {
    found.erase(std::remove_if(
                    found.begin(), found.end(),
                    [&](const IndexedRecord& r) { return r.entry > *bound; }),
                found.end());
  }
  std::sort(found.begin(), found.end(),
            [](const IndexedRecord& a, const IndexedRecord& b) {
              return a.entry < b.entry;
            });
  IndexPage page;
  if (found.size() > static_cast<size_t>(page_size)) {
    found.resize(page_size);
    page.next_position = found.back().entry;
  } else if (bound.has_value()) {
    // Fewer than a page up to the bound: go on from the bound next time.
    page.next_position = *bound;
  }
  page.records = std::move(found);
  return page;
}

}  // namespace cdc
