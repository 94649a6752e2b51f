#include "tests/faults/consistency.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "cdc/v1/comments.grpc.pb.h"
#include "cdc/v1/events.pb.h"
#include "cdc/v1/notifications.grpc.pb.h"
#include "services/common/keys.h"

namespace cdc::faults {
namespace {

constexpr absl::string_view kBodyPrefix = "Fault-test comment ";

std::string IdOf(absl::string_view name) {
  return std::string(name.substr(name.rfind('/') + 1));
}

std::string Prefix(int shard) {
  return absl::StrCat("comments:", ShardTag(shard), ":");
}

// Every key matching `pattern` (SCAN; the test's own Redis).
std::vector<std::string> Scan(RedisClient& redis, const std::string& pattern) {
  std::vector<std::string> keys;
  std::string cursor = "0";
  do {
    auto reply =
        redis.Command({"SCAN", cursor, "MATCH", pattern, "COUNT", "1000"});
    if (!reply.ok() || reply->elements.size() != 2) break;
    cursor = reply->elements[0].str;
    for (const RedisReply& key : reply->elements[1].elements) {
      keys.push_back(key.str);
    }
  } while (cursor != "0");
  return keys;
}

std::set<std::string> Members(RedisClient& redis, const std::string& key,
                              bool index_entries = false) {
  std::set<std::string> out;
  auto reply = redis.Command({"ZRANGE", key, "0", "-1"});
  if (!reply.ok()) return out;
  for (const RedisReply& e : reply->elements) {
    // "<ms>\1<id>" entries of the author and consultation indexes.
    out.insert(index_entries ? e.str.substr(e.str.find('\1') + 1) : e.str);
  }
  return out;
}

std::string Describe(const std::set<std::string>& a,
                     const std::set<std::string>& b) {
  std::vector<std::string> only_a, only_b;
  for (const auto& x : a) {
    if (!b.contains(x)) only_a.push_back(x);
  }
  for (const auto& x : b) {
    if (!a.contains(x)) only_b.push_back(x);
  }
  return absl::StrCat("index only: [", absl::StrJoin(only_a, " "),
                      "], stored only: [", absl::StrJoin(only_b, " "), "]");
}

struct Stored {
  std::map<std::string, std::string> fields;
  const std::string& operator[](const std::string& f) { return fields[f]; }
};

}  // namespace

StoreReport CheckComments(Cluster& cluster,
                          const std::vector<Operation>& operations,
                          const std::vector<std::string>& sections) {
  StoreReport report;
  RedisClient& redis = cluster.redis();
  auto problem = [&](std::string text) {
    if (report.problems.size() < 50) report.problems.push_back(std::move(text));
  };

  // Every stored comment, by id.
  std::map<std::string, Stored> comments;
  for (int shard = 0; shard < kShardCount; ++shard) {
    const std::string prefix = Prefix(shard) + "c:";
    for (const std::string& key : Scan(redis, prefix + "*")) {
      const std::string id = key.substr(prefix.size());
      if (absl::StrContains(id, ":")) continue;
      auto reply = redis.Command({"HGETALL", key});
      if (!reply.ok()) {
        problem(absl::StrCat("HGETALL ", key, ": ", reply.status().message()));
        continue;
      }
      Stored& c = comments[id];
      for (size_t i = 0; i + 1 < reply->elements.size(); i += 2) {
        c.fields[reply->elements[i].str] = reply->elements[i + 1].str;
      }
    }
  }
  report.stored = static_cast<int64_t>(comments.size());

  // Stored comments by operation tag (from the body).
  std::map<std::string, std::vector<std::string>> by_tag;
  for (auto& [id, c] : comments) {
    std::string body = c["body"];
    if (!absl::StartsWith(body, kBodyPrefix) || !absl::EndsWith(body, ".")) {
      problem(
          absl::StrCat("comment ", id, " has a body no writer wrote: ", body));
      continue;
    }
    by_tag[body.substr(kBodyPrefix.size(),
                       body.size() - kBodyPrefix.size() - 1)]
        .push_back(id);
  }
  std::set<std::string> tags;
  for (const Operation& op : operations) {
    ++report.operations;
    tags.insert(op.tag);
    const std::vector<std::string>& ids = by_tag[op.tag];
    if (ids.size() > 1) {
      report.duplicated += static_cast<int64_t>(ids.size()) - 1;
      problem(absl::StrCat("operation ", op.tag, " stored ", ids.size(),
                           " times: ", absl::StrJoin(ids, " ")));
    }
    if (op.comment.empty()) continue;
    ++report.acknowledged;
    const std::string id = IdOf(op.comment);
    if (!comments.contains(id)) {
      ++report.lost;
      problem(absl::StrCat("acknowledged ", op.comment, " (", op.tag,
                           ") is not stored"));
      continue;
    }
    Stored& c = comments[id];
    if (c["author"] != op.author || c["target"] != op.target ||
        c["parent"] != op.parent) {
      problem(absl::StrCat(op.comment, " is stored with author ", c["author"],
                           " target ", c["target"], " parent ", c["parent"],
                           "; the writer sent ", op.author, " ", op.target, " ",
                           op.parent));
    }
    // The request id's key names the comment (24 h).
    const int shard = ShardOfId(id);
    auto request = redis.Command(
        {"GET", absl::StrCat(Prefix(shard), "req:", IdOf(op.author), ":",
                             op.parent.empty() ? op.target : op.parent, ":",
                             op.request_id)});
    if (!request.ok() || request->str != id) {
      problem(absl::StrCat("the request id of ", op.tag, " names ",
                           request.ok() ? request->str : "nothing", ", not ",
                           id));
    }
  }
  for (const auto& [tag, ids] : by_tag) {
    if (!tags.contains(tag)) {
      problem(absl::StrCat("stored comment(s) ", absl::StrJoin(ids, " "),
                           " of no operation (", tag, ")"));
    }
  }

  // Indexes against the stored comments.
  std::map<std::pair<int, std::string>, std::set<std::string>> by_target,
      by_author;
  std::map<std::string, std::set<std::string>> by_thread, by_parent;
  std::map<int, std::set<std::string>> by_shard;
  std::map<int, std::set<std::string>> seqs;
  std::map<int, int64_t> max_seq;
  for (auto& [id, c] : comments) {
    const int shard = ShardOfId(id);
    by_target[{shard, c["target"]}].insert(id);
    by_author[{shard, IdOf(c["author"])}].insert(id);
    by_thread[IdOf(c["thread"])].insert(id);
    if (!c["parent"].empty()) by_parent[IdOf(c["parent"])].insert(id);
    by_shard[shard].insert(id);
    if (!seqs[shard].insert(c["seq"]).second) {
      problem(absl::StrCat("creation counter ", c["seq"], " of ", id,
                           " is used twice in shard ", shard));
    }
    int64_t seq = 0;
    if (absl::SimpleAtoi(c["seq"], &seq)) {
      max_seq[shard] = std::max(max_seq[shard], seq);
    }
    // A comment never edited has its one revision stored, or none (the
    // comment itself is then its revision): never more.
    auto revisions = redis.Command({"LLEN", Prefix(shard) + "v:" + id});
    if (!revisions.ok() || revisions->integer > 1) {
      problem(absl::StrCat(id, " has ",
                           revisions.ok() ? revisions->integer : -1,
                           " revisions; it was never edited"));
    }
  }
  for (const auto& [key, ids] : by_target) {
    auto indexed = Members(redis, Prefix(key.first) + "t:" + key.second);
    if (indexed != ids) {
      problem(absl::StrCat("target index of ", key.second, ": ",
                           Describe(indexed, ids)));
    }
  }
  for (const auto& [key, ids] : by_author) {
    auto indexed = Members(redis, Prefix(key.first) + "a:" + key.second, true);
    if (indexed != ids) {
      problem(absl::StrCat("author index of ", key.second, " in shard ",
                           key.first, ": ", Describe(indexed, ids)));
    }
  }
  for (const auto& [shard, ids] : by_shard) {
    auto indexed =
        Members(redis, Prefix(shard) + "k:consultations/fault", true);
    if (indexed != ids) {
      problem(absl::StrCat("consultation index in shard ", shard, ": ",
                           Describe(indexed, ids)));
    }
    auto counter = redis.Command({"GET", Prefix(shard) + "seq"});
    int64_t value = 0;
    if (!counter.ok() || !absl::SimpleAtoi(counter->str, &value) ||
        value < max_seq[shard]) {
      problem(absl::StrCat("shard ", shard, "'s counter is behind ",
                           max_seq[shard]));
    }
  }
  for (auto& [id, c] : comments) {
    const int shard = ShardOfId(id);
    const std::set<std::string> none;
    auto thread = by_thread.find(id);
    auto indexed_thread = Members(redis, Prefix(shard) + "th:" + id);
    const auto& thread_ids = thread == by_thread.end() ? none : thread->second;
    // A thread's set is made with its first reply: a root alone has none.
    const bool lone_root =
        indexed_thread.empty() && thread_ids == std::set<std::string>{id};
    if (c["parent"].empty() && !lone_root && indexed_thread != thread_ids) {
      problem(absl::StrCat("thread index of ", id, ": ",
                           Describe(indexed_thread, thread_ids)));
    }
    auto replies = by_parent.find(id);
    const auto& reply_ids = replies == by_parent.end() ? none : replies->second;
    auto indexed_replies = Members(redis, Prefix(shard) + "r:" + id);
    if (indexed_replies != reply_ids) {
      problem(absl::StrCat("reply index of ", id, ": ",
                           Describe(indexed_replies, reply_ids)));
    }
    // A count at 0 is not stored at creation.
    const std::string counted = c["replies"].empty() ? "0" : c["replies"];
    if (counted != absl::StrCat(reply_ids.size())) {
      problem(absl::StrCat(id, " counts ", counted, " replies; ",
                           reply_ids.size(), " are stored"));
    }
  }

  // One creation event per stored comment, none for any other.
  std::map<std::string, int> events;
  for (int shard = 0; shard < kShardCount; ++shard) {
    auto entries = redis.Command({"XRANGE", EventStreamKey(shard), "-", "+"});
    if (!entries.ok()) {
      problem(absl::StrCat("XRANGE: ", entries.status().message()));
      continue;
    }
    for (const RedisReply& entry : entries->elements) {
      if (entry.elements.size() != 2) continue;
      const auto& fields = entry.elements[1].elements;
      for (size_t i = 0; i + 1 < fields.size(); i += 2) {
        if (fields[i].str != kEventField) continue;
        v1::Event event;
        if (!event.ParseFromString(fields[i + 1].str)) {
          problem("an event that does not parse");
          continue;
        }
        if (event.has_comment_created()) {
          ++events[IdOf(event.comment_created().comment().comment())];
        } else if (event.has_comment_replied()) {
          ++events[IdOf(event.comment_replied().comment().comment())];
        }
      }
    }
  }
  for (const auto& [id, count] : events) {
    report.events += count;
    if (!comments.contains(id)) {
      problem(absl::StrCat(count, " creation event(s) for ", id,
                           ", which is not stored"));
    }
  }
  for (const auto& [id, c] : comments) {
    auto it = events.find(id);
    const int count = it == events.end() ? 0 : it->second;
    if (count != 1) {
      problem(absl::StrCat(id, " has ", count, " creation events, not 1"));
    }
  }

  // Through the API.
  auto stub = v1::CommentsService::NewStub(grpc::CreateChannel(
      cluster.Address("comments"), grpc::InsecureChannelCredentials()));
  for (const std::string& section : sections) {
    std::set<std::string> stored, listed;
    for (auto& [id, c] : comments) {
      if (c["target"] == section) stored.insert(id);
    }
    v1::ListCommentsRequest list;
    list.set_target(section);
    list.set_page_size(200);
    do {
      v1::ListCommentsResponse page;
      auto context = bench::CallContext(cluster.token());
      const grpc::Status status =
          stub->ListComments(context.get(), list, &page);
      if (!status.ok()) {
        problem(absl::StrCat("ListComments ", section, ": ",
                             status.error_message()));
        break;
      }
      for (const v1::Comment& c : page.comments()) {
        if (!listed.insert(IdOf(c.name())).second) {
          problem(absl::StrCat("ListComments lists ", c.name(), " twice"));
        }
      }
      list.set_page_token(page.next_page_token());
    } while (!list.page_token().empty());
    if (listed != stored) {
      problem(absl::StrCat("ListComments on ", section, ": ",
                           Describe(listed, stored)));
    }
    v1::GetCommentStatisticsRequest statistics;
    statistics.set_scope(section);
    v1::CommentStatistics counted;
    auto context = bench::CallContext(cluster.token());
    const grpc::Status status =
        stub->GetCommentStatistics(context.get(), statistics, &counted);
    if (!status.ok()) {
      problem(absl::StrCat("GetCommentStatistics ", section, ": ",
                           status.error_message()));
    } else if (counted.total_count() != static_cast<int64_t>(stored.size())) {
      problem(absl::StrCat("statistics of ", section, " count ",
                           counted.total_count(), "; ", stored.size(),
                           " are stored"));
    }
  }
  return report;
}

absl::Status WaitConsumed(Cluster& cluster, const std::string& group,
                          absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  std::string left;
  while (true) {
    left.clear();
    for (int shard = 0; shard < kShardCount; ++shard) {
      auto length = cluster.redis().Command({"XLEN", EventStreamKey(shard)});
      if (length.ok() && length->integer == 0) continue;
      auto groups =
          cluster.redis().Command({"XINFO", "GROUPS", EventStreamKey(shard)});
      if (!groups.ok()) {
        absl::StrAppend(&left, " shard ", shard, ": ",
                        groups.status().message());
        continue;
      }
      bool found = false;
      for (const RedisReply& g : groups->elements) {
        std::map<std::string, const RedisReply*> info;
        for (size_t i = 0; i + 1 < g.elements.size(); i += 2) {
          info[g.elements[i].str] = &g.elements[i + 1];
        }
        if (!info.contains("name") || info["name"]->str != group) continue;
        found = true;
        const int64_t pending = info["pending"]->integer;
        // lag is nil when Redis cannot tell; then it is not done either.
        const bool lag_known = info.contains("lag") && !info["lag"]->is_nil();
        const int64_t lag = lag_known ? info["lag"]->integer : -1;
        if (pending != 0 || lag != 0) {
          absl::StrAppend(&left, " shard ", shard, ": pending ", pending,
                          " lag ", lag);
        }
      }
      if (!found) absl::StrAppend(&left, " shard ", shard, ": no group");
    }
    if (left.empty()) return absl::OkStatus();
    if (absl::Now() > deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("group ", group, " has not consumed:", left));
    }
    absl::SleepFor(absl::Milliseconds(50));
  }
}

