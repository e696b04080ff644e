#!/bin/sh
# Installs the Debian 12 packages abgleich needs, and only those missing.
# As root it runs apt-get; otherwise through sudo when sudo works without a
# password; otherwise it prints the command to run and fails.
set -eu

PKGS="build-essential pkg-config libpq-dev libuv1-dev libxxhash-dev libjemalloc-dev
libcriterion-dev libxml2-dev libxml2-utils postgresql postgresql-client clang libzip-dev
libclang-rt-14-dev util-linux libxlsxwriter-dev unzip zip chromium groff-base
libinih-dev libmicrohttpd-dev curl libqpdf-dev zlib1g-dev"

missing=""
for p in $PKGS; do
    st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
    [ "$st" = "installed" ] || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "install-deps: missing Debian packages:$missing" >&2
cmd="apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" -eq 0 ]; then
    run=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    run="sudo -n"
else
    echo "install-deps: run as root:  apt-get update && $cmd" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$run apt-get update -qq >&2
# postgresql's package would start a system cluster; we only want the binaries.
if [ -d /usr/sbin ] && [ ! -e /usr/sbin/policy-rc.d ] && [ -z "$run" ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
$run apt-get install -y -qq --no-install-recommends $missing >&2
