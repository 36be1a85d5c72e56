#pragma once

// Follows a log file as it grows, the way `tail -F` does, through both kinds of rotation:
// - rename (logrotate's default, nginx's USR1 reopen): the file at the path is a new one; what
//   is left in the old one is read to its end first, then the new one from its start;
// - copytruncate: the file shrinks; it is read again from its start, after the lines written
//   between the last poll and the truncation are read from the copy (PATH.1, as logrotate
//   names it; with delaycompress), once its bytes before them prove it is that copy.
// Each complete line is handed over once. A line longer than the cap is dropped and counted,
// as is anything after the last newline until it ends. Each poll reads at most a budget of
// bytes, so a log that grows faster than healthgap reads it costs bounded work per poll.

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace healthgap::sources {

class LogTailer {
 public:
  struct Limits {
    std::size_t max_line_bytes = 64 << 10;
    std::size_t max_bytes_per_poll = 64 << 20;
  };
  // Starts at the end of the file as it is now: what users did before healthgap looked is not
  // this run's traffic. A path that does not exist yet is read from its start once it appears.
  explicit LogTailer(std::string path, Limits limits);
  explicit LogTailer(std::string path) : LogTailer(std::move(path), Limits{}) {}
  ~LogTailer();
  LogTailer(const LogTailer&) = delete;
  LogTailer& operator=(const LogTailer&) = delete;

  // Hands every complete line added since the last poll to `line`. Returns "" or why the file
  // cannot be read (the path then is retried on the next poll).
  std::string Poll(const std::function<void(std::string_view)>& line);

  std::uint64_t lines_dropped() const { return lines_dropped_; }

 private:
  bool Open(bool at_end, std::string* error);
  // Reads from fd_ until its end or the budget; false on a read error.
  bool Drain(const std::function<void(std::string_view)>& line, std::size_t* budget,
             std::string* error);
  void Close();

  std::string path_;
  Limits limits_;
  int fd_ = -1;
  dev_t device_ = 0;
  ino_t inode_ = 0;
  off_t offset_ = 0;
  // Reads the lines a copytruncate left only in the copy: from offset_ on in PATH.1, if its
  // bytes just before offset_ are the ones this tailer read last.
  void DrainCopy(const std::function<void(std::string_view)>& line, std::size_t* budget);
  std::string partial_;     // bytes after the last newline
  std::string last_bytes_;  // the last kFingerprintBytes read, ending at offset_
  static constexpr std::size_t kFingerprintBytes = 256;
  bool skipping_long_line_ = false;  // inside a line past the cap: drop to its newline
  std::uint64_t lines_dropped_ = 0;
};

}  // namespace healthgap::sources