InboxReport CheckInboxes(Cluster& cluster,
                         const std::map<int, std::set<std::string>>& follows) {
  InboxReport report;
  auto problem = [&](std::string text) {
    if (report.problems.size() < 50) report.problems.push_back(std::move(text));
  };
  RedisClient& redis = cluster.redis();
  // The stored comments' author, target and parent.
  struct Brief {
    std::string author, target, parent, parent_author;
  };
  std::map<std::string, Brief> comments;
  for (int shard = 0; shard < kShardCount; ++shard) {
    const std::string prefix = Prefix(shard) + "c:";
    for (const std::string& key : Scan(redis, prefix + "*")) {
      const std::string id = key.substr(prefix.size());
      if (absl::StrContains(id, ":")) continue;
      auto reply = redis.Command({"HMGET", key, "author", "target", "parent"});
      if (!reply.ok() || reply->elements.size() != 3) continue;
      comments[id] = {reply->elements[0].str, reply->elements[1].str,
                      reply->elements[2].str, ""};
    }
  }
  for (auto& [id, c] : comments) {
    if (!c.parent.empty()) c.parent_author = comments[IdOf(c.parent)].author;
  }

  auto stub = v1::NotificationsService::NewStub(grpc::CreateChannel(
      cluster.Address("notifications"), grpc::InsecureChannelCredentials()));
  for (size_t a = 0; a < cluster.accounts().size(); ++a) {
    const bench::Account& account = cluster.accounts()[a];
    auto followed = follows.find(static_cast<int>(a));
    std::set<std::string> expected;
    for (const auto& [id, c] : comments) {
      if (c.author == account.member) continue;
      const bool top_level_followed = c.parent.empty() &&
                                      followed != follows.end() &&
                                      followed->second.contains(c.target);
      const bool reply_to_own =
          !c.parent.empty() && c.parent_author == account.member;
      if (top_level_followed || reply_to_own) expected.insert(id);
    }
    report.expected += static_cast<int64_t>(expected.size());
    if (expected.size() > 900) {
      problem(absl::StrCat(account.member, " should hold ", expected.size(),
                           " notifications; an inbox keeps 1000: make the "
                           "test write fewer"));
    }
    std::map<std::string, int> found;
    v1::ListNotificationsRequest list;
    list.set_page_size(200);
    do {
      v1::ListNotificationsResponse page;
      auto context = bench::CallContext(account.token);
      const grpc::Status status =
          stub->ListNotifications(context.get(), list, &page);
      if (!status.ok()) {
        problem(absl::StrCat("ListNotifications of ", account.member, ": ",
                             status.error_message()));
        break;
      }
      for (const v1::Notification& n : page.notifications()) {
        const v1::Event& e = n.event();
        std::string id;
        if (e.has_comment_created()) {
          id = IdOf(e.comment_created().comment().comment());
        } else if (e.has_comment_replied()) {
          id = IdOf(e.comment_replied().comment().comment());
        } else {
          continue;
        }
        ++report.delivered;
        ++found[id];
      }
      list.set_page_token(page.next_page_token());
    } while (!list.page_token().empty());
    for (const auto& [id, count] : found) {
      if (count > 1) {
        report.duplicated += count - 1;
        problem(absl::StrCat(account.member, " was told of ", id, " ", count,
                             " times"));
      }
      if (!expected.contains(id)) {
        problem(absl::StrCat(account.member, " was told of ", id,
                             ", which is not theirs to hear of"));
      }
    }
    for (const std::string& id : expected) {
      if (!found.contains(id)) {
        ++report.missing;
        problem(absl::StrCat(account.member, " was never told of ", id));
      }
    }
  }
  return report;
}

}  // namespace cdc::faults
