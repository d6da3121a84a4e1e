# Sourced on the GPU machine from the project's root (bash):  source scripts/gpu/env.sh
# Unpacks the carried Debian packages (.gpu/debs, made by scripts/gpu/prepare.sh) into
# $ZP_DEPS_DIR (default /opt/zpdeps; never into /, which can break that machine) and points
# the compiler, CMake, pkg-config and the loader at them and at the machine's own PyTorch
# (LibTorch + CUDA). The repository's copy of ../shared/gpu/env.sh, with these fixes:
#   - libzmq.pc names its private dependencies (krb5-gssapi, libsodium, openpgm, norm,
#     libbsd) in Requires.private, whose .pc files are not carried: pkg-config then refused
#     libzmq. We link the shared library, so those lines are dropped from the unpacked copy.
#   - libzmq.so.5 needs the Kerberos GSSAPI libraries at run time; they are carried in
#     .gpu/debs-fallback and put on the loader's path only when the machine lacks them.
#   - Debian's libzstd.pc names /usr/lib as its libdir, not the multiarch folder the library
#     is in; the unpacked copy is corrected;
#   - pkg-config reads only the carried .pc files (PKG_CONFIG_LIBDIR);
#   - it leaves the caller's shell options alone (the old one ran `set +e` at its end,
#     turning off a caller's `set -e`) and returns 1 with a message when something is missing;
#   - nvcc from /usr/local/cuda/bin when it is not on PATH; TORCH_CUDA_ARCH_LIST=9.0 (Hopper:
#     H100, H200) unless set.
zp_env_main() {
  local deps="${ZP_DEPS_DIR:-/opt/zpdeps}"
  local root
  root="$(pwd)"
  if [ ! -d "$root/.gpu/debs" ]; then
    echo "env.sh: $root/.gpu/debs not found: run scripts/gpu/prepare.sh here and carry .gpu" >&2
    return 1
  fi
  if [ ! -f "$deps/.done" ]; then
    mkdir -p "$deps" || return 1
    local f
    for f in "$root"/.gpu/debs/*.deb; do dpkg -x "$f" "$deps" || return 1; done
    local pc="$deps/usr/lib/x86_64-linux-gnu/pkgconfig"
    sed -i '/^Requires.private:/d' "$pc/libzmq.pc"
    # Debian's libzstd.pc says libdir=/usr/lib; the library is in the multiarch folder.
    sed -i 's|^libdir=${exec_prefix}/lib$|libdir=${exec_prefix}/lib/x86_64-linux-gnu|' "$pc/libzstd.pc"
    if [ -d "$root/.gpu/debs-fallback" ]; then
      mkdir -p "$deps/fallback"
      for f in "$root"/.gpu/debs-fallback/*.deb; do dpkg -x "$f" "$deps/fallback" || return 1; done
    fi
    touch "$deps/.done"
  fi
  local lib="$deps/usr/lib/x86_64-linux-gnu"
  if ! ldconfig -p 2>/dev/null | grep -q 'libgssapi_krb5.so.2'; then
    lib="$lib:$deps/fallback/usr/lib/x86_64-linux-gnu:$deps/fallback/lib/x86_64-linux-gnu"
  fi
  ZP_TORCH_CMAKE=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)') || {
    echo "env.sh: python3 cannot import torch" >&2
    return 1
  }
  export ZP_TORCH_CMAKE
  export CMAKE_PREFIX_PATH="$ZP_TORCH_CMAKE;$deps/usr;$deps/usr/lib/x86_64-linux-gnu/cmake${CMAKE_PREFIX_PATH:+;$CMAKE_PREFIX_PATH}"
  export CPATH="$deps/usr/include${CPATH:+:$CPATH}"
  export LIBRARY_PATH="$deps/usr/lib/x86_64-linux-gnu${LIBRARY_PATH:+:$LIBRARY_PATH}"
  export LD_LIBRARY_PATH="$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  # pkg-config from the carried pkgconf, reading only the carried .pc files, with $deps as
  # the root of their /usr paths.
  export PATH="$deps/usr/bin:$PATH"
  export PKG_CONFIG_LIBDIR="$deps/usr/lib/x86_64-linux-gnu/pkgconfig:$deps/usr/share/pkgconfig"
  export PKG_CONFIG_PATH="$PKG_CONFIG_LIBDIR"
  export PKG_CONFIG_SYSROOT_DIR="$deps"
  if ! command -v nvcc >/dev/null && [ -x /usr/local/cuda/bin/nvcc ]; then
    export PATH="$PATH:/usr/local/cuda/bin"
  fi
  export TORCH_CUDA_ARCH_LIST="${TORCH_CUDA_ARCH_LIST:-9.0}"
  echo "zpdeps ready in $deps; torch at $ZP_TORCH_CMAKE; nvcc: $(command -v nvcc || echo none)"
}
zp_env_main
