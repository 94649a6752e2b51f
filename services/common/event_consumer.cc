#include "services/common/event_consumer.h"

#include <unistd.h>

#include <algorithm>
#include <limits>
#include <map>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "services/common/crypto.h"
#include "services/common/keys.h"
#include "services/common/log.h"
#include "services/common/status_macros.h"

namespace cdc {
namespace {

// Parses a canonical unsigned decimal: one or more digits, no sign, no
// space, no leading zero (but "0" itself), no overflow of uint64.
bool ParseDecimal(absl::string_view text, uint64_t* value) {
  if (text.empty() || (text.size() > 1 && text[0] == '0')) return false;
  uint64_t result = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return false;
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (result > (std::numeric_limits<uint64_t>::max() - digit) / 10) {
      return false;
    }
    result = result * 10 + digit;
  }
  *value = result;
  return true;
}

std::string DefaultName() {
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  return absl::StrCat(host, "-", getpid(), "-", RandomHex(3));
}

// The blocking connection waits up to `block` for entries on top of the
// usual command time.
RedisOptions BlockingOptions(RedisOptions options, absl::Duration block) {
  options.pool_size = 1;
  options.command_timeout += block;
  return options;
}

}  // namespace

// ---- Stream and event ids ----

std::string StreamId::ToString() const { return absl::StrCat(ms, "-", seq); }

absl::StatusOr<StreamId> ParseStreamId(absl::string_view text) {
  const size_t dash = text.find('-');
  StreamId id;
  if (dash == absl::string_view::npos ||
      !ParseDecimal(text.substr(0, dash), &id.ms) ||
      !ParseDecimal(text.substr(dash + 1), &id.seq)) {
    return absl::InvalidArgumentError(
        absl::StrCat("stream id: \"", absl::CHexEscape(text),
                     "\" is not <ms>-<seq> in decimal"));
  }
  return id;
}

std::string EventId(int shard, const StreamId& id) {
  return absl::StrCat("s", shard, "-", id.ms, "-", id.seq);
}

absl::StatusOr<std::pair<int, StreamId>> ParseEventId(absl::string_view text) {
  const auto invalid = [&] {
    return absl::InvalidArgumentError(absl::StrCat(
        "event id: \"", absl::CHexEscape(text),
        "\" is not s{shard}-{ms}-{seq} with a shard 0..", kShardCount - 1));
  };
  if (!absl::StartsWith(text, "s")) return invalid();
  const size_t dash = text.find('-');
  if (dash == absl::string_view::npos) return invalid();
  uint64_t shard = 0;
  if (!ParseDecimal(text.substr(1, dash - 1), &shard) ||
      shard >= static_cast<uint64_t>(kShardCount)) {
    return invalid();
  }
  absl::StatusOr<StreamId> id = ParseStreamId(text.substr(dash + 1));
  if (!id.ok()) return invalid();
  return std::make_pair(static_cast<int>(shard), *id);
}

absl::StatusOr<std::vector<StreamEntry>> ParseStreamEntries(
    int shard, const RedisReply& list) {
  std::vector<StreamEntry> out;
  for (const RedisReply& entry : list.elements) {
    if (entry.elements.size() != 2) continue;  // deleted while pending
    absl::StatusOr<StreamId> id = ParseStreamId(entry.elements[0].str);
    if (!id.ok()) {
      return absl::InternalError(
          absl::StrCat("event stream: ", id.status().message()));
    }
    StreamEntry& e = out.emplace_back();
    e.shard = shard;
    e.id = *id;
    const auto& fields = entry.elements[1].elements;
    for (size_t i = 0; i + 1 < fields.size(); i += 2) {
      if (fields[i].str == kEventField) e.event = fields[i + 1].str;
    }
  }
  return out;
}

// ---- EventConsumer ----

EventConsumer::EventConsumer(RedisClient* redis,
                             const RedisOptions& redis_options, Options options,
                             Handler handler)
    : redis_(redis),
      options_(std::move(options)),
      handler_(std::move(handler)),
      blocking_(BlockingOptions(redis_options, options_.block)) {
  if (options_.name.empty()) options_.name = DefaultName();
}

EventConsumer::~EventConsumer() { Stop(); }

void EventConsumer::Start() {
  if (thread_.joinable()) return;
  stop_.store(false);
  thread_ = std::thread([this] { Run(); });
}

void EventConsumer::Stop() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
}

