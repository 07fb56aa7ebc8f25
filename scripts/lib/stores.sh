# Sourced by scripts/test: make sure the store servers the tests use answer.
# The machine kind starts PostgreSQL (5432), MariaDB (3306) and Redis (6379) before every
# session. If one does not answer, install it with apt when its binaries are
# missing and start a private instance (own port, own temp dir), exporting
# IDLOOM_PG (and IDLOOM_PG_URL) / IDLOOM_MYSQL / IDLOOM_REDIS for the tests. The tests then fail, never skip,
# if a server still does not answer.
ensure_stores() {
  local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  apt_install() { { $sudo apt-get install -y -q "$@" || { $sudo apt-get update -q && $sudo apt-get install -y -q "$@"; }; } >/dev/null 2>&1; }
  # stores/tests/partition.rs makes network namespaces and veth pairs with `ip`;
  # the Redis Cluster test forms its cluster with redis-cli (redis-tools).
  command -v ip >/dev/null || apt_install iproute2
  command -v redis-cli >/dev/null || apt_install redis-tools
  # The ZooKeeper tests start private servers of Debian's zookeeper (on Java) themselves.
  [ -f /usr/share/java/zookeeper.jar ] && command -v java >/dev/null || apt_install zookeeper
  # The etcd tests start private etcd servers (and use etcdctl for snapshots) themselves.
  command -v etcd >/dev/null && command -v etcdctl >/dev/null || apt_install etcd-server etcd-client
  if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
    command -v redis-server >/dev/null || apt_install redis-server
    local rdir; rdir=$(mktemp -d)
    redis-server --port 6390 --save "" --appendonly no --dir "$rdir" --daemonize yes >/dev/null 2>&1 || true
    export IDLOOM_REDIS="redis://127.0.0.1:6390/"
    echo "stores: Redis on 6379 did not answer; private instance on 6390"
  fi
  if ! mariadb-admin -h 127.0.0.1 -P 3306 -uroot ping >/dev/null 2>&1; then
    command -v mariadbd >/dev/null || apt_install mariadb-server
    local mdir; mdir=$(mktemp -d); chmod 755 "$mdir"
    local muser=(); [ "$(id -u)" -eq 0 ] && { chown mysql "$mdir" 2>/dev/null || true; muser=(--user=mysql); }
    mariadb-install-db --datadir="$mdir/data" "${muser[@]}" --auth-root-authentication-method=normal >/dev/null 2>&1 || true
    (mariadbd --datadir="$mdir/data" "${muser[@]}" --port=3307 --bind-address=127.0.0.1 --socket="$mdir/sock" \
      >"$mdir/log" 2>&1 &)
    for _ in $(seq 1 50); do mariadb-admin -h 127.0.0.1 -P 3307 -uroot ping >/dev/null 2>&1 && break; sleep 0.2; done
    mariadb -h 127.0.0.1 -P 3307 -uroot -e "CREATE DATABASE IF NOT EXISTS test" >/dev/null 2>&1 || true
    export IDLOOM_MYSQL="mysql://root@127.0.0.1:3307/test"
    echo "stores: MariaDB on 3306 did not answer; private instance on 3307"
  fi
  if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
    local bin; bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | tail -1)
    [ -n "$bin" ] || { apt_install postgresql; bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | tail -1); }
    local pdir; pdir=$(mktemp -d); chmod 755 "$pdir"
    local run=(); [ "$(id -u)" -eq 0 ] && { chown nobody "$pdir"; run=(runuser -u nobody --); }  # PostgreSQL refuses to run as root
    "${run[@]}" "$bin/initdb" -D "$pdir/data" -U postgres -A trust >/dev/null 2>&1 \
      && "${run[@]}" "$bin/pg_ctl" -D "$pdir/data" -o "-p 5433 -k $pdir" -l "$pdir/log" -w start >/dev/null 2>&1 \
      && "$bin/createdb" -h 127.0.0.1 -p 5433 -U postgres test >/dev/null 2>&1
    export IDLOOM_PG="host=127.0.0.1 port=5433 user=postgres dbname=test connect_timeout=5"
    export IDLOOM_PG_URL="postgres://postgres@127.0.0.1:5433/test" # the same server as a URL (node-postgres)
    echo "stores: PostgreSQL on 5432 did not answer; private instance on 5433"
  fi
}
