#pragma once

// HAProxy's haproxy.cfg, read for what its health checks do: every `backend` and `listen`
// section with its servers, after `defaults` (the last one before it), `default-server` and
// the server line's own settings, with HAProxy 2.6's defaults for what is not written (inter
// 2s, rise 2, fall 3, fastinter and downinter as inter; without `http-check expect`, any 2xx or
// 3xx passes). Other sections are read only for `stats socket`.

#include <string>
#include <string_view>
#include <vector>

#include "audit/pool.h"

namespace healthgap::audit {

struct HaproxyConfig {
  std::vector<Pool> pools;
  std::string stats_socket;  // global `stats socket` address, if any
  std::string error;         // "line 12: ..." when it is not an HAProxy config healthgap reads
};

HaproxyConfig ParseHaproxyConfig(std::string_view text, const std::string& file);

// HAProxy's time format: "500ms", "2s", "1m", "1h", "1d", or a number of milliseconds.
std::optional<Millis> ParseHaproxyTime(std::string_view text);

}  // namespace healthgap::audit
