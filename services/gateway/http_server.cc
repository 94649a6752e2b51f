#include "services/gateway/http_server.h"

#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <deque>
#include <memory>
#include <optional>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "services/common/log.h"

namespace cdc::gateway {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr size_t kHeaderLimit = 16 * 1024;

std::chrono::steady_clock::duration Chrono(absl::Duration d) {
  return absl::ToChronoNanoseconds(d);
}

// A JSON error body for failures the server answers itself (framing, size),
// in the same shape as the gateway's other errors.
HttpResponse FramingError(int status, int grpc_code,
                          absl::string_view message) {
  HttpResponse response;
  response.status = status;
  response.headers = {{"content-type", "application/json"},
                      {"connection", "close"}};
  std::string body = absl::StrCat("{\"code\":", grpc_code, ",\"message\":");
  AppendJsonString(&body, message);
  body += ",\"details\":[]}";
  response.body = std::move(body);
  return response;
}

}  // namespace

const std::string& HttpRequest::Header(const std::string& lower_name) const {
  static const std::string* const kEmpty = new std::string;
  for (const auto& [name, value] : headers) {
    if (name == lower_name) return value;
  }
  return *kEmpty;
}

// The bounds of a lingering close (see Session::Linger).
constexpr std::chrono::seconds kLingerTime(2);
constexpr size_t kLingerBytes = 32 << 20;

// Open connections per peer address, shared by the server and its
// sessions (a session may outlive the server's Stop by a little).
class ConnectionCounts {
 public:
  explicit ConnectionCounts(int cap) : cap_(cap) {}

  // A place for one more connection from `ip`, given back when the last
  // copy is destroyed; null when `ip` has its cap.
  static std::shared_ptr<void> Take(
      const std::shared_ptr<ConnectionCounts>& counts, const std::string& ip) {
    if (counts->cap_ > 0) {
      absl::MutexLock lock(&counts->mu_);
      int& open = counts->open_[ip];
      if (open >= counts->cap_) return nullptr;
      ++open;
    }
    return std::shared_ptr<void>(counts.get(), [counts, ip](void*) {
      if (counts->cap_ <= 0) return;
      absl::MutexLock lock(&counts->mu_);
      auto it = counts->open_.find(ip);
      if (it != counts->open_.end() && --it->second <= 0) {
        counts->open_.erase(it);
      }
    });
  }

 private:
  const int cap_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, int> open_ ABSL_GUARDED_BY(mu_);
};

