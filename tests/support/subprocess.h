#pragma once

// A child process for tests: started with posix_spawn (safe in a process that already runs
// threads, unlike fork), stdin and stdout (optionally stderr too) piped to us. The destructor ends
// it: closing stdin asks politely, SIGTERM insists, SIGKILL after a deadline makes sure.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

extern char** environ;

namespace healthgap::testing {

class Subprocess {
 public:
  // `argv[0]` is looked up in PATH. Throws std::runtime_error if the process cannot start.
  enum class Stderr { kInherit, kMergeIntoStdout };

  explicit Subprocess(const std::vector<std::string>& argv, Stderr err = Stderr::kInherit) {
    int to_child[2];
    int from_child[2];
    if (pipe2(to_child, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
    if (pipe2(from_child, O_CLOEXEC) != 0) {
      close(to_child[0]);
      close(to_child[1]);
      throw std::runtime_error("pipe2 failed");
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    // dup2 clears close-on-exec on the target, so the child keeps exactly fds 0, 1 and 2.
    posix_spawn_file_actions_adddup2(&actions, to_child[0], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions, from_child[1], STDOUT_FILENO);
    if (err == Stderr::kMergeIntoStdout) {
      posix_spawn_file_actions_adddup2(&actions, from_child[1], STDERR_FILENO);
    }

    std::vector<char*> args;
    for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    const int error = posix_spawnp(&pid_, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(to_child[0]);
    close(from_child[1]);
    stdin_fd_ = to_child[1];
    stdout_fd_ = from_child[0];
    if (error != 0) {
      pid_ = -1;
      CloseFds();
      throw std::runtime_error("cannot start " + argv[0] + ": error " + std::to_string(error));
    }
  }

  ~Subprocess() {
    CloseStdin();  // asks the child to exit
    if (pid_ > 0) {
      Terminate();
      if (!WaitForExit(std::chrono::seconds(5))) {
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
      }
    }
    CloseFds();
  }

  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  // The next line the child writes to stdout (without the newline), or nullopt if none
  // arrives before `timeout` or the child closes stdout first.
  std::optional<std::string> ReadLine(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      if (const auto newline = buffer_.find('\n'); newline != std::string::npos) {
        std::string line = buffer_.substr(0, newline);
        buffer_.erase(0, newline + 1);
        return line;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      pollfd readable{stdout_fd_, POLLIN, 0};
      const int ready = poll(&readable, 1, static_cast<int>(left.count()));
      if (ready < 0 && errno == EINTR) continue;
      if (ready <= 0) return std::nullopt;
      char chunk[256];
      const ssize_t n = read(stdout_fd_, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return std::nullopt;
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }

  void CloseStdin() {
    if (stdin_fd_ >= 0) close(stdin_fd_);
    stdin_fd_ = -1;
  }

  void Terminate() {
    if (pid_ > 0) kill(pid_, SIGTERM);
  }

  // The child's exit status (as waitpid reports it) once it has exited, or nullopt if it is
  // still running after `timeout`. Reaps the child; afterwards the destructor has nothing to do.
  std::optional<int> WaitForExit(std::chrono::milliseconds timeout) {
    if (pid_ <= 0) return exit_status_;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      int status = 0;
      const pid_t reaped = waitpid(pid_, &status, WNOHANG);
      if (reaped == pid_) {
        pid_ = -1;
        exit_status_ = status;
        return status;
      }
      if (reaped < 0 && errno != EINTR) return std::nullopt;
      if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));  // polling the exit
    }
  }

  // WaitForExit as a shell reports it: the exit code, or 128 + N if signal N ended the child.
  std::optional<int> WaitForExitCode(std::chrono::milliseconds timeout) {
    const auto status = WaitForExit(timeout);
    if (!status) return std::nullopt;
    return WIFEXITED(*status) ? WEXITSTATUS(*status) : 128 + WTERMSIG(*status);
  }

  void Signal(int signal) {
    if (pid_ > 0) kill(pid_, signal);
  }

  // The child's resident memory (VmRSS of /proc/PID/status) in bytes; nullopt once it exited.
  std::optional<long long> ResidentBytes() const {
    if (pid_ <= 0) return std::nullopt;
    std::ifstream status("/proc/" + std::to_string(pid_) + "/status");
    for (std::string line; std::getline(status, line);) {
      if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6)) * 1024;
    }
    return std::nullopt;
  }

  // Everything the child writes to stdout until it closes it or `timeout` passes, including
  // what ReadLine buffered but did not return.
  std::string ReadAll(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::string all;
    while (auto line = ReadLine(std::chrono::duration_cast<std::chrono::milliseconds>(
               deadline - std::chrono::steady_clock::now()))) {
      all += *line + "\n";
    }
    return all + std::exchange(buffer_, {});
  }

  // Reads stdout lines until one contains `text`; that line, or nullopt after `timeout`.
  std::optional<std::string> ReadUntil(std::string_view text, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (auto line = ReadLine(std::chrono::duration_cast<std::chrono::milliseconds>(
               deadline - std::chrono::steady_clock::now()))) {
      if (line->find(text) != std::string_view::npos) return line;
    }
    return std::nullopt;
  }

 private:
  void CloseFds() {
    CloseStdin();
    if (stdout_fd_ >= 0) close(stdout_fd_);
    stdout_fd_ = -1;
  }

  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  int stdout_fd_ = -1;
  std::string buffer_;
  std::optional<int> exit_status_;
};

}  // namespace healthgap::testing
