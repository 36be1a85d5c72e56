#include "common/socket_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/un.h>

#include "common/listen_address.h"

namespace healthgap {

std::optional<SocketAddress> ParseSocketAddress(std::string_view text, std::string* error) {
  const std::string quoted = "\"" + std::string(text) + "\"";
  if (text.starts_with("unix:")) text.remove_prefix(5);
  if (text.starts_with("/")) {
    constexpr std::size_t kMaxPath = sizeof(sockaddr_un{}.sun_path) - 1;
    if (text.size() > kMaxPath) {
      *error = "socket path " + quoted + " is longer than " + std::to_string(kMaxPath) + " bytes";
      return std::nullopt;
    }
    return SocketAddress::Unix(std::string(text));
  }
  for (std::string_view prefix : {"ipv4@", "ipv6@", "tcp@"}) {
    if (text.starts_with(prefix)) text.remove_prefix(prefix.size());
  }
  const std::optional<ListenAddress> tcp = ParseListenAddress(text, error);
  if (!tcp) return std::nullopt;
  in6_addr scratch{};
  if (::inet_pton(AF_INET, tcp->host.c_str(), &scratch) != 1 &&
      ::inet_pton(AF_INET6, tcp->host.c_str(), &scratch) != 1) {
    *error = "socket address " + quoted +
             " must be unix:/PATH or a numeric IP address and port (no DNS for a control socket)";
    return std::nullopt;
  }
  if (tcp->port == 0) {
    *error = "socket address " + quoted + " needs a port";
    return std::nullopt;
  }
  SocketAddress address;
  address.host = tcp->host;
  address.port = tcp->port;
  return address;
}

}  // namespace healthgap