using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// One connection, over plain TCP or TLS. It serves one request at a time
// (no pipelining); while a request is with the handler, the connection is
// its Exchange. All socket work runs on the connection's strand.
template <typename Stream>
class Session final : public Exchange,
                      public std::enable_shared_from_this<Session<Stream>> {
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

 public:
  template <typename... TlsContext>
  Session(tcp::socket socket, const HttpServer::Options& options,
          const HttpHandler& handler, asio::thread_pool& workers,
          const std::shared_ptr<ConnectionCounts>& counts, TlsContext&... tls)
      : stream_(std::move(socket), tls...),
        options_(options),
        handler_(handler),
        workers_(workers) {
    beast::error_code ec;
    const auto endpoint = Lowest().socket().remote_endpoint(ec);
    if (!ec) {
      remote_ =
          absl::StrCat(endpoint.address().to_string(), ":", endpoint.port());
    }
    slot_ = ConnectionCounts::Take(
        counts, ec ? std::string() : endpoint.address().to_string());
  }

  void Run() {
    asio::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
      if constexpr (kTls) {
        // The handshake, too, must finish within the header timeout.
        self->Lowest().expires_after(Chrono(self->options_.header_timeout));
        self->stream_.async_handshake(asio::ssl::stream_base::server,
                                      [self](beast::error_code ec) {
                                        if (ec) return self->Close();
                                        self->Begin();
                                      });
      } else {
        self->Begin();
      }
    });
  }

  // Exchange.
  void Respond(HttpResponse response) override {
    asio::post(stream_.get_executor(), [self = this->shared_from_this(),
                                        r = std::move(response)]() mutable {
      self->Write(std::move(r));
    });
  }

  void StartStream(HttpResponse head) override {
    asio::post(stream_.get_executor(), [self = this->shared_from_this(),
                                        h = std::move(head)]() mutable {
      self->WriteStreamHead(std::move(h));
    });
  }

  bool Send(std::string chunk) override {
    if (closed_.load()) return false;
    if (waiting_bytes_.fetch_add(chunk.size()) + chunk.size() >
        options_.stream_buffer) {
      asio::post(stream_.get_executor(),
                 [self = this->shared_from_this()] { self->Close(); });
      return false;
    }
    asio::post(stream_.get_executor(), [self = this->shared_from_this(),
                                        c = std::move(chunk)]() mutable {
      self->out_.push_back(std::move(c));
      self->Flush();
    });
    return true;
  }

  void Finish() override {
    asio::post(stream_.get_executor(), [self = this->shared_from_this()] {
      self->finishing_ = true;
      self->Flush();
    });
  }

  void OnClose(std::function<void()> callback) override {
    asio::post(stream_.get_executor(), [self = this->shared_from_this(),
                                        cb = std::move(callback)]() mutable {
      if (self->closed_.load()) {
        cb();
      } else {
        self->on_close_.push_back(std::move(cb));
      }
    });
  }

 private:
  // Serves requests, or refuses a connection over its address's cap.
  void Begin() {
    if (slot_ != nullptr) return Read();
    unread_input_ = true;  // the client's request is not read
    Lowest().expires_after(Chrono(options_.header_timeout));
    HttpResponse refusal = FramingError(
        429, 8,
        absl::StrCat("more than ", options_.max_connections_per_address,
                     " connections from this address; close one first"));
    refusal.headers.emplace_back("retry-after", "1");
    Write(std::move(refusal));
  }

  void Read() {
    parser_.emplace();
    parser_->body_limit(options_.body_limit);
    parser_->header_limit(kHeaderLimit);
    // A client gets header_timeout to send a whole request, also while the
    // connection idles between requests: a silent client cannot hold it.
    Lowest().expires_after(Chrono(requests_ == 0 ? options_.header_timeout
                                                 : options_.idle_timeout));
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](
                         beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == asio::error::eof ||
        ec == asio::error::connection_reset) {
      return Close();
    }
    // A client that does not send its request in time is closed on: the
    // timer has already shut the socket, so no answer could reach it.
    if (ec == beast::error::timeout) return Close();
    // Past this point the client may still be sending the rest of a
    // request we refuse: the answer is followed by a lingering close.
    unread_input_ = true;
    if (ec == http::error::body_limit) {
      return Write(FramingError(413, 3,
                                absl::StrCat("request body larger than ",
                                             options_.body_limit, " bytes")));
    }
    if (ec == http::error::header_limit) {
      return Write(FramingError(431, 3, "request headers too large"));
    }
    if (ec) {
      return Write(FramingError(
          400, 3, absl::StrCat("malformed request: ", ec.message())));
    }
    ++requests_;
    Lowest().expires_never();  // the handler's own deadlines apply now
    http::request<http::string_body> message = parser_->release();
    keep_alive_ = message.keep_alive();
    head_ = message.method() == http::verb::head;
    HttpRequest request;
    request.method = std::string(message.method_string());
    const std::string target(message.target());
    const size_t question = target.find('?');
    request.path = target.substr(0, question);
    if (question != std::string::npos)
      request.query = target.substr(question + 1);
    for (const auto& field : message) {
      std::string name = absl::AsciiStrToLower(absl::string_view(
          field.name_string().data(), field.name_string().size()));
      std::string value(field.value());
      bool merged = false;
      for (auto& [n, v] : request.headers) {
        if (n == name) {
          absl::StrAppend(&v, ", ", value);
          merged = true;
        }
      }
      if (!merged)
        request.headers.emplace_back(std::move(name), std::move(value));
    }
    request.body = std::move(message.body());
    request.remote_address = remote_;
    // The handler may block briefly (rate limits ask Redis, static files
    // are read): it runs on the worker pool, never on an I/O thread.
    asio::post(workers_, [self = this->shared_from_this(),
                          request = std::move(request)]() mutable {
      self->handler_(std::move(request), self);
    });
  }

  void Write(HttpResponse r) {
    if (closed_.load()) return;
    auto response = std::make_shared<http::response<http::string_body>>();
    response->version(11);
    response->result(static_cast<unsigned>(r.status));
    bool close = !keep_alive_;
    for (auto& [name, value] : r.headers) {
      if (name == "connection" && value == "close") close = true;
      response->set(name, value);
    }
    response->body() = std::move(r.body);
    response->keep_alive(!close);
    response->prepare_payload();
    if (head_) {
      // HEAD: the headers a GET would have, Content-Length included, and
      // no body.
      const size_t length = response->body().size();
      response->body().clear();
      response->content_length(length);
    }
    Lowest().expires_after(Chrono(options_.idle_timeout));
    http::async_write(stream_, *response,
                      [self = this->shared_from_this(), response, close](
                          beast::error_code ec, size_t) {
                        if (ec) return self->Close();
                        if (close && self->unread_input_) return self->Linger();
                        if (close) return self->Close();
                        self->Read();
                      });
  }

  void WriteStreamHead(HttpResponse head) {
    if (closed_.load()) return;
    streaming_ = true;
    std::string text = absl::StrCat(
        "HTTP/1.1 ", head.status, " ",
        std::string(
            http::obsolete_reason(static_cast<http::status>(head.status))),
        "\r\n");
    for (const auto& [name, value] : head.headers) {
      absl::StrAppend(&text, name, ": ", value, "\r\n");
    }
    // The body ends when the connection does.
    absl::StrAppend(&text, "connection: close\r\n\r\n");
    out_.push_front(std::move(text));
    waiting_bytes_.fetch_add(out_.front().size());
    // Reading now only tells us when the client goes away. It starts with
    // no deadline (a read takes the expiry in force when it starts, and an
    // idle stream is fine); writes re-arm their own deadline in Flush.
    Lowest().expires_never();
    auto sink = std::make_shared<char>();
    stream_.async_read_some(
        asio::buffer(sink.get(), 1),
        asio::bind_executor(stream_.get_executor(),
                            [self = this->shared_from_this(), sink](
                                beast::error_code ec, size_t) {
                              if (ec) self->Close();
                            }));
    Flush();
  }

  void Flush() {
    if (closed_.load() || writing_ || !streaming_) return;
    if (out_.empty()) {
      if (finishing_) Close();
      return;
    }
    writing_ = true;
    auto chunk = std::make_shared<std::string>(std::move(out_.front()));
    out_.pop_front();
    Lowest().expires_after(Chrono(options_.idle_timeout));
    asio::async_write(
        stream_, asio::buffer(*chunk),
        [self = this->shared_from_this(), chunk](beast::error_code ec, size_t) {
          self->writing_ = false;
          self->waiting_bytes_.fetch_sub(chunk->size());
          if (ec) return self->Close();
          self->Flush();
        });
  }

  // After refusing a request the client is still sending (an oversized
  // body or head), closing at once would leave its bytes unread, and the
  // kernel would answer them with a reset that can destroy the refusal
  // before the client reads it. So, like nginx's lingering close: stop
  // sending, then read and drop what comes for a bounded time and amount,
  // and close when the client does or the bound is reached.
  void Linger() {
    beast::error_code ignored;
    Lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
    Lowest().expires_after(kLingerTime);
    auto sink = std::make_shared<std::array<char, 64 * 1024>>();
    DrainInto(std::move(sink), 0);
  }

  void DrainInto(std::shared_ptr<std::array<char, 64 * 1024>> sink,
                 size_t drained) {
    if (closed_.load()) return;
    Lowest().async_read_some(asio::buffer(*sink),
                             [self = this->shared_from_this(), sink, drained](
                                 beast::error_code ec, size_t n) mutable {
                               if (ec || drained + n > kLingerBytes)
                                 return self->Close();
                               self->DrainInto(std::move(sink), drained + n);
                             });
  }

  void Close() {
    if (closed_.exchange(true)) return;
    beast::error_code ignored;
    Lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
    Lowest().close();
    std::vector<std::function<void()>> callbacks;
    callbacks.swap(on_close_);
    for (auto& cb : callbacks) cb();
  }

  beast::tcp_stream& Lowest() { return beast::get_lowest_layer(stream_); }

  Stream stream_;
  const HttpServer::Options& options_;
  const HttpHandler& handler_;
  asio::thread_pool& workers_;
  std::string remote_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  int requests_ = 0;
  bool keep_alive_ = false;
  bool head_ = false;           // the request being answered is a HEAD
  bool unread_input_ = false;   // refused mid-request: linger before closing
  std::shared_ptr<void> slot_;  // this connection's place; null: refused
  // Streaming state, on the strand.
  bool streaming_ = false;
  bool writing_ = false;
  bool finishing_ = false;
  std::deque<std::string> out_;
  std::atomic<size_t> waiting_bytes_{0};
  std::atomic<bool> closed_{false};
  std::vector<std::function<void()>> on_close_;
};

