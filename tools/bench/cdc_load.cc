// cdc-load: the load generator of the benchmarks (see README.md).
//
//   cdc-load COMMAND [flags]
//
// Commands that measure (each writes one JSON result to --out):
//   echo                 EchoService.Echo on echo_server (the baseline)
//   create-comment       CreateComment (cdc-comments, or the gateway's gRPC
//   front) create-comment-http  POST /v1/comments on the gateway's HTTP port
//   list-comments        ListComments, a page of --page_size
//   get-consultation     GetConsultation + ListSections
//   sign-in              SignIn (argon2id)
//   fill                 --requests comments through CreateComment, with Redis
//   memory fanout               one comment notified to --streams Subscribe
//   streams
// Other commands:
//   seed                 members (--accounts) and a consultation with an open
//   round redis-benchmark      turns `redis-benchmark --csv` output (--csv)
//   into results report FILE...       the Markdown tables of results check
//   FILE...        exit status 1 unless every result has calls and no errors
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/common/flags.h"
#include "services/common/status_macros.h"
#include "tools/bench/report.h"
#include "tools/bench/scenarios.h"
#include "tools/bench/seed.h"

ABSL_FLAG(std::string, address, "",
          "host:port the load goes to (gRPC, or HTTP for create-comment-http)");
ABSL_FLAG(std::string, accounts, "", "the accounts file `cdc-load seed` wrote");
ABSL_FLAG(std::string, target, "",
          "the comments' target, e.g. consultations/bench/sections/s1");
ABSL_FLAG(std::string, consultation, "", "get-consultation: consultations/{c}");
ABSL_FLAG(std::string, scenario, "", "the result's name (default: COMMAND)");
ABSL_FLAG(std::string, out, "", "where the JSON result goes");

ABSL_FLAG(int, concurrency, 64, "closed loop: operations in flight");
ABSL_FLAG(double, rate, 0, "> 0: open loop at this many operations a second");
ABSL_FLAG(int, max_in_flight, 4096, "open loop: operations waiting at most");
ABSL_FLAG(absl::Duration, warmup, absl::Seconds(2), "load before measuring");
ABSL_FLAG(absl::Duration, duration, absl::Seconds(10), "measured load");
ABSL_FLAG(int64_t, requests, 0,
          "> 0: exactly this many operations, no warm-up (fill: comments)");
ABSL_FLAG(int, channels, 2, "gRPC channels, each a connection of its own");
ABSL_FLAG(std::vector<std::string>, cpu_of, {},
          "NAME=PID,...: processes whose CPU time per operation is reported");
ABSL_FLAG(absl::Duration, progress, absl::ZeroDuration(),
          "progress on stderr this often (0: none)");

ABSL_FLAG(int, payload_bytes, 16, "echo: payload size");
ABSL_FLAG(int, body_chars, 500, "comments' length in characters");
ABSL_FLAG(bool, request_ids, true,
          "create-comment: send a request_id, as the web UI does");
ABSL_FLAG(std::string, language, "",
          "create-comment: the comment's language (the UI sends none)");
ABSL_FLAG(int, page_size, 50, "list-comments: comments a page");
ABSL_FLAG(int, pages, 20, "list-comments: how many first pages are read");

ABSL_FLAG(std::string, redis, "", "fill: Redis as the services reach it");
ABSL_FLAG(std::string, baseline, "",
          "fill: an earlier fill's result to count memory from");

ABSL_FLAG(std::string, notifications, "", "fanout: cdc-notifications");
ABSL_FLAG(std::string, comments, "", "fanout: cdc-comments");
ABSL_FLAG(int, streams, 1000, "fanout: Subscribe streams, one member each");
ABSL_FLAG(int, events, 50, "fanout: comments notified, one at a time");

