// The TCP health check's exchange: what follows curl's connect-only transfer (CURLOPT_CONNECT_ONLY
// made the connection, and the TLS handshake for https://), sent and read without blocking with
// curl_easy_send and curl_easy_recv, which go through curl's TLS layer.

#include <algorithm>
#include <array>
#include <chrono>
#include <string>

#include "probe/curl_transfer.h"

namespace healthgap::probe::detail {
namespace {

// Read per curl_easy_recv call; the reply is capped by max_body_bytes, not by this.
constexpr std::size_t kReadChunk = 4096;

bool WantsExchange(const HttpRequest& request) {
  return request.tcp && (!request.tcp->send.empty() || request.tcp->expect.has_value());
}

}  // namespace

bool CurlTransfer::StartsExchange(TimePoint now) {
  if (result.error || !WantsExchange(request)) return false;
  tcp_sent = 0;
  tcp_connected = now;
  return true;
}

curl_socket_t CurlTransfer::Socket() const {
  curl_socket_t socket = CURL_SOCKET_BAD;
  curl_easy_getinfo(easy.get(), CURLINFO_ACTIVESOCKET, &socket);
  return socket;
}

CurlTransfer::Exchange CurlTransfer::EndExchange(TimePoint now, std::optional<FailureReason> error,
                                                 std::string message) {
  result.error = error;
  result.error_message = std::move(message);
  result.phases.processing = ToSeconds(now - tcp_connected);
  result.total = now - result.started;
  return Exchange::kDone;
}

CurlTransfer::Exchange CurlTransfer::Converse(TimePoint now) {
  const TcpExchange& exchange = *request.tcp;
  if (now >= ExchangeDeadline()) {
    return EndExchange(now, FailureReason::kTimeout,
                       exchange.expect && tcp_sent == exchange.send.size()
                           ? "no reply matching expect within the timeout"
                           : "could not send within the timeout");
  }
  while (tcp_sent < exchange.send.size()) {
    std::size_t written = 0;
    const CURLcode code = curl_easy_send(easy.get(), exchange.send.data() + tcp_sent,
                                         exchange.send.size() - tcp_sent, &written);
    if (code == CURLE_AGAIN) return Exchange::kWantWrite;
    if (code != CURLE_OK) {
      return EndExchange(now, FailureReason::kConnectionReset,
                         std::string("send failed: ") + curl_easy_strerror(code));
    }
    tcp_sent += written;
  }
  if (!exchange.expect) return EndExchange(now, std::nullopt, "");
  std::array<char, kReadChunk> buffer;
  while (true) {
    // Drains what curl has, TLS records it buffered included, before the next poll.
    std::size_t received = 0;
    const CURLcode code = curl_easy_recv(easy.get(), buffer.data(), buffer.size(), &received);
    if (code == CURLE_AGAIN) return Exchange::kWantRead;
    if (code != CURLE_OK) {
      return EndExchange(now, FailureReason::kConnectionReset,
                         std::string("receive failed: ") + curl_easy_strerror(code));
    }
    if (received == 0) {
      return EndExchange(
          now, FailureReason::kBodyMismatch,
          "connection closed before the reply matched expect " + exchange.expect->pattern());
    }
    const std::size_t room = request.max_body_bytes - result.body.size();
    result.body.append(buffer.data(), std::min(received, room));
    result.body_bytes = result.body.size();
    if (exchange.expect->Search(result.body)) return EndExchange(now, std::nullopt, "");
    if (received >= room) {
      return EndExchange(now, FailureReason::kBodyMismatch,
                         "no match for expect " + exchange.expect->pattern() + " in the first " +
                             std::to_string(request.max_body_bytes) + " bytes of the reply");
    }
  }
}

void TcpExchanges::Add(CurlTransfer* transfer) {
  running_.push_back({transfer, CurlTransfer::Exchange::kWantWrite});
}

std::vector<curl_waitfd>& TcpExchanges::WaitFds() {
  fds_.clear();
  for (const Running& exchange : running_) {
    const bool write = exchange.waiting == CurlTransfer::Exchange::kWantWrite;
    fds_.push_back(
        curl_waitfd{.fd = exchange.transfer->Socket(),
                    .events = static_cast<short>(write ? CURL_WAIT_POLLOUT : CURL_WAIT_POLLIN),
                    .revents = 0});
  }
  return fds_;
}

int TcpExchanges::PollTimeoutMs(int max_ms, TimePoint now) const {
  int timeout = max_ms;
  for (const Running& exchange : running_) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        exchange.transfer->ExchangeDeadline() - now);
    // Rounded up, so the deadline has passed when the poll returns.
    timeout = std::min<int>(timeout, std::max<int>(0, static_cast<int>(left.count()) + 1));
  }
  return timeout;
}

std::vector<CurlTransfer*> TcpExchanges::Advance(TimePoint now) {
  std::vector<CurlTransfer*> done;
  std::erase_if(running_, [&](Running& exchange) {
    exchange.waiting = exchange.transfer->Converse(now);
    if (exchange.waiting != CurlTransfer::Exchange::kDone) return false;
    done.push_back(exchange.transfer);
    return true;
  });
  return done;
}

std::vector<CurlTransfer*> TcpExchanges::TakeAll() {
  std::vector<CurlTransfer*> all;
  for (const Running& exchange : running_) all.push_back(exchange.transfer);
  running_.clear();
  return all;
}

}  // namespace healthgap::probe::detail
