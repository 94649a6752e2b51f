// A small full-text index kept in Redis beside the records it indexes, for
// the community's search (topics, posts, resources, initiatives).
//
// Why not a search library: the index must change in the same Lua script as
// the record it describes (one round trip per write, nothing half-written,
// no second store to back up or rebuild after a Redis restore). The
// community's collections are thousands of documents, not millions, which a
// sorted set per word serves well. docs/ARCHITECTURE.md states the choice
// and how an index is rebuilt.
//
// Layout under a key prefix P that carries its collection's hash tag:
//   P w:<word>   sorted set: document id -> the word's weight in it
//   P d:<doc>    set: the words indexed for the document (to drop them)
//   P n          string: number of documents indexed
// A write script that changes a document calls the Lua functions of
// kWordIndexLua (index_put / index_drop) with the terms DocumentTerms
// computed in C++; SearchWords scores the documents that hold every query
// word by tf-idf (sum over words of weight x ln(1 + N / df)) in one
// read-only script.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "services/common/redis.h"

namespace cdc {

inline constexpr int kMaxQueryWords = 20;
inline constexpr int kMaxWordLength = 64;  // code points; longer are cut

// The words of `text`, folded so that case and accents do not matter:
// Latin letters to unaccented ASCII ("Données" -> "donnees", Vietnamese
// "dữ" -> "du"), Greek and Cyrillic to small unaccented letters ("Данные"
// -> "данные", "ё" -> "е"), Arabic and Hebrew vowel marks dropped. Words are
// split at anything that is not a letter or a digit; English and French
// stop words and one-letter words are dropped. Han and kana, written
// without spaces, become overlapping pairs of characters (bigrams), so
// "数据" is found inside "人口普查数据的质量". No stemming.
std::vector<std::string> Words(absl::string_view text);

// The distinct words of a query, in order. INVALID_ARGUMENT naming `field`
// when it holds no searchable word or more than kMaxQueryWords.
absl::StatusOr<std::vector<std::string>> QueryWords(absl::string_view field,
                                                    absl::string_view query);

// One field of a document and how much a word in it counts (a title's
// words count more than a body's).
struct WeightedText {
  absl::string_view text;
  double weight = 1.0;
};

// word -> weight in the document: per field, weight x (1 + ln(occurrences)),
// summed over fields. Sorted by word.
using TermWeights = std::vector<std::pair<std::string, double>>;
TermWeights DocumentTerms(std::initializer_list<WeightedText> fields);

// Appends "<count>", then "<word>", "<weight>" per term, to a script's ARGV.
void AppendTermArgs(const TermWeights& terms, std::vector<std::string>* argv);

// Lua, to put before a write script's own text. Defines:
//   index_put(prefix, doc, argv_first)
//       replaces the document's words with the terms found in ARGV from
//       index argv_first (as AppendTermArgs wrote them); returns the index
//       just past them.
//   index_drop(prefix, doc)
//       removes the document from the index.
// Both are idempotent.
extern const char kWordIndexLua[];

struct WordMatch {
  std::string doc;  // the document id given to index_put
  double score;     // tf-idf relevance; higher is better
};

struct WordMatches {
  std::vector<WordMatch> best;  // best first (ties: by doc id), <= limit
  int64_t total = 0;            // documents holding every word
};

// The documents under `prefix` holding every word of `words`, best first.
absl::StatusOr<WordMatches> SearchWords(RedisClient& redis,
                                        absl::string_view prefix,
                                        const std::vector<std::string>& words,
                                        int limit);

// SearchWords over several prefixes (e.g. one per shard) in one pipelined
// round trip; one answer per prefix, in order. Scores are comparable across
// prefixes only roughly (each prefix has its own document counts).
absl::StatusOr<std::vector<WordMatches>> SearchWordsMany(
    RedisClient& redis, const std::vector<std::string>& prefixes,
    const std::vector<std::string>& words, int limit);

// Up to `max_chars` code points of `text` as plain text (Markdown marks and
// line breaks turned into spaces) around the first occurrence of one of
// `words`, with "…" where it was cut.
std::string Snippet(absl::string_view text,
                    const std::vector<std::string>& words,
                    size_t max_chars = 300);

}  // namespace cdc
