#!/bin/sh
# PostgreSQL's image runs this once, when its data folder is new: a role and a database for Baton beside Chatwoot's.
set -eu
psql -v ON_ERROR_STOP=1 -v password="$BATON_DB_PASSWORD" --username "$POSTGRES_USER" --dbname postgres <<'SQL'
CREATE ROLE baton LOGIN PASSWORD :'password';
CREATE DATABASE baton OWNER baton;
SQL