ABSL_FLAG(std::string, members, "", "seed: cdc-members");
ABSL_FLAG(std::string, consultations, "", "seed: cdc-consultations");
ABSL_FLAG(std::string, token, "", "seed: a secretariat token (CDC_TOKEN)");
ABSL_FLAG(int, member_count, 0, "seed: members to make");
ABSL_FLAG(std::string, consultation_id, "bench",
          "seed: the consultation to make (\"\": none)");
ABSL_FLAG(int, sections, 12, "seed: sections of its draft");

ABSL_FLAG(std::string, csv, "", "redis-benchmark: its --csv output");
ABSL_FLAG(int, clients, 64, "redis-benchmark: the -c it ran with");

ABSL_FLAG(double, target_echo_ratio, 0,
          "target: throughput at least this times the echo's");
ABSL_FLAG(double, target_p99_ms, 0, "target: p99 at most this");
ABSL_FLAG(std::string, target_figure, "", "target: a figure's name ...");
ABSL_FLAG(double, target_figure_max, 0, "... and its largest value");
ABSL_FLAG(std::string, target_relative_to, "",
          "target: a scenario whose p50 ...");
ABSL_FLAG(double, target_p50_factor, 0, "... times this bounds this p50");

namespace cdc::bench {
namespace {

constexpr char kUsage[] =
    "cdc-load COMMAND [flags]; commands: echo, create-comment, "
    "create-comment-http, list-comments, get-consultation, sign-in, fill, "
    "fanout, seed, redis-benchmark, report FILE..., check FILE... "
    "(tools/bench/README.md)";

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "cdc-load: %s\n", status.ToString().c_str());
  return 1;
}

Common CommonFromFlags(const std::string& command) {
  Common common;
  common.scenario = absl::GetFlag(FLAGS_scenario);
  if (common.scenario.empty()) common.scenario = command;
  common.load.concurrency = absl::GetFlag(FLAGS_concurrency);
  common.load.rate = absl::GetFlag(FLAGS_rate);
  common.load.max_in_flight = absl::GetFlag(FLAGS_max_in_flight);
  common.load.warmup = absl::GetFlag(FLAGS_warmup);
  common.load.duration = absl::GetFlag(FLAGS_duration);
  common.load.requests = absl::GetFlag(FLAGS_requests);
  common.load.progress = absl::GetFlag(FLAGS_progress);
  common.channels = absl::GetFlag(FLAGS_channels);
  common.request_ids = absl::GetFlag(FLAGS_request_ids);
  common.language = absl::GetFlag(FLAGS_language);
  for (const std::string& entry : absl::GetFlag(FLAGS_cpu_of)) {
    const size_t equals = entry.find('=');
    int pid = 0;
    if (equals != std::string::npos &&
        absl::SimpleAtoi(entry.substr(equals + 1), &pid) && pid > 0) {
      common.cpu_of.emplace_back(entry.substr(0, equals), pid);
    }
  }
  return common;
}

Target TargetFromFlags() {
  Target t;
  t.set_min_echo_ratio(absl::GetFlag(FLAGS_target_echo_ratio));
  t.set_max_p99_ms(absl::GetFlag(FLAGS_target_p99_ms));
  t.set_figure(absl::GetFlag(FLAGS_target_figure));
  t.set_max_figure(absl::GetFlag(FLAGS_target_figure_max));
  t.set_relative_to(absl::GetFlag(FLAGS_target_relative_to));
  t.set_max_p50_factor(absl::GetFlag(FLAGS_target_p50_factor));
  return t;
}

absl::Status Require(const std::string& flag, const std::string& value) {
  if (value.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("--", flag, " is required"));
  }
  return absl::OkStatus();
}

// Writes the result and prints its summary line.
absl::Status Finish(BenchResult result) {
  *result.mutable_target() = TargetFromFlags();
  int64_t errors = 0;
  for (const auto& [label, n] : result.errors()) errors += n;
  std::printf("%s: %lld ok, %lld errors, %.0f/s, p50 %.3f ms, p99 %.3f ms\n",
              result.scenario().c_str(), static_cast<long long>(result.ok()),
              static_cast<long long>(errors), result.throughput(),
              result.latency().p50_us() / 1e3, result.latency().p99_us() / 1e3);
  for (const std::string& note : result.notes()) {
    std::printf("  %s\n", note.c_str());
  }
  const std::string out = absl::GetFlag(FLAGS_out);
  if (out.empty()) return absl::OkStatus();
  return WriteResult(out, result);
}

