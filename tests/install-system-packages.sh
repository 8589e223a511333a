#!/bin/sh
# The Debian packages some tests drive: Chromium and a font (browser tests of
# `boilerkit show`/`label`), Java (Spark local mode) and libmagic (datatrove's
# WARC reader). Installs only what is missing; without apt-get it says what to
# install and leaves those tests to skip.
set -e
missing=""
command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
command -v java >/dev/null 2>&1 || missing="$missing default-jre-headless"
for package in fonts-dejavu-core libmagic1; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing="$missing $package"
done
[ -z "$missing" ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-system-packages: no apt-get; install$missing yourself (their tests skip without them)" >&2
    exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "install-system-packages: apt-get install$missing" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
