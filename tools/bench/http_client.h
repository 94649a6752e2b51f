// The load generator's HTTP/1.1 client: one kept-alive connection per slot
// (as a browser keeps one per tab), requests written and answers read with
// Boost.Beast on one I/O thread. Used for the gateway's HTTP/JSON API.
#pragma once

#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "tools/bench/load.h"

namespace cdc::bench {

struct HttpRequest {
  std::string method;  // "POST"
  std::string target;  // "/v1/comments?request_id=..."
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

class HttpLoadClient final {
 public:
  // `address` is "host:port" with a numeric IPv4 host.
  HttpLoadClient(const std::string& address, int connections);
  ~HttpLoadClient();
  HttpLoadClient(const HttpLoadClient&) = delete;
  HttpLoadClient& operator=(const HttpLoadClient&) = delete;

  // Sends `request` on connection `slot` (connecting first when it is not
  // open) and calls `done` with "" for a 2xx answer, "HTTP <status>"
  // otherwise, or "IO <what>" when the connection failed. `on_body`, when
  // set, sees the answer's body first. One request per slot at a time.
  void Send(int slot, HttpRequest request, Done done,
            std::function<void(const std::string& body)> on_body = nullptr);

 private:
  class Connection;
  struct Io;

  std::unique_ptr<Io> io_;
  std::vector<std::unique_ptr<Connection>> connections_;
  std::thread thread_;
};

}  // namespace cdc::bench