absl::StatusOr<std::vector<BenchResult>> ReadAll(
    const std::vector<std::string>& paths) {
  std::vector<BenchResult> results;
  for (const std::string& path : paths) {
    absl::StatusOr<BenchResult> result = ReadResult(path);
    if (!result.ok()) return result.status();
    results.push_back(*std::move(result));
  }
  return results;
}

absl::Status Check(const std::vector<std::string>& paths) {
  if (paths.empty()) return absl::InvalidArgumentError("check: no files");
  absl::StatusOr<std::vector<BenchResult>> results = ReadAll(paths);
  if (!results.ok()) return results.status();
  std::vector<std::string> problems;
  for (size_t i = 0; i < results->size(); ++i) {
    const BenchResult& r = (*results)[i];
    if (r.ok() <= 0)
      problems.push_back(absl::StrCat(paths[i], ": no call succeeded"));
    for (const auto& [label, n] : r.errors()) {
      problems.push_back(absl::StrCat(paths[i], ": ", n, " errors ", label));
    }
  }
  if (!problems.empty()) {
    for (const std::string& p : problems)
      std::fprintf(stderr, "%s\n", p.c_str());
    return absl::FailedPreconditionError("some results have errors");
  }
  std::printf("%zu results, every one with calls and no errors\n",
              paths.size());
  return absl::OkStatus();
}

