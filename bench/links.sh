#!/usr/bin/env bash
# citecheck check vs lychee on 10,000 loopback URLs: medians of wall time and peak RSS.
# Installs nginx, GNU time and lychee if missing, builds citecheck. See bench/README.md.
#   bash bench/links.sh [--urls N] [--concurrency C] [--runs R] [--no-build]
set -euo pipefail
source "$(dirname "$0")/lib.sh"
run_bench links.py "$@"
