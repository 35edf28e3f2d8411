#!/bin/sh
# Points the Vulkan loader at one version of Mesa's software driver (lavapipe), and libglvnd's EGL
# at the same version's llvmpipe, for this shell, without installing either system-wide: the two
# a Debian 12 user may have.
#
#     eval "$(sh tools/mesa.sh 22)"    # Debian 12's Mesa 22.3.6 (what apt-get gives a new user)
#     eval "$(sh tools/mesa.sh 25)"    # bookworm-backports' Mesa 25.0.7 (adds DMA_BUF import)
#
# The first use downloads the packages with apt-get (no root needed) into
# $VKSHARE_MESA_CACHE (default: ~/.cache/vkshare-mesa, or /usr/local/lib/vkshare-mesa as root,
# readable by the other users the tests start processes as) and unpacks them there; it prints the
# variables that make the loader see that lavapipe only, and EGL that Mesa only. The loaders
# (libvulkan1, libegl1), the validation layer and the X/Wayland client libraries stay the system's.
# Exit status 2 for a usage error, 1 when the packages cannot be fetched.
set -eu
v="${1:-}"
case "$v" in
  22) suite=bookworm gl="libglapi-mesa/bookworm" ;;
  25) suite=bookworm-backports gl="mesa-libgallium/bookworm-backports" ;;
  -h | --help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "usage: sh tools/mesa.sh 22|25  (try --help)" >&2; exit 2 ;;
esac
if [ -n "${VKSHARE_MESA_CACHE:-}" ]; then base="$VKSHARE_MESA_CACHE"
elif [ "$(id -u)" = 0 ]; then base=/usr/local/lib/vkshare-mesa
else base="${XDG_CACHE_HOME:-$HOME/.cache}/vkshare-mesa"; fi
cache="$base/$v"
lib="$cache/root/usr/lib/x86_64-linux-gnu"
if [ ! -f "$cache/lvp.json" ] || [ ! -f "$cache/egl.json" ]; then
  rm -rf "$cache"
  mkdir -p "$cache/debs" "$cache/root"
  state="$(mktemp -d)" sources="$(mktemp)"
  mkdir -p "$state/partial"
  # The mirror apt already uses here, with both suites, in a private list (no system change).
  uri="$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)"
  [ -n "$uri" ] || uri="$(awk '$1 == "deb" { print $2; exit }' /etc/apt/sources.list 2>/dev/null)"
  [ -n "$uri" ] || uri=http://deb.debian.org/debian
  printf 'deb %s bookworm main\ndeb %s bookworm-backports main\n' "$uri" "$uri" >"$sources"
  opts="-oDir::State::Lists=$state -oDir::Etc::SourceList=$sources -oDir::Etc::SourceParts=- -oDir::State::status=/dev/null"
  # shellcheck disable=SC2086
  apt-get $opts update >/dev/null 2>&1 || { echo "tools/mesa.sh: apt-get update failed ($uri)" >&2; exit 1; }
  pkgs="mesa-vulkan-drivers/$suite libllvm15 libdrm2/$suite libdrm-amdgpu1/$suite"
  pkgs="$pkgs libegl-mesa0/$suite libgbm1/$suite libgl1-mesa-dri/$suite $gl"
  # shellcheck disable=SC2086
  (cd "$cache/debs" && apt-get $opts download $pkgs >/dev/null 2>&1) ||
    { echo "tools/mesa.sh: could not download $pkgs" >&2; rm -rf "$state" "$sources"; exit 1; }
  for f in "$cache"/debs/*.deb; do dpkg -x "$f" "$cache/root"; done
  rm -rf "$state" "$sources"
  api="$(sed -n 's/.*"api_version": *"\([^"]*\)".*/\1/p' "$cache"/root/usr/share/vulkan/icd.d/lvp_icd*.json | head -1)"
  printf '{ "file_format_version": "1.0.0", "ICD": { "library_path": "%s", "api_version": "%s" } }\n' \
    "$lib/libvulkan_lvp.so" "$api" >"$cache/lvp.json"
  printf '{ "file_format_version": "1.0.0", "ICD": { "library_path": "%s" } }\n' \
    "$lib/libEGL_mesa.so.0" >"$cache/egl.json"
fi
echo "export VK_DRIVER_FILES='$cache/lvp.json' VK_ICD_FILENAMES='$cache/lvp.json' __EGL_VENDOR_LIBRARY_FILENAMES='$cache/egl.json' LIBGL_DRIVERS_PATH='$lib/dri' LD_LIBRARY_PATH='$lib'\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}"
