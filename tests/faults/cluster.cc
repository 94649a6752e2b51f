#include "tests/faults/cluster.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/create_channel.h"
#include "tools/bench/seed.h"

extern char** environ;

namespace cdc::faults {
namespace {

std::string Binary(const std::string& name) {
  return absl::StrCat(CDC_BINARY_DIR, "/services/", name, "/cdc-", name);
}

// Forks and execs `argv` with `environment`, stdout and stderr appended to
// `log`. The child is killed when the calling thread ends.
absl::StatusOr<pid_t> Spawn(const std::vector<std::string>& argv,
                            const std::vector<std::string>& environment,
                            const std::string& log) {
  std::vector<char*> raw_argv, raw_env;
  for (const std::string& arg : argv)
    raw_argv.push_back(const_cast<char*>(arg.c_str()));
  raw_argv.push_back(nullptr);
  for (const std::string& var : environment)
    raw_env.push_back(const_cast<char*>(var.c_str()));
  raw_env.push_back(nullptr);
  const int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  const int log_fd =
      open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid == 0) {
    // Only async-signal-safe calls between fork and exec.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    if (null_fd < 0 || log_fd < 0 || dup2(null_fd, 0) < 0 ||
        dup2(log_fd, 1) < 0 || dup2(log_fd, 2) < 0) {
      _exit(127);
    }
    close_range(3, ~0U, 0);
    // The services block SIGINT and SIGTERM themselves; start from none.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execve(raw_argv[0], raw_argv.data(), raw_env.data());
    _exit(127);
  }
  if (null_fd >= 0) close(null_fd);
  if (log_fd >= 0) close(log_fd);
  if (pid < 0) return absl::InternalError("fork failed");
  return pid;
}

// A loopback TCP port free at the time of asking (the gateway's HTTP side
// needs a number it can be reached at).
int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  close(fd);
  return port;
}

// The status code of GET `path` on 127.0.0.1:`port`, or 0 when nothing
// answers within a second.
int HttpStatus(int port, const std::string& path) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  timeval timeout{.tv_sec = 1, .tv_usec = 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(port));
  int status = 0;
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) ==
      0) {
    const std::string request = absl::StrCat(
        "GET ", path,
        " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    char buffer[64] = {};
    if (write(fd, request.data(), request.size()) ==
            static_cast<ssize_t>(request.size()) &&
        read(fd, buffer, sizeof(buffer) - 1) > 12) {
      // "HTTP/1.1 200 OK"
      (void)absl::SimpleAtoi(absl::string_view(buffer + 9, 3), &status);
    }
  }
  close(fd);
  return status;
}

std::string ReadWhole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Cluster>> Cluster::Start(
    ClusterOptions options) {
  std::unique_ptr<Cluster> cluster(new Cluster(std::move(options)));
  auto redis = RedisTestServer::Start(
      {"--appendonly", "yes", "--appendfsync", cluster->options_.appendfsync});
  if (!redis.ok()) return redis.status();
  cluster->redis_ = std::move(*redis);
  RedisOptions client;
  client.address = cluster->redis_->address();
  client.command_timeout = absl::Seconds(10);
  cluster->client_ = std::make_unique<RedisClient>(client);

  // The environment of every service: the parent's without any CDC_*
  // variable (a developer's shell may point at a running deployment), then
  // every address and setting as CDC_* variables (flags.h), which each
  // binary reads for the flags it has and ignores otherwise.
  for (char** var = environ; *var != nullptr; ++var) {
    if (!absl::StartsWith(*var, "CDC_")) cluster->environment_.push_back(*var);
  }
  const std::string dir = cluster->directory();
  auto add = [&](absl::string_view key, absl::string_view value) {
    cluster->environment_.push_back(absl::StrCat(key, "=", value));
  };
  add("CDC_REDIS_ADDRESS", cluster->redis_->address());
  add("CDC_MEMBERS_ADDRESS", cluster->Address("members"));
  add("CDC_CONSULTATIONS_ADDRESS", cluster->Address("consultations"));
  add("CDC_COMMENTS_ADDRESS", cluster->Address("comments"));
  add("CDC_NOTIFICATIONS_ADDRESS", cluster->Address("notifications"));
  add("CDC_COMMUNITY_ADDRESS", cluster->Address("community"));
  // The gateway's HTTP side: only its /readyz is asked (see Health).
  cluster->http_port_ = FreePort();
  add("CDC_HTTP_ADDRESS", absl::StrCat("127.0.0.1:", cluster->http_port_));
  add("CDC_WEB_ROOT", absl::StrCat(CDC_SOURCE_DIR, "/gateway/web"));
  add("CDC_RATE_PER_TOKEN", "1000000000");
  add("CDC_RATE_PER_ADDRESS", "1000000000");
  add("CDC_CLAIM_IDLE", cluster->options_.claim_idle);
  add("CDC_HEALTH_INTERVAL", "1s");

  for (const std::string& name : ServiceNames()) {
    if (absl::Status started = cluster->StartService(name); !started.ok()) {
      return started;
    }
    absl::StatusOr<absl::Duration> healthy =
        cluster->WaitHealth(name, "SERVING", absl::Seconds(60));
    if (!healthy.ok()) {
      return absl::UnavailableError(absl::StrCat(
          "cdc-", name, " did not become healthy: ", healthy.status().message(),
          "\n", cluster->LogTails()));
    }
  }
  if (absl::Status seeded = cluster->Seed(); !seeded.ok()) return seeded;
  return cluster;
}

