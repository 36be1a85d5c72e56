#include "app/source_poller.h"

#include <algorithm>

#include "common/log.h"
#include "common/socket_address.h"

namespace healthgap::app {

std::unique_ptr<sources::SourceReader> MakeReader(const config::Source& source,
                                                  std::string* error) {
  switch (source.type) {
    case config::SourceType::kHaproxy: {
      std::optional<SocketAddress> address = ParseSocketAddress(source.address, error);
      if (!address) return nullptr;
      return std::make_unique<sources::HaproxyStatReader>(std::move(*address), source.timeout);
    }
    case config::SourceType::kNginxLog:
      return std::make_unique<sources::AccessLogReader>(source.path, sources::LogFormat::kNginx);
    case config::SourceType::kHaproxyLog:
      return std::make_unique<sources::AccessLogReader>(source.path, sources::LogFormat::kHaproxy);
    case config::SourceType::kPrometheus:
      return std::make_unique<sources::PrometheusReader>(sources::PrometheusQueries{
          .base_url = source.url,
          .label = source.target_label,
          .lb_query = source.lb_query,
          .requests_query = source.requests_query,
          .failures_query = source.failures_query,
          .timeout = source.timeout,
      });
  }
  *error = "unknown source type";
  return nullptr;
}

void SourcePoller::Apply(const std::vector<config::Source>& sources) {
  std::vector<std::unique_ptr<Poll>> kept;
  for (const config::Source& source : sources) {
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

void SourcePoller::Stop() {
  for (auto& poll : polls_) Halt(*poll);
  polls_.clear();
}

void SourcePoller::Halt(Poll& poll) {
  {
    std::lock_guard lock(poll.mu);
    poll.stopping = true;
  }
  poll.wake.notify_all();
  if (poll.thread.joinable()) poll.thread.join();
}

void SourcePoller::Run(Poll& poll) {
  const config::Source& source = poll.source;
  std::string error;
  // Made on this thread: a log is opened (and its end found) where it is then read.
  const std::unique_ptr<sources::SourceReader> reader = MakeReader(source, &error);
  std::string last_error;
  for (;;) {
    sources::SourceReading reading;
    if (reader) {
      reading = reader->Read();
    } else {
      reading.error = error;
    }
    engine_.RecordSource(source.name, reading, clock_.Now());
    // One line per change of error, not per failed poll.
    if (reading.error != last_error) {
      if (reading.error.empty()) {
        log::Info("source answers", {{"source", source.name}});
      } else {
        log::Warn("source unreadable", {{"source", source.name}, {"err", reading.error}});
      }
      last_error = reading.error;
    }
    std::unique_lock lock(poll.mu);
    if (poll.wake.wait_for(lock, source.interval, [&poll] { return poll.stopping; })) return;
  }
}

}  // namespace healthgap::app
