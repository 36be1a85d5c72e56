#pragma once

// Redirects, followed by healthgap rather than by curl, so that every hop is a request of its
// own: checked by the request's RedirectGuard (the /probe allowlist, DNS pinning included)
// before it is sent, and stripped of headers that must not reach another origin. curl's own
// CURLOPT_FOLLOWLOCATION forwards custom headers (X-Api-Key) to any host a target names.

#include <string_view>

#include "probe/http_client.h"

namespace healthgap::probe {

// 301, 302, 303, 307 and 308: the statuses whose Location is followed (as Go's net/http and
// so blackbox_exporter do; 300 and 304 are not redirects to follow).
bool IsFollowedRedirect(int status);

// Whether two absolute http(s) URLs share scheme, host and port (default ports filled in).
bool SameOrigin(std::string_view a, std::string_view b);

// The request for the hop that follows `request`'s response `status` with absolute Location
// `url`, as Go's net/http builds it (blackbox_exporter's behaviour): 301, 302 and 303 turn any
// method but HEAD into a GET without a body; 307 and 308 repeat method and body. Headers go
// along to the same origin; to another origin only those that carry no credentials or
// application data (Accept, Accept-Encoding, Accept-Language, Cache-Control, Pragma,
// User-Agent, and Content-Type with a body). Timeout, limits, pins and the guard carry over.
HttpRequest RedirectedRequest(const HttpRequest& request, int status, std::string_view url);

}  // namespace healthgap::probe
