#!/usr/bin/env bash
# Installs the Debian packages the tests need (Chromium for browser tests and kaleido, npm for map
# assets, poppler-utils for pdftoppm: the report tests render PDF pages to PNG) when they are missing
# and we are root; otherwise says what is missing and goes on.
set -u
missing=()
command -v chromium >/dev/null 2>&1 || [ -x /usr/bin/chromium ] || missing+=(chromium)
command -v npm >/dev/null 2>&1 || missing+=(npm)
command -v pdftoppm >/dev/null 2>&1 || missing+=(poppler-utils)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installation des paquets système : ${missing[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "Paquets système absents : ${missing[*]} (installez-les avec apt-get en tant que root) ; les tests qui en ont besoin seront ignorés."
fi
exit 0