class HttpServer::Impl {
 public:
  Impl(Options options, HttpHandler handler)
      : options_(std::move(options)),
        handler_(std::move(handler)),
        acceptor_(asio::make_strand(io_)) {}

  absl::Status Start() {
    if (!options_.tls_certificate_pem.empty()) {
      tls_ =
          std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
      tls_->set_options(
          asio::ssl::context::default_workarounds |
          asio::ssl::context::no_sslv2 | asio::ssl::context::no_sslv3 |
          asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
      beast::error_code tls_error;
      tls_->use_certificate_chain(asio::buffer(options_.tls_certificate_pem),
                                  tls_error);
      if (!tls_error) {
        tls_->use_private_key(asio::buffer(options_.tls_key_pem),
                              asio::ssl::context::pem, tls_error);
      }
      if (tls_error) {
        return absl::InvalidArgumentError(
            absl::StrCat("TLS certificate or key: ", tls_error.message()));
      }
    }
    beast::error_code ec;
    const tcp::endpoint endpoint(asio::ip::make_address(options_.address, ec),
                                 static_cast<unsigned short>(options_.port));
    if (ec) {
      return absl::InvalidArgumentError(
          absl::StrCat("address ", options_.address, ": ", ec.message()));
    }
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return absl::UnavailableError(absl::StrCat("listen on ", options_.address,
                                                 ":", options_.port, ": ",
                                                 ec.message()));
    }
    port_ = acceptor_.local_endpoint().port();
    Accept();
    for (int i = 0; i < options_.threads; ++i) {
      threads_.emplace_back([this] { io_.run(); });
    }
    return absl::OkStatus();
  }

