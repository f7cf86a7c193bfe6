#!/usr/bin/env bash
# Installs Slurm (slurmctld, slurmd, srun, scontrol) and munge from Debian's packages, for
# tests/test_tools/test_slurm.py, which starts a private one-node cluster in a temp dir.
# Idempotent and best-effort: when everything is there, or when it cannot install (not root,
# no apt-get, the install fails), it says why and exits 0; the Slurm test then skips.
#
#   bash tools/misc/install_slurm.sh
#
# The packages' own services are not used (the test runs its own daemons); in a container
# without an init system their start-up during the install fails harmlessly.
set -u
NEEDED="slurmctld slurmd srun scontrol sinfo squeue scancel munged munge"

missing() {
    local cmd out=""
    for cmd in $NEEDED; do
        command -v "$cmd" > /dev/null 2>&1 || [ -x "/usr/sbin/$cmd" ] || out="$out $cmd"
    done
    echo "$out"
}

if [ -z "$(missing)" ]; then
    echo "[install_slurm] Slurm and munge are installed"
    exit 0
fi
if [ "${EUID:-$(id -u)}" != 0 ]; then
    echo "[install_slurm] not root: cannot install slurm-wlm and munge (missing:$(missing));" \
         "the Slurm test will skip"
    exit 0
fi
if ! command -v apt-get > /dev/null 2>&1; then
    echo "[install_slurm] no apt-get: install Slurm and munge by hand (missing:$(missing));" \
         "the Slurm test will skip"
    exit 0
fi
start=$(date +%s)
export DEBIAN_FRONTEND=noninteractive
APT=(apt-get -y -q -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
# the package lists may be missing or stale: update once, then install
if ! { apt-get update -q && "${APT[@]}" install --no-install-recommends slurm-wlm munge; }; then
    echo "[install_slurm] apt-get could not install slurm-wlm and munge; the Slurm test will skip"
    exit 0
fi
if [ -n "$(missing)" ]; then
    echo "[install_slurm] still missing after the install:$(missing); the Slurm test will skip"
    exit 0
fi
echo "[install_slurm] done in $(( $(date +%s) - start )) s"
