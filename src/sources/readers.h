#pragma once

// One poll of a source, for each kind of source: what the app's poller thread calls every
// interval. A reader keeps what it needs between polls (a log's position and running totals).

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "common/socket_address.h"
#include "sources/access_log.h"
#include "sources/log_tailer.h"
#include "sources/reading.h"

namespace healthgap::sources {

class SourceReader {
 public:
  virtual ~SourceReader() = default;
  virtual SourceReading Read() = 0;
};

// HAProxy's `show stat`: every server's state and its traffic (stot requests; hrsp_5xx, eresp
// and econ failures: per attempt, as a retried request's failed attempt counts too).
class HaproxyStatReader : public SourceReader {
 public:
  HaproxyStatReader(SocketAddress address, std::chrono::milliseconds timeout)
      : address_(std::move(address)), timeout_(timeout) {}
  SourceReading Read() override;

 private:
  SocketAddress address_;
  std::chrono::milliseconds timeout_;
};

// An access log (sources/access_log.h formats), tailed: traffic per upstream, counted from the
// moment the reader was made. A log that cannot be read fails the poll and keeps the totals.
class AccessLogReader : public SourceReader {
 public:
  AccessLogReader(std::string path, LogFormat format) : tailer_(std::move(path)), format_(format) {}
  SourceReading Read() override;
  std::uint64_t lines_read() const { return lines_read_; }

 private:
  LogTailer tailer_;
  LogFormat format_;
  std::map<std::pair<std::string, std::string>, ServerReading> servers_;  // by backend, server
  std::uint64_t lines_read_ = 0;
};

// PromQL: lb_query (1 in rotation, 0 out) and/or requests_query and failures_query (counters),
// each series named by `label`. Empty queries are not run.
struct PrometheusQueries {
  std::string base_url;
  std::string label = "instance";
  std::string lb_query;
  std::string requests_query;
  std::string failures_query;
  std::chrono::milliseconds timeout{1000};
};

class PrometheusReader : public SourceReader {
 public:
  explicit PrometheusReader(PrometheusQueries queries) : queries_(std::move(queries)) {}
  SourceReading Read() override;

 private:
  PrometheusQueries queries_;
};

}  // namespace healthgap::sources
