#pragma once

#include <httplib.h>

namespace healthgap::server {

// httplib::Server for plain HTTP whose connections run on a stream of our own, through the hook
// httplib's own SSLServer uses (process_and_close_socket). cpp-httplib 0.11's socket stream
// costs every request more than it needs: it polls before every read and every write, sends a
// response's headers and body in two send()s (two segments, so the client wakes twice), asks
// the kernel for both addresses of the connection on every request, drops what a client
// pipelined after the request it reads, and checks an idle keep-alive connection every 10 ms.
// This stream sends each response in one write (while it fits in 64 KiB), polls only where the
// socket would block, reads the addresses once per connection, keeps pipelined requests, and
// sleeps in poll until the next request, the keep-alive timeout or Shutdown().
// /probe costs about 6 system calls less per scrape (docs/benchmarks.md).
class PlainServer : public httplib::Server {
 public:
  PlainServer();
  ~PlainServer() override;
  PlainServer(const PlainServer&) = delete;
  PlainServer& operator=(const PlainServer&) = delete;

  // httplib::Server::stop(), and idle keep-alive connections close at once instead of at the
  // end of their keep-alive timeout (stop() waits for every connection).
  void Shutdown();

 private:
  bool process_and_close_socket(socket_t sock) override;

  int shutdown_event_ = -1;  // eventfd, readable once Shutdown() ran
};

}  // namespace healthgap::server
