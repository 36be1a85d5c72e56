#pragma once

// The human report of `healthgap check`: the LB view (every health probe and the state it
// leads to), the user view (every sample path), the health evidence, and the verdict with its
// reason on the last line, so scripts can `tail -1`. tests/app/check_report_test.cc holds it to
// golden text.

#include <ostream>
#include <string>

#include "app/check.h"
#include "engine/paired_probe.h"

namespace healthgap::app {

// "healthgap check URL: N rounds, lb L, timeout T, spacing S, worst case W" and a blank line.
void PrintCheckHeader(const CheckPlan& plan, std::ostream& out);

// Everything after the header, from the finished run.
void PrintCheckReport(const CheckPlan& plan, const engine::PairedProbeResult& run,
                      std::ostream& out);

}  // namespace healthgap::app
