// The client of the fault tests: threads that create comments as members
// would through a flaky network, each create with a request_id and retried
// with that same request_id on UNAVAILABLE or DEADLINE_EXCEEDED until it is
// acknowledged. What was acknowledged is what the system promised to keep.
#pragma once

#include <atomic>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "tools/bench/client.h"

namespace cdc::faults {

// One create, from its first attempt to its acknowledgement.
struct Operation {
  std::string tag;         // "w<writer>-<n>", also in the body
  std::string request_id;  // the same on every attempt
  std::string author;      // "members/{id}"
  std::string target;      // the section (for a reply, its parent's)
  std::string parent;      // "comments/{id}" for a reply, else ""
  std::string comment;     // the acknowledged "comments/{id}"; "" if none
  int attempts = 0;
};

struct WriterOptions {
  // Per writer: the account (by index) and the address it writes to (a
  // service's or the gateway's gRPC front).
  std::vector<int> accounts;
  std::vector<std::string> addresses;
  std::vector<std::string> sections;  // top-level comments go round these
  int reply_every = 4;  // every n-th create replies to another's comment
  // An operation still failing after this long is given up (and counted):
  // far beyond any outage the tests cause.
  absl::Duration give_up_after = absl::Seconds(90);
  absl::Duration call_deadline = absl::Seconds(5);
  // Each writer starts an operation at most this often, so that the amount
  // written (and each inbox's size, which keeps its newest 1000) does not
  // grow with the speed of the machine: at most 40 a second per writer.
  absl::Duration min_interval = absl::Milliseconds(25);
};

class Writers final {
 public:
  Writers(std::vector<bench::Account> accounts, WriterOptions options);
  ~Writers();  // stops

  void Start();
  // Asks every writer to stop after its current operation (which still
  // retries until acknowledged or given up) and joins them.
  void Stop();

  int64_t acknowledged() const { return acknowledged_.load(); }
  // Waits until `count` more operations are acknowledged (or `timeout`);
  // false on timeout.
  bool WaitForProgress(int64_t count, absl::Duration timeout) const;

  // After Stop.
  std::vector<Operation> operations() const;
  int64_t retries() const { return retries_.load(); }
  // Error code name -> attempts that failed with it (retried or not).
  std::map<std::string, int64_t> errors() const;
  // Operations that ended without an acknowledgement: refused with a code
  // that is not retried, or given up.
  std::vector<std::string> failures() const;

 private:
  void Run(int writer);

  const std::vector<bench::Account> accounts_;
  const WriterOptions options_;
  const std::string run_;  // makes request ids unique per run
  std::atomic<bool> stop_{false};
  std::atomic<bool> abandon_{false};  // set by the destructor
  std::atomic<int64_t> acknowledged_{0};
  std::atomic<int64_t> retries_{0};
  std::vector<std::thread> threads_;
  mutable absl::Mutex mu_;
  std::vector<Operation> operations_ ABSL_GUARDED_BY(mu_);
  // Acknowledged top-level comments (name, author, section), to reply to.
  std::vector<Operation> roots_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int64_t> errors_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> failures_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cdc::faults
