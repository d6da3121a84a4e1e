#!/usr/bin/env bash
# Function length: no C++ function outside tests/ may be longer than 80 lines (lizard, from
# the venv that scripts/setup.sh fills). The one exception is the declarative key table
# zp::config::detail::build_keys in shared/config/schema.cpp. Exits 1 naming each offender.
set -euo pipefail
cd "$(dirname "$0")/.."
LIZARD="${ZEROPLAY_CACHE:-$HOME/.cache/zeroplay}/venv/bin/lizard"
[ -x "$LIZARD" ] || { echo "lint: $LIZARD not found; run scripts/setup.sh" >&2; exit 1; }
# -C 100000 keeps the complexity threshold out of the way: the bar is length only.
out=$("$LIZARD" -l cpp -L 80 -C 100000 -w -x './tests/*' -x './build*/*' . \
        | grep -v 'zp::config::detail::build_keys' || true)
if [ -n "$out" ]; then
  echo "lint: functions over 80 lines (split them; see ../shared/STYLE.md):" >&2
  echo "$out" >&2
  exit 1
fi
echo "[lint] no function over 80 lines outside tests/ (build_keys, the key table, excepted)"
