#!/usr/bin/env bash
# Batch proofs (issue "Verification gas"): the credit model as CreditGate takes it (features
# hashed, account bound; instances [score, inputHash, account] per member) and as the oracle
# takes it (public inputs), compiled with --batch N for N = 1, 4, 16, 64 and calibrated on the
# same 64 seeded samples; each batch is proved full (best of RUNS, default 3), then its verify
# transaction is run in revm. Writes bench/batch.json: per N, k, rows, prove seconds, proof
# bytes, verify transaction gas, and gas per inference. Release build.
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=build/bench/batch
mkdir -p "$WORK"
cargo build --release --quiet
Z=target/release/zkinfer
export SOLC="${SOLC:-$PWD/scripts/solc}"
# 64 samples: the bundled applicant's features, each moved by a seeded uniform step in [-0.3,
# 0.3] and clipped to [-1, 1]; distinct accounts 0x…01 to 0x…40 with all 20 bytes set
python3 - "$WORK" <<'PY'
import json, random, sys
random.seed(7)
base = json.load(open("models/credit_mlp.input.json"))["input_data"][0]
rows = [[max(-1.0, min(1.0, v + random.uniform(-0.3, 0.3))) for v in base] for _ in range(64)]
for n in (1, 4, 16, 64):
    json.dump({"input_data": [sum(rows[:n], [])]}, open(f"{sys.argv[1]}/samples{n}.json", "w"))
open(f"{sys.argv[1]}/accounts.txt", "w").write(",".join("0x%040x" % (0xA11CE << 140 | i + 1) for i in range(64)))
PY
ACCOUNTS=$(cat "$WORK/accounts.txt")
RESULTS=()
for mode in gate oracle; do
  for n in 1 4 16 64; do
    b="$WORK/$mode-$n"
    if [ $mode = gate ]; then
      FLAGS=(--input hashed --bind account)
      BIND=(--bind "account=$(echo "$ACCOUNTS" | cut -d, -f1-$n)")
    else
      FLAGS=(--input public)
      BIND=()
    fi
    $Z compile models/credit_mlp.onnx --data "$WORK/samples64.json" "${FLAGS[@]}" --batch $n --out "$b" --quiet
    $Z setup "$b" --dev-srs --quiet
    best=""
    for _ in $(seq "${RUNS:-3}"); do
      s=$($Z prove "$b" --input "$WORK/samples$n.json" "${BIND[@]}" --out "$b/proof.json" --json | python3 -c "import json,sys; print(json.load(sys.stdin)['prove_seconds'])")
      best=$(python3 -c "print(min(x for x in [$s, ${best:-1e9}]))")
    done
    g=$($Z gas "$b" "$b/proof.json" --json)
    RESULTS+=("$(python3 - "$mode" "$n" "$best" "$b" "$g" <<'PY'
import json, sys
mode, n, prove, b, g = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4], json.loads(sys.argv[5])
s = json.load(open(f"{b}/settings.json"))
p = json.load(open(f"{b}/proof.json"))
print(json.dumps({
    "instances": mode, "batch": n, "k": s["k"], "rows": s["rows"], "wide": s["shape"]["wide"],
    "prove_seconds": prove, "proof_bytes": (len(p["proof"]) - 2) // 2,
    "verify_tx_gas": g["verify_tx_gas"], "gas_per_inference": round(g["verify_tx_gas"] / n),
    "calldata_bytes": g["calldata_bytes"], "msm_terms": g["msm_terms"], "layout": g["layout"],
}))
PY
)")
    echo "${RESULTS[-1]}"
  done
done
printf '%s\n' "${RESULTS[@]}" | python3 -c "
import json, sys, platform, os
rows = [json.loads(l) for l in sys.stdin if l.strip()]
json.dump({'machine': {'cpus': os.cpu_count(), 'system': platform.platform()}, 'runs': int(os.environ.get('RUNS', 3)), 'results': rows}, open('bench/batch.json', 'w'), indent=2)
"
echo "wrote bench/batch.json"
