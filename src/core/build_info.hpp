// apr-qa core: what build this is — recorded in evidence (host.apr_version), the journal and the
// content keys of converted artifacts, so a result names the code that produced it and a rerun
// after a converter change never measures an artifact the old converter wrote.
#pragma once

namespace apr {
const char* build_version() noexcept;   // "0.1.0" (CMake project version)
const char* build_git_hash() noexcept;  // "c3c9a5c1d2e3" (12 hex digits), "unknown" outside a git checkout
const char* build_id() noexcept;        // "0.1.0+c3c9a5c1d2e3"
}  // namespace apr
