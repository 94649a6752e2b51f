// The gateway's HTTP/1.1 server, on Boost.Beast over Boost.Asio.
//
// Why Beast: it is in Debian 12 (libboost-dev), it parses HTTP for us (no
// hand-written parser), and it is asynchronous: a connection is a small
// object on an io_context, so thousands of open server-sent-event streams
// cost no thread each. A fixed pool of threads runs every connection.
//
// The server owns framing and protection that does not depend on what is
// asked: a header timeout and an idle timeout (a client that connects and
// sends nothing is closed), a body limit (413), malformed requests (400),
// a cap on connections per address (429), keep-alive. What a request means is
// the handler's business.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace cdc::gateway {

struct HttpRequest {
  std::string method;  // "GET", ...
  std::string path;    // the target before '?', still percent-encoded
  std::string query;   // after '?', raw
  // Header names in lower case; repeated headers joined with ", ".
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string remote_address;  // "ip:port"

  // The header's value, or "" when absent.
  const std::string& Header(const std::string& lower_name) const;
};

struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

// One request's way back to its client. Exactly one of Respond or
// StartStream is called, from any thread.
class Exchange {
 public:
  virtual ~Exchange() = default;
  // Sends a complete response.
  virtual void Respond(HttpResponse response) = 0;
  // Sends the status and headers of an endless response (server-sent
  // events); then Send writes chunks until Finish. The connection closes
  // after it.
  virtual void StartStream(HttpResponse head) = 0;
  // Queues a chunk; false once the client is gone or more than the stream
  // buffer is waiting (the caller should then stop).
  virtual bool Send(std::string chunk) = 0;
  virtual void Finish() = 0;
  // Runs once when the client goes away or the stream ends.
  virtual void OnClose(std::function<void()> callback) = 0;
};

using HttpHandler = std::function<void(HttpRequest request,
                                       std::shared_ptr<Exchange> exchange)>;

class HttpServer {
 public:
  struct Options {
    std::string address = "127.0.0.1";
    int port = 0;                 // 0: any free port
    int threads = 2;              // run connections (I/O only)
    int handler_threads = 4;      // run the handler
    size_t body_limit = 1 << 20;  // bytes; larger bodies get 413
    absl::Duration header_timeout = absl::Seconds(10);  // to send a request
    absl::Duration idle_timeout = absl::Seconds(60);    // between requests
    size_t stream_buffer = 1 << 20;  // bytes a stream may have waiting
    // Connections open at once from one IP address; one more is answered
    // 429 and closed (0: no cap). Like the per-address rate limit, it
    // counts the socket's peer: clients behind one NAT share it.
    int max_connections_per_address = 256;
    // PEM; both set: HTTPS (TLS 1.2 or later) instead of HTTP.
    std::string tls_certificate_pem;
    std::string tls_key_pem;
  };

  HttpServer(Options options, HttpHandler handler);
  ~HttpServer();  // stops
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  absl::Status Start();
  // Stops accepting and closes every connection.
  void Stop();
  int port() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cdc::gateway
