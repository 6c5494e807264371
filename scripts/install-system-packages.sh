#!/usr/bin/env bash
# System packages ParcelAudit uses beyond Python wheels, installed from Debian/Ubuntu packages when missing:
#   Pango            WeasyPrint renders the PDF reports with it
#   a CJK font       Chinese names in PDF reports (WenQuanYi Micro Hei, a small one)
#   LibreOffice Calc the audit workpaper test recomputes the workbook's formulas with it (the test skips without)
#   Chromium         the workbench's browser tests drive Debian's chromium (they skip without it)
#   a Java runtime   check --engine spark runs PySpark, which needs Java 17+ (the Spark tests skip without it)
# Run by `make test`, `make demo` and .ci/run. Without root or apt-get it says what is missing and goes on:
# PDF reports need Pango (install it yourself there); the workpaper test skips without LibreOffice.
set -uo pipefail

missing=()
ldconfig -p 2>/dev/null | grep -q libpango-1.0 || missing+=(libpango-1.0-0 libpangoft2-1.0-0)
fc-list :lang=zh 2>/dev/null | grep -q . || missing+=(fonts-wqy-microhei)
command -v soffice >/dev/null 2>&1 || missing+=(libreoffice-calc)
command -v chromium >/dev/null 2>&1 || missing+=(chromium chromium-driver)
command -v java >/dev/null 2>&1 || [ -x "${JAVA_HOME:-/nonexistent}/bin/java" ] || missing+=(openjdk-17-jre-headless)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "note: system packages not installed (need root and apt-get): ${missing[*]}" >&2
  exit 0
fi
echo "installing system packages: ${missing[*]}"
if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; }; then
  echo "warning: could not install ${missing[*]}; the tests that need them will skip" >&2
fi
exit 0
