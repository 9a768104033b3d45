#!/usr/bin/env bash
# Builds .build/deb/edgelive_<version>_<arch>.deb from this checkout with plain dpkg-deb: the release binary
# (Swift runtime linked statically), the systemd units, hwprofiles, the default configuration (a conffile),
# sysusers.d/tmpfiles.d entries and the maintainer scripts under packaging/. Depends: from dpkg-shlibdeps.
# Used by `make deb`; prints the package's path as its last line. Tools: scripts/setup.sh deb.
set -euo pipefail
cd "$(dirname "$0")/.."

SWIFT=${SWIFT:-swift}
OUT_DIR=${DEB_DIR:-.build/deb}
VERSION=${VERSION:-$(cat packaging/VERSION)}
# Builds from git get the commit count, so a later build upgrades an earlier one.
if [ -z "${VERSION_EXACT:-}" ] && git rev-parse --git-dir >/dev/null 2>&1; then
  VERSION="$VERSION+git$(git rev-list --count HEAD).$(git rev-parse --short=8 HEAD)"
fi
ARCH=$(dpkg --print-architecture)

if [ -z "${EDGELIVE_PREBUILT:-}" ]; then
  echo "deb: swift build -c release --static-swift-stdlib" >&2
  "$SWIFT" build -c release --static-swift-stdlib --product edgelive >&2
  BIN=$("$SWIFT" build -c release --static-swift-stdlib --show-bin-path)/edgelive
else
  BIN=$EDGELIVE_PREBUILT   # a binary built the same way elsewhere (the install test's CI reuse)
fi

stage="$OUT_DIR/root"
rm -rf "$stage"
mkdir -p "$OUT_DIR"
mkdir -p "$stage/DEBIAN" "$stage/usr/bin" "$stage/lib/systemd/system" "$stage/usr/lib/sysusers.d" \
         "$stage/usr/lib/tmpfiles.d" "$stage/etc/edgelive" "$stage/usr/share/edgelive" "$stage/usr/share/doc/edgelive"

# The binary, without debug information (100 MB of it).
install -m 0755 "$BIN" "$stage/usr/bin/edgelive"
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$stage/usr/bin/edgelive"

install -m 0644 systemd/edgelive.service systemd/edgelive-channel@.service systemd/edgelive.socket \
        "$stage/lib/systemd/system/"
install -m 0644 systemd/edgelive.sysusers "$stage/usr/lib/sysusers.d/edgelive.conf"
install -m 0644 systemd/edgelive.tmpfiles "$stage/usr/lib/tmpfiles.d/edgelive.conf"
install -m 0644 packaging/edgelive.conf "$stage/etc/edgelive/edgelive.conf"
# Hardware profiles (`edgelive hw probe` and live encoding read /usr/share/edgelive/hwprofiles): the YAML files and
# their README, checked first by the binary being packaged, so a broken profile fails the build, not the box.
"$BIN" hw probe --profiles hwprofiles >/dev/null || { echo "deb: hwprofiles/ does not load (see above)" >&2; exit 1; }
install -d -m 0755 "$stage/usr/share/edgelive/hwprofiles"
install -m 0644 hwprofiles/*.yaml hwprofiles/README.md "$stage/usr/share/edgelive/hwprofiles/"
find "$stage/usr/share/edgelive" -type d -exec chmod 0755 {} + -o -type f -exec chmod 0644 {} +

doc="$stage/usr/share/doc/edgelive"
install -m 0644 packaging/copyright "$doc/copyright"
install -m 0644 systemd/README.md "$doc/README.systemd.md"
gzip -9n -c README.md > "$doc/README.md.gz"
{
  echo "edgelive ($VERSION) unstable; urgency=medium"
  echo
  echo "  * Built from $(git log -1 --format='%h %s' 2>/dev/null | cut -c1-60 || echo 'a source tree without git history')."
  echo
  echo " -- edgelive maintainers <maintainers@edgelive.invalid>  $(date -R -d "@${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}")"
} | gzip -9n > "$doc/changelog.gz"
chmod 0644 "$doc"/*
mkdir -p "$stage/usr/share/man/man1" "$stage/usr/share/lintian/overrides"
gzip -9n -c packaging/edgelive.1 > "$stage/usr/share/man/man1/edgelive.1.gz"
install -m 0644 packaging/lintian/overrides "$stage/usr/share/lintian/overrides/edgelive"
chmod 0644 "$stage/usr/share/man/man1/edgelive.1.gz"

# Depends: the shared libraries the binary links (dpkg-shlibdeps wants a debian/control to read).
shl=$(mktemp -d)
trap 'rm -rf "$shl"' EXIT
mkdir "$shl/debian"
printf 'Source: edgelive\n\nPackage: edgelive\nArchitecture: any\n' > "$shl/debian/control"
abs_bin=$(realpath "$stage/usr/bin/edgelive")
shlibs=$(cd "$shl" && dpkg-shlibdeps -O -e"$abs_bin" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
[ -n "$shlibs" ] || { echo "deb: dpkg-shlibdeps found no libraries for $BIN" >&2; exit 1; }
# systemd: the units, systemd-sysusers and systemd-tmpfiles; init-system-helpers: deb-systemd-helper and
# deb-systemd-invoke in the maintainer scripts.
depends="$shlibs, systemd, init-system-helpers (>= 1.52)"

size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
sed -e "s/@VERSION@/$VERSION/" -e "s/@ARCH@/$ARCH/" -e "s/@SIZE@/$size/" -e "s/@DEPENDS@/$depends/" \
    packaging/control.in > "$stage/DEBIAN/control"
echo /etc/edgelive/edgelive.conf > "$stage/DEBIAN/conffiles"
install -m 0755 packaging/postinst packaging/prerm packaging/postrm "$stage/DEBIAN/"
(cd "$stage" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z | xargs -0 md5sum) \
  > "$stage/DEBIAN/md5sums"
chmod 0644 "$stage/DEBIAN/control" "$stage/DEBIAN/conffiles" "$stage/DEBIAN/md5sums"

deb="$OUT_DIR/edgelive_${VERSION}_${ARCH}.deb"
rm -f "$OUT_DIR"/edgelive_*.deb
dpkg-deb --root-owner-group -Zxz --build "$stage" "$deb" >&2
echo "$deb"
