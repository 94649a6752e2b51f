// Rebuilding a word index (word_index.h) from the records it describes: the
// one rebuild behind cdc-community's and cdc-comments'
// --rebuild_search_index.
//
// An index is derived data, kept in step by the scripts that write its
// records. A rebuild is for when that step changes (Words(), a field's
// weight) or the index and the records disagree (after restoring a partial
// backup). It runs beside live writes and never leaves stale terms:
//
//  1. Clear. Every key under the index prefixes goes (SCAN, then batches):
//     word sets by UNLINK, a document's own word set by index_drop, so that
//     at every moment a document under a word also lists that word — what
//     a writer's index_drop relies on to leave nothing behind. The document
//     count is then set to the number of documents left (those written
//     meanwhile), guarded against a write in between.
//  2. Re-put. Every record is read, then one small script per record puts
//     its terms (or drops it, when it is not to be found) only if its
//     version field still holds the value read; a record changed in between
//     is read again. Every record that exists is visited after the clear,
//     and a write after the read is either seen by the guard or made by a
//     writer that keeps the index itself, so the index ends as the records
//     are.
//
// Header-only so that both services can share it without a build change;
// it belongs in word_index.cc.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "services/common/redis.h"
#include "services/common/shard_index.h"
#include "services/common/status_macros.h"
#include "services/common/word_index.h"

