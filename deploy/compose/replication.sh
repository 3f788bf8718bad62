#!/bin/sh
# Run once by the postgis image when it creates the primary's cluster
# (/docker-entrypoint-initdb.d): lets the standby of the `scale` profile stream from it.
set -e
echo "host replication all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
