// Sharding of the keyspace, shared by every store so that all services agree.
//
// The keyspace is cut into kShardCount fixed shards. A key belongs to shard k
// when it carries the hash tag "{sk}"; every key one script touches carries
// the same tag, so the script stays on one Redis Cluster slot. Shard k's
// domain events go to the stream "events:{sk}" (the transactional outbox),
// written by the same script as the change they describe.
#pragma once

#include <string>

#include "absl/strings/string_view.h"

namespace cdc {

inline constexpr int kShardCount = 16;

// "{s3}" for shard 3.
std::string ShardTag(int shard);

// "events:{s3}": shard 3's domain-event stream.
std::string EventStreamKey(int shard);

// The field of a stream entry that holds the serialized cdc.v1.Event.
inline constexpr absl::string_view kEventField = "event";

// A stable shard for any text (SHA-256 based, so it spreads evenly).
int ShardOfText(absl::string_view text);

// The shard encoded in an identifier's first hex digit (ids of sharded
// resources start with their shard), or -1 when it is not a hex digit.
int ShardOfId(absl::string_view id);

}  // namespace cdc
