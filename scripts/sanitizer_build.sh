# Sourced by scripts/sanitize.sh and scripts/fuzz.sh: configures a torch-free clang-14 build
# directory once (later runs reuse it). Usage: configure_sanitized DIR CMAKE_ARGS...
configure_sanitized() {
  local dir=$1; shift
  [ -f "$dir/build.ninja" ] && return 0
  mkdir -p "$dir"
  CC=clang-14 CXX=clang++-14 cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" -DZEROPLAY_TORCH_FREE=ON "$@" \
    > "$dir/configure.log" 2>&1 || { cat "$dir/configure.log"; return 1; }
}
