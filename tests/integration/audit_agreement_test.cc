// From haproxy.cfg to a running healthgap in one step, checked against the real thing: the
// audit fixture of the reference's recommended backend, pointed at a loopback backend, runs
// in a real HAProxy 2.6; `healthgap audit --emit-config` turns the same file into a config, and
// the engine on that config, reading HAProxy's stats socket, keeps an emulated LB view that
// agrees with HAProxy's own through a health outage and the recovery.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>

#include "app/source_poller.h"
#include "audit/audit.h"
#include "common/clock.h"
#include "config/loader.h"
#include "engine/engine.h"
#include "probe/curl_multi_client.h"
#include "sources/haproxy_runtime.h"
#include "support/loopback_server.h"
#include "support/poll_until.h"
#include "support/subprocess.h"
#include "support/temp_dir.h"

namespace healthgap {
namespace {

using std::chrono::seconds;
using Steady = std::chrono::steady_clock;

std::string Replaced(std::string text, const std::string& from, const std::string& to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

TEST(AuditAgreement, TheEmittedConfigsLbViewAgreesWithTheRealHaproxy) {
  testing::LoopbackServer backend;
  std::atomic<int> ready{200};
  backend.Get("/ready", [&](const httplib::Request&, httplib::Response& res) {
    res.status = ready.load();
    res.set_content("x", "text/plain");
  });
  backend.Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("x", "text/plain");
  });
  ASSERT_TRUE(backend.Start());
  testing::TempDir dir;
  std::ifstream fixture(std::string(HEALTHGAP_SOURCE_DIR) +
                        "/tests/audit/testdata/haproxy-good.cfg");
  std::string text(std::istreambuf_iterator<char>(fixture), {});
  const std::string address = "127.0.0.1:" + std::to_string(backend.port());
  text = Replaced(text, "10.0.1.7:8080", address);
  text = Replaced(text, "10.0.1.8:8080", address);
  text = Replaced(text, "/run/haproxy/admin.sock", dir.Path("admin.sock"));
  text = Replaced(text, "bind 127.0.0.1:8080", "bind unix@" + dir.Path("fe.sock"));
  const std::string cfg = dir.Write("haproxy.cfg", text);
  testing::Subprocess haproxy({"haproxy", "-f", cfg, "-db"});
  ASSERT_TRUE(testing::PollUntil(
      [&] {
        return sources::RunRuntimeCommand(SocketAddress::Unix(dir.Path("admin.sock")), "show info",
                                          std::chrono::milliseconds(500))
            .error.empty();
      },
      seconds(20)));

  const std::string yaml = audit::EmitConfig({audit::AuditText(text, "haproxy.cfg")});
  const config::LoadResult loaded = config::LoadString(yaml, "<emitted>");
  ASSERT_TRUE(loaded.config) << loaded.error->Format() << "\n" << yaml;
  RealClock clock;
  probe::CurlMultiClient client(clock);
  engine::Engine engine(clock, client);
  engine.Apply(*loaded.config);
  app::SourcePoller poller(clock, engine);
  poller.Apply(loaded.config->sources);
  engine.Start();

  // Both views of app-s1: the emulation's and HAProxy's.
  struct Views {
    eval::LbState emulated = eval::LbState::kUnknown;
    std::optional<bool> real;
    std::uint64_t checks = 0;
  };
  const auto views = [&] {
    const engine::EngineSnapshot snapshot = engine.Snapshot();
    Views out;
    for (const engine::TargetSnapshot& t : snapshot.targets) {
      if (t.name != "app-s1") continue;
      out.emulated = t.primary().lb_state;
      out.checks = t.primary().probes_total;
      if (t.real_lb && t.real_lb->fresh) out.real = t.real_lb->in_rotation;
    }
    return out;
  };
  const auto agree_on = [&](bool in_rotation) {
    const Views v = views();
    return v.real == in_rotation &&
           v.emulated == (in_rotation ? eval::LbState::kHealthy : eval::LbState::kUnhealthy);
  };
  // Past HAProxy's start (in rotation until the first failure): fully up on both sides.
  ASSERT_TRUE(
      testing::PollUntil([&] { return agree_on(true) && views().checks >= 3; }, seconds(30)));

  // /ready fails: both take s1 out (fall 3 with fastinter 1s), and agree while it stays out.
  ready = 503;
  const auto broke = Steady::now();
  double real_out = 0, emulated_out = 0;
  ASSERT_TRUE(testing::PollUntil(
      [&] {
        const Views v = views();
        const double now = std::chrono::duration<double>(Steady::now() - broke).count();
        if (v.real == false && real_out == 0) real_out = now;
        if (v.emulated == eval::LbState::kUnhealthy && emulated_out == 0) emulated_out = now;
        return agree_on(false);
      },
      seconds(30)));
  // Back: downinter 5s, then rise 2.
  ready = 200;
  const auto healed = Steady::now();
  double real_back = 0, emulated_back = 0;
  ASSERT_TRUE(testing::PollUntil(
      [&] {
        const Views v = views();
        const double now = std::chrono::duration<double>(Steady::now() - healed).count();
        if (v.real == true && real_back == 0) real_back = now;
        if (v.emulated == eval::LbState::kHealthy && emulated_back == 0) emulated_back = now;
        return agree_on(true);
      },
      seconds(30)));
  std::printf(
      "out after /ready broke: HAProxy %.1f s, the emitted config's emulation %.1f s; "
      "back: %.1f s and %.1f s (audit's worst case: out 10 s, back 6 s)\n",
      real_out, emulated_out, real_back, emulated_back);
  poller.Stop();
  engine.Stop();
}

}  // namespace
}  // namespace healthgap
