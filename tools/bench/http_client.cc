#include "tools/bench/http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace cdc::bench {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

struct HttpLoadClient::Io {
  asio::io_context context{1};
  asio::executor_work_guard<asio::io_context::executor_type> work{
      context.get_executor()};
  tcp::endpoint endpoint;
};

// One connection and the request on it. Touched only on the I/O thread.
class HttpLoadClient::Connection {
 public:
  explicit Connection(Io* io) : io_(io), socket_(io->context) {}

  void Send(HttpRequest request, Done done,
            std::function<void(const std::string&)> on_body) {
    done_ = std::move(done);
    on_body_ = std::move(on_body);
    request_ = {};
    request_.version(11);
    request_.method_string(request.method);
    request_.target(request.target);
    request_.set(http::field::host, "bench");
    request_.keep_alive(true);
    for (auto& [name, value] : request.headers) request_.set(name, value);
    if (!request.body.empty() || request.method == "POST") {
      request_.set(http::field::content_type, "application/json");
      request_.body() = std::move(request.body);
      request_.prepare_payload();
    }
    if (socket_.is_open()) {
      Write();
      return;
    }
    socket_.async_connect(io_->endpoint, [this](boost::system::error_code ec) {
      if (ec) return Fail(ec);
      socket_.set_option(tcp::no_delay(true));
      Write();
    });
  }

 private:
  void Write() {
    http::async_write(
        socket_, request_, [this](boost::system::error_code ec, size_t) {
          if (ec) return Fail(ec);
          response_ = {};
          http::async_read(socket_, buffer_, response_,
                           [this](boost::system::error_code ec, size_t) {
                             if (ec) return Fail(ec);
                             Answered();
                           });
        });
  }

  void Answered() {
    const unsigned status = response_.result_int();
    if (!response_.keep_alive()) Close();
    if (on_body_) on_body_(response_.body());
    Finish(status >= 200 && status < 300 ? "" : absl::StrCat("HTTP ", status));
  }

  void Fail(boost::system::error_code ec) {
    Close();
    Finish(absl::StrCat("IO ", ec.message()));
  }

  void Close() {
    boost::system::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
    buffer_.clear();
  }

  void Finish(const std::string& error) {
    Done done = std::move(done_);
    done_ = nullptr;
    if (done) done(error);
  }

 public:
  // Ends the connection; a request in flight fails.
  void Abort() { Close(); }

 private:
  Io* const io_;
  tcp::socket socket_;
  boost::beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  http::response<http::string_body> response_;
  Done done_;
  std::function<void(const std::string&)> on_body_;
};

HttpLoadClient::HttpLoadClient(const std::string& address, int connections)
    : io_(std::make_unique<Io>()) {
  const size_t colon = address.rfind(':');
  int port = 0;
  if (colon != std::string::npos) {
    (void)absl::SimpleAtoi(address.substr(colon + 1), &port);
  }
  io_->endpoint =
      tcp::endpoint(asio::ip::make_address(address.substr(0, colon)), port);
  for (int i = 0; i < connections; ++i) {
    connections_.push_back(std::make_unique<Connection>(io_.get()));
  }
  thread_ = std::thread([this] { io_->context.run(); });
}

HttpLoadClient::~HttpLoadClient() {
  asio::post(io_->context, [this] {
    for (auto& connection : connections_) connection->Abort();
  });
  io_->work.reset();
  thread_.join();  // run() returns once no handler is left
  connections_.clear();
}

void HttpLoadClient::Send(int slot, HttpRequest request, Done done,
                          std::function<void(const std::string&)> on_body) {
  asio::post(io_->context,
             [this, slot, request = std::move(request), done = std::move(done),
              on_body = std::move(on_body)]() mutable {
               connections_[slot]->Send(std::move(request), std::move(done),
                                        std::move(on_body));
             });
}

}  // namespace cdc::bench
