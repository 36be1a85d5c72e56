#pragma once

// The request headers a target's `auth` setting adds. Pure, safe from any thread.

#include <string>
#include <utility>
#include <vector>

#include "config/config.h"

namespace healthgap::config {

// {"Authorization", "Bearer TOKEN"} or {"Authorization", "Basic base64(user:password)"}, or
// nothing without auth. Added to every health probe and API sample of the target. The values
// hold the secret: never log them.
std::vector<std::pair<std::string, std::string>> AuthHeaders(const TargetAuth& auth);

}  // namespace healthgap::config
