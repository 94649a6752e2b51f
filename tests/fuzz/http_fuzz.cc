// Fuzzes the gateway's HTTP handling end to end, on the smallest real
// path: the real HttpServer (Boost.Beast parsing, framing, limits) and the
// real Gateway handler (CORS, health, static files, header checks, routing,
// query and body transcoding) on loopback, with no backends, so that every
// API call that gets through transcoding ends as 501 "not served here"
// instead of reaching a service. Each input is written raw to a new
// connection, which is then half-closed; the whole answer is read back.
//
// Invariants: the server answers every connection and closes it (a hang is
// reported by libFuzzer's -timeout), what it writes is HTTP/1.1 responses,
// never a 500 (bad input is the client's error, never an internal one), and
// never a byte of a file outside the web root (files next to it hold a
// marker that must not appear). The marker holds a control byte and bytes
// that are not UTF-8, which no echo of the input can carry (error bodies
// are escaped JSON, headers printable ASCII), so only a served file can.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/string_view.h"
#include "services/gateway/gateway.h"
#include "services/gateway/http_server.h"
#include "services/gateway/metrics.h"
#include "tests/fuzz/fuzz_check.h"

namespace cdc::gateway {
namespace {

using ::cdc::fuzz::Check;

constexpr absl::string_view kOutsideMarker =
    "\x01\xff\xfe outside the web root \x02";

// The server under test, started once per process and never stopped (the
// process exits with it running).
struct Fixture {
  Fixture() {
    char dir_template[] = "/tmp/cdc-http-fuzz-XXXXXX";
    Check(mkdtemp(dir_template) != nullptr, "mkdtemp");
    const std::filesystem::path dir(dir_template);
    std::filesystem::create_directory(dir / "web");
    std::ofstream(dir / "web" / "index.html") << "<!doctype html><p>cdc";
    std::ofstream(dir / "web" / "app.js") << "console.log('cdc');";
    std::ofstream(dir / "secret.txt") << kOutsideMarker;
    std::ofstream(dir / "web-secret.txt") << kOutsideMarker;

    Gateway::Options options;
    options.web_root = (dir / "web").string();
    options.cors_origins = {"https://cdc.example"};
    gateway = new Gateway(options, nullptr, &metrics);
    HttpServer::Options http;
    http.threads = 1;
    http.handler_threads = 2;
    http.body_limit = 64 << 10;
    server = new HttpServer(
        http, [this](HttpRequest request, std::shared_ptr<Exchange> exchange) {
          gateway->Handle(std::move(request), std::move(exchange));
        });
    Check(server->Start().ok(), "HttpServer::Start");
  }

  Metrics metrics;
  Gateway* gateway = nullptr;
  HttpServer* server = nullptr;
};

Fixture& TheFixture() {
  static Fixture* const fixture = new Fixture;
  return *fixture;
}

// Writes `input` to a new connection, half-closes it and returns every
// byte the server sends until it closes.
std::string Exchange(int port, absl::string_view input) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  Check(fd >= 0, "socket");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  Check(connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0,
        "connect");
  // The server may answer (413, 431) and close before reading everything:
  // a failed write then is expected, not an error.
  size_t sent = 0;
  while (sent < input.size()) {
    const ssize_t n =
        send(fd, input.data() + sent, input.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  shutdown(fd, SHUT_WR);
  std::string answer;
  char buffer[16384];
  while (true) {
    const ssize_t n = recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;  // closed (or reset after an early answer)
    answer.append(buffer, static_cast<size_t>(n));
  }
  close(fd);
  return answer;
}

void Run(absl::string_view input) {
  Fixture& fixture = TheFixture();
  const std::string answer = Exchange(fixture.server->port(), input);
  // CDC_FUZZ_SHOW=1 prints each answer, for looking at one input by hand.
  static const bool show = std::getenv("CDC_FUZZ_SHOW") != nullptr;
  if (show) std::fprintf(stderr, "--- answer:\n%s\n---\n", answer.c_str());
  if (answer.empty()) return;  // no complete request: closed unanswered
  Check(!absl::StrContains(answer, kOutsideMarker),
        "a file outside the web root was served");
  // Walks the responses one by one: status line, headers, then as many
  // body bytes as Content-Length says (every answer without backends has
  // one); an answer without it ends the walk.
  absl::string_view rest = answer;
  while (!rest.empty()) {
    Check(absl::StartsWith(rest, "HTTP/1.1 "), "answer is not HTTP/1.1");
    Check(!absl::StartsWith(rest, "HTTP/1.1 500"), "the gateway answered 500");
    const size_t head_end = rest.find("\r\n\r\n");
    Check(head_end != absl::string_view::npos, "response head never ends");
    const std::string head = absl::AsciiStrToLower(rest.substr(0, head_end));
    rest.remove_prefix(head_end + 4);
    const size_t length_at = head.find("\r\ncontent-length: ");
    if (length_at == std::string::npos) break;
    size_t length = 0;
    const size_t digits = length_at + 18;
    Check(absl::SimpleAtoi(absl::string_view(head).substr(
                               digits, head.find("\r\n", digits) - digits),
                           &length),
          "malformed content-length");
    // A HEAD answer has the length of a body it does not carry; no body
    // starts like a status line, so that is how one is told.
    if (absl::StartsWith(rest, "HTTP/1.1 ")) continue;
    if (length > rest.size()) break;  // the last answer was to a HEAD
    rest.remove_prefix(length);
  }
}

}  // namespace
}  // namespace cdc::gateway

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  cdc::gateway::Run(
      absl::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
