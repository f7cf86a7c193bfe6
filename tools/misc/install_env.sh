#!/usr/bin/env bash
# Creates (or refreshes) the virtual environment .venv with the pinned CPU stack and mmuda
# installed editable. Idempotent: when nothing under requirements/ or the packaging files
# changed since the last successful run, it returns at once.
#
#   VENV=.venv PYTHON=python3 bash tools/misc/install_env.sh
#
# GPU machines: see docs/get_started.md (CUDA torch and mmcv with CUDA ops).
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3}
STAMP="$VENV/.mmuda-install-stamp"
HASH=$(cat requirements/*.txt requirements.txt setup.py setup.cfg model-index.yml \
       tools/misc/install_env.sh \
       | sha256sum | cut -d' ' -f1)

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$HASH" ] && [ -x "$VENV/bin/python" ]; then
    echo "[install_env] $VENV is up to date"
    exit 0
fi
start=$(date +%s)
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
PIP=("$VENV/bin/python" -m pip install --disable-pip-version-check -c requirements/constraints.txt)

echo "[install_env] torch (CPU build)"
"${PIP[@]}" -r requirements/torch.txt
echo "[install_env] runtime dependencies"
"${PIP[@]}" -r requirements/runtime.txt "mmengine==0.10.7"
# mmcv 2.1.0 has no wheel for this torch: build it from source with its C++ ops (mmdet imports
# mmcv.ops). pip keeps the built wheel in its cache, so a second install is instant.
if ! "$VENV/bin/python" -c "import mmcv, mmcv.ops, sys; sys.exit(mmcv.__version__ != '2.1.0')" 2>/dev/null; then
    echo "[install_env] building mmcv 2.1.0 with ops (10-15 minutes on 2 cores the first time)"
    "${PIP[@]}" -r requirements/build.txt
    MMCV_WITH_OPS=1 FORCE_CUDA=0 MAX_JOBS=${MAX_JOBS:-$(nproc)} \
        "${PIP[@]}" --no-build-isolation "mmcv==2.1.0"
fi
# torch needs setuptools >= 77.0.3 at run time; setuptools 80 turned `setup.py develop` into a
# PEP 660 editable install, which `mim train/test mmuda` cannot locate (mim looks for the
# package folder at the distribution's location), so stay below 80.
"${PIP[@]}" "setuptools>=77.0.3,<80"
echo "[install_env] mmdet, mmsegmentation, test tools"
"${PIP[@]}" -r requirements/mminstall.txt -r requirements/tests.txt
echo "[install_env] mmuda (editable, setup.py develop: links configs/ and tools/ into mmuda/.mim)"
"${PIP[@]}" --no-build-isolation --no-use-pep517 --no-deps -e .
"$VENV/bin/python" -c "import mmcv.ops, mmdet, mmseg, mmuda; print('[install_env] ok: mmcv', mmcv.__version__, 'mmdet', mmdet.__version__, 'mmseg', mmseg.__version__)"
echo "$HASH" > "$STAMP"
echo "[install_env] done in $(( $(date +%s) - start )) s"