  void Stop() {
    if (threads_.empty()) return;
    asio::post(acceptor_.get_executor(), [this] {
      beast::error_code ignored;
      acceptor_.close(ignored);
    });
    io_.stop();
    for (std::thread& t : threads_) t.join();
    threads_.clear();
    workers_.join();
  }

  int port() const { return port_; }

 private:
  void Accept() {
    acceptor_.async_accept(
        asio::make_strand(io_), [this](beast::error_code ec, tcp::socket s) {
          if (ec == asio::error::operation_aborted) return;
          if (ec) {
            // Out of descriptors or memory: wait a little rather than spin.
            auto timer = std::make_shared<asio::steady_timer>(
                acceptor_.get_executor(), std::chrono::milliseconds(50));
            timer->async_wait([this, timer](beast::error_code) { Accept(); });
            return;
          }
          if (tls_ != nullptr) {
            std::make_shared<Session<TlsStream>>(
                std::move(s), options_, handler_, workers_, counts_, *tls_)
                ->Run();
          } else {
            std::make_shared<Session<PlainStream>>(std::move(s), options_,
                                                   handler_, workers_, counts_)
                ->Run();
          }
          Accept();
        });
  }

  const Options options_;
  const HttpHandler handler_;
  const std::shared_ptr<ConnectionCounts> counts_ =
      std::make_shared<ConnectionCounts>(options_.max_connections_per_address);
  std::unique_ptr<asio::ssl::context> tls_;  // set when serving HTTPS
  asio::io_context io_;
  // Runs handlers; declared after io_ so that it goes first.
  asio::thread_pool workers_{static_cast<size_t>(options_.handler_threads)};
  tcp::acceptor acceptor_;
  std::vector<std::thread> threads_;
  int port_ = 0;
};

HttpServer::HttpServer(Options options, HttpHandler handler)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler))) {}

HttpServer::~HttpServer() { Stop(); }

absl::Status HttpServer::Start() { return impl_->Start(); }
void HttpServer::Stop() { impl_->Stop(); }
int HttpServer::port() const { return impl_->port(); }

}  // namespace cdc::gateway