Cluster::~Cluster() {
  for (auto& [name, pid] : pids_) {
    if (pid > 0) {
      kill(pid, SIGKILL);
      int status;
      waitpid(pid, &status, 0);
    }
  }
}

std::string Cluster::Address(const std::string& name) const {
  return absl::StrCat("unix:", directory(), "/", name, ".sock");
}

std::string Cluster::Section(int i) const {
  return absl::StrCat("consultations/fault/sections/s", i);
}

absl::Status Cluster::StartService(const std::string& name) {
  if (Running(name)) {
    return absl::FailedPreconditionError(absl::StrCat(name, " is running"));
  }
  absl::StatusOr<pid_t> pid =
      Spawn({Binary(name), absl::StrCat("--listen_address=", Address(name))},
            environment_, absl::StrCat(directory(), "/", name, ".log"));
  if (!pid.ok()) return pid.status();
  pids_[name] = *pid;
  return absl::OkStatus();
}

void Cluster::KillService(const std::string& name) {
  auto it = pids_.find(name);
  if (it == pids_.end() || it->second <= 0) return;
  kill(it->second, SIGKILL);
  int status;
  waitpid(it->second, &status, 0);
  it->second = -1;
}

bool Cluster::Running(const std::string& name) const {
  auto it = pids_.find(name);
  return it != pids_.end() && it->second > 0;
}

std::string Cluster::Health(const std::string& name) const {
  // A fresh channel per question: a cached one would answer from its own
  // reconnect backoff rather than from the process.
  auto channel =
      grpc::CreateChannel(Address(name), grpc::InsecureChannelCredentials());
  auto stub = grpc::health::v1::Health::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(1)));
  grpc::health::v1::HealthCheckRequest request;
  grpc::health::v1::HealthCheckResponse response;
  const grpc::Status status = stub->Check(&context, request, &response);
  if (!status.ok()) {
    return status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED
               ? "DEADLINE_EXCEEDED"
               : "UNAVAILABLE";
  }
  std::string serving =
      grpc::health::v1::HealthCheckResponse::ServingStatus_Name(
          response.status());
  // The gateway's gRPC front is SERVING while it runs (its liveness); its
  // readiness, which follows every backend's health, is GET /readyz on the
  // HTTP side (services/gateway/README.md): 200 or 503.
  if (name == "gateway" && serving == "SERVING" &&
      HttpStatus(http_port_, "/readyz") != 200) {
    serving = "NOT_SERVING";
  }
  return serving;
}

absl::StatusOr<absl::Duration> Cluster::WaitHealth(
    const std::string& name, const std::string& want,
    absl::Duration timeout) const {
  const absl::Time start = absl::Now();
  std::string last;
  while (absl::Now() - start < timeout) {
    last = Health(name);
    if (last == want) return absl::Now() - start;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return absl::DeadlineExceededError(
      absl::StrCat("cdc-", name, " health stayed ", last, ", not ", want));
}

absl::Status Cluster::Seed() {
  // The secretariat's token, as deploy/local/run makes it.
  const std::string out = absl::StrCat(directory(), "/bootstrap.out");
  absl::StatusOr<pid_t> pid =
      Spawn({Binary("members"), "bootstrap", "--email=secretariat@fault.test"},
            environment_, out);
  if (!pid.ok()) return pid.status();
  int status = 0;
  waitpid(*pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::InternalError("cdc-members bootstrap failed: " +
                               ReadWhole(out));
  }
  const std::string text = ReadWhole(out);
  // The token is the last non-empty line (log lines may precede it).
  std::string last;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (absl::StartsWith(line, "cdc_")) last = std::string(line);
  }
  if (last.empty()) {
    return absl::InternalError("no token from cdc-members bootstrap: " + text);
  }
  token_ = last;

  bench::SeedOptions seed;
  seed.members_address = Address("members");
  seed.consultations_address = Address("consultations");
  seed.token = token_;
  seed.members = options_.members;
  seed.accounts_path = absl::StrCat(directory(), "/accounts.tsv");
  seed.consultation_id = "fault";
  seed.sections = options_.sections;
  seed.threads = 2;
  if (absl::Status seeded = bench::Seed(seed); !seeded.ok()) return seeded;
  absl::StatusOr<std::vector<bench::Account>> accounts =
      bench::ReadAccounts(seed.accounts_path);
  if (!accounts.ok()) return accounts.status();
  accounts_ = std::move(*accounts);
  return absl::OkStatus();
}

std::string Cluster::LogTails() const {
  std::string out;
  for (const std::string& name : ServiceNames()) {
    const std::string text =
        ReadWhole(absl::StrCat(directory(), "/", name, ".log"));
    std::vector<absl::string_view> lines = absl::StrSplit(text, '\n');
    const size_t from = lines.size() > 12 ? lines.size() - 12 : 0;
    absl::StrAppend(&out, "--- cdc-", name, ".log (last lines)\n");
    for (size_t i = from; i < lines.size(); ++i) {
      absl::StrAppend(&out, lines[i], "\n");
    }
  }
  return out;
}

}  // namespace cdc::faults
