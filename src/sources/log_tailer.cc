#include "sources/log_tailer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

namespace healthgap::sources {

LogTailer::LogTailer(std::string path, Limits limits) : path_(std::move(path)), limits_(limits) {
  std::string ignored;
  Open(/*at_end=*/true, &ignored);
}

LogTailer::~LogTailer() { Close(); }

void LogTailer::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  partial_.clear();
  skipping_long_line_ = false;
}

bool LogTailer::Open(bool at_end, std::string* error) {
  const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    *error = path_ + ": " + std::strerror(errno);
    return false;
  }
  struct stat info {};
  if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    *error = path_ + ": not a regular file";
    ::close(fd);
    return false;
  }
  fd_ = fd;
  device_ = info.st_dev;
  inode_ = info.st_ino;
  offset_ = at_end ? info.st_size : 0;
  last_bytes_.clear();
  if (at_end && offset_ > 0) {  // so a copytruncate before the first poll is recognised too
    last_bytes_.resize(static_cast<std::size_t>(std::min<off_t>(offset_, kFingerprintBytes)));
    const off_t from = offset_ - static_cast<off_t>(last_bytes_.size());
    if (::pread(fd, last_bytes_.data(), last_bytes_.size(), from) !=
        static_cast<ssize_t>(last_bytes_.size())) {
      last_bytes_.clear();
    }
  }
  return true;
}

bool LogTailer::Drain(const std::function<void(std::string_view)>& line, std::size_t* budget,
                      std::string* error) {
  struct stat info {};
  if (::fstat(fd_, &info) != 0) {
    *error = path_ + ": " + std::strerror(errno);
    return false;
  }
  if (info.st_size < offset_) {  // copytruncate: the same file, from its start again
    DrainCopy(line, budget);
    offset_ = 0;
    partial_.clear();
    last_bytes_.clear();
    skipping_long_line_ = false;
  }
  char buffer[64 << 10];
  while (*budget > 0) {
    const std::size_t want = std::min(sizeof buffer, *budget);
    const ssize_t got = ::pread(fd_, buffer, want, offset_);
    if (got < 0) {
      if (errno == EINTR) continue;
      *error = path_ + ": " + std::strerror(errno);
      return false;
    }
    if (got == 0) break;
    offset_ += got;
    *budget -= static_cast<std::size_t>(got);
    std::string_view chunk(buffer, static_cast<std::size_t>(got));
    last_bytes_.append(chunk.substr(chunk.size() - std::min(chunk.size(), kFingerprintBytes)));
    if (last_bytes_.size() > kFingerprintBytes) {
      last_bytes_.erase(0, last_bytes_.size() - kFingerprintBytes);
    }
    while (!chunk.empty()) {
      const std::size_t newline = chunk.find('\n');
      const std::string_view piece = chunk.substr(0, newline);
      if (!skipping_long_line_) {
        if (partial_.size() + piece.size() > limits_.max_line_bytes) {
          skipping_long_line_ = true;
          partial_.clear();
        } else {
          partial_.append(piece);
        }
      }
      if (newline == std::string_view::npos) break;
      if (skipping_long_line_) {
        ++lines_dropped_;
      } else {
        line(partial_);
      }
      partial_.clear();
      skipping_long_line_ = false;
      chunk.remove_prefix(newline + 1);
    }
  }
  return true;
}

void LogTailer::DrainCopy(const std::function<void(std::string_view)>& line, std::size_t* budget) {
  const int copy = ::open((path_ + ".1").c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (copy < 0) return;
  struct stat info {};
  std::string before(last_bytes_.size(), '\0');
  const off_t from = offset_ - static_cast<off_t>(last_bytes_.size());
  const bool same =
      ::fstat(copy, &info) == 0 && S_ISREG(info.st_mode) && info.st_size >= offset_ &&
      ::pread(copy, before.data(), before.size(), from) == static_cast<ssize_t>(before.size()) &&
      before == last_bytes_;
  if (same && info.st_size > offset_) {
    const int live = fd_;
    fd_ = copy;
    std::string ignored;
    Drain(line, budget, &ignored);
    fd_ = live;
  }
  ::close(copy);
}

std::string LogTailer::Poll(const std::function<void(std::string_view)>& line) {
  std::string error;
  std::size_t budget = limits_.max_bytes_per_poll;
  if (fd_ < 0 && !Open(/*at_end=*/false, &error)) return error;
  if (!Drain(line, &budget, &error)) {
    Close();
    return error;
  }
  if (budget == 0) return "";  // more to read: the next poll goes on from here
  // Renamed away: the old file is read to its end, the new one from its start.
  struct stat info {};
  if (::stat(path_.c_str(), &info) != 0) return "";  // moved, its successor not there yet
  if (info.st_ino == inode_ && info.st_dev == device_) return "";
  if (!partial_.empty() || skipping_long_line_) ++lines_dropped_;  // never finished
  Close();
  if (!Open(/*at_end=*/false, &error)) return error;
  if (!Drain(line, &budget, &error)) {
    Close();
    return error;
  }
  return "";
}

}  // namespace healthgap::sources
