#!/usr/bin/env bash
# Backups of the platform's database with PostgreSQL's own tools (docs/backups.md).
#
#   deploy/backup.sh dump DATABASE_URL FILE       pg_dump in custom format (-Fc) to FILE
#   deploy/backup.sh restore FILE SERVER_URL      recreate the dumped database, under its name, on
#                                                 the server SERVER_URL reaches (any database there)
#
# Both take libpq URIs: for dump a role that can read every table (the owner); for restore a role
# allowed to create databases, which then owns what is restored. restore first creates, as NOLOGIN
# roles, the group roles the dump grants privileges to (oura_reader, oura_writer, …) when the
# server lacks them: roles belong to the server, not the dump. The services' login roles stay the
# operator's to create (docs/backups.md). Exit 0 on success, 1 when a step fails, 2 on bad usage or
# when the database already exists there.
set -euo pipefail

usage() {
  sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
}

die_usage() { echo "backup.sh: $1 (see deploy/backup.sh --help)" >&2; exit 2; }

pgbin=${OURA_PG_BINDIR:-}
tool() { if [ -n "$pgbin" ]; then echo "$pgbin/$1"; else echo "$1"; fi; }

case "${1:-}" in
  -h|--help|help) usage; exit 0 ;;
  dump)
    [ $# -eq 3 ] || die_usage "dump takes DATABASE_URL and FILE"
    url=$2 file=$3
    tmp="$file.partial"
    # Written beside the target and renamed at the end: a failed dump never leaves a FILE that looks whole.
    "$(tool pg_dump)" --format=custom --compress=6 --no-password --file="$tmp" "$url" || { rm -f "$tmp"; exit 1; }
    mv -f "$tmp" "$file"
    echo "backup.sh: dumped to $file ($(stat -c %s "$file") bytes)"
    ;;
  restore)
    [ $# -eq 3 ] || die_usage "restore takes FILE and SERVER_URL"
    file=$2 url=$3
    [ -r "$file" ] || die_usage "cannot read $file"
    listing=$("$(tool pg_restore)" --list "$file" 2>/dev/null) || die_usage "$file is not a pg_dump custom-format archive"
    dbname=$(printf '%s\n' "$listing" | sed -nE 's/^;[[:space:]]+dbname: (.*)$/\1/p' | head -1)
    [ -n "$dbname" ] || die_usage "$file names no database"
    exists=$("$(tool psql)" -X -q -At --no-password -d "$url" -v name="$dbname" <<'SQL'
SELECT count(*) FROM pg_database WHERE datname = :'name';
SQL
) || exit 1
    [ "$exists" = 0 ] || { echo "backup.sh: database \"$dbname\" already exists on that server; drop it or restore onto another server" >&2; exit 2; }
    # The roles the archive grants to (PUBLIC aside), from its GRANT statements: roles belong to the
    # cluster, not the dump, so a fresh server lacks them.
    roles=$("$(tool pg_restore)" --create --schema-only --file=- "$file" |
      sed -nE 's/^(ALTER DEFAULT PRIVILEGES .* )?GRANT .* TO ([a-z_][a-z0-9_]*)( WITH GRANT OPTION)?;$/\2/p' |
      sort -u | grep -vix 'public' || true)
    for role in $roles; do
      "$(tool psql)" -X -q --no-password -v ON_ERROR_STOP=1 -d "$url" -v role="$role" >/dev/null <<'SQL'
SELECT format('CREATE ROLE %I NOLOGIN', :'role') AS ddl
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \gset
\if :{?ddl}
:ddl;
\endif
SQL
    done
    # --create makes the database under its old name with its database-level grants (CONNECT,
    # TEMPORARY for the services, none for PUBLIC); --no-owner: the restoring role owns everything,
    # as oura-migrate's role did. One transaction is impossible with --create, so a failure leaves a
    # partial database: --exit-on-error stops at the first error and says so.
    "$(tool pg_restore)" --create --exit-on-error --no-owner --no-password -d "$url" "$file" ||
      { echo "backup.sh: restore failed; drop database \"$dbname\" before trying again" >&2; exit 1; }
    echo "backup.sh: restored $file as database \"$dbname\""
    ;;
  "") die_usage "a command is required: dump or restore" ;;
  *) die_usage "unknown command '$1'" ;;
esac