namespace cdc {

// A record's place in its index.
struct IndexedDocument {
  std::string index_prefix;          // the index it belongs to
  std::string doc;                   // its document id there
  std::optional<TermWeights> terms;  // nullopt: not to be found (dropped)
};

// What RebuildWordIndex needs to know of a collection. SCAN patterns are
// coarse filters (glob, over the whole keyspace); the functions decide.
struct WordIndexSource {
  std::vector<std::string> index_prefixes;  // each under its hash tag
  std::string index_match;    // a SCAN MATCH covering every index key
  std::string record_match;   // a SCAN MATCH covering every record
  std::string version_field;  // a hash field every write of a record changes
  // Whether a key SCAN found is a record (a hash) of the collection.
  std::function<bool(absl::string_view key)> is_record;
  // The record's document from its fields (HGETALL, never empty), computed
  // as its writers compute it; nullopt for a record never indexed.
  std::function<absl::StatusOr<std::optional<IndexedDocument>>(
      const RecordFields& fields)>
      document;
};

namespace word_index_rebuild_internal {

inline constexpr int kScanCount = 1000;  // SCAN COUNT
inline constexpr size_t kBatch = 200;    // records per pipelined round trip
inline constexpr int kAttempts = 10;  // reads of a record that keeps changing

// KEYS: 1 the document's word set. ARGV: 1 index prefix, 2 document.
inline const RedisScript& DropScript() {
  static const RedisScript* const script = new RedisScript(
      absl::StrCat(kWordIndexLua, "index_drop(ARGV[1], ARGV[2]) return 1"));
  return *script;
}

// KEYS: 1 an index's document count. ARGV: 1 its value read ("" = none),
// 2 the count to set. 0 when the count changed meanwhile.
inline const RedisScript& RecountScript() {
  static const RedisScript* const script = new RedisScript(R"lua(
if (redis.call('GET', KEYS[1]) or '') ~= ARGV[1] then return 0 end
if ARGV[2] == '0' then redis.call('DEL', KEYS[1])
else redis.call('SET', KEYS[1], ARGV[2]) end
return 1
)lua");
  return *script;
}

// KEYS: 1 the record. ARGV: 1 its version field, 2 the version read, 3 index
// prefix, 4 document, 5 'put' or 'drop', then the terms (AppendTermArgs)
// for 'put'. -1 when the record changed since it was read, else 1 when the
// document is now found by at least one word, 0 otherwise.
inline const RedisScript& ReputScript() {
  static const RedisScript* const script =
      new RedisScript(absl::StrCat(kWordIndexLua, R"lua(
if (redis.call('HGET', KEYS[1], ARGV[1]) or '') ~= ARGV[2] then return -1 end
if ARGV[5] == 'drop' then
  index_drop(ARGV[3], ARGV[4])
  return 0
end
index_put(ARGV[3], ARGV[4], 6)
if tonumber(ARGV[6]) > 0 then return 1 end
return 0
)lua"));
  return *script;
}

// Calls `visit` with each batch of distinct keys matching `match`.
inline absl::Status ScanKeys(
    RedisClient& redis, const std::string& match,
    const std::function<absl::Status(std::vector<std::string>)>& visit) {
  absl::flat_hash_set<std::string> seen;  // SCAN may return a key twice
  std::string cursor = "0";
  do {
    CDC_ASSIGN_OR_RETURN(RedisReply reply,
                         redis.Command({"SCAN", cursor, "MATCH", match, "COUNT",
                                        absl::StrCat(kScanCount)}));
    if (reply.elements.size() != 2) {
      return absl::InternalError("redis: unexpected SCAN reply");
    }
    cursor = reply.elements[0].str;
    std::vector<std::string> keys;
    for (RedisReply& key : reply.elements[1].elements) {
      if (seen.insert(key.str).second) keys.push_back(std::move(key.str));
    }
    if (!keys.empty()) CDC_RETURN_IF_ERROR(visit(std::move(keys)));
  } while (cursor != "0");
  return absl::OkStatus();
}

// The index prefix `key` lies under, or nullptr.
inline const std::string* PrefixOf(const WordIndexSource& source,
                                   absl::string_view key) {
  for (const std::string& prefix : source.index_prefixes) {
    if (absl::StartsWith(key, prefix)) return &prefix;
  }
  return nullptr;
}

inline absl::Status FirstError(
    const std::vector<absl::StatusOr<RedisReply>>& replies) {
  for (const auto& reply : replies) CDC_RETURN_IF_ERROR(reply.status());
  return absl::OkStatus();
}

// Step 1 without the count: word sets and strays by UNLINK, documents by
// index_drop; the counts stay as they are.
inline absl::Status ClearIndexes(RedisClient& redis,
                                 const WordIndexSource& source) {
  return ScanKeys(
      redis, source.index_match,
      [&](std::vector<std::string> keys) -> absl::Status {
        std::vector<RedisClient::ScriptCall> drops;
        std::vector<std::string> unlink = {"UNLINK"};
        for (std::string& key : keys) {
          const std::string* prefix = PrefixOf(source, key);
          if (prefix == nullptr) continue;
          const absl::string_view rest =
              absl::string_view(key).substr(prefix->size());
          if (rest == "n") continue;
          if (absl::StartsWith(rest, "d:")) {
            drops.push_back({{key}, {*prefix, std::string(rest.substr(2))}});
          } else {
            unlink.push_back(std::move(key));
          }
        }
        if (!drops.empty()) {
          CDC_ASSIGN_OR_RETURN(auto replies,
                               redis.EvalMany(DropScript(), drops));
          CDC_RETURN_IF_ERROR(FirstError(replies));
        }
        if (unlink.size() > 1) {
          CDC_RETURN_IF_ERROR(redis.Command(unlink).status());
        }
        return absl::OkStatus();
      });
}

// Step 1's count: each index's "n" becomes the number of its documents, if
// no write changed it while they were counted (else counted again). A
// create and a delete both within the count leave it unchanged yet may be
// counted one-sidedly; that skews scores by one document until the next
// rebuild, never which documents match.
inline absl::Status Recount(RedisClient& redis, const WordIndexSource& source) {
  std::vector<std::string> pending = source.index_prefixes;
  for (int attempt = 1; attempt <= kAttempts && !pending.empty(); ++attempt) {
    std::vector<std::vector<std::string>> gets;
    for (const std::string& prefix : pending) {
      gets.push_back({"GET", prefix + "n"});
    }
    CDC_ASSIGN_OR_RETURN(auto before, redis.Pipeline(gets));
    CDC_RETURN_IF_ERROR(FirstError(before));
    std::vector<int64_t> counts(pending.size(), 0);
    CDC_RETURN_IF_ERROR(
        ScanKeys(redis, source.index_match,
                 [&](std::vector<std::string> keys) -> absl::Status {
                   for (const std::string& key : keys) {
                     for (size_t i = 0; i < pending.size(); ++i) {
                       if (absl::StartsWith(key, pending[i] + "d:")) {
                         ++counts[i];
                       }
                     }
                   }
                   return absl::OkStatus();
                 }));
    std::vector<RedisClient::ScriptCall> sets;
    for (size_t i = 0; i < pending.size(); ++i) {
      sets.push_back(
          {{pending[i] + "n"}, {before[i]->str, absl::StrCat(counts[i])}});
    }
    CDC_ASSIGN_OR_RETURN(auto replies, redis.EvalMany(RecountScript(), sets));
    CDC_RETURN_IF_ERROR(FirstError(replies));
    std::vector<std::string> changed;
    for (size_t i = 0; i < pending.size(); ++i) {
      if (replies[i]->integer != 1) changed.push_back(pending[i]);
    }
    pending = std::move(changed);
  }
  if (!pending.empty()) {
    return absl::AbortedError(absl::StrCat(
        "search index rebuild: the document count of ", pending.front(),
        " kept changing while it was counted; run the rebuild again"));
  }
  return absl::OkStatus();
}

// Step 2 for a batch of record keys; adds the documents found by at least
// one word to `indexed`.
inline absl::Status Reput(RedisClient& redis, const WordIndexSource& source,
                          std::vector<std::string> keys, int64_t* indexed) {
  for (int attempt = 1; !keys.empty(); ++attempt) {
    if (attempt > kAttempts) {
      return absl::AbortedError(
          absl::StrCat("search index rebuild: ", keys.front(),
                       " kept changing while it was read; run the rebuild "
                       "again"));
    }
    std::vector<std::vector<std::string>> reads;
    for (const std::string& key : keys) reads.push_back({"HGETALL", key});
    CDC_ASSIGN_OR_RETURN(auto records, redis.Pipeline(reads));
    std::vector<RedisClient::ScriptCall> calls;
    std::vector<std::string> called;  // the record of each call
    for (size_t i = 0; i < keys.size(); ++i) {
      CDC_RETURN_IF_ERROR(records[i].status());
      CDC_ASSIGN_OR_RETURN(RecordFields fields, ToRecordFields(*records[i]));
      if (fields.empty()) continue;  // deleted since: its writer dropped it
      CDC_ASSIGN_OR_RETURN(std::optional<IndexedDocument> document,
                           source.document(fields));
      if (!document.has_value()) continue;
      RedisClient::ScriptCall& call = calls.emplace_back();
      call.keys = {keys[i]};
      call.args = {source.version_field,
                   StringField(fields, source.version_field),
                   document->index_prefix, document->doc,
                   document->terms.has_value() ? "put" : "drop"};
      if (document->terms.has_value()) {
        AppendTermArgs(*document->terms, &call.args);
      }
      called.push_back(keys[i]);
    }
    keys.clear();
    if (calls.empty()) break;
    CDC_ASSIGN_OR_RETURN(auto replies, redis.EvalMany(ReputScript(), calls));
    CDC_RETURN_IF_ERROR(FirstError(replies));
    for (size_t i = 0; i < called.size(); ++i) {
      if (replies[i]->integer < 0) keys.push_back(std::move(called[i]));
      if (replies[i]->integer == 1) ++*indexed;
    }
  }
  return absl::OkStatus();
}

}  // namespace word_index_rebuild_internal

// Rebuilds the indexes of `source` (see the top of this file) and returns
// how many records it put back (those found by at least one word). ABORTED when
// a record or a count kept changing under live writes (run it again); errors of
// Redis and of `source.document` as they come.
inline absl::StatusOr<int64_t> RebuildWordIndex(RedisClient& redis,
                                                const WordIndexSource& source) {
  namespace internal = word_index_rebuild_internal;
  CDC_RETURN_IF_ERROR(internal::ClearIndexes(redis, source));
  CDC_RETURN_IF_ERROR(internal::Recount(redis, source));
  int64_t indexed = 0;
  std::vector<std::string> batch;
  CDC_RETURN_IF_ERROR(
      internal::ScanKeys(redis, source.record_match,
                         [&](std::vector<std::string> keys) -> absl::Status {
                           for (std::string& key : keys) {
                             if (!source.is_record(key)) continue;
                             batch.push_back(std::move(key));
                             if (batch.size() == internal::kBatch) {
                               CDC_RETURN_IF_ERROR(internal::Reput(
                                   redis, source, std::move(batch), &indexed));
                               batch.clear();
                             }
                           }
                           return absl::OkStatus();
                         }));
  CDC_RETURN_IF_ERROR(
      internal::Reput(redis, source, std::move(batch), &indexed));
  return indexed;
}

}  // namespace cdc
