#include "services/common/keys.h"

#include "absl/strings/str_cat.h"
#include "services/common/crypto.h"

namespace cdc {

std::string ShardTag(int shard) { return absl::StrCat("{s", shard, "}"); }

std::string EventStreamKey(int shard) {
  return absl::StrCat("events:", ShardTag(shard));
}

int ShardOfText(absl::string_view text) {
  return static_cast<unsigned char>(Sha256(text)[0]) % kShardCount;
}

int ShardOfId(absl::string_view id) {
  if (id.empty()) return -1;
  const char c = id[0];
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace cdc
