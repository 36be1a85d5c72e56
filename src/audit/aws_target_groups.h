#pragma once

// AWS target groups as `aws elbv2 describe-target-groups` prints them (JSON): each is a pool
// checked by its ALB or NLB (HealthCheckProtocol, Path, Port, IntervalSeconds,
// TimeoutSeconds, Healthy/UnhealthyThresholdCount, Matcher.HttpCode or GrpcCode), with AWS's
// defaults for what is not printed.

#include <string>
#include <string_view>
#include <vector>

#include "audit/pool.h"

namespace healthgap::audit {

ParsedPools ParseAwsTargetGroups(std::string_view text, const std::string& file);

}  // namespace healthgap::audit
