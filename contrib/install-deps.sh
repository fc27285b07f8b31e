#!/bin/sh
# install-deps.sh: installs, from Debian's archive, everything twhook needs to build, test and
# run its demo.  Packages already present are left alone; without root it uses sudo.
#   contrib/install-deps.sh          build, test and demo dependencies
# tests/debian.test builds the Debian package (debian/) and lints it: dpkg-dev, debhelper
# and lintian.  tests/browser.test drives chromium with playwright-core, which it installs
# from the npm registry with the machine's Node.js (20 or later; Debian 12's is 18).
# The high-availability tests (tests/ha/) add PostgreSQL 15, Patroni and etcd: Patroni pulls in
# python3-psycopg2 and python3-yaml itself; python3-etcd, which its etcd3 client needs too, is
# only one of its alternatives, so it is named.
set -eu

packages="build-essential autoconf automake pkg-config
	libfcgi-dev libssl-dev libjson-c-dev libsqlite3-dev libcurl4-openssl-dev libpq-dev
	libseccomp-dev
	sqlite3 jq curl lighttpd apache2 libapache2-mod-fcgid spawn-fcgi libfcgi-bin mandoc valgrind
	libxml2-utils wrk dpkg-dev debhelper lintian chromium strace
	python3 python3-cryptography python3-h2 openssl procps clang libclang-rt-14-dev
	postgresql-15 postgresql-client-15 patroni python3-etcd etcd-server etcd-client"

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

# Installing etcd-server starts Debian's etcd service (one member on 127.0.0.1:2379 and 2380)
# wherever services may start.  The tests run members of their own on ports chosen at run time,
# so that one only costs memory and would hold the default ports: stop it and keep it from
# starting at boot, but only when this run installed it.  patroni.service needs an
# /etc/patroni/config.yml that nothing here writes, so it never starts; PostgreSQL's own
# cluster (15/main, port 5432) is left alone.
case " $missing " in
*" etcd-server "*)
	if [ -d /run/systemd/system ]; then
		$sudo systemctl disable --now etcd.service >&2 || true
	else
		$sudo /etc/init.d/etcd stop >&2 || true
		$sudo update-rc.d etcd disable >&2 || true
	fi ;;
esac
