#!/usr/bin/env bash
# vrex's two commands (see README.md):
#   bash run.sh          set up, then run the main job: a closed-loop demo session (vrex demo)
#   bash run.sh test     set up (test tools and system libraries too), then run the tests
# Set-up is idempotent: it reinstalls only when pyproject.toml has changed.
set -euo pipefail
cd "$(dirname "$0")"

MODE="${1:-main}"
if [[ "$MODE" == -* ]]; then
  MODE=main                  # bash run.sh --speed 30: options for the main job (vrex demo)
else
  shift || true
fi
VENV="${VREX_VENV:-.venv}"
PY="${PYTHON:-python3}"

need_python() {
  if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "vrex needs Python 3.11 or newer; '$PY' is $("$PY" --version 2>&1). Set PYTHON=/path/to/python3.11." >&2
    exit 2
  fi
}

# Panda3D's renderers link against X11 (even offscreen), and p3headlessgl needs Mesa's EGL.
# The tests also need Debian's chromium and its driver: the console's browser tests drive
# them with Selenium; and Xvfb, in which the 'vrex view --watch' test opens a real window.
# Slim images lack them; installed here when root can, else named so the user can.
# Arguments: extra packages to check (the test mode's).
system_libraries() {
  command -v dpkg >/dev/null 2>&1 || return 0       # not Debian/Ubuntu: nothing to check
  local missing=()
  for pkg in libx11-6 libegl1 libegl-mesa0 libgl1-mesa-dri libgl1 "$@"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "Installing system libraries: ${missing[*]}"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null) \
      || echo "warning: could not install ${missing[*]}; rendering may fail and the browser tests are skipped (try: sudo apt-get install ${missing[*]})" >&2
  else
    echo "note: ${missing[*]} not installed and this is not root: run 'sudo apt-get install ${missing[*]}' if rendering fails" >&2
  fi
}

setup() {
  local extras="$1"
  need_python
  if [ ! -x "$VENV/bin/python" ]; then
    if ! "$PY" -m venv "$VENV" 2>/dev/null; then
      # Debian's system Python keeps venv in a separate package.
      rm -rf "$VENV"
      if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
        echo "Installing python3-venv (Debian keeps venv apart from Python)"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
        "$PY" -m venv "$VENV"
      else
        echo "'$PY -m venv' failed: install your distribution's venv package (Debian: sudo apt-get install python3-venv)" >&2
        exit 2
      fi
    fi
  fi
  local stamp="$VENV/.vrex-installed-$extras"
  if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    local log="$VENV/pip.log"
    echo "Setting up $VENV (one time; log in $log)"
    pip_quiet() { "$VENV/bin/python" -m pip install -q "$@" >>"$log" 2>&1 || { cat "$log" >&2; exit 1; }; }
    : >"$log"
    pip_quiet --upgrade pip
    # torch first and pinned: a CPU build of 2.13.0 lies on the machines' disks; letting a
    # dependency resolve torch on its own pulls a multi-gigabyte CUDA build.
    if [[ "$extras" == *train* ]]; then
      pip_quiet "torch==2.13.0"
    fi
    if [ "$extras" = base ]; then
      pip_quiet -e .
    else
      pip_quiet -e ".[$extras]"
    fi
    touch "$stamp"
  fi
}

# The house's tools, before any test: the rules, the layout and the types (pyproject.toml
# configures all three). A failure stops the run: fix it first (ruff check --fix, ruff format).
lint() {
  echo "Lint: ruff check, ruff format --check, mypy"
  "$VENV/bin/ruff" check --quiet . || { echo "ruff check failed (try: $VENV/bin/ruff check --fix .)" >&2; exit 1; }
  "$VENV/bin/ruff" format --check --quiet . || { echo "ruff format --check failed (run: $VENV/bin/ruff format .)" >&2; exit 1; }
  "$VENV/bin/mypy" || { echo "mypy failed" >&2; exit 1; }
}

case "$MODE" in
  main)
    system_libraries
    setup "base"
    exec "$VENV/bin/vrex" demo "$@"
    ;;
  test)
    system_libraries chromium chromium-driver xvfb
    setup "train,test,scale"  # scale: Ray, whose tests (slow) run in CI too
    lint
    exec "$VENV/bin/python" -m pytest "$@"
    ;;
  *)
    echo "usage: bash run.sh [main|test] [arguments...]" >&2
    exit 2
    ;;
esac
