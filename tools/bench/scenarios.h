// cdc-load's scenarios: each drives one kind of operation against a
// running cdc (or the echo server) and returns its result. `Common` is
// what every scenario shares: the load shape and the connections.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "tools/bench/bench.pb.h"
#include "tools/bench/client.h"
#include "tools/bench/load.h"

namespace cdc::bench {

struct Common {
  std::string scenario;  // the result's name
  LoadOptions load;
  int channels = 2;  // gRPC channels, each its own connection
  // Processes whose CPU time per operation is reported (figures
  // "cpu_us_per_op.<name>"), e.g. {"comments", 1234}; the generator itself
  // is always counted as "generator".
  std::vector<std::pair<std::string, int>> cpu_of;
  // What a created comment carries beyond its target and body. The web UI
  // sends a request_id and no language (the service then asks cdc-members
  // for the author's); the others are experiments that show what those
  // cost.
  bool request_ids = true;
  std::string language;  // "" as the UI
};

// The baseline: EchoService.Echo with a `payload_bytes` payload.
absl::StatusOr<BenchResult> RunEcho(const Common& common,
                                    const std::string& address,
                                    int payload_bytes);

// CreateComment on `target` (a section) as the web UI sends it: a body of
// `body_chars` characters, a fresh request_id, no language (the service
// takes the member's). Each slot writes as one of `accounts`.
absl::StatusOr<BenchResult> RunCreateComment(
    const Common& common, const std::string& address,
    const std::vector<Account>& accounts, const std::string& target,
    int body_chars);

// The same comment as POST /v1/comments?request_id=... over HTTP/1.1
// keep-alive connections (one per slot) to the gateway's HTTP port.
absl::StatusOr<BenchResult> RunCreateCommentHttp(
    const Common& common, const std::string& address,
    const std::vector<Account>& accounts, const std::string& target,
    int body_chars);

// ListComments of `target`, `page_size` a page: one of the first `pages`
// pages (their tokens are collected first), chosen round-robin.
absl::StatusOr<BenchResult> RunListComments(
    const Common& common, const std::string& address,
    const std::vector<Account>& accounts, const std::string& target,
    int page_size, int pages);

// What the reader page asks first: GetConsultation and ListSections
// (headings only, one page of up to 1000) at once; the operation ends when
// both have answered.
absl::StatusOr<BenchResult> RunGetConsultation(
    const Common& common, const std::string& address,
    const std::vector<Account>& accounts, const std::string& consultation);

// SignIn with email and password, the accounts in turn.
absl::StatusOr<BenchResult> RunSignIn(const Common& common,
                                      const std::string& address,
                                      const std::vector<Account>& accounts);

// Adds `common.load.requests` comments of `body_chars` characters to
// `target` through CreateComment, and records Redis' used_memory before
// and after (figures: comments, bytes_per_comment,
// bytes_per_comment_beyond_text). `baseline`, when given, is an earlier
// fill of the same target whose start is counted from instead, so that
// two fills in a row report the memory of all their comments together.
absl::StatusOr<BenchResult> RunFill(const Common& common,
                                    const std::string& address,
                                    const std::vector<Account>& accounts,
                                    const std::string& target, int body_chars,
                                    const std::string& redis_address,
                                    const std::string& baseline_path);

// Notification fan-out: the first `streams` accounts follow `target` and
// keep a Subscribe stream open on cdc-notifications; account `streams`
// comments on `target` `events` times, one at a time. Latency of one
// event: from CreateComment's answer to the last stream's receipt of the
// notification.
absl::StatusOr<BenchResult> RunFanout(const Common& common,
                                      const std::string& notifications_address,
                                      const std::string& comments_address,
                                      const std::vector<Account>& accounts,
                                      const std::string& target, int streams,
                                      int events);

// A result from `redis-benchmark --csv` output, one per test line (SET,
// GET), named "<scenario>_<test>".
absl::StatusOr<std::vector<BenchResult>> FromRedisBenchmarkCsv(
    const std::string& scenario, const std::string& csv_path, int clients,
    int64_t requests);

// Common to every scenario: runs `start` under `common.load`, fills a
// result with what was measured.
BenchResult Measure(const Common& common, const std::string& description,
                    const std::string& address, const StartOperation& start,
                    const ErrorSamples& samples);

// A result with the scenario's name, description, address, settings and
// start time filled in.
BenchResult NewResult(const Common& common, const std::string& description,
                      const std::string& address);
// Sets the result's latency percentiles and histogram from `h`.
void FillLatency(const LatencyHistogram& h, BenchResult* result);

// The CPU time (user + system) that the processes of `common.cpu_of` and
// this one spend from construction to Report, per operation: figures
// "cpu_us_per_op.<name>" and ".all". A cost that other load on the
// machine hardly moves, unlike throughput.
class CpuMeter final {
 public:
  explicit CpuMeter(const Common& common);
  void Report(int64_t operations, BenchResult* result) const;

 private:
  std::vector<std::pair<std::string, int>> processes_;  // generator: pid 0
  std::vector<int64_t> before_;                         // microseconds
};

// Reads a result written by WriteResult.
absl::StatusOr<BenchResult> ReadResult(const std::string& path);
absl::Status WriteResult(const std::string& path, const BenchResult& result);

// A text of exactly `chars` characters (ASCII), starting with `prefix`.
std::string CommentBody(const std::string& prefix, int chars);

}  // namespace cdc::bench
