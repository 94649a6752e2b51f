#include "services/community/library_store.h"

#include <google/protobuf/util/time_util.h>

#include <set>
#include <type_traits>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "services/common/clock.h"
#include "services/common/event_consumer.h"
#include "services/common/keys.h"
#include "services/common/shard_index.h"
#include "services/common/status_macros.h"
#include "services/common/validation.h"
#include "services/common/word_index.h"
#include "services/common/word_index_rebuild.h"

namespace cdc::community {

// What a compare-and-set write changes; Apply turns it into one script.
struct LibraryStore::Write {
  int shard = 0;
  std::string record_key;
  std::string record_prefix;     // where a request key's id points
  std::string id;                // the record's id
  int64_t expected_version = 0;  // 0: the record must not exist yet
  bool remove = false;           // delete the record
  std::vector<std::pair<std::string, std::string>> fields;  // besides "ver"
  std::string old_entry;  // what "s-" and "z-" remove
  std::string new_entry;  // what "s+" and "z+" add
  // ("s-" | "s+" | "z-" | "z+" | "del", key), applied in order.
  std::vector<std::pair<std::string, std::string>> ops;
  std::string request_key;  // "" without a request id
  enum class Words { kKeep, kPut, kDrop } words = Words::kKeep;
  std::string index_prefix;
  std::string doc;
  TermWeights terms;  // for kPut
  std::string event;  // serialized; "" for none
};

struct LibraryStore::Applied {
  std::string prior;    // the id an earlier create with the request id made
  int64_t version = 0;  // else the record's version after the write
};

namespace {

using google::protobuf::util::TimeUtil;

// Per-record views, shared by the read scripts and the endorsement: an
// array {id, pb, version, endorsements, endorsed by caller, comments}, or
// nil when the record is gone. Keys are built from the collection's
// prefix, which carries its hash tag.
constexpr absl::string_view kViewsLua = R"lua(
local function resource_view(p, id, caller)
  local r = redis.call('HMGET', p .. 'r:' .. id, 'pb', 'ver')
  if not r[1] then return nil end
  return {id, r[1], r[2], redis.call('SCARD', p .. 're:' .. id),
          redis.call('SISMEMBER', p .. 're:' .. id, caller),
          redis.call('SCARD', p .. 'rc:' .. id)}
end
local function initiative_view(p, id)
  local r = redis.call('HMGET', p .. 'i:' .. id, 'pb', 'ver')
  if not r[1] then return nil end
  return {id, r[1], r[2], 0, 0, 0}
end
local function view(kind, p, id, caller)
  if kind == 'r' then return resource_view(p, id, caller) end
  return initiative_view(p, id)
end
)lua";

// The one write script of both collections. KEYS: 1 record, 2 events,
// 3 request key (the record again without one), 4.. the keys of the index
// operations. ARGV: 1 stream cap, 2 event ('' none), 3 expected version
// ('0' = must not exist), 4 request ttl ms ('' none), 5 record prefix,
// 6 id, 7 old entry, 8 new entry, 9 word-index operation ('', 'put',
// 'drop'), 10 index prefix, 11 document, 12 number N of index operations,
// 13..12+N those, then 'del' or the number F of record field arguments and
// those, then the document's terms (AppendTermArgs).
const RedisScript& ApplyScript() {
  static const RedisScript* const script =
      new RedisScript(absl::StrCat(kWordIndexLua, R"lua(
if ARGV[4] ~= '' then
  local prior = redis.call('GET', KEYS[3])
  if prior and redis.call('EXISTS', ARGV[5] .. prior) == 1 then
    return {'prior', prior}
  end
end
local version = tonumber(redis.call('HGET', KEYS[1], 'ver') or '0')
if version ~= tonumber(ARGV[3]) then
  if ARGV[3] == '0' then return redis.error_reply('ALREADY_EXISTS record') end
  if version == 0 then return redis.error_reply('NOT_FOUND record') end
  return redis.error_reply('ABORTED concurrent change')
end
local n = tonumber(ARGV[12])
for i = 1, n do
  local op, key = ARGV[12 + i], KEYS[3 + i]
  if op == 's-' then redis.call('SREM', key, ARGV[7])
  elseif op == 's+' then redis.call('SADD', key, ARGV[8])
  elseif op == 'z-' then redis.call('ZREM', key, ARGV[7])
  elseif op == 'z+' then redis.call('ZADD', key, 0, ARGV[8])
  elseif op == 'del' then redis.call('DEL', key) end
end
local at = 13 + n
if ARGV[at] == 'del' then
  redis.call('DEL', KEYS[1])
  at = at + 1
else
  local f = tonumber(ARGV[at])
  redis.call('HSET', KEYS[1], 'ver', version + 1, unpack(ARGV, at + 1, at + f))
  at = at + 1 + f
end
if ARGV[9] == 'put' then index_put(ARGV[10], ARGV[11], at)
elseif ARGV[9] == 'drop' then index_drop(ARGV[10], ARGV[11]) end
if ARGV[4] ~= '' then redis.call('SET', KEYS[3], ARGV[6], 'PX', ARGV[4]) end
if ARGV[2] ~= '' then
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[1], '*', 'event', ARGV[2])
end
return {'ok', tostring(version + 1)}
)lua"));
  return *script;
}

// Read-only. KEYS: 1 the record. ARGV: 1 kind ('r' / 'i'), 2 prefix, 3 id,
// 4 caller. The record's view, or nil.
const RedisScript& ViewScript() {
  static const RedisScript* const script =
      new RedisScript(absl::StrCat(kViewsLua, R"lua(
return view(ARGV[1], ARGV[2], ARGV[3], ARGV[4])
)lua"));
  return *script;
}

// Read-only. KEYS: 1 the order set, 2.. filter sets. ARGV: 1 the order
// set's weight, 2 the score of the position ('' = from the start), 3 its
// entry, 4 limit, 5 kind, 6 prefix, 7 caller. Returns up to limit + 1
// {entry, score, view} after the position, in list order: ZINTER gives the
// entries sorted by score, then by the bytes of the entry, which is the
// order of the list. Entries are compared byte by byte here because Lua's
// own string comparison follows the server's locale.
const RedisScript& ListScript() {
  static const RedisScript* const script =
      new RedisScript(absl::StrCat(kViewsLua, R"lua(
local function before(a, b)
  local n = math.min(#a, #b)
  for i = 1, n do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return #a < #b
end
local args = {'ZINTER', #KEYS}
for i = 1, #KEYS do args[#args + 1] = KEYS[i] end
args[#args + 1] = 'WEIGHTS'
args[#args + 1] = ARGV[1]
for i = 2, #KEYS do args[#args + 1] = '0' end
args[#args + 1] = 'WITHSCORES'
local all = redis.call(unpack(args))
local after = tonumber(ARGV[2])
local started = after == nil
local limit = tonumber(ARGV[4])
local out = {}
for i = 1, #all, 2 do
  local entry, score = all[i], tonumber(all[i + 1])
  if not started then
    started = score > after or (score == after and before(ARGV[3], entry))
  end
  if started then
    local v = view(ARGV[5], ARGV[6], string.match(entry, '\1(.*)$'), ARGV[7])
    if v then
      out[#out + 1] = {entry, tostring(score), v}
      if #out > limit then break end
    end
  end
end
return out
)lua"));
  return *script;
}

// KEYS: 1 record, 2 endorsers, 3 the most-endorsed order. ARGV: 1 caller,
// 2 '1' endorse / '0' take back, 3 prefix, 4 id. The resource's view.
const RedisScript& EndorseScript() {
  static const RedisScript* const script =
      new RedisScript(absl::StrCat(kViewsLua, R"lua(
local r = redis.call('HMGET', KEYS[1], 'owner', 'entry')
if not r[1] then return redis.error_reply('NOT_FOUND resource') end
if ARGV[2] == '1' then
  if r[1] == ARGV[1] then return redis.error_reply('FAILED_PRECONDITION own') end
  if redis.call('SADD', KEYS[2], ARGV[1]) == 1 then
    redis.call('ZINCRBY', KEYS[3], 1, r[2])
  end
elseif redis.call('SREM', KEYS[2], ARGV[1]) == 1 then
  redis.call('ZINCRBY', KEYS[3], -1, r[2])
end
return resource_view(ARGV[3], ARGV[4], ARGV[1])
)lua"));
  return *script;
}

// KEYS: 1 resource, 2 its visible comments, 3 its last applied events.
// ARGV: 1 comment id, 2 '+' counts / '-' does not, 3 the event's stream
// ms and 4 seq ('' when unknown). An event not newer than the last one
// applied for the comment is a redelivery or arrives late: it changes
// nothing, so a replayed CommentCreated cannot bring back a comment hidden
// since.
const RedisScript& CommentEventScript() {
  static const RedisScript* const script = new RedisScript(R"lua(
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if ARGV[3] ~= '' then
  local last = redis.call('HGET', KEYS[3], ARGV[1])
  if last then
    local ms, seq = string.match(last, '^(%d+)-(%d+)$')
    local nms, nseq = tonumber(ARGV[3]), tonumber(ARGV[4])
    ms, seq = tonumber(ms), tonumber(seq)
    if nms < ms or (nms == ms and nseq <= seq) then return 0 end
  end
  redis.call('HSET', KEYS[3], ARGV[1], ARGV[3] .. '-' .. ARGV[4])
end
if ARGV[2] == '+' then
  redis.call('SADD', KEYS[2], ARGV[1])
else
  redis.call('SREM', KEYS[2], ARGV[1])
end
return 1
)lua");
  return *script;
}

std::string Prefix(int shard) {
  return absl::StrCat("cm:", ShardTag(shard), ":");
}
const std::string& RPrefix() {
  static const std::string* const prefix =
      new std::string(Prefix(LibraryStore::ResourcesShard()));
  return *prefix;
}
const std::string& IPrefix() {
  static const std::string* const prefix =
      new std::string(Prefix(LibraryStore::InitiativesShard()));
  return *prefix;
}
std::string IdOf(absl::string_view name) {
  return std::string(name.substr(name.rfind('/') + 1));
}

std::string ResourceKey(absl::string_view id) {
  return absl::StrCat(RPrefix(), "r:", id);
}
std::string EndorsersKey(absl::string_view id) {
  return absl::StrCat(RPrefix(), "re:", id);
}
std::string CommentsKey(absl::string_view id) {
  return absl::StrCat(RPrefix(), "rc:", id);
}
std::string CommentEventsKey(absl::string_view id) {
  return absl::StrCat(RPrefix(), "rl:", id);
}
std::string NewestKey() { return RPrefix() + "rs:new"; }
std::string MostEndorsedKey() { return RPrefix() + "rs:end"; }
std::string ResourceSet(absl::string_view kind, absl::string_view value) {
  return absl::StrCat(RPrefix(), "rf:", kind, ":", value);
}

// The word indexes.
std::string ResourceWordsPrefix() { return RPrefix() + "ix:"; }
std::string InitiativeWordsPrefix() { return IPrefix() + "ix:"; }

std::string InitiativeKey(absl::string_view id) {
  return absl::StrCat(IPrefix(), "i:", id);
}
std::string InitiativeOrderKey() { return IPrefix() + "is:all"; }
std::string InitiativeSet(absl::string_view kind, absl::string_view value) {
  return absl::StrCat(IPrefix(), "if:", kind, ":", value);
}

// A request id is its member's own.
std::string RequestKey(absl::string_view prefix, absl::string_view member,
                       absl::string_view request_id) {
  return absl::StrCat(prefix, member, ":", request_id);
}

// The filter sets a resource's entry belongs to.
std::set<std::string> ResourceSets(const v1::Resource& r) {
  std::set<std::string> keys = {ResourceSet("type", absl::StrCat(r.type())),
                                ResourceSet("by", IdOf(r.shared_by()))};
  for (const std::string& c : r.countries()) {
    keys.insert(ResourceSet("country", c));
  }
  for (const std::string& l : r.languages()) {
    keys.insert(ResourceSet("lang", absl::AsciiStrToLower(l)));
  }
  for (int g : r.sdg_goals()) keys.insert(ResourceSet("sdg", absl::StrCat(g)));
  for (const std::string& t : r.tags()) keys.insert(ResourceSet("tag", t));
  return keys;
}

// The filter sets an initiative's entry belongs to.
std::set<std::string> InitiativeSets(const v1::Initiative& i) {
  std::set<std::string> keys = {
      InitiativeSet("otype", absl::StrCat(i.lead_organisation_type())),
      InitiativeSet("level", absl::StrCat(i.participation_level())),
      InitiativeSet("status", absl::StrCat(i.status())),
      InitiativeSet("review", absl::StrCat(i.review_state())),
      InitiativeSet("by", IdOf(i.submitted_by()))};
  for (const std::string& c : i.countries()) {
    keys.insert(InitiativeSet("country", c));
  }
  for (int r : i.regions())
    keys.insert(InitiativeSet("region", absl::StrCat(r)));
  for (int g : i.sdg_goals()) {
    keys.insert(InitiativeSet("sdg", absl::StrCat(g)));
  }
  return keys;
}

// The operations that move an entry from the sets `before` to `after`:
// only the difference while the entry stays, everything when it changes.
void MoveEntry(const std::set<std::string>& before,
               const std::set<std::string>& after, bool entry_changed,
               std::vector<std::pair<std::string, std::string>>* ops) {
  for (const std::string& key : before) {
    if (entry_changed || after.count(key) == 0) ops->emplace_back("s-", key);
  }
  for (const std::string& key : after) {
    if (entry_changed || before.count(key) == 0) ops->emplace_back("s+", key);
  }
}

std::string ResourceEntry(const v1::Resource& r) {
  return IndexEntry(
      NewestFirstSortKey(TimeUtil::TimestampToMilliseconds(r.create_time())),
      IdOf(r.name()));
}

// Display names sort without regard to (ASCII) case.
std::string InitiativeEntry(const v1::Initiative& i) {
  return IndexEntry(absl::AsciiStrToLower(i.display_name()), IdOf(i.name()));
}

TermWeights ResourceTerms(const v1::Resource& r) {
  const std::string tags = absl::StrJoin(r.tags(), " ");
  return DocumentTerms({{r.title(), 3.0}, {r.summary(), 1.0}, {tags, 2.0}});
}

TermWeights InitiativeTerms(const v1::Initiative& i) {
  const std::string partners = absl::StrJoin(i.partners(), "\n");
  const std::string topics = absl::StrJoin(i.data_topics(), "\n");
  return DocumentTerms({{i.display_name(), 3.0},
                        {i.description(), 1.0},
                        {i.lead_organisation(), 2.0},
                        {partners, 1.0},
                        {topics, 1.0}});
}

// What is stored: the output-only counts and the etag are computed on read.
std::string StoredResource(v1::Resource r) {
  r.clear_endorsement_count();
  r.clear_endorsed_by_caller();
  r.clear_comment_count();
  r.clear_etag();
  return r.SerializeAsString();
}
std::string StoredInitiative(v1::Initiative i) {
  i.clear_etag();
  return i.SerializeAsString();
}

// What RebuildWordIndex needs of a collection of "<prefix><id>" records,
// each a "pb" of `Message` with version "ver", whose word index is at
// `words`; `terms` gives a record's terms, or nullopt when it is not to be
// found.
template <typename Message>
WordIndexSource LibrarySource(
    const std::string& records, const std::string& words,
    std::function<std::optional<TermWeights>(const Message&)> terms) {
  return WordIndexSource{
      .index_prefixes = {words},
      .index_match = words + "*",
      .record_match = records + "*",
      .version_field = "ver",
      .is_record =
          [records](absl::string_view key) {
            return absl::StartsWith(key, records) &&
                   key.find(':', records.size()) == absl::string_view::npos;
          },
      .document = [words, terms = std::move(terms)](const RecordFields& fields)
          -> absl::StatusOr<std::optional<IndexedDocument>> {
        Message record;
        if (!record.ParseFromString(StringField(fields, "pb"))) {
          return absl::DataLossError("a stored record does not parse");
        }
        return IndexedDocument{words, record.name(), terms(record)};
      },
  };
}

// A view {id, pb, version, endorsements, endorsed, comments} as a record
// and its version.
template <typename Message>
absl::StatusOr<std::pair<Message, int64_t>> FromView(const RedisReply& view) {
  if (view.elements.size() != 6) {
    return absl::InternalError("redis: unexpected record view");
  }
  std::pair<Message, int64_t> out;
  if (!out.first.ParseFromString(view.elements[1].str)) {
    return absl::DataLossError("a stored record does not parse");
  }
  if (!absl::SimpleAtoi(view.elements[2].str, &out.second)) {
    return absl::DataLossError("a stored record has no version");
  }
  out.first.set_etag(absl::StrCat(out.second));
  if constexpr (std::is_same_v<Message, v1::Resource>) {
    out.first.set_endorsement_count(
        static_cast<int32_t>(view.elements[3].integer));
    out.first.set_endorsed_by_caller(view.elements[4].integer == 1);
    out.first.set_comment_count(static_cast<int32_t>(view.elements[5].integer));
  }
  return out;
}

bool IsConcurrentChange(const absl::Status& status) {
  return absl::IsAborted(status) && status.message() == "concurrent change";
}

// A page position: "<score>|<entry>".
std::string Position(absl::string_view score, absl::string_view entry) {
  return absl::StrCat(score, "|", entry);
}

// The comment an event is about and whether it counts afterwards, for the
// events that change whether a comment is VISIBLE.
bool CommentChange(const v1::Event& event, v1::CommentRef* ref, bool* counts) {
  switch (event.payload_case()) {
    case v1::Event::kCommentCreated:
      *ref = event.comment_created().comment();
      *counts = true;
      return true;
    case v1::Event::kCommentReplied:
      *ref = event.comment_replied().comment();
      *counts = true;
      return true;
    case v1::Event::kCommentRestored:
      *ref = event.comment_restored().comment();
      *counts = true;
      return true;
    case v1::Event::kCommentHidden:
      *ref = event.comment_hidden().comment();
      *counts = false;
      return true;
    case v1::Event::kCommentWithdrawn:
      *ref = event.comment_withdrawn().comment();
      *counts = false;
      return true;
    default:
      return false;
  }
}

}  // namespace

LibraryStore::LibraryStore(RedisClient* redis, Options options)
    : redis_(redis), options_(options) {}

int LibraryStore::ResourcesShard() {
  static const int shard = ShardOfText("resources");
  return shard;
}

int LibraryStore::InitiativesShard() {
  static const int shard = ShardOfText("initiatives");
  return shard;
}

absl::StatusOr<LibraryStore::Applied> LibraryStore::Apply(const Write& w) {
  std::vector<std::string> keys = {
      w.record_key, EventStreamKey(w.shard),
      w.request_key.empty() ? w.record_key : w.request_key};
  std::vector<std::string> args = {
      absl::StrCat(options_.event_stream_maxlen),
      w.event,
      absl::StrCat(w.expected_version),
      w.request_key.empty()
          ? ""
          : absl::StrCat(absl::ToInt64Milliseconds(options_.request_id_ttl)),
      w.record_prefix,
      w.id,
      w.old_entry,
      w.new_entry,
      w.words == Write::Words::kPut    ? "put"
      : w.words == Write::Words::kDrop ? "drop"
                                       : "",
      w.index_prefix,
      w.doc,
      absl::StrCat(w.ops.size())};
  for (const auto& [op, key] : w.ops) {
    args.push_back(op);
    keys.push_back(key);
  }
  if (w.remove) {
    args.push_back("del");
  } else {
    args.push_back(absl::StrCat(2 * w.fields.size()));
    for (const auto& [field, value] : w.fields) {
      args.push_back(field);
      args.push_back(value);
    }
  }
  if (w.words == Write::Words::kPut) AppendTermArgs(w.terms, &args);
  CDC_ASSIGN_OR_RETURN(RedisReply reply,
                       redis_->Eval(ApplyScript(), keys, args));
  if (reply.elements.size() != 2) {
    return absl::InternalError("redis: unexpected write reply");
  }
  Applied applied;
  if (reply.elements[0].str == "prior") {
    applied.prior = reply.elements[1].str;
  } else if (!absl::SimpleAtoi(reply.elements[1].str, &applied.version)) {
    return absl::InternalError("redis: unexpected write reply");
  }
  return applied;
}

// ---- Resources ----

absl::StatusOr<v1::Resource> LibraryStore::CreateResource(
    const v1::Resource& resource, absl::string_view request_id,
    const v1::Event& event) {
  const std::string id = IdOf(resource.name());
  const std::string entry = ResourceEntry(resource);
  Write w;
  w.shard = ResourcesShard();
  w.record_key = ResourceKey(id);
  w.record_prefix = RPrefix() + "r:";
  w.id = id;
  w.fields = {{"pb", StoredResource(resource)},
              {"owner", resource.shared_by()},
              {"entry", entry}};
  w.new_entry = entry;
  MoveEntry({}, ResourceSets(resource), false, &w.ops);
  w.ops.emplace_back("z+", NewestKey());
  w.ops.emplace_back("z+", MostEndorsedKey());
  if (!request_id.empty()) {
    w.request_key =
        RequestKey(RPrefix() + "rq:", IdOf(resource.shared_by()), request_id);
  }
  w.words = Write::Words::kPut;
  w.index_prefix = ResourceWordsPrefix();
  w.doc = resource.name();
  w.terms = ResourceTerms(resource);
  w.event = event.SerializeAsString();
  CDC_ASSIGN_OR_RETURN(Applied applied, Apply(w));
  if (!applied.prior.empty()) {
    return GetResource(applied.prior, resource.shared_by());
  }
  v1::Resource out = resource;
  out.set_etag(absl::StrCat(applied.version));
  out.set_endorsement_count(0);
  out.set_endorsed_by_caller(false);
  out.set_comment_count(0);
  return out;
}

absl::StatusOr<std::pair<v1::Resource, int64_t>> LibraryStore::ReadResource(
    absl::string_view id, absl::string_view caller) {
  CDC_ASSIGN_OR_RETURN(
      RedisReply reply,
      redis_->Eval(ViewScript(), {ResourceKey(id)},
                   {"r", RPrefix(), std::string(id), std::string(caller)}));
  if (reply.is_nil()) return absl::NotFoundError("resource");
  return FromView<v1::Resource>(reply);
}

absl::StatusOr<v1::Resource> LibraryStore::GetResource(
    absl::string_view id, absl::string_view caller) {
  CDC_ASSIGN_OR_RETURN(auto found, ReadResource(id, caller));
  return std::move(found.first);
}

namespace {

// Runs the list script over `keys` (the order set first) from `position`.
template <typename Message>
absl::StatusOr<LibraryPage<Message>> ListPage(
    RedisClient& redis, const std::vector<std::string>& keys,
    absl::string_view weight, absl::string_view kind, absl::string_view prefix,
    absl::string_view position, int page_size, absl::string_view caller) {
  std::string after_score;
  std::string after_entry;
  if (!position.empty()) {
    const size_t bar = position.find('|');
    double score = 0;
    if (bar == absl::string_view::npos ||
        !absl::SimpleAtod(position.substr(0, bar), &score)) {
      return absl::InvalidArgumentError(
          "page_token: is not a token this service issued");
    }
    after_score = std::string(position.substr(0, bar));
    after_entry = std::string(position.substr(bar + 1));
  }
  CDC_ASSIGN_OR_RETURN(
      RedisReply reply,
      redis.Eval(ListScript(), keys,
                 {std::string(weight), after_score, after_entry,
                  absl::StrCat(page_size), std::string(kind),
                  std::string(prefix), std::string(caller)}));
  LibraryPage<Message> page;
  for (const RedisReply& row : reply.elements) {
    if (row.elements.size() != 3) {
      return absl::InternalError("redis: unexpected listing reply");
    }
    if (page.items.size() == static_cast<size_t>(page_size)) {
      const RedisReply& last = reply.elements[page_size - 1];
      page.next_position = Position(last.elements[1].str, last.elements[0].str);
      break;
    }
    CDC_ASSIGN_OR_RETURN(auto found, FromView<Message>(row.elements[2]));
    page.items.push_back(std::move(found.first));
  }
  return page;
}

}  // namespace

absl::StatusOr<LibraryPage<v1::Resource>> LibraryStore::ListResources(
    const ResourceQuery& query, absl::string_view position, int page_size,
    absl::string_view caller) {
  std::vector<std::string> keys = {query.most_endorsed ? MostEndorsedKey()
                                                       : NewestKey()};
  if (query.type != v1::Resource::TYPE_UNSPECIFIED) {
    keys.push_back(ResourceSet("type", absl::StrCat(query.type)));
  }
  if (!query.country.empty()) {
    keys.push_back(ResourceSet("country", query.country));
  }
  if (!query.language.empty()) {
    keys.push_back(ResourceSet("lang", absl::AsciiStrToLower(query.language)));
  }
  if (query.sdg_goal != 0) {
    keys.push_back(ResourceSet("sdg", absl::StrCat(query.sdg_goal)));
  }
  if (!query.tag.empty()) keys.push_back(ResourceSet("tag", query.tag));
  if (!query.shared_by.empty()) {
    keys.push_back(ResourceSet("by", IdOf(query.shared_by)));
  }
  // Most endorsed first: the negated count orders ascending, and ties keep
  // the entries' newest-first order.
  return ListPage<v1::Resource>(*redis_, keys, query.most_endorsed ? "-1" : "1",
                                "r", RPrefix(), position, page_size, caller);
}

absl::StatusOr<v1::Resource> LibraryStore::UpdateResource(
    absl::string_view id, const ResourceChange& change,
    absl::string_view caller) {
  for (int attempt = 1;; ++attempt) {
    CDC_ASSIGN_OR_RETURN(auto current, ReadResource(id, caller));
    v1::Resource next = current.first;
    CDC_RETURN_IF_ERROR(change(current.first, &next));
    Write w;
    w.shard = ResourcesShard();
    w.record_key = ResourceKey(id);
    w.id = std::string(id);
    w.expected_version = current.second;
    w.fields = {{"pb", StoredResource(next)}};
    w.old_entry = w.new_entry = ResourceEntry(current.first);
    MoveEntry(ResourceSets(current.first), ResourceSets(next), false, &w.ops);
    w.words = Write::Words::kPut;
    w.index_prefix = ResourceWordsPrefix();
    w.doc = next.name();
    w.terms = ResourceTerms(next);
    absl::StatusOr<Applied> applied = Apply(w);
    if (IsConcurrentChange(applied.status()) &&
        attempt < options_.max_write_attempts) {
      continue;
    }
    if (absl::IsNotFound(applied.status())) {
      return absl::NotFoundError("resource");
    }
    CDC_RETURN_IF_ERROR(applied.status());
    next.set_etag(absl::StrCat(applied->version));
    return next;
  }
}

absl::Status LibraryStore::DeleteResource(
    absl::string_view id,
    const std::function<absl::Status(const v1::Resource&)>& check) {
  for (int attempt = 1;; ++attempt) {
    CDC_ASSIGN_OR_RETURN(auto current, ReadResource(id, ""));
    CDC_RETURN_IF_ERROR(check(current.first));
    Write w;
    w.shard = ResourcesShard();
    w.record_key = ResourceKey(id);
    w.id = std::string(id);
    w.expected_version = current.second;
    w.remove = true;
    w.old_entry = ResourceEntry(current.first);
    MoveEntry(ResourceSets(current.first), {}, false, &w.ops);
    w.ops.emplace_back("z-", NewestKey());
    w.ops.emplace_back("z-", MostEndorsedKey());
    w.ops.emplace_back("del", EndorsersKey(id));
    w.ops.emplace_back("del", CommentsKey(id));
    w.ops.emplace_back("del", CommentEventsKey(id));
    w.words = Write::Words::kDrop;
    w.index_prefix = ResourceWordsPrefix();
    w.doc = current.first.name();
    absl::StatusOr<Applied> applied = Apply(w);
    if (IsConcurrentChange(applied.status()) &&
        attempt < options_.max_write_attempts) {
      continue;
    }
    if (absl::IsNotFound(applied.status())) {
      return absl::NotFoundError("resource");
    }
    return applied.status();
  }
}

absl::StatusOr<v1::Resource> LibraryStore::EndorseResource(
    absl::string_view id, absl::string_view caller, bool endorse) {
  CDC_ASSIGN_OR_RETURN(
      RedisReply reply,
      redis_->Eval(EndorseScript(),
                   {ResourceKey(id), EndorsersKey(id), MostEndorsedKey()},
                   {std::string(caller), endorse ? "1" : "0", RPrefix(),
                    std::string(id)}));
  CDC_ASSIGN_OR_RETURN(auto found, FromView<v1::Resource>(reply));
  return std::move(found.first);
}

absl::Status LibraryStore::ApplyCommentEvent(const v1::Event& event) {
  v1::CommentRef ref;
  bool counts = false;
  if (!CommentChange(event, &ref, &counts)) return absl::OkStatus();
  absl::StatusOr<std::string> id =
      ParseResourceId("target", ref.target(), "resources");
  if (!id.ok()) return absl::OkStatus();  // another kind of target
  const std::string comment = IdOf(ref.comment());
  std::string ms;
  std::string seq;
  if (absl::StatusOr<std::pair<int, StreamId>> parsed =
          ParseEventId(event.id());
      parsed.ok()) {
    ms = absl::StrCat(parsed->second.ms);
    seq = absl::StrCat(parsed->second.seq);
  }
  return redis_
      ->Eval(CommentEventScript(),
             {ResourceKey(*id), CommentsKey(*id), CommentEventsKey(*id)},
             {comment, counts ? "+" : "-", ms, seq})
      .status();
}

absl::StatusOr<std::string> LibraryStore::ResourceTitle(
    absl::string_view name) {
  CDC_ASSIGN_OR_RETURN(std::string id,
                       ParseResourceId("target", name, "resources"));
  CDC_ASSIGN_OR_RETURN(auto found, ReadResource(id, ""));
  return found.first.title();
}

absl::StatusOr<std::pair<std::vector<LibraryHit>, int64_t>>
LibraryStore::Search(const std::vector<std::string>& words, int limit,
                     bool resources) {
  CDC_ASSIGN_OR_RETURN(
      WordMatches matches,
      SearchWords(*redis_,
                  resources ? ResourceWordsPrefix() : InitiativeWordsPrefix(),
                  words, limit));
  std::vector<std::vector<std::string>> commands;
  for (const WordMatch& match : matches.best) {
    const std::string id = IdOf(match.doc);
    commands.push_back(
        {"HGET", resources ? ResourceKey(id) : InitiativeKey(id), "pb"});
  }
  std::vector<LibraryHit> hits;
  if (commands.empty()) return std::make_pair(hits, matches.total);
  CDC_ASSIGN_OR_RETURN(auto replies, redis_->Pipeline(commands));
  for (size_t i = 0; i < replies.size(); ++i) {
    if (!replies[i].ok()) return replies[i].status();
    if (replies[i]->is_nil()) continue;  // removed since
    LibraryHit hit;
    hit.name = matches.best[i].doc;
    hit.score = matches.best[i].score;
    if (resources) {
      v1::Resource r;
      if (!r.ParseFromString(replies[i]->str)) {
        return absl::DataLossError("a stored resource does not parse");
      }
      hit.title = r.title();
      hit.text = r.summary();
      hit.update_time = FromProtoTime(r.update_time());
    } else {
      v1::Initiative r;
      if (!r.ParseFromString(replies[i]->str)) {
        return absl::DataLossError("a stored initiative does not parse");
      }
      if (r.review_state() != v1::Initiative::APPROVED) continue;
      hit.title = r.display_name();
      hit.text = r.description();
      hit.update_time = FromProtoTime(r.update_time());
    }
    hits.push_back(std::move(hit));
  }
  return std::make_pair(std::move(hits), matches.total);
}

absl::StatusOr<std::pair<std::vector<LibraryHit>, int64_t>>
LibraryStore::SearchResources(const std::vector<std::string>& words,
                              int limit) {
  return Search(words, limit, true);
}

// ---- Initiatives ----

absl::StatusOr<v1::Initiative> LibraryStore::CreateInitiative(
    const v1::Initiative& initiative, absl::string_view request_id,
    const v1::Event& event) {
  const std::string id = IdOf(initiative.name());
  const std::string entry = InitiativeEntry(initiative);
  Write w;
  w.shard = InitiativesShard();
  w.record_key = InitiativeKey(id);
  w.record_prefix = IPrefix() + "i:";
  w.id = id;
  w.fields = {{"pb", StoredInitiative(initiative)}, {"entry", entry}};
  w.new_entry = entry;
  MoveEntry({}, InitiativeSets(initiative), false, &w.ops);
  w.ops.emplace_back("z+", InitiativeOrderKey());
  if (!request_id.empty()) {
    w.request_key = RequestKey(
        IPrefix() + "iq:", IdOf(initiative.submitted_by()), request_id);
  }
  w.index_prefix = InitiativeWordsPrefix();
  w.doc = initiative.name();
  if (initiative.review_state() == v1::Initiative::APPROVED) {
    w.words = Write::Words::kPut;
    w.terms = InitiativeTerms(initiative);
  }
  w.event = event.SerializeAsString();
  CDC_ASSIGN_OR_RETURN(Applied applied, Apply(w));
  if (!applied.prior.empty()) return GetInitiative(applied.prior);
  v1::Initiative out = initiative;
  out.set_etag(absl::StrCat(applied.version));
  return out;
}

absl::StatusOr<std::pair<v1::Initiative, int64_t>> LibraryStore::ReadInitiative(
    absl::string_view id) {
  CDC_ASSIGN_OR_RETURN(RedisReply reply,
                       redis_->Eval(ViewScript(), {InitiativeKey(id)},
                                    {"i", IPrefix(), std::string(id), ""}));
  if (reply.is_nil()) return absl::NotFoundError("initiative");
  return FromView<v1::Initiative>(reply);
}

absl::StatusOr<v1::Initiative> LibraryStore::GetInitiative(
    absl::string_view id) {
  CDC_ASSIGN_OR_RETURN(auto found, ReadInitiative(id));
  return std::move(found.first);
}

absl::StatusOr<LibraryPage<v1::Initiative>> LibraryStore::ListInitiatives(
    const v1::InitiativeFilter& f, absl::string_view position, int page_size) {
  std::vector<std::string> keys = {InitiativeOrderKey()};
  if (!f.country().empty())
    keys.push_back(InitiativeSet("country", f.country()));
  if (f.region() != v1::Initiative::REGION_UNSPECIFIED) {
    keys.push_back(InitiativeSet("region", absl::StrCat(f.region())));
  }
  if (f.lead_organisation_type() != v1::ORGANISATION_TYPE_UNSPECIFIED) {
    keys.push_back(
        InitiativeSet("otype", absl::StrCat(f.lead_organisation_type())));
  }
  if (f.participation_level() != v1::PARTICIPATION_LEVEL_UNSPECIFIED) {
    keys.push_back(
        InitiativeSet("level", absl::StrCat(f.participation_level())));
  }
  if (f.sdg_goal() != 0) {
    keys.push_back(InitiativeSet("sdg", absl::StrCat(f.sdg_goal())));
  }
  if (f.status() != v1::Initiative::STATUS_UNSPECIFIED) {
    keys.push_back(InitiativeSet("status", absl::StrCat(f.status())));
  }
  if (f.review_state() != v1::Initiative::REVIEW_STATE_UNSPECIFIED) {
    keys.push_back(InitiativeSet("review", absl::StrCat(f.review_state())));
  }
  if (!f.submitted_by().empty()) {
    keys.push_back(InitiativeSet("by", IdOf(f.submitted_by())));
  }
  return ListPage<v1::Initiative>(*redis_, keys, "1", "i", IPrefix(), position,
                                  page_size, "");
}

absl::StatusOr<v1::Initiative> LibraryStore::UpdateInitiative(
    absl::string_view id, const InitiativeChange& change) {
  for (int attempt = 1;; ++attempt) {
    CDC_ASSIGN_OR_RETURN(auto current, ReadInitiative(id));
    v1::Initiative next = current.first;
    v1::Event event;
    CDC_RETURN_IF_ERROR(change(current.first, &next, &event));
    const std::string old_entry = InitiativeEntry(current.first);
    const std::string new_entry = InitiativeEntry(next);
    Write w;
    w.shard = InitiativesShard();
    w.record_key = InitiativeKey(id);
    w.id = std::string(id);
    w.expected_version = current.second;
    w.fields = {{"pb", StoredInitiative(next)}, {"entry", new_entry}};
    w.old_entry = old_entry;
    w.new_entry = new_entry;
    const bool renamed = old_entry != new_entry;
    MoveEntry(InitiativeSets(current.first), InitiativeSets(next), renamed,
              &w.ops);
    if (renamed) {
      w.ops.emplace_back("z-", InitiativeOrderKey());
      w.ops.emplace_back("z+", InitiativeOrderKey());
    }
    w.index_prefix = InitiativeWordsPrefix();
    w.doc = next.name();
    if (next.review_state() == v1::Initiative::APPROVED) {
      w.words = Write::Words::kPut;
      w.terms = InitiativeTerms(next);
    } else {
      w.words = Write::Words::kDrop;
    }
    if (event.payload_case() != v1::Event::PAYLOAD_NOT_SET) {
      w.event = event.SerializeAsString();
    }
    absl::StatusOr<Applied> applied = Apply(w);
    if (IsConcurrentChange(applied.status()) &&
        attempt < options_.max_write_attempts) {
      continue;
    }
    if (absl::IsNotFound(applied.status())) {
      return absl::NotFoundError("initiative");
    }
    CDC_RETURN_IF_ERROR(applied.status());
    next.set_etag(absl::StrCat(applied->version));
    return next;
  }
}

absl::StatusOr<int64_t> LibraryStore::RebuildSearchIndex() {
  CDC_ASSIGN_OR_RETURN(
      const int64_t resources,
      RebuildWordIndex(*redis_, LibrarySource<v1::Resource>(
                                    ResourceKey(""), ResourceWordsPrefix(),
                                    [](const v1::Resource& r) {
                                      return std::optional(ResourceTerms(r));
                                    })));
  CDC_ASSIGN_OR_RETURN(
      const int64_t initiatives,
      RebuildWordIndex(
          *redis_,
          LibrarySource<v1::Initiative>(
              InitiativeKey(""), InitiativeWordsPrefix(),
              [](const v1::Initiative& i) -> std::optional<TermWeights> {
                if (i.review_state() != v1::Initiative::APPROVED) {
                  return std::nullopt;
                }
                return InitiativeTerms(i);
              })));
  return resources + initiatives;
}

absl::StatusOr<std::pair<std::vector<LibraryHit>, int64_t>>
LibraryStore::SearchInitiatives(const std::vector<std::string>& words,
                                int limit) {
  return Search(words, limit, false);
}

}  // namespace cdc::community
