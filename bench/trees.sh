#!/usr/bin/env bash
# Gradient-boosted trees benchmark (issue "The models credit teams ship"): XGBoost and LightGBM
# classifiers of 10, 100 and 300 trees (depth 3 to 6), trained and exported by
# scripts/ml_models.py (seeded, pinned packages in .venv), then `zkinfer bench` on each:
# rows, k, compile/setup/prove/verify time, proof size and verify gas in revm.
# Writes bench/trees.json. Run from the checkout after `bash scripts/test` (which fills .venv).
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=build/bench/trees
mkdir -p "$WORK"
MODELS="xgb_10_d3 xgb_100_d6 xgb_300_d6 lgbm_10_d3 lgbm_100_d6 lgbm_300_d6"
.venv/bin/python scripts/ml_models.py --out "$WORK" --only "$(echo $MODELS | tr ' ' ',')"
cargo build --release --quiet
ARGS=()
for m in $MODELS; do ARGS+=("$WORK/$m.onnx"); done
target/release/zkinfer bench "${ARGS[@]}" --runs "${RUNS:-3}" --work "$WORK/builds" --out bench/trees.json "$@"
