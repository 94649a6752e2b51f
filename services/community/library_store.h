// The resource library and the initiative map in Redis.
//
// Each collection is small (thousands of entries) and lives under one hash
// tag, so that a filter is a set intersection on one slot and a write is
// one atomic script: resources in shard R = ShardOfText("resources"),
// initiatives in shard I = ShardOfText("initiatives"). Keys:
//
//   cm:{sR}:r:<id>            hash    a resource: "pb" (serialized Resource
//                                     without counts), "ver" (its etag),
//                                     "owner" ("members/{m}"), "entry"
//   cm:{sR}:rs:new            zset    every resource's entry, score 0
//   cm:{sR}:rs:end            zset    entry -> endorsement count
//   cm:{sR}:rf:<kind>:<value> set     entries, one set per filter value:
//                                     type, country, lang (lower case),
//                                     sdg, tag, by (member id)
//   cm:{sR}:re:<id>           set     members who endorsed it
//   cm:{sR}:rc:<id>           set     its VISIBLE comment ids
//   cm:{sR}:rl:<id>           hash    comment id -> the stream id of the
//                                     last comment event applied for it
//   cm:{sR}:rq:<member>:<request id>  string  resource id, 24 h
//   cm:{sR}:ix:...            the word index (word_index.h); documents
//                                     "resources/{id}"
//   cm:{sI}:i:<id>            hash    an initiative: "pb", "ver", "entry"
//   cm:{sI}:is:all            zset    every initiative's entry, score 0
//   cm:{sI}:if:<kind>:<value> set     entries: country, region, otype,
//                                     level, sdg, status, review, by
//   cm:{sI}:iq:<member>:<request id>  string  initiative id, 24 h
//   cm:{sI}:ix:...            the word index of APPROVED initiatives;
//                                     documents "initiatives/{id}"
//   events:{sR}, events:{sI}  streams ResourceShared; Initiative* events
//
// An entry is "<sort key>\1<id>": for a resource the newest-first key of
// its creation time (it never changes), for an initiative its display name
// in lower case. All scores of the order sets are 0 (rs:end's aside), so
// ZINTER of an order set with filter sets returns the matching entries
// already in list order, and a page position is an entry (with the score
// for the most-endorsed order).
//
// Writes are compare-and-set, as in cdc-consultations: the store reads the
// record, the caller's function decides the new record, and one script
// writes it, its index memberships (the difference), its words and its
// event only if the record's version is still the one read; a concurrent
// change makes the store read again and retry.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cdc/v1/community.pb.h"
#include "cdc/v1/events.pb.h"
#include "services/common/redis.h"

namespace cdc::community {

// One search result from the library or the map, for Search.
struct LibraryHit {
  std::string name;        // "resources/{r}" or "initiatives/{i}"
  std::string title;       // its title or display name
  std::string text;        // summary or description, for a snippet
  double score = 0;        // tf-idf relevance; higher is better
  absl::Time update_time;  // its last change
};

// Which resources ListResources returns; empty or zero fields do not
// filter. Values are validated by the caller.
struct ResourceQuery {
  v1::Resource::Type type = v1::Resource::TYPE_UNSPECIFIED;
  std::string country;         // ISO alpha-3
  std::string language;        // BCP 47 (compared in lower case)
  int sdg_goal = 0;            // 1..17
  std::string tag;             // lower case
  std::string shared_by;       // "members/{m}"
  bool most_endorsed = false;  // else newest first
};

template <typename T>
struct LibraryPage {
  std::vector<T> items;       // in list order
  std::string next_position;  // empty on the last page
};

class LibraryStore final {
 public:
  struct Options {
    int64_t event_stream_maxlen = 1'000'000;  // XADD MAXLEN ~
    absl::Duration request_id_ttl = absl::Hours(24);
    int max_write_attempts = 8;  // compare-and-set retries under contention
  };

  LibraryStore(RedisClient* redis, Options options);

  static int ResourcesShard();    // ShardOfText("resources")
  static int InitiativesShard();  // ShardOfText("initiatives")

  // ---- Resources ----
  // Resources come back with endorsement_count, comment_count, etag and
  // endorsed_by_caller (for `caller`, "members/{m}") filled in.

  // Stores a new resource (name, shared_by, times set by the caller) and
  // appends `event`. With a request id this member used before (within its
  // lifetime) on a resource that still exists, returns that one instead.
  absl::StatusOr<v1::Resource> CreateResource(const v1::Resource& resource,
                                              absl::string_view request_id,
                                              const v1::Event& event);

  // NOT_FOUND when there is no such resource.
  absl::StatusOr<v1::Resource> GetResource(absl::string_view id,
                                           absl::string_view caller);

