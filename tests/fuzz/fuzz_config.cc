// libFuzzer target for every file healthgap loads that someone else may write: the main config,
// file_sd files (YAML and JSON) and the web config. Input layout: byte 0 picks the loader, the
// rest is the file's text. Each loader must return a config or an error, in bounded time and
// memory (run_fuzz.sh caps both), whatever the text.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "config/config.h"
#include "config/file_sd.h"
#include "config/loader.h"
#include "server/web_config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
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
