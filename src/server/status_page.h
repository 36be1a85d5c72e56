#pragma once

#include <string>

#include "engine/snapshot.h"

namespace healthgap::server {

// Every target's LB view, user view, verdict and reason, for humans (HTML) and scripts (JSON).
std::string RenderStatusHtml(const engine::EngineSnapshot& snapshot);
std::string RenderStatusJson(const engine::EngineSnapshot& snapshot);

}  // namespace healthgap::server
