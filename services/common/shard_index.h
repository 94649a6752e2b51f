// Listing records that are spread over the 16 shards.
//
// A store keeps, per shard, a sorted set of entries "<sort key>\1<id>" (all
// scores 0, so Redis orders them lexically) pointing at hash records
// "<record prefix><id>" of the same shard. ListAcrossShards reads the next
// page after a position from every shard in one pipelined round trip (one
// read-only script per shard) and merges the answers in entry order; the
// last entry returned is the next position, so pages neither skip nor
// repeat while records are added.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/common/redis.h"

namespace cdc {

// A hash record as field -> value.
using RecordFields = absl::flat_hash_map<std::string, std::string>;

// Separates the sort key from the id; sorts before every printable
// character, and no stored text may contain it (CheckText refuses it).
inline constexpr char kIndexEntrySeparator = '\1';

std::string IndexEntry(absl::string_view sort_key, absl::string_view id);
absl::string_view IdOfIndexEntry(absl::string_view entry);

// "<13 digits of 9999999999999 - ms>": sorts newest first.
std::string NewestFirstSortKey(int64_t unix_ms);

struct IndexedRecord {
  std::string entry;    // the index entry
  RecordFields fields;  // the record it points at
};

struct IndexPage {
  std::vector<IndexedRecord> records;  // in entry order
  std::string next_position;           // empty on the last page
};

// Up to `page_size` records after `position` ("" = from the start) whose
// fields equal every (field, value) pair in `filters`. Entries whose record
// no longer exists are skipped. Each shard examines at most `scan_budget`
// entries per call, so a rare filter over a large index costs bounded work
// per page: the page may then be short, even empty, with a next position
// that moves on (AIP-158 allows short pages).
absl::StatusOr<IndexPage> ListAcrossShards(
    RedisClient& redis, absl::string_view position, int page_size,
    const std::function<std::string(int shard)>& index_key,
    const std::function<std::string(int shard)>& record_prefix,
    const std::vector<std::pair<std::string, std::string>>& filters,
    int scan_budget = 1000);

// HGETALL's reply as fields; INTERNAL when it is not field/value pairs.
absl::StatusOr<RecordFields> ToRecordFields(const RedisReply& reply);

// A field's value, or "" / 0 when absent or not a number.
std::string StringField(const RecordFields& fields, absl::string_view name);
int64_t IntField(const RecordFields& fields, absl::string_view name);

}  // namespace cdc
