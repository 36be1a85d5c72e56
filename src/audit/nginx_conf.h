#pragma once

// nginx's config, read for what takes an upstream's servers out: every `upstream` block (in
// `http` or `stream`) with its servers' `max_fails` and `fail_timeout` (nginx's defaults 1 and
// 10s: open source nginx checks passively, from failed real requests), and NGINX Plus's active
// `health_check` in a location that proxies to it (interval 5s, fails 1, passes 1, uri /, any
// 2xx or 3xx passing unless a `match` block says otherwise).

#include <string>
#include <string_view>
#include <vector>

#include "audit/pool.h"

namespace healthgap::audit {

ParsedPools ParseNginxConfig(std::string_view text, const std::string& file);

}  // namespace healthgap::audit
