# Shared by links.sh and scale.sh: run a Python benchmark of this folder, and make sure the
# nginx it starts is stopped whatever happens to the Python process (even SIGKILL).
# The Python side (harness.Nginx) writes nginx's pid to $CITECHECK_BENCH_NGINX_PIDFILE and
# stops nginx itself on a normal exit, Ctrl-C or SIGTERM; this trap is the second line.

run_bench() {
  local script=$1
  shift
  cd "$(dirname "${BASH_SOURCE[0]}")"
  CITECHECK_BENCH_NGINX_PIDFILE=$(mktemp -t citecheck-bench-nginx.XXXXXX)
  export CITECHECK_BENCH_NGINX_PIDFILE
  trap stop_bench_nginx EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  python3 "$script" "$@"
}

stop_bench_nginx() {
  local pid
  pid=$(cat "$CITECHECK_BENCH_NGINX_PIDFILE" 2>/dev/null || true)
  # Only the nginx master we started: check its command line before signalling it.
  if [[ $pid =~ ^[0-9]+$ ]] && grep -q nginx "/proc/$pid/cmdline" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
  fi
  rm -f "$CITECHECK_BENCH_NGINX_PIDFILE"
}