absl::Status Run(const std::string& command,
                 const std::vector<std::string>& files) {
  const Common common = CommonFromFlags(command);
  const std::string address = absl::GetFlag(FLAGS_address);
  if (command == "report") {
    absl::StatusOr<std::vector<BenchResult>> results = ReadAll(files);
    if (!results.ok()) return results.status();
    std::fputs(Report(*results).c_str(), stdout);
    return absl::OkStatus();
  }
  if (command == "check") return Check(files);
  if (command == "seed") {
    SeedOptions options;
    options.members_address = absl::GetFlag(FLAGS_members);
    options.consultations_address = absl::GetFlag(FLAGS_consultations);
    options.token = absl::GetFlag(FLAGS_token);
    options.members = absl::GetFlag(FLAGS_member_count);
    options.accounts_path = absl::GetFlag(FLAGS_accounts);
    options.consultation_id = absl::GetFlag(FLAGS_consultation_id);
    options.sections = absl::GetFlag(FLAGS_sections);
    CDC_RETURN_IF_ERROR(Require("members", options.members_address));
    CDC_RETURN_IF_ERROR(
        Require("consultations", options.consultations_address));
    return Seed(options);
  }
  if (command == "redis-benchmark") {
    absl::StatusOr<std::vector<BenchResult>> results = FromRedisBenchmarkCsv(
        common.scenario, absl::GetFlag(FLAGS_csv), absl::GetFlag(FLAGS_clients),
        absl::GetFlag(FLAGS_requests));
    if (!results.ok()) return results.status();
    // One file per test: OUT with the test's name before ".json".
    const std::string out = absl::GetFlag(FLAGS_out);
    for (BenchResult& r : *results) {
      std::string path = out;
      const size_t dot = path.rfind(".json");
      const std::string test = r.scenario().substr(common.scenario.size());
      path = dot == std::string::npos
                 ? absl::StrCat(path, test)
                 : absl::StrCat(path.substr(0, dot), test, ".json");
      *r.mutable_target() = TargetFromFlags();
      std::printf("%s: %.0f/s, p50 %.3f ms, p99 %.3f ms\n",
                  r.scenario().c_str(), r.throughput(),
                  r.latency().p50_us() / 1e3, r.latency().p99_us() / 1e3);
      if (!out.empty()) {
        absl::Status written = WriteResult(path, r);
        if (!written.ok()) return written;
      }
    }
    return absl::OkStatus();
  }
  if (command == "echo") {
    CDC_RETURN_IF_ERROR(Require("address", address));
    auto result = RunEcho(common, address, absl::GetFlag(FLAGS_payload_bytes));
    if (!result.ok()) return result.status();
    return Finish(*std::move(result));
  }

  // Everything else acts as seeded members.
  CDC_RETURN_IF_ERROR(Require("accounts", absl::GetFlag(FLAGS_accounts)));
  absl::StatusOr<std::vector<Account>> accounts =
      ReadAccounts(absl::GetFlag(FLAGS_accounts));
  if (!accounts.ok()) return accounts.status();
  const std::string target = absl::GetFlag(FLAGS_target);
  const int body_chars = absl::GetFlag(FLAGS_body_chars);
  absl::StatusOr<BenchResult> result;
  if (command == "fanout") {
    CDC_RETURN_IF_ERROR(
        Require("notifications", absl::GetFlag(FLAGS_notifications)));
    CDC_RETURN_IF_ERROR(Require("comments", absl::GetFlag(FLAGS_comments)));
    CDC_RETURN_IF_ERROR(Require("target", target));
    result =
        RunFanout(common, absl::GetFlag(FLAGS_notifications),
                  absl::GetFlag(FLAGS_comments), *accounts, target,
                  absl::GetFlag(FLAGS_streams), absl::GetFlag(FLAGS_events));
    if (!result.ok()) return result.status();
    return Finish(*std::move(result));
  }
  CDC_RETURN_IF_ERROR(Require("address", address));
  if (command == "create-comment") {
    CDC_RETURN_IF_ERROR(Require("target", target));
    result = RunCreateComment(common, address, *accounts, target, body_chars);
  } else if (command == "create-comment-http") {
    CDC_RETURN_IF_ERROR(Require("target", target));
    result =
        RunCreateCommentHttp(common, address, *accounts, target, body_chars);
  } else if (command == "list-comments") {
    CDC_RETURN_IF_ERROR(Require("target", target));
    result = RunListComments(common, address, *accounts, target,
                             absl::GetFlag(FLAGS_page_size),
                             absl::GetFlag(FLAGS_pages));
  } else if (command == "get-consultation") {
    CDC_RETURN_IF_ERROR(
        Require("consultation", absl::GetFlag(FLAGS_consultation)));
    result = RunGetConsultation(common, address, *accounts,
                                absl::GetFlag(FLAGS_consultation));
  } else if (command == "sign-in") {
    result = RunSignIn(common, address, *accounts);
  } else if (command == "fill") {
    CDC_RETURN_IF_ERROR(Require("target", target));
    CDC_RETURN_IF_ERROR(Require("redis", absl::GetFlag(FLAGS_redis)));
    result = RunFill(common, address, *accounts, target, body_chars,
                     absl::GetFlag(FLAGS_redis), absl::GetFlag(FLAGS_baseline));
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown command ", command, "; ", kUsage));
  }
  if (!result.ok()) return result.status();
  return Finish(*std::move(result));
}

}  // namespace
}  // namespace cdc::bench

int main(int argc, char** argv) {
  // The generator must cost the machine as little as it can: no deadlock
  // detection on gRPC's mutexes (see services/common/service_flags.cc).
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  std::vector<std::string> args =
      cdc::ParseFlagsWithEnvironment(argc, argv, cdc::bench::kUsage);
  if (args.size() < 2) {
    std::fprintf(stderr, "usage: %s\n", cdc::bench::kUsage);
    return 2;
  }
  const std::vector<std::string> files(args.begin() + 2, args.end());
  absl::Status status = cdc::bench::Run(args[1], files);
  if (!status.ok()) return cdc::bench::Fail(status);
  return 0;
}
