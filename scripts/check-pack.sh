#!/bin/sh
# `npm pack` as a user makes it (prepare builds dist/), installed into an empty directory from the
# registry, started with `npx payrail serve` and called with `npx payrail call`: test/npm-pack.test.ts
# with its install step on. Takes 30–70 s and the npm registry; not part of `npm test`, where only
# the tarball's contents are checked. TEST_DATABASE_URL=postgres://… runs the server on PostgreSQL.
set -e
cd "$(dirname "$0")/.."
PAYRAIL_PACK_INSTALL=1 exec node --import tsx --test test/npm-pack.test.ts "$@"
