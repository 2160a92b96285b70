#!/usr/bin/env bash
# The MPNet reader's GPU round (issue 19): LoRA adapters + QA head on the dequantised base, then a
# quick held-out gauge of the merged model in torch. Only what is small comes back.
#
#   training/retrain_mpnet_gpu.sh STAGE DATA WHEELS OUT
#
# STAGE: the base in int8 parts (`python -m training.mpnet_stage pack`, every sha256 checked on load),
# DATA: the shared data gzipped (`training.carry` without a base), WHEELS: peft and accelerate wheels,
# installed (into a temporary folder) only when this Python lacks peft. `python -m training.mpnet_device
# prepare` makes all three and says which device call carries what (training/MPNET.md).
# OUT receives adapters/ (adapter_config.json, adapter_model.safetensors: adapters and head, float32;
# training.json: command, data digests, mix, every step's loss, the base's digest, probe logits),
# train.log, gauge.json and gauge.log. Bring adapters/ back and merge here:
#   python -m training.mpnet_merge STAGE OUT/adapters MODEL_DIR
# Knobs (environment): TRAIN_MINUTES (training stops and saves after this long; default 5), EPOCHS (1),
# EXTRA (more training.mpnet_lora options), GAUGE_ARGS (more training.gauge options), PYTHON.
set -u
STAGE=${1:?STAGE folder}; DATA=${2:?DATA folder}; WHEELS=${3:?WHEELS folder}; OUT=${4:?OUT folder}
PY=${PYTHON:-python3}
export PYTHONUNBUFFERED=1 TOKENIZERS_PARALLELISM=true OMP_NUM_THREADS=${OMP_NUM_THREADS:-8}
D=$(mktemp -d); M=$(mktemp -d); mkdir -p "$D/train" "$D/eval" "$OUT"
if ! $PY -c "import peft" 2>/dev/null; then
    $PY -m pip install -q --no-deps --no-index --target "$M/py" "$WHEELS"/*.whl && export PYTHONPATH="$M/py:${PYTHONPATH:-}"
fi
$PY -c "import torch, transformers, peft; print('torch', torch.__version__, 'transformers', transformers.__version__,
'peft', peft.__version__, 'cuda', torch.cuda.is_available())" || { echo "missing a package"; exit 1; }
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader 2>/dev/null || echo "no GPU: runs on CPU"
for f in "$DATA"/datasets/*.json.gz "$DATA"/datasets/*/*.json.gz; do
    rel=${f#"$DATA"/datasets/}; gunzip -c "$f" > "$D/${rel%.gz}"
done
$PY -m training.mpnet_lora --stage "$STAGE" --data "$D" --out "$OUT/adapters" --epochs "${EPOCHS:-1}" \
    --max-minutes "${TRAIN_MINUTES:-5}" --log-every 100 ${EXTRA:-} 2>&1 | tee "$OUT/train.log"
[ -f "$OUT/adapters/adapter_model.safetensors" ] || { echo "training wrote no adapters"; exit 1; }
$PY -m training.mpnet_merge "$STAGE" "$OUT/adapters" "$M/merged" 2>&1 | tee -a "$OUT/train.log"
$PY -m training.gauge --data "$D" --precision torch --model "$M/merged" --json "$OUT/gauge.json" ${GAUGE_ARGS:-} \
    > "$OUT/gauge.log" 2>&1
tail -n 12 "$OUT/gauge.log"
ls -la "$OUT" "$OUT/adapters"
