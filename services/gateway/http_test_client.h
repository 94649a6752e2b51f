// Test support for the gateway's HTTP side: one request on a new connection
// with a real HTTP client (Boost.Beast), as a browser or curl sends it, and
// a request path that matches a route of the table.
#pragma once

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <map>
#include <string>

#include "absl/strings/str_replace.h"
#include "services/gateway/route_table.h"

namespace cdc::gateway::testing {

// What came back; status 0 when no answer could be read.
struct HttpReply {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

// Sends one request to 127.0.0.1:`port`, with `token` as the bearer token
// (none when empty), `body` as JSON (none when empty) and `headers`, and
// reads the whole answer (up to 16 MiB).
inline HttpReply HttpCall(
    int port, boost::beast::http::verb verb, const std::string& target,
    const std::string& body = "", const std::string& token = "",
    const std::map<std::string, std::string>& headers = {}) {
  namespace asio = boost::asio;
  namespace beast = boost::beast;
  namespace http = beast::http;
  asio::io_context io;
  beast::tcp_stream stream(io);
  stream.connect(
      asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  http::request<http::string_body> request(verb, target, 11);
  request.set(http::field::host, "localhost");
  if (!token.empty()) {
    request.set(http::field::authorization, "Bearer " + token);
  }
  if (!body.empty()) request.set(http::field::content_type, "application/json");
  for (const auto& [name, value] : headers) request.set(name, value);
  request.body() = body;
  request.prepare_payload();
  http::write(stream, request);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(16 << 20);
  parser.skip(verb == http::verb::head);  // a HEAD answer has no body
  beast::error_code ec;
  http::read(stream, buffer, parser, ec);
  HttpReply reply;
  if (ec) return reply;
  auto& response = parser.get();
  reply.status = static_cast<int>(response.result_int());
  for (const auto& field : response) {
    std::string name(field.name_string());
    for (char& c : name) c = static_cast<char>(std::tolower(c));
    reply.headers[name] = std::string(field.value());
  }
  reply.body = response.body();
  return reply;
}

// A request path for `route`'s pattern: every variable bound to a
// plausible name ("{name=spaces/*/topics/*}" -> "spaces/x1/topics/x1").
inline std::string SamplePath(const Route& route) {
  std::string path(route.pattern);
  while (path.find('{') != std::string::npos) {
    const size_t open = path.find('{'), close = path.find('}', open);
    const std::string inner = path.substr(open + 1, close - open - 1);
    const size_t equals = inner.find('=');
    const std::string value =
        equals == std::string::npos
            ? "x1"
            : absl::StrReplaceAll(inner.substr(equals + 1),
                                  {{"**", "x1"}, {"*", "x1"}});
    path.replace(open, close - open + 1, value);
  }
  return path;
}

}  // namespace cdc::gateway::testing
