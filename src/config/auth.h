#pragma once

// The request headers a target's `auth` setting adds. Pure, safe from any thread.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config.h"

namespace healthgap::config {

// {"Authorization", "Bearer TOKEN"} or {"Authorization", "Basic base64(user:password)"}, or
// nothing without auth. Added to every health probe and API sample of the target. The values
// hold the secret: never log them.
std::vector<std::pair<std::string, std::string>> AuthHeaders(const TargetAuth& auth);

// Why `text` cannot be a secret ("is empty", "contains CR, LF or NUL"), or "" when it can.
std::string CheckSecretText(std::string_view text);

// A secret file as a Secret: read whole (config/loader.h's ReadTextFile), one trailing newline
// trimmed, then checked; nullopt with *error saying why, never quoting the secret. What the
// config's *_file keys and `check`'s flags read.
std::optional<Secret> ReadSecretFile(const std::string& path, std::string* error);

}  // namespace healthgap::config
