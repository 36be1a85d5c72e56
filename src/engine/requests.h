#pragma once

#include "config/config.h"
#include "probe/http_client.h"

namespace healthgap::engine {

// The request a health check sends: as a load balancer sends it, on a fresh connection, with no
// redirect following (a 3xx is judged by its status code). Carries the target's auth.
probe::HttpRequest HealthRequest(const config::Target& target, const config::HealthCheck& check);

// The request an API sample sends: as users' clients do, reusing connections and following
// redirects. Carries the target's auth. The body is counted against max_body_bytes, not kept.
probe::HttpRequest SampleRequest(const config::Target& target, const config::ApiSample& sample);

}  // namespace healthgap::engine
