#include "tools/bench/scenarios.h"

#include <google/protobuf/util/json_util.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "cdc/v1/comments.grpc.pb.h"
#include "cdc/v1/consultations.grpc.pb.h"
#include "cdc/v1/members.grpc.pb.h"
#include "services/common/redis.h"
#include "services/common/status_macros.h"
#include "tools/bench/bench.grpc.pb.h"
#include "tools/bench/http_client.h"

namespace cdc::bench {
namespace {

constexpr absl::Duration kConnectTimeout = absl::Seconds(10);

// Ends an operation with a call's status, remembering why the first call
// of each kind failed.
std::function<void(grpc::Status)> Ending(ErrorSamples* samples, Done done) {
  return [samples, done = std::move(done)](grpc::Status status) {
    const std::string label = ErrorLabel(status);
    if (!label.empty()) samples->Note(label, status.error_message());
    done(label);
  };
}

// Per-slot state of a unary call: the context and both messages live until
// the slot's next call.
template <typename Request, typename Response>
struct UnarySlot {
  std::unique_ptr<grpc::ClientContext> context;
  Request request;
  Response response;
};

template <typename Slot>
std::vector<std::unique_ptr<Slot>> MakeSlots(const Common& common) {
  std::vector<std::unique_ptr<Slot>> slots;
  for (int i = 0; i < SlotCount(common.load); ++i) {
    slots.push_back(std::make_unique<Slot>());
  }
  return slots;
}

template <typename Service>
absl::StatusOr<std::vector<std::unique_ptr<typename Service::Stub>>> Stubs(
    const Common& common, const std::string& address) {
  auto channels = Channels(address, common.channels);
  CDC_RETURN_IF_ERROR(WaitConnected(channels, address, kConnectTimeout));
  std::vector<std::unique_ptr<typename Service::Stub>> stubs;
  for (auto& channel : channels) stubs.push_back(Service::NewStub(channel));
  return stubs;
}

// A prefix that makes this run's request ids its own.
std::string RunId() {
  return absl::StrCat("b", absl::ToUnixMicros(absl::Now()));
}

// User + system CPU time of process `pid` (0: this one) so far, in
// microseconds; -1 when it cannot be read.
int64_t CpuMicros(int pid) {
  std::ifstream in(pid == 0 ? std::string("/proc/self/stat")
                            : absl::StrCat("/proc/", pid, "/stat"));
  std::string text((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  // The command name (field 2) may hold spaces: count from after it.
  const size_t close = text.rfind(')');
  if (close == std::string::npos) return -1;
  std::vector<absl::string_view> fields =
      absl::StrSplit(absl::string_view(text).substr(close + 2), ' ');
  int64_t user = 0, system = 0;
  // utime and stime are fields 14 and 15 of the whole line.
  if (fields.size() < 13 || !absl::SimpleAtoi(fields[11], &user) ||
      !absl::SimpleAtoi(fields[12], &system)) {
    return -1;
  }
  return (user + system) * 1'000'000 / sysconf(_SC_CLK_TCK);
}

absl::StatusOr<int64_t> UsedMemory(RedisClient& redis) {
  CDC_ASSIGN_OR_RETURN(RedisReply info, redis.Command({"INFO", "memory"}));
  for (absl::string_view line : absl::StrSplit(info.str, "\r\n")) {
    if (absl::ConsumePrefix(&line, "used_memory:")) {
      int64_t bytes = 0;
      if (absl::SimpleAtoi(line, &bytes)) return bytes;
    }
  }
  return absl::InternalError("INFO memory: no used_memory line");
}

}  // namespace

namespace {
Latency ToLatency(const LatencyHistogram& h) {
  Latency l;
  l.set_p50_us(h.Quantile(0.50) / 1e3);
  l.set_p90_us(h.Quantile(0.90) / 1e3);
  l.set_p99_us(h.Quantile(0.99) / 1e3);
  l.set_p999_us(h.Quantile(0.999) / 1e3);
  l.set_max_us(h.max_ns() / 1e3);
  l.set_mean_us(h.mean_ns() / 1e3);
  return l;
}
}  // namespace

void FillLatency(const LatencyHistogram& h, BenchResult* result) {
  *result->mutable_latency() = ToLatency(h);
  result->clear_histogram();
  for (const auto& [upper, count] : h.NonEmpty()) {
    Bucket* b = result->add_histogram();
    b->set_upper_ns(upper);
    b->set_count(count);
  }
}

BenchResult NewResult(const Common& common, const std::string& description,
                      const std::string& address) {
  BenchResult result;
  result.set_scenario(common.scenario);
  result.set_description(description);
  result.set_address(address);
  result.set_started(
      absl::FormatTime(absl::RFC3339_sec, absl::Now(), absl::UTCTimeZone()));
  LoadSettings* s = result.mutable_settings();
  s->set_mode(common.load.rate > 0 ? "open" : "closed");
  s->set_concurrency(common.load.rate > 0 ? 0 : common.load.concurrency);
  s->set_rate(common.load.rate);
  s->set_warmup_s(
      common.load.requests > 0 ? 0 : absl::ToDoubleSeconds(common.load.warmup));
  s->set_duration_s(common.load.requests > 0
                        ? 0
                        : absl::ToDoubleSeconds(common.load.duration));
  s->set_requests(common.load.requests);
  s->set_channels(common.channels);
  return result;
}

CpuMeter::CpuMeter(const Common& common) : processes_(common.cpu_of) {
  processes_.emplace_back("generator", 0);
  for (const auto& [name, pid] : processes_) before_.push_back(CpuMicros(pid));
}

void CpuMeter::Report(int64_t operations, BenchResult* result) const {
  if (operations <= 0) return;
  double total = 0;
  for (size_t i = 0; i < processes_.size(); ++i) {
    const int64_t after = CpuMicros(processes_[i].second);
    if (after < 0 || before_[i] < 0) continue;
    const double per_op = static_cast<double>(after - before_[i]) / operations;
    (*result->mutable_figures())[absl::StrCat("cpu_us_per_op.",
                                              processes_[i].first)] = per_op;
    total += per_op;
  }
  if (processes_.size() > 1) {
    (*result->mutable_figures())["cpu_us_per_op.all"] = total;
  }
}

std::string CommentBody(const std::string& prefix, int chars) {
  static constexpr absl::string_view kFiller =
      "Citizen data can fill gaps in official statistics when its "
      "production is inclusive, its methods are documented and its quality "
      "is assessed against the same principles as other sources. ";
  std::string body = prefix;
  while (static_cast<int>(body.size()) < chars) absl::StrAppend(&body, kFiller);
  body.resize(chars);
  if (!body.empty() && body.back() == ' ') body.back() = '.';
  return body;
}

BenchResult Measure(const Common& common, const std::string& description,
                    const std::string& address, const StartOperation& start,
                    const ErrorSamples& samples) {
  BenchResult result = NewResult(common, description, address);
  const CpuMeter cpu(common);
  LoadStats stats = RunLoad(common.load, start);
  // Over the whole run, warm-up included, as are its operations.
  cpu.Report(stats.ended, &result);
  result.set_ok(stats.ok);
  for (const auto& [label, n] : stats.errors) {
    (*result.mutable_errors())[label] = n;
  }
  result.set_elapsed_s(absl::ToDoubleSeconds(stats.elapsed));
  result.set_throughput(stats.throughput());
  FillLatency(*stats.latency, &result);
  for (const std::string& line : samples.Lines()) result.add_notes(line);
  return result;
}

absl::StatusOr<BenchResult> RunEcho(const Common& common,
                                    const std::string& address,
                                    int payload_bytes) {
  CDC_ASSIGN_OR_RETURN(auto stubs, Stubs<EchoService>(common, address));
  using Slot = UnarySlot<EchoMessage, EchoMessage>;
  auto slots = MakeSlots<Slot>(common);
  for (auto& slot : slots) {
    slot->request.set_payload(std::string(payload_bytes, 'x'));
  }
  ErrorSamples samples;
  StartOperation start = [&](int i, Done done) {
    Slot& s = *slots[i];
    s.context = CallContext("");
    stubs[i % stubs.size()]->async()->Echo(s.context.get(), &s.request,
                                           &s.response,
                                           Ending(&samples, std::move(done)));
  };
  return Measure(common,
                 absl::StrCat("EchoService.Echo, ", payload_bytes,
                              "-byte payload (the machine's gRPC ceiling)"),
                 address, start, samples);
}

absl::StatusOr<BenchResult> RunCreateComment(
    const Common& common, const std::string& address,
    const std::vector<Account>& accounts, const std::string& target,
    int body_chars) {
  CDC_ASSIGN_OR_RETURN(auto stubs, Stubs<v1::CommentsService>(common, address));
  using Slot = UnarySlot<v1::CreateCommentRequest, v1::Comment>;
  auto slots = MakeSlots<Slot>(common);
  for (auto& slot : slots) {
    slot->request.mutable_comment()->set_target(target);
    slot->request.mutable_comment()->set_language(common.language);
  }
  const std::string run = RunId();
  std::atomic<int64_t> counter{0};
  ErrorSamples samples;
  StartOperation start = [&](int i, Done done) {
    Slot& s = *slots[i];
    const int64_t n = counter.fetch_add(1);
    s.context = CallContext(accounts[i % accounts.size()].token);
    if (common.request_ids) {
      s.request.set_request_id(absl::StrCat(run, "-", n));
    }
    s.request.mutable_comment()->set_body(CommentBody(
        absl::StrCat("Comment ", n, " of ", run, ". "), body_chars));
    stubs[i % stubs.size()]->async()->CreateComment(
        s.context.get(), &s.request, &s.response,
        Ending(&samples, std::move(done)));
  };
  return Measure(
      common,
      absl::StrCat("CommentsService.CreateComment on ", target, ", ",
                   body_chars, "-character body",
                   common.request_ids ? ", request_id" : ", no request_id",
                   common.language.empty()
                       ? ""
                       : absl::StrCat(", language ", common.language),
                   ", as ",
                   std::min<size_t>(accounts.size(), SlotCount(common.load)),
                   " members"),
      address, start, samples);
}

absl::StatusOr<BenchResult> RunCreateCommentHttp(
    const Common& common, const std::string& address,
    const std::vector<Account>& accounts, const std::string& target,
    int body_chars) {
  if (common.load.rate > 0) {
    return absl::InvalidArgumentError(
        "--rate: the HTTP scenario keeps one connection per call in flight; "
        "use --concurrency");
  }
  HttpLoadClient client(address, SlotCount(common.load));
  const std::string run = RunId();
  std::atomic<int64_t> counter{0};
  ErrorSamples samples;
  std::vector<std::string> bodies(SlotCount(common.load));
  StartOperation start = [&](int i, Done done) {
    const int64_t n = counter.fetch_add(1);
    HttpRequest request;
    request.method = "POST";
    request.target = absl::StrCat("/v1/comments?request_id=", run, "-", n);
    request.headers = {
        {"authorization", "Bearer " + accounts[i % accounts.size()].token}};
    // CommentBody is plain ASCII without quotes or backslashes: no JSON
    // escaping needed.
    request.body = absl::StrCat(
        "{\"target\":\"", target, "\",\"body\":\"",
        CommentBody(absl::StrCat("Comment ", n, " of ", run, ". "), body_chars),
        "\"}");
    client.Send(
        i, std::move(request),
        [&samples, &bodies, i, done = std::move(done)](absl::string_view e) {
          if (!e.empty()) samples.Note(std::string(e), bodies[i]);
          done(e);
        },
        [&bodies, i](const std::string& body) { bodies[i] = body; });
  };
  return Measure(
      common,
      absl::StrCat("POST /v1/comments (HTTP/1.1 keep-alive, JSON) "
                   "on ",
                   target, ", ", body_chars, "-character body, request_id"),
      address, start, samples);
}

absl::StatusOr<BenchResult> RunListComments(
    const Common& common, const std::string& address,
    const std::vector<Account>& accounts, const std::string& target,
    int page_size, int pages) {
  CDC_ASSIGN_OR_RETURN(auto stubs, Stubs<v1::CommentsService>(common, address));
  // The tokens of the first pages, read in order as a reader would.
  std::vector<std::string> tokens = {""};
  while (static_cast<int>(tokens.size()) < pages) {
    v1::ListCommentsRequest request;
    request.set_target(target);
    request.set_page_size(page_size);
    request.set_page_token(tokens.back());
    v1::ListCommentsResponse response;
    auto context = CallContext(accounts[0].token);
    grpc::Status status =
        stubs[0]->ListComments(context.get(), request, &response);
    if (!status.ok()) {
      return absl::UnavailableError(absl::StrCat("ListComments ", target, ": ",
                                                 ErrorLabel(status), " ",
                                                 status.error_message()));
    }
    if (response.next_page_token().empty()) break;
    tokens.push_back(response.next_page_token());
  }
  using Slot = UnarySlot<v1::ListCommentsRequest, v1::ListCommentsResponse>;
  auto slots = MakeSlots<Slot>(common);
  for (auto& slot : slots) {
    slot->request.set_target(target);
    slot->request.set_page_size(page_size);
  }
  std::atomic<int64_t> counter{0};
  ErrorSamples samples;
  StartOperation start = [&](int i, Done done) {
    Slot& s = *slots[i];
    s.context = CallContext(accounts[i % accounts.size()].token);
    s.request.set_page_token(tokens[counter.fetch_add(1) % tokens.size()]);
    s.response.Clear();
    stubs[i % stubs.size()]->async()->ListComments(
        s.context.get(), &s.request, &s.response,
        [&samples, &s, done = std::move(done)](grpc::Status status) {
          if (status.ok() && s.response.comments_size() == 0) {
            samples.Note("EMPTY_PAGE", "a page came back without comments");
            done("EMPTY_PAGE");
            return;
          }
          Ending(&samples, done)(status);
        });
  };
  return Measure(
      common,
      absl::StrCat("CommentsService.ListComments of ", target, ", page of ",
                   page_size, ", one of the first ", tokens.size(), " pages"),
      address, start, samples);
}

absl::StatusOr<BenchResult> RunGetConsultation(
    const Common& common, const std::string& address,
    const std::vector<Account>& accounts, const std::string& consultation) {
  CDC_ASSIGN_OR_RETURN(auto stubs,
                       Stubs<v1::ConsultationsService>(common, address));
  struct Slot {
    std::unique_ptr<grpc::ClientContext> get_context, list_context;
    v1::GetConsultationRequest get;
    v1::Consultation consultation;
    v1::ListSectionsRequest list;
    v1::ListSectionsResponse sections;
    std::atomic<int> pending{0};
    absl::Mutex mu;
    std::string error ABSL_GUARDED_BY(mu);
    Done done;
  };
  auto slots = MakeSlots<Slot>(common);
  for (auto& slot : slots) {
    slot->get.set_name(consultation);
    slot->list.set_parent(consultation);
    slot->list.set_page_size(1000);
    slot->list.set_headings_only(true);
  }
  ErrorSamples samples;
  // Each half ends the operation when it is the second to answer.
  auto half = [&samples](Slot* s) {
    return [&samples, s](grpc::Status status) {
      const std::string label = ErrorLabel(status);
      if (!label.empty()) {
        samples.Note(label, status.error_message());
        absl::MutexLock lock(&s->mu);
        if (s->error.empty()) s->error = label;
      }
      if (s->pending.fetch_sub(1) != 1) return;
      std::string error;
      {
        absl::MutexLock lock(&s->mu);
        error = s->error;
      }
      Done done = std::move(s->done);
      done(error);
    };
  };
  StartOperation start = [&](int i, Done done) {
    Slot& s = *slots[i];
    const std::string& token = accounts[i % accounts.size()].token;
    s.get_context = CallContext(token);
    s.list_context = CallContext(token);
    {
      absl::MutexLock lock(&s.mu);
      s.error.clear();
    }
    s.done = std::move(done);
    s.pending.store(2);
    auto* async = stubs[i % stubs.size()]->async();
    async->GetConsultation(s.get_context.get(), &s.get, &s.consultation,
                           half(&s));
    async->ListSections(s.list_context.get(), &s.list, &s.sections, half(&s));
  };
  return Measure(common,
                 absl::StrCat("GetConsultation + ListSections (headings, one "
                              "page of up to 1000) of ",
                              consultation, ", both at once"),
                 address, start, samples);
}

absl::StatusOr<BenchResult> RunSignIn(const Common& common,
                                      const std::string& address,
                                      const std::vector<Account>& accounts) {
  CDC_ASSIGN_OR_RETURN(auto stubs, Stubs<v1::MembersService>(common, address));
  using Slot = UnarySlot<v1::SignInRequest, v1::SignInResponse>;
  auto slots = MakeSlots<Slot>(common);
  for (auto& slot : slots) slot->request.set_password(kAccountPassword);
  std::atomic<int64_t> counter{0};
  ErrorSamples samples;
  StartOperation start = [&](int i, Done done) {
    Slot& s = *slots[i];
    s.context = CallContext("");
    s.request.set_email(accounts[counter.fetch_add(1) % accounts.size()].email);
    stubs[i % stubs.size()]->async()->SignIn(s.context.get(), &s.request,
                                             &s.response,
                                             Ending(&samples, std::move(done)));
  };
  return Measure(common,
                 "MembersService.SignIn (argon2id verification of the "
                 "password, new session token)",
                 address, start, samples);
}

absl::StatusOr<BenchResult> RunFill(const Common& common,
                                    const std::string& address,
                                    const std::vector<Account>& accounts,
                                    const std::string& target, int body_chars,
                                    const std::string& redis_address,
                                    const std::string& baseline_path) {
  if (common.load.requests <= 0) {
    return absl::InvalidArgumentError("--requests: how many comments to add");
  }
  RedisOptions options;
  options.address = redis_address;
  options.pool_size = 1;
  RedisClient redis(options);
  CDC_ASSIGN_OR_RETURN(int64_t before, UsedMemory(redis));
  int64_t earlier_comments = 0;
  if (!baseline_path.empty()) {
    CDC_ASSIGN_OR_RETURN(BenchResult baseline, ReadResult(baseline_path));
    auto before_it = baseline.figures().find("used_memory_before");
    auto comments_it = baseline.figures().find("comments");
    if (before_it == baseline.figures().end() ||
        comments_it == baseline.figures().end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--baseline: ", baseline_path, " is not the result of a fill"));
    }
    before = static_cast<int64_t>(before_it->second);
    earlier_comments = static_cast<int64_t>(comments_it->second);
  }
  CDC_ASSIGN_OR_RETURN(
      BenchResult result,
      RunCreateComment(common, address, accounts, target, body_chars));
  // The event consumers acknowledge the last events meanwhile.
  absl::SleepFor(absl::Seconds(2));
  CDC_ASSIGN_OR_RETURN(int64_t after, UsedMemory(redis));
  const double comments = static_cast<double>(earlier_comments + result.ok());
  const double per_comment = (after - before) / comments;
  auto& figures = *result.mutable_figures();
  figures["used_memory_before"] = static_cast<double>(before);
  figures["used_memory_after"] = static_cast<double>(after);
  figures["comments"] = comments;
  figures["bytes_per_comment"] = per_comment;
  figures["bytes_per_comment_beyond_text"] = per_comment - body_chars;
  result.add_notes(absl::StrCat(
      "Redis INFO used_memory ", before, " -> ", after, " bytes over ",
      static_cast<int64_t>(comments), " comments of ", body_chars,
      " characters created through CreateComment",
      baseline_path.empty() ? "" : " (this fill and the one before it)"));
  return result;
}

absl::StatusOr<std::vector<BenchResult>> FromRedisBenchmarkCsv(
    const std::string& scenario, const std::string& csv_path, int clients,
    int64_t requests) {
  std::ifstream in(csv_path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", csv_path));
  std::vector<BenchResult> results;
  std::string line;
  while (std::getline(in, line)) {
    std::vector<std::string> fields = absl::StrSplit(line, ',');
    for (std::string& f : fields)
      f = std::string(absl::StripAsciiWhitespace(
          absl::StripSuffix(absl::StripPrefix(f, "\""), "\"")));
    // "test","rps","avg","min","p50","p95","p99","max" (milliseconds).
    double v[7];
    if (fields.size() != 8 || !absl::SimpleAtod(fields[1], &v[0])) continue;
    for (int i = 1; i < 7; ++i) {
      if (!absl::SimpleAtod(fields[i + 1], &v[i])) v[i] = 0;
    }
    BenchResult r;
    r.set_scenario(
        absl::StrCat(scenario, "_", absl::AsciiStrToLower(fields[0])));
    r.set_description(absl::StrCat("redis-benchmark ", fields[0],
                                   " over the Unix socket the services use"));
    r.set_started(
        absl::FormatTime(absl::RFC3339_sec, absl::Now(), absl::UTCTimeZone()));
    r.mutable_settings()->set_mode("closed");
    r.mutable_settings()->set_concurrency(clients);
    r.mutable_settings()->set_requests(requests);
    r.set_ok(requests);
    r.set_throughput(v[0]);
    r.set_elapsed_s(v[0] > 0 ? requests / v[0] : 0);
    Latency* l = r.mutable_latency();
    l->set_mean_us(v[1] * 1e3);
    l->set_p50_us(v[3] * 1e3);
    l->set_p99_us(v[5] * 1e3);
    l->set_max_us(v[6] * 1e3);
    (*r.mutable_figures())["p95_us"] = v[4] * 1e3;
    r.add_notes("redis-benchmark reports p50/p95/p99/max; p90 is not given");
    results.push_back(std::move(r));
  }
  if (results.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(csv_path, ": no redis-benchmark --csv result lines"));
  }
  return results;
}

absl::StatusOr<BenchResult> ReadResult(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream text;
  text << in.rdbuf();
  BenchResult result;
  const auto status =
      google::protobuf::util::JsonStringToMessage(text.str(), &result);
  if (!status.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": ", status.ToString()));
  }
  return result;
}

absl::Status WriteResult(const std::string& path, const BenchResult& result) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  std::string json;
  const auto status =
      google::protobuf::util::MessageToJsonString(result, &json, options);
  if (!status.ok()) return absl::InternalError(status.ToString());
  std::ofstream out(path, std::ios::trunc);
  out << json;
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

}  // namespace cdc::bench
