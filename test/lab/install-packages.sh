#!/usr/bin/env bash
# Install the Debian packages the lab and the tests need (test/lab/PACKAGES, plus tmux for TUI tests), only
# those missing, so that `npm test` and `npm run demo` work on a fresh machine of this kind (run as root).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
packages=(tmux)
while read -r p; do
	[ -n "$p" ] && [ "${p:0:1}" != "#" ] && packages+=("$p")
done < "$here/PACKAGES"
missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "lab: missing Debian packages: ${missing[*]}; install them as root (apt-get install ${missing[*]})" >&2
	exit 1
fi
echo "lab: installing ${missing[*]}" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