absl::Status EventConsumer::EnsureGroups() {
  std::vector<std::vector<std::string>> commands;
  for (int shard = 0; shard < kShardCount; ++shard) {
    commands.push_back({"XGROUP", "CREATE", EventStreamKey(shard),
                        options_.group, "0", "MKSTREAM"});
  }
  CDC_ASSIGN_OR_RETURN(auto results, redis_->Pipeline(commands));
  for (const auto& result : results) {
    if (!result.ok() &&
        !absl::StrContains(result.status().message(), "BUSYGROUP")) {
      return result.status();
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<StreamEntry>> EventConsumer::Read(
    const std::vector<int>& shards, absl::string_view from,
    absl::Duration block) {
  std::vector<std::string> argv = {
      "XREADGROUP",  "GROUP", options_.group,
      options_.name, "COUNT", std::to_string(options_.batch)};
  if (from == ">") {
    // BLOCK 0 would wait for ever.
    const int64_t ms = std::max<int64_t>(1, absl::ToInt64Milliseconds(block));
    argv.push_back("BLOCK");
    argv.push_back(std::to_string(ms));
  }
  argv.push_back("STREAMS");
  for (const int shard : shards) argv.push_back(EventStreamKey(shard));
  for (size_t i = 0; i < shards.size(); ++i) argv.emplace_back(from);
  CDC_ASSIGN_OR_RETURN(RedisReply reply, blocking_.Command(argv));
  std::vector<StreamEntry> entries;
  for (const RedisReply& stream : reply.elements) {
    if (stream.elements.size() != 2) continue;
    for (const int shard : shards) {
      if (stream.elements[0].str != EventStreamKey(shard)) continue;
      // An entry deleted or trimmed while pending comes back as an id
      // without fields: it is parsed with no event, and Handle acknowledges
      // it, so that it cannot hold its shard.
      CDC_ASSIGN_OR_RETURN(std::vector<StreamEntry> some,
                           ParseStreamEntries(shard, stream.elements[1]));
      entries.insert(entries.end(), some.begin(), some.end());
    }
  }
  return entries;
}

absl::StatusOr<size_t> EventConsumer::ClaimIdle(int shard, std::string* start) {
  CDC_ASSIGN_OR_RETURN(
      RedisReply reply,
      redis_->Command(
          {"XAUTOCLAIM", EventStreamKey(shard), options_.group, options_.name,
           std::to_string(absl::ToInt64Milliseconds(options_.claim_idle)),
           *start, "COUNT", std::to_string(options_.batch), "JUSTID"}));
  if (reply.elements.size() < 2) {
    return absl::InternalError("event consumer: malformed XAUTOCLAIM reply");
  }
  *start = reply.elements[0].str;
  // Entries trimmed from the stream while pending come back as ids in the
  // third element (Redis 7) and are already gone from the pending list.
  return reply.elements[1].elements.size();
}

absl::Status EventConsumer::Ack(const std::vector<StreamEntry>& entries) {
  std::map<int, std::vector<std::string>> by_shard;
  for (const StreamEntry& e : entries) {
    by_shard[e.shard].push_back(e.id.ToString());
  }
  std::vector<std::vector<std::string>> commands;
  for (auto& [shard, ids] : by_shard) {
    std::vector<std::string>& argv = commands.emplace_back();
    argv = {"XACK", EventStreamKey(shard), options_.group};
    argv.insert(argv.end(), ids.begin(), ids.end());
  }
  if (commands.empty()) return absl::OkStatus();
  CDC_ASSIGN_OR_RETURN(auto results, redis_->Pipeline(commands));
  for (const auto& result : results) CDC_RETURN_IF_ERROR(result.status());
  return absl::OkStatus();
}

absl::Status EventConsumer::Handle(const StreamEntry& entry) {
  v1::Event event;
  const std::string id = EventId(entry.shard, entry.id);
  if (entry.event.empty() || !event.ParseFromString(entry.event)) {
    // Retrying cannot make it readable; holding it would block its shard.
    Log(LogLevel::kError, "unreadable event skipped",
        {{"event", id}, {"group", options_.group}});
    return absl::OkStatus();
  }
  event.set_id(id);
  return handler_(event);
}

void EventConsumer::HandleAndAck(const std::vector<StreamEntry>& entries) {
  if (entries.empty()) return;
  std::vector<StreamEntry> done;
  done.reserve(entries.size());
  // After a failure the rest of that shard's entries wait, so that the
  // events of one shard are handled in order when retried.
  bool shard_failed[kShardCount] = {};
  int64_t handled = 0;
  for (const StreamEntry& entry : entries) {
    if (shard_failed[entry.shard]) continue;
    ShardState& state = shards_[entry.shard];
    const bool failed_before = state.attempts > 0 && state.failed == entry.id;
    absl::Status status = Handle(entry);
    if (status.ok()) {
      done.push_back(entry);
      ++handled;
      if (failed_before) state.attempts = 0;
      continue;
    }
    const std::string id = EventId(entry.shard, entry.id);
    if (!failed_before) {
      state.failed = entry.id;
      state.attempts = 0;
    }
    if (++state.attempts >= options_.max_attempts) {
      // An event that keeps failing must not hold its shard back forever.
      Log(LogLevel::kError, "event given up after repeated failures",
          {{"event", id},
           {"group", options_.group},
           {"error", status.ToString()}});
      done.push_back(entry);
      state.attempts = 0;
      continue;
    }
    // Left pending, with what follows it in the shard: read again (ID 0)
    // once the delay has passed, before anything new of the shard.
    absl::Duration delay = options_.retry_delay;
    for (int i = 1; i < state.attempts && delay < options_.claim_idle; ++i) {
      delay *= 2;
    }
    delay = std::min(delay, options_.claim_idle / 2);
    state.backlog = true;
    state.retry_at = absl::Now() + delay;
    Log(LogLevel::kWarning, "event not handled; will retry",
        {{"event", id},
         {"group", options_.group},
         {"retry_in", absl::FormatDuration(delay)},
         {"error", status.ToString()}});
    shard_failed[entry.shard] = true;
  }
  absl::Status acked = Ack(done);
  if (acked.ok()) {
    processed_.fetch_add(handled);
  } else {
    // They stay pending with this consumer: handled again (idempotently)
    // before the newer entries of their shards.
    Log(LogLevel::kWarning, "ack failed; events will be retried",
        {{"group", options_.group}, {"error", acked.ToString()}});
    for (const StreamEntry& entry : done) {
      ShardState& state = shards_[entry.shard];
      state.backlog = true;
      state.retry_at =
          std::max(state.retry_at, absl::Now() + options_.retry_delay);
    }
  }
  if (options_.after_batch) options_.after_batch();
}

void EventConsumer::HandleBacklog() {
  const absl::Time now = absl::Now();
  std::vector<int> due;
  for (int shard = 0; shard < kShardCount; ++shard) {
    if (shards_[shard].backlog && shards_[shard].retry_at <= now) {
      due.push_back(shard);
    }
  }
  if (due.empty()) return;
  absl::StatusOr<std::vector<StreamEntry>> entries = Read(due, "0", {});
  if (!entries.ok()) {
    if (absl::StrContains(entries.status().message(), "NOGROUP")) {
      (void)EnsureGroups();
    }
    for (const int shard : due) {
      shards_[shard].retry_at = now + options_.retry_delay;
    }
    return;
  }
  // A shard with nothing pending here any more reads new entries again.
  bool pending[kShardCount] = {};
  for (const StreamEntry& entry : *entries) pending[entry.shard] = true;
  for (const int shard : due) {
    if (!pending[shard]) {
      shards_[shard] = ShardState();
      shards_[shard].backlog = false;
    }
  }
  HandleAndAck(*entries);
}

void EventConsumer::ClaimStale() {
  for (int shard = 0; shard < kShardCount && !stop_.load(); ++shard) {
    std::string start = "0-0";
    do {
      absl::StatusOr<size_t> claimed = ClaimIdle(shard, &start);
      if (!claimed.ok()) return;  // Redis trouble: the next round retries
      // Handled with this consumer's own pending entries of the shard, in
      // id order (and not before a failed one's retry is due).
      if (*claimed > 0) shards_[shard].backlog = true;
    } while (start != "0-0" && !stop_.load());
  }
}

void EventConsumer::Run() {
  while (!stop_.load()) {
    absl::Status ready = EnsureGroups();
    if (ready.ok()) break;
    Log(LogLevel::kWarning, "cannot create consumer groups; retrying",
        {{"group", options_.group}, {"error", ready.ToString()}});
    absl::SleepFor(absl::Milliseconds(500));
  }
  // Whatever an earlier run under this name left pending comes first.
  shards_.fill(ShardState{});
  absl::Time next_claim = absl::InfinitePast();
  while (!stop_.load()) {
    if (absl::Now() >= next_claim) {
      ClaimStale();
      next_claim = absl::Now() + options_.claim_interval;
    }
    HandleBacklog();
    // New entries of the shards without a backlog, waiting no longer than
    // until the next retry is due.
    std::vector<int> fresh;
    absl::Time wake = absl::Now() + options_.block;
    for (int shard = 0; shard < kShardCount; ++shard) {
      if (shards_[shard].backlog) {
        wake = std::min(wake, shards_[shard].retry_at);
      } else {
        fresh.push_back(shard);
      }
    }
    const absl::Duration wait = wake - absl::Now();
    if (fresh.empty()) {  // every shard waits for a retry
      absl::SleepFor(wait);
      continue;
    }
    absl::StatusOr<std::vector<StreamEntry>> entries = Read(fresh, ">", wait);
    if (!entries.ok()) {
      // NOGROUP after a FLUSHALL or a lost stream: make the groups again.
      if (absl::StrContains(entries.status().message(), "NOGROUP")) {
        (void)EnsureGroups();
      }
      absl::SleepFor(absl::Milliseconds(200));
      continue;
    }
    HandleAndAck(*entries);
  }
}

}  // namespace cdc
