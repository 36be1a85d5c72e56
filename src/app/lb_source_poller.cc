#include "app/lb_source_poller.h"

#include <algorithm>

#include "common/log.h"
#include "common/socket_address.h"
#include "sources/haproxy_runtime.h"
#include "sources/haproxy_stat.h"

namespace healthgap::app {

void LbSourcePoller::Apply(const std::vector<config::LbSource>& sources) {
  std::vector<std::unique_ptr<Poll>> kept;
  for (const config::LbSource& source : sources) {
    auto same = std::find_if(polls_.begin(), polls_.end(), [&source](const auto& poll) {
      return poll && poll->source == source;
    });
    if (same != polls_.end()) {
      kept.push_back(std::move(*same));
      continue;
    }
    auto poll = std::make_unique<Poll>();
    poll->source = source;
    Poll* raw = poll.get();
    poll->thread = std::thread([this, raw] { Run(*raw); });
    kept.push_back(std::move(poll));
  }
  for (auto& poll : polls_) {
    if (poll) Halt(*poll);
  }
  polls_ = std::move(kept);
}

void LbSourcePoller::Stop() {
  for (auto& poll : polls_) Halt(*poll);
  polls_.clear();
}

void LbSourcePoller::Halt(Poll& poll) {
  {
    std::lock_guard lock(poll.mu);
    poll.stopping = true;
  }
  poll.wake.notify_all();
  if (poll.thread.joinable()) poll.thread.join();
}

void LbSourcePoller::Run(Poll& poll) {
  const config::LbSource& source = poll.source;
  std::string error;
  const std::optional<SocketAddress> address = ParseSocketAddress(source.address, &error);
  std::string last_error;
  for (;;) {
    if (address) {
      const sources::RuntimeAnswer answer =
          sources::RunRuntimeCommand(*address, "show stat", source.timeout);
      sources::ShowStat stat;
      error = answer.error;
      if (error.empty()) {
        stat = sources::ParseShowStat(answer.text);
        error = stat.error;
      }
      engine_.RecordLbSource(source.name, error.empty() ? &stat : nullptr, error, clock_.Now());
    } else {
      engine_.RecordLbSource(source.name, nullptr, error, clock_.Now());
    }
    // One line per change of error, not per failed poll.
    if (error != last_error) {
      if (error.empty()) {
        log::Info("lb source answers", {{"source", source.name}});
      } else {
        log::Warn("lb source unreadable", {{"source", source.name}, {"err", error}});
      }
      last_error = error;
    }
    std::unique_lock lock(poll.mu);
    if (poll.wake.wait_for(lock, source.interval, [&poll] { return poll.stopping; })) return;
  }
}

}  // namespace healthgap::app
