#!/usr/bin/env bash
# MedSettle developer entry point.
#   ./dev.sh run    set everything up, then open the cashier window in training mode (培训模式)
#   ./dev.sh test   set everything up, then run the whole test suite (what CI runs)
#   ./dev.sh setup  only set up (.venv, system packages, translations)
#   ./dev.sh screenshots  regenerate docs/screenshots under Xvfb + openbox (1366×768, title bar)
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)
VENV="$ROOT/.venv"
PY="${PYTHON:-python3}"

# Debian packages the product and its tests need: zbar for QR decoding, poppler for PDF checks,
# Xvfb for a real window without a display, the xcb libraries Qt's window system plugin needs,
# PostgreSQL's server binaries for the hospital-mode tests (they start a throwaway server themselves).
APT_PACKAGES="libzbar0 poppler-utils xvfb xauth openbox fonts-wqy-microhei libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 \
libxcb-shape0 libxcb-randr0 libxcb-render-util0 libxcb-image0 libxcb-xkb1 libxkbcommon-x11-0 \
libxcb-xinerama0 libegl1 libgl1 libfontconfig1 libdbus-1-3 gcc postgresql"

setup_system() {
  local missing=()
  for p in $APT_PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
      echo ">> installing system packages: ${missing[*]}"
      apt-get update -q >/dev/null
      DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
    else
      echo ">> missing system packages (install them with sudo apt-get install): ${missing[*]}" >&2
    fi
  fi
}

setup_python() {
  if [ ! -x "$VENV/bin/python" ]; then
    echo ">> creating $VENV"
    "$PY" -m venv "$VENV"
    "$VENV/bin/pip" install -q --upgrade pip
  fi
  local stamp="$VENV/.medsettle-installed"
  local want
  want=$(sha256sum pyproject.toml | cut -d' ' -f1)
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo ">> installing MedSettle and its test dependencies into $VENV"
    "$VENV/bin/pip" install -q -e ".[test]"
    echo "$want" > "$stamp"
  fi
  # Compile Qt translations (.ts -> .qm) so zh_CN and en are available.
  if [ -f client/ui/i18n_build.py ]; then
    "$VENV/bin/python" -m client.ui.i18n_build >/dev/null
  fi
}

cmd="${1:-run}"; shift || true
case "$cmd" in
  setup)
    setup_system; setup_python ;;
  run)
    setup_system; setup_python
    if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ] && command -v xvfb-run >/dev/null; then
      echo ">> no display found: running the window on a virtual X display (xvfb-run)."
      exec xvfb-run -a -s "-screen 0 1366x768x24" "$VENV/bin/medsettle" --training "$@"
    fi
    exec "$VENV/bin/medsettle" --training "$@" ;;
  test)
    setup_system; setup_python
    export QT_QPA_PLATFORM=offscreen
    echo ">> ruff"
    "$VENV/bin/ruff" check client offline_cache training_platform tests bench packaging
    echo ">> pytest"
    exec "$VENV/bin/python" -m pytest -q -p no:cacheprovider "$@" ;;
  screenshots)
    setup_system; setup_python
    exec xvfb-run -a -s "-screen 0 1366x768x24" sh -c \
      "openbox >/dev/null 2>&1 & sleep 1.5; '$VENV/bin/python' -m client.ui.screenshots docs/screenshots" ;;
  *)
    echo "usage: ./dev.sh [run|test|setup|screenshots]" >&2; exit 2 ;;
esac
