// libFuzzer target for every file healthgap loads that someone else may write: the main config,
// file_sd files (YAML and JSON), the web config, and the balancer configs `healthgap audit`
// reads (HAProxy, nginx, Kubernetes manifests, AWS target groups, Envoy clusters). Input layout:
// byte 0 picks the loader (0xF0 and up: the audit's parsers), the rest is the file's text. Each
// loader must return a config or an error, in bounded time and memory (run_fuzz.sh caps both),
// whatever the text.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "audit/audit.h"
#include "audit/aws_target_groups.h"
#include "audit/envoy_clusters.h"
#include "audit/findings.h"
#include "audit/haproxy_cfg.h"
#include "audit/kubernetes.h"
#include "audit/nginx_conf.h"
#include "config/config.h"
#include "config/file_sd.h"
#include "config/loader.h"
#include "server/web_config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] >= 0xF0) {
    namespace audit = healthgap::audit;
    audit::AuditedFile file;
    file.file = "fuzz";
    switch (data[0] % 8) {
      case 0:
        file.pools = audit::ParseHaproxyConfig(text, "fuzz").pools;
        break;
      case 1:
        file.pools = audit::ParseNginxConfig(text, "fuzz").pools;
        break;
      case 2:
        file.pools = audit::ParseKubernetesManifests(text, "fuzz").pools;
        break;
      case 3:
        file.pools = audit::ParseAwsTargetGroups(text, "fuzz").pools;
        break;
      case 4:
        file.pools = audit::ParseEnvoyClusters(text, "fuzz").pools;
        break;
      default:
        file = audit::AuditText(text, "fuzz");
        break;
    }
    for (const audit::Pool& pool : file.pools) {
      (void)audit::FindingsFor(pool);
      const audit::Timing timing = audit::TimingOf(pool, 100);
      if (timing.out.count() < 0 || timing.back.count() < 0) __builtin_trap();
    }
    (void)healthgap::config::LoadString(audit::EmitConfig({file}), "emitted.yml");
    return 0;
  }
  switch (data[0] % 4) {
    case 0: {
      const auto loaded = healthgap::config::LoadString(text, "fuzz.yml");
      if (loaded.config.has_value() == loaded.error.has_value()) __builtin_trap();
      break;
    }
    case 1:
    case 2: {
      const auto module = healthgap::config::BuiltinDefaultModule();
      const auto loaded = healthgap::config::LoadFileSdString(
          text, data[0] % 4 == 1 ? "fuzz.yml" : "fuzz.json", module);
      if (loaded.error && !loaded.targets.empty()) __builtin_trap();
      break;
    }
    case 3: {
      const auto loaded = healthgap::server::LoadWebConfigString(text, "web.yml", "/nonexistent");
      if (loaded.config.has_value() == loaded.error.has_value()) __builtin_trap();
      break;
    }
  }
  return 0;
}
