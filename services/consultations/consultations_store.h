// cdc-consultations' keyspace in Redis. A consultation and everything of it
// share one hash tag, {sk} with k = the shard of its id, so every write is
// one atomic script. Keys:
//
//   consultations:{sk}:c:<id>        hash   the consultation and its rounds
//   consultations:{sk}:c:<id>:v:<n>  hash   draft version n: "meta" (a
//                                           serialized DraftVersion without
//                                           sections), "order" and "removed"
//                                           (section keys, "\n"-joined) and
//                                           "s:<key>" (a serialized Section)
//   consultations:{sk}:index         zset   "<newest-first ms>\1<id>"
//   events:{sk}                      stream domain events (outbox)
//
// Writes are compare-and-set: the service reads the record, decides, and
// Apply() writes only if the record's version is still the one read (else
// ABORTED with kConcurrentChange, and the service reads again and retries).
// The write, its version hash and its event go in one script. These are the
// secretariat's rare operations; the checks they need (state by the clock,
// draft differences) are far easier to get right in C++ than in Lua.
//
// The record's "version" field is read by one other service, and only that
// field: cdc-comments keeps CheckParticipation and GetConsultation answers
// and uses one only while the version it was given with is still the
// record's (ConsultationRecordKey below). Every write of a consultation goes
// through Apply and moves it, draft versions included, so an unchanged
// version means an unchanged record. Keep it so.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "cdc/v1/events.pb.h"
#include "services/common/keys.h"
#include "services/common/redis.h"
#include "services/common/shard_index.h"

namespace cdc::consultations {

// The Redis key of consultation `id`'s record (a hash with a "version" field
// that every write moves; see above).
inline std::string ConsultationRecordKey(absl::string_view id) {
  return absl::StrCat("consultations:", ShardTag(ShardOfText(id)), ":c:", id);
}

// The message of the ABORTED status Apply returns when the record changed
// since it was read (as opposed to a stale etag from the caller).
inline constexpr absl::string_view kConcurrentChange = "concurrent change";

class ConsultationsStore final {
 public:
  struct Options {
    int64_t event_stream_maxlen = 1'000'000;  // XADD MAXLEN ~
  };

  // One write: set `fields` on the consultation (whose "version" must still
  // be `expected_version`; empty = it must not exist yet), optionally add an
  // index entry and replace one draft version's hash, and append `event`.
  struct Write {
    std::string id;                // the consultation id
    std::string expected_version;  // "" to create
    std::string etag;              // the caller's etag; "" = any
    std::vector<std::pair<std::string, std::string>> fields;
    std::string index_entry;  // added to the index when not empty
    int draft_version = 0;    // > 0: replace that version's hash with...
    std::vector<std::pair<std::string, std::string>> draft_fields;  // ...this
    v1::Event event;
  };

  ConsultationsStore(RedisClient* redis, Options options);

  static int ShardOf(absl::string_view id);

  // The consultation's fields. NOT_FOUND when it does not exist.
  absl::StatusOr<RecordFields> Get(absl::string_view id);

  // The new version number. ALREADY_EXISTS (creating an existing id),
  // NOT_FOUND, ABORTED with a message naming the etag (stale caller etag)
  // or kConcurrentChange.
  absl::StatusOr<int64_t> Apply(const Write& write);

  // A draft version's hash; NOT_FOUND when there is no such version.
  absl::StatusOr<RecordFields> GetDraft(absl::string_view id, int version);

  // Some fields of a draft version, in order ("" for absent ones).
  absl::StatusOr<std::vector<std::string>> GetDraftFields(
      absl::string_view id, int version, const std::vector<std::string>& names);

  // The index, newest first, after `position`.
  absl::StatusOr<IndexPage> List(absl::string_view position, int page_size);

  // Every consultation id (for the schedule keeper), in pages.
  absl::StatusOr<std::vector<std::string>> AllIds();

 private:
  RedisClient* const redis_;
  const Options options_;
};

}  // namespace cdc::consultations
