#!/usr/bin/env bash
# citecheck check at 1,000, 10,000 and 100,000 loopback URLs: peak RSS and wall time per N.
# Installs nginx and GNU time if missing, builds citecheck. See bench/README.md.
#   bash bench/scale.sh [--sizes 10000,100000] [--concurrency C] [--runs R] [--no-build]
set -euo pipefail
source "$(dirname "$0")/lib.sh"
run_bench scale.py "$@"
