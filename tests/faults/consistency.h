// What the fault tests check after the faults: the comments as stored in
// Redis (read directly, key by key, as services/comments/comments_store.h
// lays them out) and as the API shows them, against what the writers were
// told; and the notification inboxes against the stored comments.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "tests/faults/cluster.h"
#include "tests/faults/writers.h"

namespace cdc::faults {

struct StoreReport {
  int64_t operations = 0;    // creates started
  int64_t acknowledged = 0;  // of which acknowledged
  int64_t stored = 0;        // comments in Redis
  int64_t events = 0;        // CommentCreated / CommentReplied in the streams
  int64_t lost = 0;          // acknowledged, not stored
  int64_t duplicated = 0;    // extra copies of one operation
  // Every disagreement found, described (empty when all is well).
  std::vector<std::string> problems;
};

// Reads every comment and its keys from Redis and checks, for the
// operations the writers made:
//  - every acknowledged create is stored exactly once, under the name the
//    writer was given, with its author, target and parent; an operation
//    never acknowledged (given up) is stored at most once; nothing else is
//    stored;
//  - the indexes agree with the stored comments: the target's, the
//    thread's, the parent's replies (and its `replies` counter), the
//    author's and the consultation's, at most one revision each, the
//    request id's key, distinct creation counters no higher than the shard's
//    counter;
//  - every stored comment has exactly one CommentCreated or CommentReplied
//    event, and no such event names a comment that is not stored;
//  - through the API: ListComments on each section lists exactly the
//    stored comments, and GetCommentStatistics counts them.
StoreReport CheckComments(Cluster& cluster,
                          const std::vector<Operation>& operations,
                          const std::vector<std::string>& sections);

// Waits until the consumer group `group` has read and acknowledged every
// entry of the 16 event streams; DEADLINE_EXCEEDED naming what is left.
absl::Status WaitConsumed(Cluster& cluster, const std::string& group,
                          absl::Duration timeout);

struct InboxReport {
  int64_t expected = 0;    // notifications that should be in the inboxes
  int64_t delivered = 0;   // notifications found (of the kinds checked)
  int64_t missing = 0;     // expected, not found
  int64_t duplicated = 0;  // found more than once
  std::vector<std::string> problems;
};

// Reads each account's inbox through the API (ListNotifications with its
// own token) and checks that it holds exactly one notification for each
// stored top-level comment on a section it follows (`follows`: account
// index -> sections) by someone else, and one for each stored reply by
// someone else to its own comments; and nothing else of those kinds.
InboxReport CheckInboxes(Cluster& cluster,
                         const std::map<int, std::set<std::string>>& follows);

}  // namespace cdc::faults
