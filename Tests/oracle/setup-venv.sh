#!/bin/sh
# Creates a Python venv with ansible-core from PyPI for the oracle tests.
# Usage: Tests/oracle/setup-venv.sh [DIR]   (default: .build-oracle/venv)
# The tests look for it through RHIZOME_ANSIBLE_VENV, then .build-oracle/venv.
set -eu
dir=${1:-${RHIZOME_ANSIBLE_VENV:-.build-oracle/venv}}
if [ ! -x "$dir/bin/ansible-inventory" ]; then
    python3 -m venv "$dir"
    "$dir/bin/pip" install --quiet --disable-pip-version-check "ansible-core>=2.19,<2.20"
fi
"$dir/bin/ansible-inventory" --version | head -1
echo "export RHIZOME_ANSIBLE_VENV=$dir"
