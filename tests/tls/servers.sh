#!/usr/bin/env bash
# Private PostgreSQL, MariaDB and Redis servers that accept TLS only, for the
# TLS tests of Python's and Node's from_url/fromUrl (never the shared servers).
#   servers.sh start DIR : a CA and a server certificate for 127.0.0.1 and
#                          localhost (self-signed CA, in DIR), the three servers
#                          on free ports, and DIR/urls.env with
#                          CA, PG_PORT, MYSQL_PORT, REDIS_PORT
#   servers.sh stop DIR  : stops them (DIR stays; the caller removes it)
# Plain connections are refused by each server (PostgreSQL: hostnossl reject;
# MariaDB: require_secure_transport; Redis: no plain port), so a test that
# connects has used TLS.
set -euo pipefail
cmd=${1:?start|stop}; dir=${2:?DIR}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

if [ "$cmd" = stop ]; then
  pids=()
  for f in "$dir/redis.pid" "$dir/mysql/mysqld.pid"; do
    [ -f "$f" ] && pids+=("$(cat "$f")") && kill "$(cat "$f")" 2>/dev/null || true
  done
  if [ -d "$dir/pg" ]; then
    bin=$(ls -d /usr/lib/postgresql/*/bin | tail -1)
    run=(); [ "$(id -u)" -eq 0 ] && run=(runuser -u nobody --)
    "${run[@]}" "$bin/pg_ctl" -D "$dir/pg" -m immediate stop >/dev/null 2>&1 || true
  fi
  # Gone before the caller removes DIR (a server still writing there would race it).
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  exit 0
fi

mkdir -p "$dir"; chmod 755 "$dir"
# --- the CA and the server certificate (SAN 127.0.0.1 and localhost)
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=idloom test CA" \
  -keyout "$dir/ca.key" -out "$dir/ca.pem" >/dev/null 2>&1
openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$dir/server.key" -out "$dir/server.csr" >/dev/null 2>&1
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$dir/san.ext"
openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial -days 2 \
  -extfile "$dir/san.ext" -out "$dir/server.pem" >/dev/null 2>&1
chmod 644 "$dir/ca.pem" "$dir/server.pem"; chmod 600 "$dir/server.key"

# --- Redis: a TLS port only
redis_port=$(free_port)
redis-server --port 0 --tls-port "$redis_port" --bind 127.0.0.1 --tls-cert-file "$dir/server.pem" \
  --tls-key-file "$dir/server.key" --tls-ca-cert-file "$dir/ca.pem" --tls-auth-clients no \
  --save "" --appendonly no --dir "$dir" --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log"

# --- MariaDB: TLS required for every TCP connection
mysql_port=$(free_port)
mkdir -p "$dir/mysql"
muser=(); if [ "$(id -u)" -eq 0 ]; then chown -R mysql "$dir/mysql"; muser=(--user=mysql); fi
cp "$dir/server.key" "$dir/mysql.key"; [ "$(id -u)" -eq 0 ] && chown mysql "$dir/mysql.key"
mariadb-install-db --datadir="$dir/mysql/data" "${muser[@]}" --auth-root-authentication-method=normal >"$dir/mysql-install.log" 2>&1
(mariadbd --no-defaults --datadir="$dir/mysql/data" "${muser[@]}" --port="$mysql_port" --bind-address=127.0.0.1 \
  --socket="$dir/mysql/sock" --pid-file="$dir/mysql/mysqld.pid" --ssl-ca="$dir/ca.pem" --ssl-cert="$dir/server.pem" \
  --ssl-key="$dir/mysql.key" --require-secure-transport=ON >"$dir/mysql.log" 2>&1 &)

# --- PostgreSQL: hostssl trust, plain connections rejected (it refuses to run as root)
pg_port=$(free_port)
bin=$(ls -d /usr/lib/postgresql/*/bin | tail -1)
run=(); if [ "$(id -u)" -eq 0 ]; then run=(runuser -u nobody --); fi
mkdir -p "$dir/pg"; [ "$(id -u)" -eq 0 ] && chown nobody "$dir/pg"
cp "$dir/server.key" "$dir/pg.key"; [ "$(id -u)" -eq 0 ] && chown nobody "$dir/pg.key"; chmod 600 "$dir/pg.key"
"${run[@]}" "$bin/initdb" -D "$dir/pg" -U postgres -A trust >"$dir/pg-init.log" 2>&1
cat >>"$dir/pg/postgresql.conf" <<CONF
ssl = on
ssl_cert_file = '$dir/server.pem'
ssl_key_file = '$dir/pg.key'
listen_addresses = '127.0.0.1'
CONF
printf 'local all all trust\nhostssl all all 127.0.0.1/32 trust\nhostnossl all all 0.0.0.0/0 reject\n' >"$dir/pg/pg_hba.conf"
"${run[@]}" "$bin/pg_ctl" -D "$dir/pg" -o "-p $pg_port -k $dir/pg" -l "$dir/pg/server.log" -w start >/dev/null
"${run[@]}" "$bin/createdb" -h "$dir/pg" -p "$pg_port" -U postgres test

# --- wait for MariaDB and give it the test database
for _ in $(seq 1 100); do
  mariadb-admin --socket="$dir/mysql/sock" -uroot ping >/dev/null 2>&1 && break; sleep 0.2
done
mariadb --socket="$dir/mysql/sock" -uroot -e "CREATE DATABASE IF NOT EXISTS test" >/dev/null
for _ in $(seq 1 50); do redis-cli --tls --cacert "$dir/ca.pem" -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done

cat >"$dir/urls.env" <<ENV
CA=$dir/ca.pem
PG_PORT=$pg_port
MYSQL_PORT=$mysql_port
REDIS_PORT=$redis_port
ENV
