#!/bin/sh
# install-deps.sh: installs, from Debian's archive, everything twhook needs to build, test and
# run its demo.  Packages already present are left alone; without root it uses sudo.
#   contrib/install-deps.sh          build, test and demo dependencies
set -eu

packages="build-essential autoconf automake pkg-config
	libfcgi-dev libssl-dev libjson-c-dev libsqlite3-dev libcurl4-openssl-dev
	sqlite3 jq curl lighttpd apache2 libapache2-mod-fcgid spawn-fcgi libfcgi-bin mandoc valgrind
	libxml2-utils wrk
	python3 python3-cryptography python3-h2 openssl procps clang libclang-rt-14-dev"

missing=
for p in $packages; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -eq 0 ]; then sudo=; else sudo=sudo; fi
echo "install-deps: installing$missing" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing >&2
