#include "probe/curl_handles.h"

namespace healthgap::probe {

bool EnsureCurlGlobalInit() {
  // A function-local static is initialized exactly once even under concurrent first calls.
  // Never cleaned up: other threads may still use curl during static destruction.
  static const bool initialized = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  return initialized;
}

}  // namespace healthgap::probe