  // A page after `position` ("" = the first). INVALID_ARGUMENT
  // ("page_token: ...") when the position is malformed.
  absl::StatusOr<LibraryPage<v1::Resource>> ListResources(
      const ResourceQuery& query, absl::string_view position, int page_size,
      absl::string_view caller);

  // Decides an update from the current resource: fills `next` (a copy of
  // `current`) or returns an error, which the store returns unchanged.
  using ResourceChange = std::function<absl::Status(const v1::Resource& current,
                                                    v1::Resource* next)>;
  // Reads, calls `change` and writes. NOT_FOUND.
  absl::StatusOr<v1::Resource> UpdateResource(absl::string_view id,
                                              const ResourceChange& change,
                                              absl::string_view caller);

  // Reads, calls `check` (an error stops it) and removes the resource from
  // the library, every filter, the word index, with its endorsements and
  // comment count. NOT_FOUND.
  absl::Status DeleteResource(
      absl::string_view id,
      const std::function<absl::Status(const v1::Resource&)>& check);

  // Adds (or takes back) the caller's endorsement; a repeat changes
  // nothing. FAILED_PRECONDITION "own" (endorsing one's own resource),
  // NOT_FOUND.
  absl::StatusOr<v1::Resource> EndorseResource(absl::string_view id,
                                               absl::string_view caller,
                                               bool endorse);

  // Keeps comment_count from the comment events (EventConsumer handler):
  // for comments on "resources/{r}", CommentCreated, CommentReplied and
  // CommentRestored make the comment count, CommentHidden and
  // CommentWithdrawn stop it counting. Idempotent, and an event older than
  // one already applied for the same comment changes nothing; events about
  // other targets or deleted resources are ignored (OK).
  absl::Status ApplyCommentEvent(const v1::Event& event);

  // The title of "resources/{r}" (for CheckTargetAccess). NOT_FOUND when
  // missing or deleted; INVALID_ARGUMENT when not a resource name.
  absl::StatusOr<std::string> ResourceTitle(absl::string_view name);

  // Resources holding every word (from QueryWords), best first, at most
  // `limit`; and how many match in all.
  absl::StatusOr<std::pair<std::vector<LibraryHit>, int64_t>> SearchResources(
      const std::vector<std::string>& words, int limit);

  // ---- Initiatives ----
  // Initiatives come back with etag filled in; visibility is the caller's
  // business.

  // Stores a new initiative (every field set by the caller) and appends
  // `event`; request ids as for CreateResource.
  absl::StatusOr<v1::Initiative> CreateInitiative(
      const v1::Initiative& initiative, absl::string_view request_id,
      const v1::Event& event);

  // NOT_FOUND when there is no such initiative.
  absl::StatusOr<v1::Initiative> GetInitiative(absl::string_view id);

  // A page of the initiatives matching every field set in `filter`
  // (review_state as given: unspecified matches every state), by display
  // name. INVALID_ARGUMENT when the position is malformed.
  absl::StatusOr<LibraryPage<v1::Initiative>> ListInitiatives(
      const v1::InitiativeFilter& filter, absl::string_view position,
      int page_size);

  // Decides an update from the current initiative: fills `next` (a copy of
  // `current`) and, when the change has a domain event, `event`'s payload.
  using InitiativeChange = std::function<absl::Status(
      const v1::Initiative& current, v1::Initiative* next, v1::Event* event)>;
  // Reads, calls `change` and writes: the word index holds the initiative
  // exactly while it is APPROVED. NOT_FOUND.
  absl::StatusOr<v1::Initiative> UpdateInitiative(
      absl::string_view id, const InitiativeChange& change);

  // APPROVED initiatives holding every word, best first, at most `limit`;
  // and how many match in all.
  absl::StatusOr<std::pair<std::vector<LibraryHit>, int64_t>> SearchInitiatives(
      const std::vector<std::string>& words, int limit);

  // ---- Search index ----

  // Empties the word indexes of resources and initiatives and puts every
  // resource and every APPROVED initiative back from its record, with the
  // writers' own terms (RebuildWordIndex in
  // services/common/word_index_rebuild.h; safe beside live writes). Returns
  // how many documents the two indexes hold. ABORTED when a record kept
  // changing while it was read (run it again); DATA_LOSS for a record that
  // does not parse.
  absl::StatusOr<int64_t> RebuildSearchIndex();

 private:
  struct Write;
  struct Applied;
  absl::StatusOr<Applied> Apply(const Write& write);
  absl::StatusOr<std::pair<v1::Resource, int64_t>> ReadResource(
      absl::string_view id, absl::string_view caller);
  absl::StatusOr<std::pair<v1::Initiative, int64_t>> ReadInitiative(
      absl::string_view id);
  absl::StatusOr<std::pair<std::vector<LibraryHit>, int64_t>> Search(
      const std::vector<std::string>& words, int limit, bool resources);

  RedisClient* const redis_;
  const Options options_;
};

}  // namespace cdc::community
