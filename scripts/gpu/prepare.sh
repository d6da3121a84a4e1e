#!/usr/bin/env bash
# Run on a Debian 12 machine with apt, from the project's root: puts the Debian packages that
# the GPU machine lacks (it has no package registry) into .gpu/, ignored by git, ready to
# carry:   bash scripts/gpu/prepare.sh
# Then, on the GPU machine, with .gpu carried:  source scripts/gpu/env.sh && <your build>
# (scripts/device-check.sh does that). The repository's copy of ../shared/gpu/prepare.sh, with
# these fixes: it writes .git's exclude file through `git rev-parse --git-path` (a worktree's
# .git is a file) and creates its folder; the Kerberos GSSAPI libraries that libzmq.so.5 needs
# at run time go to .gpu/debs-fallback (env.sh uses them only where the machine lacks them);
# it fails when a download fails (it ignored apt-get's exit code); and it copies this env.sh.
set -euo pipefail
root=$(git rev-parse --show-toplevel)
cd "$root"
exclude=$(git rev-parse --git-path info/exclude)
mkdir -p "$(dirname "$exclude")"
grep -qx '/.gpu/' "$exclude" 2>/dev/null || echo '/.gpu/' >> "$exclude"
rm -rf .gpu/debs .gpu/debs-fallback
mkdir -p .gpu/debs .gpu/debs-fallback
here=$(cd "$(dirname "$0")" && pwd)
cp "$here/env.sh" .gpu/env.sh
pkgs=(libzmq3-dev libzmq5 libsodium23 libpgm-5.3-0 libnorm1 libbsd0 libmd0 cppzmq-dev
      libyaml-cpp-dev libyaml-cpp0.7 libboost1.74-dev catch2
      libspdlog-dev libspdlog1.10 libfmt-dev libfmt9 libcli11-dev libzstd-dev libzstd1
      libxxhash-dev libxxhash0 nlohmann-json3-dev pkgconf pkgconf-bin libpkgconf3
      ${GPU_EXTRA_DEBS:-})
fallback=(libgssapi-krb5-2 libkrb5-3 libk5crypto3 libkrb5support0 libcom-err2 libkeyutils1)
[ -n "$(ls /var/lib/apt/lists 2>/dev/null | head -1)" ] || apt-get update -qq
download() {
  local dir=$1; shift
  local log
  if ! log=$(cd "$dir" && apt-get download "$@" 2>&1); then
    echo "$log" | grep -v '^W: Download is performed unsandboxed' >&2
    echo "prepare.sh: apt-get download failed" >&2
    exit 1
  fi
}
download .gpu/debs "${pkgs[@]}"
download .gpu/debs-fallback "${fallback[@]}"
ls -1 .gpu/debs .gpu/debs-fallback
du -sh .gpu
