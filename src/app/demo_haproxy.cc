#include "app/demo_haproxy.h"

#include <curl/curl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>

#include "sources/haproxy_runtime.h"

extern char** environ;

namespace healthgap::app {
namespace {

using std::chrono::milliseconds;
using Steady = std::chrono::steady_clock;

// The users' pace and bounds: a few requests per second per backend, for at most a day.
constexpr milliseconds kUserPause{50};
constexpr std::chrono::hours kUsersAtMost{24};

std::size_t Discard(char*, std::size_t size, std::size_t count, void*) { return size * count; }

}  // namespace

DemoHaproxy::DemoHaproxy(const std::vector<DemoHaproxyBackend>& backends) : backends_(backends) {
  std::string pattern = (std::filesystem::temp_directory_path() / "healthgap-demo-XXXXXX").string();
  if (!mkdtemp(pattern.data())) {
    error_ = "cannot make a temporary directory";
    return;
  }
  dir_ = pattern;
  std::ofstream cfg(dir_ + "/haproxy.cfg");
  cfg << "global\n  stats socket " << dir_ << "/admin.sock mode 600 level admin\n"
      << "defaults\n  mode http\n  timeout connect 1s\n  timeout client 10s\n"
      << "  timeout server 10s\n";
  for (const DemoHaproxyBackend& backend : backends_) {
    cfg << "frontend fe_" << backend.name << "\n  bind unix@" << dir_ << "/" << backend.name
        << ".sock\n  default_backend " << backend.name << "\n"
        << "backend " << backend.name << "\n  option httpchk GET /health\n"
        << "  server s1 " << backend.host_port << " check inter 2s rise 2 fall 2\n";
  }
  cfg.close();
  const std::string config = dir_ + "/haproxy.cfg";
  const char* argv[] = {"haproxy", "-f", config.c_str(), "-db", nullptr};
  if (posix_spawnp(&pid_, "haproxy", nullptr, nullptr, const_cast<char* const*>(argv), environ) !=
      0) {
    pid_ = -1;
    error_ = "haproxy is not installed (apt-get install haproxy)";
    return;
  }
  // Up once its stats socket answers, within 10 s.
  const auto deadline = Steady::now() + std::chrono::seconds(10);
  while (true) {
    const sources::RuntimeAnswer answer = sources::RunRuntimeCommand(
        SocketAddress::Unix(dir_ + "/admin.sock"), "show info", milliseconds(500));
    if (answer.error.empty()) break;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_ || Steady::now() > deadline) {
      error_ = "haproxy did not start: " + answer.error;
      return;
    }
    std::this_thread::sleep_for(milliseconds(50));  // HAProxy's startup has no event to wait on
  }
  users_ = std::thread([this] { RunUsers(); });
}

DemoHaproxy::~DemoHaproxy() {
  stopping_ = true;
  if (users_.joinable()) users_.join();
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
  }
  if (!dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
}

void DemoHaproxy::RunUsers() {
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> easy(curl_easy_init(), curl_easy_cleanup);
  if (!easy) return;
  const auto until = Steady::now() + kUsersAtMost;
  while (!stopping_ && Steady::now() < until) {
    for (const DemoHaproxyBackend& backend : backends_) {
      if (stopping_) return;
      const std::string socket = dir_ + "/" + backend.name + ".sock";
      curl_easy_setopt(easy.get(), CURLOPT_UNIX_SOCKET_PATH, socket.c_str());
      curl_easy_setopt(easy.get(), CURLOPT_URL, "http://demo/api/data");
      curl_easy_setopt(easy.get(), CURLOPT_TIMEOUT_MS, 3000L);
      curl_easy_setopt(easy.get(), CURLOPT_NOSIGNAL, 1L);
      curl_easy_setopt(easy.get(), CURLOPT_WRITEFUNCTION, Discard);
      curl_easy_perform(easy.get());
    }
    std::this_thread::sleep_for(kUserPause);  // users' pace, not a wait for anything
  }
}

std::string DemoHaproxy::SourcesYaml() const {
  return "sources:\n  - {name: haproxy, type: haproxy, address: 'unix:" + dir_ +
         "/admin.sock', interval: 1s}\n";
}

std::string DemoHaproxy::TargetYaml(const std::string& name) const {
  for (const DemoHaproxyBackend& backend : backends_) {
    if (backend.name != name) continue;
    const std::string ref = "{source: haproxy, backend: " + name + ", server: s1}";
    return "    lb: haproxy\n    lb_source: " + ref + "\n    traffic_source: " + ref + "\n";
  }
  return "";
}

}  // namespace healthgap::app
