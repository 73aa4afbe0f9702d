#!/usr/bin/env bash
# Packs what the device check needs into one folder small enough to carry to a GPU machine (the
# device tool sends the working tree plus at most 64 MiB of ignored paths): the apr-qa binary of a
# build with CUDA (the runtime is linked statically), the shared libraries it loads that are not
# part of every glibc system, this folder's scripts, and optionally a SmolLM2 GGUF if it fits.
#   tests/gpu/pack.sh [BUILD_DIR] [OUT_DIR]      (defaults: build/release, gpucheck)
# Then, on the device machine, from the repository root:
#   bash OUT_DIR/run.sh                           (writes OUT_DIR/out or $OUT when set)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BUILD="${1:-$ROOT/build/release}"
OUT="${2:-$ROOT/gpucheck}"
BIN="$BUILD/runner/apr-qa"
[[ -x "$BIN" ]] || { echo "pack.sh: $BIN not found; build apr-qa first" >&2; exit 3; }
# The CUDA runtime is linked statically: its messages are in a binary built with CUDA.
if ! grep -q "CUDA driver version is insufficient" "$BIN"; then
  echo "pack.sh: $BIN is built without CUDA (configure with -DAPR_QA_CUDA=ON where nvcc is installed)" >&2
  exit 3
fi
rm -rf "$OUT"; mkdir -p "$OUT/lib"
cp "$BIN" "$OUT/apr-qa"
ldd "$BIN" | awk '$3 ~ /^\// {print $3}' | while read -r lib; do
  case "$(basename "$lib")" in
    libc.so.*|libm.so.*|libgcc_s.so.*|libpthread.so.*|libdl.so.*|librt.so.*|ld-linux*) ;;
    *) cp -L "$lib" "$OUT/lib/" ;;
  esac
done
cp "$ROOT/tests/gpu/device_check.sh" "$ROOT/tests/gpu/parity.py" "$OUT/"
smol="${APR_QA_MODELS_DIR:-$HOME/.cache/apr-qa/models}/SmolLM2-135M-Instruct.Q4_1.gguf"
cat >"$OUT/run.sh" <<'RUN'
#!/usr/bin/env bash
# On the device machine: the device check with the carried binary and libraries.
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export LD_LIBRARY_PATH="$here/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
[[ -f "$here/smollm2.gguf" ]] && export SMOLLM2="$here/smollm2.gguf"
exec bash "$here/device_check.sh" "$here/apr-qa" "${OUT:-$here/out}"
RUN
size=$(du -sb "$OUT" | cut -f1)
if [[ -f "$smol" ]] && (( size + $(stat -c %s "$smol") < 60 * 1024 * 1024 )); then cp "$smol" "$OUT/smollm2.gguf"; fi
echo "packed $(du -sh "$OUT" | cut -f1) into $OUT (limit 64 MiB): $(ls "$OUT" | tr '\n' ' ')"
