#pragma once

// HAProxy's runtime API (the `stats socket`): one command per connection, its whole answer
// read until HAProxy closes, within a deadline and a size cap, so a socket that hangs, trickles
// or never ends costs at most its timeout. Over a Unix socket or TCP to a numeric address
// (common/socket_address.h).

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "common/socket_address.h"

namespace healthgap::sources {

struct RuntimeAnswer {
  std::string text;   // the whole answer, on success
  std::string error;  // non-empty: why there is none ("timeout", "connect: ...", "too large")
};

// Sends `command` and reads the answer until HAProxy closes the connection.
RuntimeAnswer RunRuntimeCommand(const SocketAddress& address, std::string_view command,
                                std::chrono::milliseconds timeout,
                                std::size_t max_bytes = 16 << 20);

}  // namespace healthgap::sources
